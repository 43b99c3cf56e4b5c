package observe

import (
	"slices"
	"unsafe"

	"sockscope/protocol"
)

// earlyReplies are a connection's replies seen before their request (the
// Pairer or OrderPairer holds their keys; tokens are message seqs), in seq
// order: seqs only grow, so a reply is pushed at the back, found by a
// binary search, and leaves from the front (a reply taken from the middle,
// answered or orphaned, is marked and popped when it reaches the front).
//
// The bytes a reply aliases live in a relay read buffer reused once its
// batch is done: they are copied into buf, the frame's once, with its id
// and method re-sliced into the copy when they lie within the frame (as
// they do unless the frame was cut at the cap). buf and the list are
// reused, and buf is compacted as replies leave: under drops, when every
// reply of a dropped read of requests is early, holding them makes no
// garbage.
type earlyReplies struct {
	list []earlyReply
	head int // list[:head] have left
	// buf holds the bytes of the replies held, from the first's start on,
	// and those of some gone before it until compact.
	buf []byte
}

// earlyReply is a reply held early: its message, with the slices that
// alias its bytes nil, and where those bytes are in buf.
type earlyReply struct {
	m                protocol.Message
	start            int // where its bytes start in buf
	data, id, method span
	gone             bool // answered or orphaned: it leaves at the front
}

// span is a slice of buf: n < 0 for nil.
type span struct{ at, n int }

// keepEarlyBuf and keepEarlyList bound what a list keeps of its memory
// once emptied, or once compacted to a quarter of it: a burst of early
// replies larger than that once does not keep it for the connection's
// life. (A dropped read of 512 requests of 64 B makes 512 early replies.)
const (
	keepEarlyBuf  = 64 << 10
	keepEarlyList = 1 << 10
)

// push holds m, whose bytes are copied.
func (q *earlyReplies) push(m *protocol.Message) {
	r := earlyReply{m: *m, start: len(q.buf)}
	d := m.Frame.Data
	r.data = q.keep(d)
	r.id = q.within(d, r.data, m.Info.ID)
	r.method = q.within(d, r.data, m.Info.Method)
	r.m.Frame.Data, r.m.Info.ID, r.m.Info.Method = nil, nil, nil
	q.list = append(q.list, r)
}

// keep copies b to the end of buf.
func (q *earlyReplies) keep(b []byte) span {
	if b == nil {
		return span{n: -1}
	}
	s := span{at: len(q.buf), n: len(b)}
	q.buf = append(q.buf, b...)
	return s
}

// within is where b is in buf: in the copy of d (at ds) when it lies
// within d, else a copy of its own.
func (q *earlyReplies) within(d []byte, ds span, b []byte) span {
	if len(b) > 0 && len(d) > 0 {
		off := uintptr(unsafe.Pointer(unsafe.SliceData(b))) - uintptr(unsafe.Pointer(unsafe.SliceData(d)))
		if off < uintptr(len(d)) && uintptr(len(b)) <= uintptr(len(d))-off {
			return span{at: ds.at + int(off), n: len(b)}
		}
	}
	return q.keep(b)
}

// find returns the index of the reply held with seq, or -1.
func (q *earlyReplies) find(seq uint64) int {
	l := q.list[q.head:]
	if len(l) > 0 && l[0].m.Seq == seq { // the usual case: the first
		return q.checked(q.head)
	}
	i, ok := slices.BinarySearchFunc(l, seq, func(r earlyReply, seq uint64) int {
		switch {
		case r.m.Seq < seq:
			return -1
		case r.m.Seq > seq:
			return 1
		}
		return 0
	})
	if !ok {
		return -1
	}
	return q.checked(q.head + i)
}

func (q *earlyReplies) checked(i int) int {
	if q.list[i].gone {
		return -1
	}
	return i
}

// at is the message of the reply at i (find), its bytes in buf: valid
// until done(i).
func (q *earlyReplies) at(i int) *protocol.Message {
	r := &q.list[i]
	r.m.Frame.Data, r.m.Info.ID, r.m.Info.Method = q.slice(r.data), q.slice(r.id), q.slice(r.method)
	return &r.m
}

func (q *earlyReplies) slice(s span) []byte {
	if s.n <= 0 {
		if s.n == 0 {
			return []byte{}
		}
		return nil
	}
	return q.buf[s.at : s.at+s.n : s.at+s.n]
}

// done lets the reply at i go: the replies at the front that are done
// leave, and their bytes with them.
func (q *earlyReplies) done(i int) {
	r := &q.list[i]
	// Only its seq (for find) stays: its message's slices may point into
	// a buffer since replaced.
	*r = earlyReply{m: protocol.Message{Seq: r.m.Seq}, gone: true}
	for q.head < len(q.list) && q.list[q.head].gone {
		q.list[q.head] = earlyReply{} // drops the pointers it holds
		q.head++
	}
	switch {
	case q.head == len(q.list):
		q.list, q.head, q.buf = q.list[:0], 0, q.buf[:0]
		if cap(q.list) > keepEarlyList {
			q.list = nil
		}
		if cap(q.buf) > keepEarlyBuf {
			q.buf = nil
		}
	case q.head > len(q.list)/2:
		q.compact()
	}
}

// compact moves the replies still held, and their bytes, to the start of
// list and buf.
func (q *earlyReplies) compact() {
	n := copy(q.list, q.list[q.head:])
	clear(q.list[n:])
	q.list, q.head = q.list[:n], 0
	from := q.list[0].start
	q.buf = q.buf[:copy(q.buf, q.buf[from:])]
	if cap(q.list) > keepEarlyList && len(q.list) < cap(q.list)/4 {
		q.list = slices.Clone(q.list)
	}
	if cap(q.buf) > keepEarlyBuf && len(q.buf) < cap(q.buf)/4 {
		q.buf = slices.Clone(q.buf)
	}
	for i := range q.list {
		r := &q.list[i]
		r.start -= from
		r.data.at -= from
		r.id.at -= from
		r.method.at -= from
	}
}
