//go:build unix

package split

import (
	"encoding/binary"

	"sockscope/event"
	"sockscope/protocol"
)

// skipped is what the relay's process dropped because the ring had no
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
// drops what does not fit. So a full ring costs the copy of one record at
// most, not of all the flush had. The records are read back from the
// stream (their heads say their lengths): the encoding keeps no account
// of them for a flush that is rarely cut.
func (w *writer) cut(n int64) {
	keep := w.spare[:0]
	off := int64(len(w.backlog))
	if n < off {
		keep = append(keep, w.backlog[n:]...)
	}
	heads, copies := cursor{w: w}, cursor{w: w}
	end := w.streamLen()
	var h [headSize + 16]byte
	for lo := int64(0); lo < end; {
		heads.read(h[:headSize], lo)
		typ, conn := h[0], binary.LittleEndian.Uint64(h[2:])
		hi := lo + w.recordLen(&heads, h[:], lo)
		switch {
		case off+hi <= n: // written
		case off+lo < n: // being written: its rest
			keep = copies.appendRange(keep, n-off, hi)
		case typ == recData:
			dir := protocol.C2S
			if h[1]&flagS2C != 0 {
				dir = protocol.S2C
			}
			gap, size := binary.LittleEndian.Uint64(h[headSize:]), binary.LittleEndian.Uint32(h[headSize+8:])
			w.skip.dropData(conn, dir, int64(gap), int64(size))
		default:
			if typ == recClose {
				w.carryTail(conn, heads.slice(lo+headSize, 16))
			}
			keep = copies.appendRange(keep, lo, hi)
		}
		lo = hi
	}
	w.backlog, w.spare = keep, w.backlog
}

// recordLen returns the length of the record at lo, whose head is in h
// (its fixed part past the head read into h too), reading what it needs
// with c.
func (w *writer) recordLen(c *cursor, h []byte, lo int64) int64 {
	var meta [4]byte
	metaAt := func(at int64) int64 { // a length and its bytes at at
		c.read(meta[:], at)
		return 4 + int64(binary.LittleEndian.Uint32(meta[:]))
	}
	flags := h[1]
	switch h[0] {
	case recData:
		c.read(h[headSize:headSize+12], lo+headSize)
		n := headSize + 12 + int64(binary.LittleEndian.Uint32(h[headSize+8:]))
		if flags&flagNote != 0 {
			n += metaAt(lo + n)
		}
		return n
	case recOpen:
		return headSize + metaAt(lo+headSize)
	case recClose:
		n := int64(headSize + 16)
		if flags&flagErr != 0 {
			n += metaAt(lo + n)
		}
		return n
	}
	return headSize + 16 // drops
}

// carryTail adds to a close record's tail gaps b (in buf: its head was
// copied there) the bytes dropped of its connection conn before it.
func (w *writer) carryTail(conn uint64, b []byte) {
	ev := event.Event{Type: event.Close, Conn: conn}
	ev.TailGaps[0] = int64(binary.LittleEndian.Uint64(b))
	ev.TailGaps[1] = int64(binary.LittleEndian.Uint64(b[8:]))
	w.skip.Carry(&ev)
	binary.LittleEndian.PutUint64(b, uint64(ev.TailGaps[0]))
	binary.LittleEndian.PutUint64(b[8:], uint64(ev.TailGaps[1]))
}

// cursor reads the stream since the last flush (w.parts).
type cursor struct {
	w  *writer
	i  int   // the part
	at int64 // where part i starts on the stream
}

// read copies the stream's bytes from lo into dst.
func (c *cursor) read(dst []byte, lo int64) {
	c.appendRange(dst[:0], lo, lo+int64(len(dst)))
}

// slice returns the stream's n bytes from lo where they lie, which must be
// within one part (a head's, copied into buf).
func (c *cursor) slice(lo int64, n int) []byte {
	p := c.seek(lo)
	return p[lo-c.at : lo-c.at+int64(n)]
}

// appendRange appends the stream's bytes [lo, hi) to dst.
func (c *cursor) appendRange(dst []byte, lo, hi int64) []byte {
	for lo < hi {
		p := c.seek(lo)
		to := min(int64(len(p)), hi-c.at)
		dst = append(dst, p[lo-c.at:to]...)
		lo = c.at + to
	}
	return dst
}

// seek moves the cursor to the part that holds the stream's byte at lo,
// and returns that part: forward from where it is, which is where its
// users mostly go, else from the start.
func (c *cursor) seek(lo int64) []byte {
	if lo < c.at {
		c.i, c.at = 0, 0
	}
	for {
		p := c.w.piece(c.i)
		if lo < c.at+int64(len(p)) {
			return p
		}
		c.at += int64(len(p))
		c.i++
	}
}
