//go:build unix

package split

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"time"

	"sockscope/event"
	"sockscope/protocol"
)

// The events go from the relay's process to the decoder's as records of a
// binary stream: an 18-byte head (type, flags, connection, time in Unix
// nanoseconds, little-endian), then what the type carries. The times are
// the relay's monotonic clock's (the wall clock at the stream's start, plus
// the time since): their order is the order of the reads, which the
// decoder's process relies on (observe's read order), even if the wall
// clock steps meanwhile. The decoder's process gives them a monotonic
// reading of its own (reader.time). The records:
//
//	data:  gap (8), length (4), the bytes, [note: length (4), its binary form]
//	open:  length (4), the peer as JSON
//	close: the tail gaps (2 × 8), [error: length (4), its text]
//	drops: the relay's drops so far, events (8) and bytes (8)
const (
	recData  = 1
	recOpen  = 2
	recClose = 3
	recDrops = 4
)

// Flags of a record's head.
const (
	flagS2C      = 1 << 0
	flagWhole    = 1 << 1
	flagInjected = 1 << 2
	flagWithheld = 1 << 3
	flagNote     = 1 << 4
	flagErr      = 1 << 5 // close: an error follows
	flagStopped  = 1 << 6 // close: sockscope closed it as it stopped
)

const headSize = 18

// maxMeta bounds a peer, a note or an error's text on the stream, and
// maxData one data record's bytes: anything longer is a broken stream.
const (
	maxMeta = 1 << 20
	maxData = 1 << 30
)

// writer encodes events onto the stream, and writes them at each flush in
// one vectored write: heads, metadata and small payloads copied into one
// buffer, an event's bytes of refBytes and more written from where they
// are (the caller keeps them until the flush).
type writer struct {
	out   vectored
	buf   []byte   // what was copied since the last flush
	parts []part   // what the flush writes, in order
	vec   [][]byte // the flush's, reused
	err   error    // the first write's error, for good
	// backlog is what a flush that did not wait had no room for and must
	// still write (cut): written first at the next flush. spare is its
	// other buffer.
	backlog, spare []byte
	head           [headSize + 16]byte
	skip           skipped   // what was dropped because the ring had no room
	start          time.Time // the stream's, for its times (stamp)
}

// part is a piece of the stream: ext, or buf[lo:hi].
type part struct {
	ext    []byte
	lo, hi int
}

// refBytes is the smallest payload written from where it is rather than
// copied into the flush's buffer first: below it, a piece of its own costs
// more than the copy.
const refBytes = 1 << 10

// put appends b to the stream, copied.
func (w *writer) put(b []byte) {
	if n := len(w.parts); n > 0 && w.parts[n-1].ext == nil && w.parts[n-1].hi == len(w.buf) {
		w.parts[n-1].hi += len(b)
	} else {
		w.parts = append(w.parts, part{lo: len(w.buf), hi: len(w.buf) + len(b)})
	}
	w.buf = append(w.buf, b...)
}

// ref appends b to the stream, written from where it is if large.
func (w *writer) ref(b []byte) {
	if len(b) < refBytes {
		w.put(b)
		return
	}
	w.parts = append(w.parts, part{ext: b})
}

// streamLen is the length of the stream since the last flush.
func (w *writer) streamLen() int64 {
	var n int64
	for i := range w.parts {
		n += int64(len(w.piece(i)))
	}
	return n
}

// piece is part i's bytes.
func (w *writer) piece(i int) []byte {
	if p := w.parts[i]; p.ext == nil {
		return w.buf[p.lo:p.hi]
	}
	return w.parts[i].ext
}

// event writes ev's record; the caller still owns ev (and releases it).
// An error shows at the next flush.
func (w *writer) event(ev *event.Event) {
	var flags byte
	if ev.Dir == protocol.S2C {
		flags |= flagS2C
	}
	if ev.Whole {
		flags |= flagWhole
	}
	if ev.Injected {
		flags |= flagInjected
	}
	if ev.Withheld {
		flags |= flagWithheld
	}
	switch ev.Type {
	case event.Data:
		var note []byte
		if ev.Note != nil {
			flags |= flagNote
			note = ev.Note.AppendBinary(nil)
		}
		h := w.headOf(recData, flags, ev.Conn, ev.At, 12)
		binary.LittleEndian.PutUint64(h[headSize:], uint64(ev.Gap))
		binary.LittleEndian.PutUint32(h[headSize+8:], uint32(len(ev.Data)))
		w.put(h)
		w.ref(ev.Data)
		if note != nil {
			w.meta(note)
		}
	case event.Open:
		peer, _ := json.Marshal(ev.Peer)
		w.put(w.headOf(recOpen, flags, ev.Conn, ev.At, 0))
		w.meta(peer)
	case event.Close:
		var text []byte
		switch {
		case errors.Is(ev.Err, event.ErrStopped):
			flags |= flagStopped
		case ev.Err != nil:
			flags |= flagErr
			text = []byte(ev.Err.Error())
		}
		h := w.headOf(recClose, flags, ev.Conn, ev.At, 16)
		binary.LittleEndian.PutUint64(h[headSize:], uint64(ev.TailGaps[0]))
		binary.LittleEndian.PutUint64(h[headSize+8:], uint64(ev.TailGaps[1]))
		w.put(h)
		if flags&flagErr != 0 {
			w.meta(text)
		}
	}
}

// drops writes the relay's drops so far.
func (w *writer) drops(events, bytes uint64) {
	h := w.headOf(recDrops, 0, 0, time.Time{}, 16)
	binary.LittleEndian.PutUint64(h[headSize:], events)
	binary.LittleEndian.PutUint64(h[headSize+8:], bytes)
	w.put(h)
}

// headOf fills the head and extra bytes after it, to be filled in.
func (w *writer) headOf(typ, flags byte, conn uint64, at time.Time, extra int) []byte {
	h := w.head[:headSize+extra]
	h[0], h[1] = typ, flags
	binary.LittleEndian.PutUint64(h[2:], conn)
	binary.LittleEndian.PutUint64(h[10:], uint64(w.stamp(at)))
	return h
}

// stamp is at on the stream: Unix nanoseconds from the monotonic clock when
// at has its reading (relayed bytes' times do), else from the wall clock;
// 0 for no time.
func (w *writer) stamp(at time.Time) int64 {
	if at.IsZero() {
		return 0
	}
	if w.start.IsZero() {
		w.start = time.Now()
	}
	return w.start.UnixNano() + int64(at.Sub(w.start))
}

func (w *writer) meta(b []byte) {
	b = b[:min(len(b), maxMeta)] // text for people, cut where it must be
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(b)))
	w.put(n[:])
	w.put(b)
}

// flush writes what the events since the last flush put on the stream,
// after what an earlier flush left (backlog), and returns the first error
// of a write, if any (then and from then on). Unless wait, it writes only
// what the ring has room for now, drops the data records it had no room
// for and keeps, copied, what it must still write (cut): the events' bytes
// are the caller's again when it returns.
func (w *writer) flush(wait bool) error {
	if w.err == nil && (len(w.parts) > 0 || len(w.backlog) > 0) {
		if len(w.backlog) > 0 {
			w.vec = append(w.vec, w.backlog)
		}
		for i := range w.parts {
			w.vec = append(w.vec, w.piece(i))
		}
		var n int64
		n, w.err = w.out.writev(w.vec, wait)
		if n < int64(len(w.backlog))+w.streamLen() {
			w.cut(n)
		} else {
			w.backlog = w.backlog[:0]
		}
	}
	clear(w.vec) // let go of the events' bytes
	w.vec, w.parts = w.vec[:0], w.parts[:0]
	if cap(w.buf) > 1<<20 {
		w.buf = nil // a burst of small events once: do not keep its memory
	}
	w.buf = w.buf[:0]
	return w.err
}

// behind reports whether the last flush left bytes the ring had no room
// for.
func (w *writer) behind() bool { return len(w.backlog) > 0 }

// vectored is what a flush writes to: all its pieces in order, and how
// much it wrote; unless wait, only what there is room for now.
type vectored interface {
	writev(vec [][]byte, wait bool) (int64, error)
}
