package index

import (
	"cmp"
	"io/fs"
	"os"
	"time"

	"sockscope/event"
	"sockscope/protocol"
	"sockscope/store"
)

// Writer appends to an index as the observer decodes a session: a frame
// with where its record lies in the session file, a row when it is added,
// the row again when it ends. Create it with Create; call it from one
// goroutine (the observer's), while Views read the same Index.
type Writer struct {
	x  *Index
	st *Stats
	// open is the record of each open connection, rewritten when it
	// closes (bounded by the connections open at once).
	open map[uint64]uint64
	// lastGap is the last gap added (its Bytes grow when the next one is
	// of the same direction and before the same message).
	lastGap store.Gap
	// h2 is what is followed of each open connection's directions of
	// HTTP/2; h2Decoding counts the directions decoded (h2Dir.blocks);
	// h2Every is h2SnapEvery, or less (a test's).
	h2         map[uint64]*[2]h2Dir
	h2Decoding int
	h2Every    int
}

// h2Dir is what a Writer follows of a direction of an HTTP/2 connection:
// its last header block, which the next one's record chains to
// (msgRec.h2prev), and its decoding, which it keeps a snapshot of every
// h2SnapEvery blocks, so that a View decodes a block from the snapshot
// before it rather than from the direction's start.
type h2Dir struct {
	last   uint64
	blocks *protocol.H2Blocks // nil: not decoded (h2SnapDirs were)
	n      int                // blocks decoded
}

// Bounds of the HPACK table snapshots a Writer keeps, said once.
const (
	// h2SnapEvery is how many header blocks of a direction there are
	// between two snapshots: a View decodes at most that many to show
	// one.
	h2SnapEvery = 4096
	// h2SnapDirs bounds the directions decoded at once for snapshots
	// (each holds HPACK's table: 4 KiB unless the peers chose more, at
	// most 64 KiB); the blocks of a direction opened past it are decoded
	// from its start when shown.
	h2SnapDirs = 1024
)

// Create starts the index at path (FILE.idx of the session file), empty.
// head is the beginning of the session file (its header line): an index
// whose head differs from its session file's is stale.
func Create(path string, head []byte) (*Writer, error) {
	x, err := create(path)
	if err != nil {
		return nil, err
	}
	copy(x.h.head[:], head)
	return &Writer{x: x, open: map[uint64]uint64{}}, nil
}

// SetConfig records a hash of the settings the session is decoded with:
// an index decoded otherwise is stale (Index.Fresh).
func (w *Writer) SetConfig(cfg uint64) {
	w.x.mu.Lock()
	w.x.h.cfg = cfg
	w.x.mu.Unlock()
}

// SetFile records the session file's state (StateOf fi) once it holds
// all that the index covers: taken after the last write (a recording's
// end), or before the file is read (a build), so that a later change
// makes the index stale (Index.Fresh). An index completed without it is
// stale.
func (w *Writer) SetFile(fi fs.FileInfo) {
	w.x.mu.Lock()
	w.x.h.file = StateOf(fi)
	w.x.mu.Unlock()
}

// SetStats makes the Writer count what it indexes into st.
func (w *Writer) SetStats(st *Stats) { w.st = st }

// Index returns the index being written, for a View.
func (w *Writer) Index() *Index { return w.x }

// Frame adds frame m, whose record is n bytes at off in the session file.
// Frames must come in seq order: a seq skipped is left as an empty record.
func (w *Writer) Frame(m *protocol.Message, off int64, n int) {
	x := w.x
	x.mu.Lock()
	defer x.mu.Unlock()
	for x.h.msgs+1 < m.Seq { // never happens with one observer: keep seqs aligned
		x.add(kindMsgs, func([]byte) {})
		x.h.msgs++
	}
	r := msgRec{off: off, n: uint32(n), at: m.At.UnixNano(), conn: m.Conn,
		size: uint32(m.Frame.Size), wire: uint32(m.Frame.Wire), dir: m.Dir, kind: m.Info.Kind}
	if m.Info.IsError {
		r.flags |= mIsError
	}
	if m.Frame.Truncated {
		r.flags |= mTruncated
	}
	if m.Injected {
		r.flags |= mInjected
	}
	if m.Withheld {
		r.flags |= mWithheld
	}
	var snap []byte
	if len(m.Frame.Fields) > 0 {
		x.mu.Unlock() // decoding takes a while: a View reads meanwhile
		snap = w.h2Block(m, &r)
		x.mu.Lock()
	}
	x.add(kindMsgs, r.encode)
	if snap != nil {
		encodeSnap(m.Seq, snap, func(fill func([]byte)) {
			x.add(kindSnaps, fill)
			x.h.snaps++
		})
	}
	x.h.msgs++
	if w.st != nil {
		w.st.frame(&r)
	}
	if x.h.first == 0 {
		x.h.first = r.at
	}
	x.h.last = max(x.h.last, r.at)
}

// h2Block marks r, the record of m, an HTTP/2 header block, so and
// chains it to the one before it on its connection and direction; it
// decodes the block, and returns the snapshot of its direction's
// decoding after it, when one is due.
func (w *Writer) h2Block(m *protocol.Message, r *msgRec) []byte {
	r.flags |= mH2Block
	if !protocol.H2Decoded(m.Frame.Fields) {
		r.flags |= mH2Undecoded
	}
	if w.h2 == nil {
		w.h2 = map[uint64]*[2]h2Dir{}
	}
	c := w.h2[m.Conn]
	if c == nil {
		c = new([2]h2Dir)
		w.h2[m.Conn] = c
	}
	d := &c[m.Dir&1]
	r.h2prev, d.last = d.last, m.Seq
	if r.h2prev == 0 && w.h2Decoding < h2SnapDirs {
		d.blocks = protocol.NewH2Blocks(m.Dir)
		w.h2Decoding++
	}
	if d.blocks == nil {
		return nil
	}
	d.blocks.Decode(m, r.flags&mH2Undecoded == 0)
	every := cmp.Or(w.h2Every, h2SnapEvery)
	if d.n++; d.n%every != 0 {
		return nil
	}
	return d.blocks.Snapshot()
}

// Row adds row r (its Seq the next one), or writes it again in place if it
// is already indexed: as it ends, or, still pending, timed from when its
// request began (a reply was read before its end).
func (w *Writer) Row(r *store.Row) {
	if r.Seq == 0 {
		return // a row the store no longer held when it ended
	}
	x := w.x
	x.mu.Lock()
	defer x.mu.Unlock()
	if r.Seq <= x.h.rows {
		b, _, err := x.slot(kindRows, r.Seq-1)
		if err != nil {
			return
		}
		old, _ := decodeRow(b, r.Seq)
		nr := *r
		// A row still pending comes again with the time its request
		// began, as read (observe's readEarly): it is kept as it comes.
		if nr.Status != protocol.StatusPending {
			x.recordedTimes(&nr, &old)
		}
		x.put(kindRows, r.Seq-1, func(b []byte) { encodeRow(b, &nr) })
		if w.st != nil {
			w.st.row(&old, &nr)
		}
		return
	}
	for x.h.rows+1 < r.Seq {
		x.add(kindRows, func([]byte) {})
		x.h.rows++
	}
	x.add(kindRows, func(b []byte) { encodeRow(b, r) })
	x.h.rows++
	if w.st != nil {
		w.st.row(nil, r)
	}
}

// recordedTimes gives r, a row written again as it ends (first is its
// record as it was first written), the times a decoding of the session
// file gives it, as export and a rebuilt index have them: r comes from
// the observer's store, which keeps a time as its epoch and the monotonic
// clock since (that drifts from the wall clock the file has, by tens of
// nanoseconds a second). Its request's time is first's (its frame's, or
// when it began), its response's that of the response's frame, and its
// latency the one between them. x.mu is held.
func (x *Index) recordedTimes(r, first *store.Row) {
	r.ReqAt = first.ReqAt
	if r.Resp != 0 {
		if b, _, err := x.slot(kindMsgs, r.Resp-1); err == nil {
			var m msgRec
			m.decode(b)
			r.RespAt = unstamp(m.at)
		}
	}
	r.Latency = 0
	if !r.ReqAt.IsZero() && !r.RespAt.IsZero() {
		r.Latency = max(r.RespAt.Sub(r.ReqAt), 0)
	}
}

// Ended records the end of row seq, which the observer's bounded store no
// longer held (a request pending so long its row was evicted): its status,
// and the reply that answered it if any. The row is read back from the
// index, which holds every row, and written again.
func (w *Writer) Ended(seq uint64, st protocol.Status, resp *protocol.Message, gap bool) {
	x := w.x
	x.mu.Lock()
	b, _, err := x.slot(kindRows, seq-1)
	if err != nil {
		x.mu.Unlock()
		return
	}
	r, f := decodeRow(b, seq)
	x.mu.Unlock()
	if r.Status != protocol.StatusPending {
		return
	}
	if w.st != nil {
		w.st.fullMethod(&r, f)
	}
	r.Status, r.Gap = st, r.Gap || gap
	if resp != nil {
		r.Resp, r.RespAt, r.RespSize = resp.Seq, resp.At, resp.Frame.Size
		if !r.ReqAt.IsZero() {
			r.Latency = max(resp.At.Sub(r.ReqAt), 0)
		}
	}
	// The record's id and method may be cut: they stay marked so.
	x.mu.Lock()
	var old store.Row
	x.put(kindRows, seq-1, func(b []byte) {
		var f uint8
		old, f = decodeRow(b, seq)
		old.Method = r.Method
		encodeRow(b, &r)
		b[59] |= f & (rLongID | rLongMethod)
	})
	x.mu.Unlock()
	if w.st != nil {
		w.st.row(&old, &r)
	}
}

// Gap records bytes of a stream that no frame holds (store.Gap), joined
// to the last one when it is of the same direction before the same
// message, as the store joins them.
func (w *Writer) Gap(g store.Gap) {
	if g.Bytes <= 0 || g.Before == 0 {
		return
	}
	x := w.x
	x.mu.Lock()
	defer x.mu.Unlock()
	if l := &w.lastGap; x.h.gaps > 0 && l.Conn == g.Conn && l.Dir == g.Dir && l.Before == g.Before {
		l.Bytes += g.Bytes
		x.put(kindGaps, x.h.gaps-1, func(b []byte) { encodeGap(b, l) })
		return
	}
	w.lastGap = g
	x.add(kindGaps, func(b []byte) { encodeGap(b, &g) })
	x.h.gaps++
}

// OpenConn records connection c (its description; its state open).
func (w *Writer) OpenConn(c store.Conn) {
	x := w.x
	x.mu.Lock()
	x.add(kindConns, func(b []byte) { encodeConn(b, &c) })
	w.open[c.ID] = x.h.conns
	x.h.conns++
	x.mu.Unlock()
	if w.st != nil {
		w.st.setConn(c, false)
	}
}

// CloseConn records the end of connection id at at: failed when err is
// not empty, open at exit when it is event.OpenAtExit (as the store does).
func (w *Writer) CloseConn(id uint64, at time.Time, err string) {
	if c := w.h2[id]; c != nil {
		for _, d := range c {
			if d.blocks != nil {
				w.h2Decoding--
			}
		}
		delete(w.h2, id)
	}
	i, ok := w.open[id]
	if !ok {
		return
	}
	delete(w.open, id)
	x := w.x
	x.mu.Lock()
	var c store.Conn
	x.put(kindConns, i, func(b []byte) {
		c = decodeConn(b)
		c.Closed, c.State = at, store.ConnClosed
		switch err {
		case "":
		case event.OpenAtExit:
			c.State = store.ConnOpenAtExit
		default:
			c.State = store.ConnFailed
		}
		encodeConn(b, &c)
	})
	x.mu.Unlock()
	if w.st != nil {
		w.st.setConn(c, true)
	}
}

// Flush writes out the blocks being filled and the header: sessionSize is
// how much of the session file is indexed, complete whether that is all of
// it (the file ended). It returns the first write error.
func (w *Writer) Flush(sessionSize int64, complete bool) error {
	x := w.x
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, c := range x.cur {
		if c != nil {
			x.writeBlock(c)
		}
	}
	x.h.sessionSize, x.h.complete = sessionSize, complete
	if complete {
		x.h.pid = 0
	}
	if x.err == nil {
		if err := x.writeHeader(); err != nil {
			x.err = err
		}
	}
	return x.err
}

// Close flushes as Flush and closes the file.
func (w *Writer) Close(sessionSize int64, complete bool) error {
	err := w.Flush(sessionSize, complete)
	if cerr := w.x.Close(); err == nil {
		err = cerr
	}
	return err
}

// Remove closes the index and deletes its file (a build that was not
// finished, or a temporary one).
func (w *Writer) Remove() {
	name := w.x.f.Name()
	w.x.Close()
	os.Remove(name)
}
