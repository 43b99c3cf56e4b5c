package capture

import (
	"io"
	"os"
	"time"

	"sockscope/event"

	"sockscope/index"
	"sockscope/observe"
	"sockscope/protocol"
	"sockscope/store"
)

// indexedRecorder is the recorder's sink that also writes the session's
// index beside it (FILE.idx): each frame with where its record lies, each
// row as it is added and again when it ends, so that show opens the file
// at once however big it grows.
type indexedRecorder struct {
	recorderSink
	w *index.Writer
}

// newIndexedRecorder returns the recorder's sink, writing an index too when
// the recording is one file that this run began (an index covers a whole
// file; a file with earlier runs, or a rotating recording, is indexed by
// show when it opens it). An index that cannot be created is left out.
func newIndexedRecorder(s recorderSink, cfg Config, existed bool) (observe.Sink, *index.Writer) {
	if existed || s.r.Rotating() {
		return s, nil
	}
	f, err := os.Open(s.r.Path())
	if err != nil {
		return s, nil
	}
	head := make([]byte, 64)
	n, _ := io.ReadFull(f, head)
	f.Close()
	w, err := index.Create(index.PathOf(s.r.Path()), head[:n])
	if err != nil {
		return s, nil
	}
	w.SetConfig(index.Settings{Framing: cfg.Framing, IDFields: cfg.IDFields, MaxFrame: cfg.MaxFrame}.Hash())
	return indexedRecorder{s, w}, w
}

// Frame implements observe.Sink.
func (s indexedRecorder) Frame(m *protocol.Message, framing protocol.Framing, began time.Time) {
	off := s.r.Offset()
	s.recorderSink.Frame(m, framing, began)
	s.w.Frame(m, off, int(s.r.Offset()-off))
}

// Row implements observe.RowSink.
func (s indexedRecorder) Row(r *store.Row) { s.w.Row(r) }

// Exchange implements observe.ExchangeSink.
func (s indexedRecorder) Exchange(r *store.Row) { s.w.Row(r) }

// StreamGap implements observe.StreamGapSink: the index keeps the bytes
// of a stream that no frame holds, for an export from it.
func (s indexedRecorder) StreamGap(g store.Gap) { s.w.Gap(g) }

// Flush implements observe.Sink: the index says how much of the file it
// covers, once the file has it. An index that fails is dropped, the
// recording goes on.
func (s indexedRecorder) Flush() error {
	err := s.recorderSink.Flush()
	if err == nil {
		s.w.Flush(s.r.Size(), false)
	}
	return err
}

// closeIndex completes the index once the recording has ended cleanly,
// with the file's size and state after its last write.
func closeIndex(w *index.Writer, path string, ended bool) {
	if w == nil {
		return
	}
	var size int64
	if st, err := os.Stat(path); err == nil {
		size = st.Size()
		w.SetFile(st)
	}
	w.Close(size, ended)
}

// Open implements observe.Sink: the index keeps the connection too.
func (s indexedRecorder) Open(conn uint64, at time.Time, p *event.Peer) {
	s.recorderSink.Open(conn, at, p)
	c := store.Conn{ID: conn, Opened: at, PID: -1, UID: -1, State: store.ConnOpen}
	if p != nil {
		c.Client, c.Listen, c.Upstream, c.PID, c.UID, c.Process, c.Own = p.Client, p.Listen, p.Upstream, p.PID, p.UID, p.Process, p.Own
	}
	s.w.OpenConn(c)
}

// Close implements observe.Sink.
func (s indexedRecorder) Close(conn uint64, at time.Time, err string) {
	s.recorderSink.Close(conn, at, err)
	s.w.CloseConn(conn, at, err)
}

// Ended implements observe.EndSink: a row the bounded store evicted while
// it was pending ends in the index all the same.
func (s indexedRecorder) Ended(row uint64, st protocol.Status, resp *protocol.Message, gap bool) {
	s.w.Ended(row, st, resp, gap)
}
