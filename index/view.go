package index

import (
	"os"
	"time"

	"sockscope/protocol"
	"sockscope/session"
	"sockscope/store"
)

// Decoding is the background work behind a View (package indexbuild's
// Build): building the index, or reading the statistics from a complete
// one, and how far it has gone.
type Decoding interface {
	// Stats holds the statistics and the connections counted so far.
	Stats() *Stats
	// Gen moves whenever more is decoded or indexed.
	Gen() uint64
	// Progress returns the bytes decoded, of how many, and whether the
	// decoding is over.
	Progress() (done, total int64, over bool)
	// Err is why the decoding stopped, if it failed.
	Err() error
	// Following reports whether the decoding follows a growing file.
	Following() bool
}

// View reads a session file through its index: rows and frames from the
// index, frame bytes from the file on demand, the statistics and the
// connections from the index's Stats. It implements store.View.
type View struct {
	path string
	f    *os.File // the session file, for frames
	x    *Index
	d    Decoding
	ids  []string
	h2   h2Cache // HTTP/2 header blocks decoded again
}

var _ store.View = (*View)(nil)

// NewView returns the View of the session file at path through index x,
// with d decoding it in the background; ids are the id fields it is
// decoded with (nil: the default).
func NewView(path string, x *Index, d Decoding, ids []string) (*View, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &View{path: path, f: f, x: x, d: d, ids: ids}, nil
}

// Close closes the session file and the index.
func (v *View) Close() error {
	v.x.Close()
	return v.f.Close()
}

// Gen implements store.View: it moves as the decoding goes.
func (v *View) Gen() uint64 { return v.d.Gen() }

// Totals implements store.View: the statistics counted so far, with the
// counts of the index.
func (v *View) Totals() store.Totals {
	t := v.d.Stats().Totals()
	msgs, rows := v.x.counts()
	t.Messages, t.Rows = max(t.Messages, msgs), max(t.Rows, rows)
	t.StoredMessages = int(msgs)
	t.Evicted = 0
	return t
}

// Conns implements store.View.
func (v *View) Conns() []store.Conn { return v.d.Stats().Conns() }

// Conn implements store.View.
func (v *View) Conn(id uint64) (store.Conn, bool) { return v.d.Stats().Conn(id) }

// Methods implements store.View.
func (v *View) Methods(conn uint64) []store.MethodStats { return v.d.Stats().Methods(conn) }

// RecentLatencies implements store.View.
func (v *View) RecentLatencies(dst []time.Duration) []time.Duration {
	return v.d.Stats().RecentLatencies(dst)
}

// RowBounds implements store.View: every row of the file is there.
func (v *View) RowBounds() (first, next uint64) {
	_, rows := v.x.counts()
	return 1, rows + 1
}

// Row implements store.View.
func (v *View) Row(seq uint64) (store.Row, bool) {
	r, f, ok := v.x.row(seq)
	if ok && f&(rLongID|rLongMethod) != 0 {
		v.complete(&r, f)
	}
	return r, ok
}

// CompleteMethod gives row r, whose record cut its method, its whole name
// from its frame.
func (v *View) CompleteMethod(r *store.Row) { v.complete(r, rLongMethod) }

// complete reads a row's id or method that its record holds cut.
func (v *View) complete(r *store.Row, f uint8) {
	seq := r.Req
	if seq == 0 {
		seq = r.Resp
	}
	m, ok := v.Message(seq)
	if !ok {
		return
	}
	if f&rLongID != 0 {
		r.ID = string(m.Info.ID)
	}
	if f&rLongMethod != 0 {
		r.Method = string(m.Info.Method)
	}
}

// Rows implements store.View. fn must not call the View.
func (v *View) Rows(from uint64, fn func(store.Row) bool) {
	_, next := v.RowBounds()
	for seq := max(from, 1); seq < next; seq++ {
		r, ok := v.Row(seq)
		if !ok || !fn(r) {
			return
		}
	}
}

// RowsBefore implements store.View.
func (v *View) RowsBefore(before uint64, fn func(store.Row) bool) {
	_, next := v.RowBounds()
	for seq := min(before, next); seq > 1; seq-- {
		r, ok := v.Row(seq - 1)
		if !ok || !fn(r) {
			return
		}
	}
}

// MessageBounds implements store.View.
func (v *View) MessageBounds() (first, next uint64) {
	msgs, _ := v.x.counts()
	return 1, msgs + 1
}

// Message implements store.View: the frame's bytes are read from the
// session file and classified again.
func (v *View) Message(seq uint64) (protocol.Message, bool) {
	r, ok := v.x.msg(seq)
	if !ok || r.n == 0 {
		return protocol.Message{}, false
	}
	rec, err := session.ReadAt(v.f, r.off, int(r.n))
	if err != nil || rec.Type != session.TypeFrame {
		m := protocol.Message{Seq: seq, Conn: r.conn, Dir: r.dir, At: unstamp(r.at),
			Frame: protocol.Frame{Size: int(r.size), Wire: int(r.wire), Err: "unreadable: the session file changed"}}
		m.Info.Kind = protocol.KindRaw
		return m, true
	}
	m := protocol.Message{Seq: seq, Conn: r.conn, Dir: r.dir, At: unstamp(r.at),
		Frame: protocol.Frame{Data: rec.Data, Size: rec.Size, Wire: rec.Wire,
			Truncated: rec.Truncated || r.flags&mTruncated != 0, Err: rec.Err},
		Injected: r.flags&mInjected != 0, Withheld: r.flags&mWithheld != 0, Note: rec.Note}
	// The framing the frame was cut with says its profile: how it is
	// classified and shown (its JSON view).
	m.Framing, _ = protocol.ParseFraming(rec.Framing)
	switch {
	case m.Frame.Truncated && rec.Whole != nil: // what it was, as recorded
		m.Info = *rec.Whole
	case m.Frame.Truncated:
		m.Info = protocol.ClassifyKept(m.Framing, rec.Data, r.dir, v.ids)
	default:
		m.Info = protocol.ClassifyAs(m.Framing, rec.Data, r.dir, v.ids)
	}
	if r.flags&mH2Block != 0 && m.Framing == protocol.FramingHTTP2 {
		v.h2Block(&m, r)
	}
	if rec.Err != "" && !protocol.CutShort(m.Framing, rec.Err, m.Info.Kind) {
		m.Info.SetRaw(rec.Err)
	}
	return m, true
}

// h2Block gives m, an HTTP/2 header block whose record is r, its fields
// (Frame.Fields), decoded again with the blocks before it on its
// connection and direction, and classifies it by them, as its framer did.
func (v *View) h2Block(m *protocol.Message, r msgRec) {
	m.Frame.Fields = v.h2.get(v, m.Seq, r)
	if m.Frame.Truncated {
		return // classified as recorded (whole), or from its start
	}
	m.Info = protocol.ClassifyH2Block(m.Frame.Data, m.Dir, m.Frame.Fields)
	if m.Info.Kind == protocol.KindResponse && r.kind == protocol.KindNotification {
		m.Info.Kind = protocol.KindNotification // stream 1's after an h2c upgrade: the 101 answered its request
	}
}

// Messages implements store.View.
func (v *View) Messages(from uint64, fn func(*protocol.Message) bool) {
	_, next := v.MessageBounds()
	for seq := max(from, 1); seq < next; seq++ {
		m, ok := v.Message(seq)
		if !ok {
			continue
		}
		if !fn(&m) {
			return
		}
	}
}

// Gaps calls fn with the bytes of each stream that no frame holds
// (store.Gap), in the order they were met, while fn returns true: an
// export skips them where they were, as it does the store's.
func (v *View) Gaps(fn func(store.Gap) bool) {
	for i := uint64(0); ; i++ {
		v.x.mu.Lock()
		var g store.Gap
		ok := i < v.x.h.gaps
		if ok {
			b, _, err := v.x.slot(kindGaps, i)
			if ok = err == nil; ok {
				g = decodeGap(b)
			}
		}
		v.x.mu.Unlock()
		if !ok || !fn(g) {
			return
		}
	}
}

// Clear implements store.View: a file's rows stay.
func (v *View) Clear() {}

// FileStatus is what the status bar says of a file being shown.
type FileStatus struct {
	Path        string
	Size        int64
	First, Last time.Time // the span of its frames
	// Indexed and Total are the bytes decoded and the file's size, while
	// the background build runs (Done when it is over).
	Indexed, Total int64
	Done           bool
	Follow         bool
	Err            error
}

// Status returns the file's status.
func (v *View) Status() FileStatus {
	done, total, over := v.d.Progress()
	v.x.mu.Lock()
	first, last := v.x.h.first, v.x.h.last
	v.x.mu.Unlock()
	s := FileStatus{Path: v.path, Size: total, Indexed: done, Total: total, Done: over, Follow: v.d.Following(), Err: v.d.Err()}
	if first != 0 {
		s.First, s.Last = unstamp(first), unstamp(last)
	}
	return s
}
