package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"sockscope/observe"
	"sockscope/protocol"
	"sockscope/proxy"
	"sockscope/session"
	"sockscope/store"
)

// fileOptions are the flags of the commands that read a session file
// (show, export): no relay, so nothing about forwarding or recording.
type fileOptions struct {
	headless    bool
	dump        bool
	ids         string
	maxMessages int
	maxBytes    int64
	maxFrame    int
}

// addFileFlags declares the decoding flags of a command that reads a
// session file; ui adds the ones that choose between the UI and --dump.
func addFileFlags(cmd *cobra.Command, o *fileOptions, ui bool) {
	f := cmd.Flags()
	if ui {
		f.BoolVar(&o.headless, "headless", false, "no UI: decode the file, print a summary line")
		f.BoolVar(&o.dump, "dump", false, "no UI: one JSON object per event on stdout (implies --headless)")
	}
	f.StringVar(&o.ids, "id", "", "JSON `FIELDS` that carry the request id (default: the ones each segment was recorded with)")
	f.IntVar(&o.maxMessages, "max-messages", store.DefaultMaxMessages, "messages kept in memory; the oldest are evicted")
	f.Int64Var(&o.maxBytes, "max-bytes", store.DefaultMaxBytes, "bytes of messages kept in memory; the oldest are evicted")
	f.IntVar(&o.maxFrame, "max-frame", protocol.DefaultMaxFrame, "bytes kept of one frame (frames in the file are already cut to the cap they were recorded with)")
}

// decoded is a session file decoded into a store.
type decoded struct {
	st       *store.Store
	counts   observe.Counts
	segments int
	// cut counts the records a crash cut short, which were skipped.
	cut int
}

// summary is the line show and export print about the file.
func (d *decoded) summary(path string) string {
	s := fmt.Sprintf("sockscope: %s: %d segments; %s", path, d.segments, d.counts)
	if d.cut > 0 {
		s += fmt.Sprintf("; %d records cut short by a crash skipped", d.cut)
	}
	if ev := d.st.Totals().Evicted; ev > 0 {
		s += fmt.Sprintf("; %d messages evicted from memory (raise --max-messages or --max-bytes)", ev)
	}
	return s
}

// errRecordingEnds closes the connections a segment left open: the run
// that recorded it stopped without closing them.
var errRecordingEnds = errors.New("the recording ends here (sockscope did not exit cleanly, or is still recording)")

// decodeFile decodes the session file at path as if it were live: the same
// framing, pairing and latencies (the recorded times), into a new store.
// Each segment (one run of sockscope) is decoded with the id fields and
// framing it was recorded with, unless o.ids says otherwise; connection
// numbers of later segments are shifted past earlier ones. A record cut
// short by a crash is skipped and the segments after it are read. dump, if
// not nil, gets --dump's lines.
func decodeFile(path string, o fileOptions, dump io.Writer) (*decoded, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d := &decoded{st: store.New(store.Config{MaxMessages: o.maxMessages, MaxBytes: o.maxBytes})}
	var seg *segment
	endSegment := func() {
		if seg != nil {
			d.counts = addCounts(d.counts, seg.end())
			seg = nil
		}
	}
	defer endSegment()
	r := session.NewReader(f)
	var base, top uint64
	for {
		rec, err := r.Next()
		switch {
		case errors.Is(err, io.EOF):
			return d, nil
		case errors.Is(err, session.ErrTruncated):
			d.cut++
			continue
		case err != nil:
			return d, fmt.Errorf("%s: %w", path, err)
		}
		if rec.Type == session.TypeHeader {
			endSegment()
			base = top
			d.segments++
			seg = startSegment(d.st, rec.Header, o, dump)
			continue
		}
		id := base + rec.Conn
		top = max(top, id)
		seg.put(id, rec)
	}
}

// segment decodes one segment of a session file with an observer of its own,
// configured as the run that recorded it was.
type segment struct {
	obs    *observe.Observer
	q      *proxy.Queue
	done   chan struct{}
	open   map[uint64]bool // connections opened and not closed
	last   session.Record  // the latest record
	clean  bool            // an end record was read
	next   string          // the file the recording continues in, if rotating
	counts observe.Counts
}

func startSegment(st *store.Store, h *session.Header, o fileOptions, dump io.Writer) *segment {
	ids := h.IDFields
	if o.ids != "" {
		ids = strings.Split(o.ids, ",")
	}
	if len(ids) == 0 {
		ids = nil // the default
	}
	framing, err := protocol.ParseFraming(h.Framing)
	if err != nil {
		framing = protocol.FramingAuto
	}
	s := &segment{
		obs:  observe.New(observe.Config{Store: st, Framing: framing, IDFields: ids, MaxFrame: o.maxFrame, Dump: dump}),
		q:    proxy.NewQueue(0, true),
		done: make(chan struct{}),
		open: map[uint64]bool{},
		last: session.Record{At: h.Started},
	}
	go func() {
		s.obs.Run(s.q)
		close(s.done)
	}()
	return s
}

// put turns a record back into the relay's event, each frame re-framed as it
// was on the wire, so the observer decodes it as it did live. id is the
// record's connection, shifted.
func (s *segment) put(id uint64, rec session.Record) {
	s.last = rec
	switch rec.Type {
	case session.TypeOpen:
		s.open[id] = true
		s.q.Put(proxy.Event{Type: proxy.EventOpen, Conn: id, At: rec.At, Peer: &proxy.Peer{
			Client: rec.Client, Listen: rec.Listen, Upstream: rec.Upstream,
			PID: rec.PID, UID: rec.UID, Process: rec.Process,
		}})
	case session.TypeFrame:
		s.q.Put(proxy.Event{Type: proxy.EventData, Conn: id, Dir: rec.Dir, At: rec.At, Data: reframe(rec), Injected: rec.Injected})
	case session.TypeGap:
		s.q.Put(proxy.Event{Type: proxy.EventData, Conn: id, Dir: rec.Dir, At: rec.At, Gap: rec.Bytes})
	case session.TypeClose:
		delete(s.open, id)
		var cerr error
		if rec.Err != "" {
			cerr = errors.New(rec.Err)
		}
		s.q.Put(proxy.Event{Type: proxy.EventClose, Conn: id, At: rec.At, Err: cerr})
	case session.TypeEnd:
		s.clean, s.next = true, rec.Next
	}
}

// end closes what the segment left open, at its last record's time (with
// an error unless it ended cleanly), and waits for the observer.
func (s *segment) end() observe.Counts {
	var err error
	switch {
	case !s.clean:
		err = errRecordingEnds
	case s.next != "":
		err = fmt.Errorf("the recording continues in %s", s.next)
	}
	ids := make([]uint64, 0, len(s.open))
	for id := range s.open {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s.q.Put(proxy.Event{Type: proxy.EventClose, Conn: id, At: s.last.At, Err: err})
	}
	s.q.Close()
	<-s.done
	return s.obs.Counts()
}

// reframe puts a recorded payload back in its framing.
func reframe(rec session.Record) []byte {
	switch rec.Framing {
	case protocol.FramingContentLength.String():
		h := "Content-Length: " + strconv.Itoa(len(rec.Data)) + "\r\n\r\n"
		return append([]byte(h), rec.Data...)
	case protocol.FramingRaw.String():
		return rec.Data
	}
	if rec.Wire == rec.Size+2 {
		return append(rec.Data, '\r', '\n')
	}
	return append(rec.Data, '\n')
}

// addCounts adds the counts of two segments.
func addCounts(a, b observe.Counts) observe.Counts {
	a.Conns += b.Conns
	a.Failed += b.Failed
	a.Messages += b.Messages
	a.Requests += b.Requests
	a.OK += b.OK
	a.Errors += b.Errors
	a.NoReply += b.NoReply
	a.Orphan += b.Orphan
	a.Duplicates += b.Duplicates
	a.Notifications += b.Notifications
	a.Raw += b.Raw
	a.Gaps += b.Gaps
	a.UnseenMaybe += b.UnseenMaybe
	a.Panics += b.Panics
	if b.LastPanic != "" {
		a.LastPanic = b.LastPanic
	}
	return a
}
