//go:build unix

package split

import (
	"encoding/binary"

	"sockscope/event"
	"sockscope/protocol"
)

// rec is a record on the stream since the last flush, as a flush that
// could not write them all needs it (cut).
type rec struct {
	end  int64 // where it ends, on the stream since the last flush
	typ  byte
	dir  protocol.Dir
	conn uint64
	size int64 // data: its bytes
	gap  int64 // data: the bytes dropped before it, which it carries
	tail int   // close: where its tail gaps are in buf
}

// skipped is what the relay's process dropped because the pipe had no
// room: counted, and carried as gaps (on the next data record of the same
// connection and direction, or its close), as the queue carries its own.
type skipped struct {
	events, bytes uint64
	event.Gaps
}

// drop counts ev, a Data event, as dropped.
func (s *skipped) drop(ev *event.Event) {
	s.dropData(ev.Conn, ev.Dir, ev.Gap, int64(len(ev.Data)))
}

// dropData counts a data event of size bytes, carrying gap, as dropped.
func (s *skipped) dropData(conn uint64, dir protocol.Dir, gap, size int64) {
	s.Add(conn, dir, gap+size)
	s.events++
	s.bytes += uint64(size)
}

// cut keeps, after a flush that wrote only the first n bytes of the
// backlog and the records after it, what must still be written for the
// stream to stay whole: the rest of the backlog, the rest of the record
// being written, and every record after it but the data records, which are
// dropped (counted in skip, and their bytes carried as gaps), as the queue
// drops what does not fit. So a full pipe costs the copy of one record at
// most, not of all the flush had.
func (w *writer) cut(n int64) {
	keep := w.spare[:0]
	off := int64(len(w.backlog))
	if n < off {
		keep = append(keep, w.backlog[n:]...)
	}
	c := cursor{w: w}
	start := off
	for i := range w.recs {
		r := &w.recs[i]
		lo, hi := start, off+r.end
		start = hi
		switch {
		case hi <= n: // written
		case lo < n: // being written: its rest
			keep = c.appendRange(keep, n-off, hi-off)
		case r.typ == recData:
			w.skip.dropData(r.conn, r.dir, r.gap, r.size)
		default:
			if r.typ == recClose {
				w.carryTail(r)
			}
			keep = c.appendRange(keep, lo-off, hi-off)
		}
	}
	w.backlog, w.spare = keep, w.backlog
}

// carryTail adds to close record r's tail gaps the bytes dropped of its
// connection before it.
func (w *writer) carryTail(r *rec) {
	b := w.buf[r.tail : r.tail+16]
	ev := event.Event{Type: event.Close, Conn: r.conn}
	ev.TailGaps[0] = int64(binary.LittleEndian.Uint64(b))
	ev.TailGaps[1] = int64(binary.LittleEndian.Uint64(b[8:]))
	w.skip.Carry(&ev)
	binary.LittleEndian.PutUint64(b, uint64(ev.TailGaps[0]))
	binary.LittleEndian.PutUint64(b[8:], uint64(ev.TailGaps[1]))
}

// cursor reads ranges of the stream since the last flush (w.parts), in
// order.
type cursor struct {
	w  *writer
	i  int   // the part
	at int64 // where part i starts on the stream
}

// appendRange appends the stream's bytes [lo, hi) to dst; lo is at or
// past the end of the last range.
func (c *cursor) appendRange(dst []byte, lo, hi int64) []byte {
	for lo < hi {
		p := c.w.piece(c.i)
		if c.at+int64(len(p)) <= lo {
			c.at += int64(len(p))
			c.i++
			continue
		}
		to := min(int64(len(p)), hi-c.at)
		dst = append(dst, p[lo-c.at:to]...)
		lo = c.at + to
	}
	return dst
}
