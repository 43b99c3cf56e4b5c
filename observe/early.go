package observe

import (
	"slices"
	"time"
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
	// spare is the observer's memory for bursts, shared by its
	// connections (nil: none); ownsList and ownsBuf say that list and buf
	// are that memory, taken, given back once emptied.
	spare             *earlyMem
	ownsList, ownsBuf bool
}

// first returns when the first reply held was read, if one is.
func (q *earlyReplies) first() (time.Time, bool) {
	for _, r := range q.list[q.head:] {
		if !r.gone {
			return r.m.At, true
		}
	}
	return time.Time{}, false
}

// earlyMem is the memory of the largest burst of early replies lately, a
// list and a buffer larger than a connection keeps (keepEarlyList,
// keepEarlyBuf), which the observer keeps for the next burst of any of its
// connections: under drops, every dropped read of requests makes a burst
// (a read of 256 KiB, about 4,000 early replies of 64 B: 1.4 MB), and
// without it each burst grew its memory anew, and left it to the
// collector, which then handed it back to the system (the decoder's
// process's heap is held near the store's bound): under the pipelined
// 64 B load, most of the decoder's garbage.
type earlyMem struct {
	list []earlyReply
	buf  []byte
}

// maxEarlyList and maxEarlyBuf bound what an earlyMem keeps: about 3.4 MB.
const (
	maxEarlyList = 8 << 10
	maxEarlyBuf  = 1 << 20
)

// giveList keeps l's memory if it is larger than what is kept and within
// the bound (l's entries past its length are zero).
func (e *earlyMem) giveList(l []earlyReply) {
	if e != nil && cap(l) > cap(e.list) && cap(l) <= maxEarlyList {
		clear(l)
		e.list = l[:0]
	}
}

// giveBuf keeps b's memory if it is larger than what is kept and within
// the bound.
func (e *earlyMem) giveBuf(b []byte) {
	if e != nil && cap(b) > cap(e.buf) && cap(b) <= maxEarlyBuf {
		e.buf = b[:0]
	}
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
// life (the observer keeps the largest for the next: earlyMem). About
// 40 KB a connection.
const (
	keepEarlyBuf  = 4 << 10
	keepEarlyList = 128
)

// push holds m, whose bytes are copied.
func (q *earlyReplies) push(m *protocol.Message) {
	r := earlyReply{m: *m, start: len(q.buf)}
	d := m.Frame.Data
	r.data = q.keep(d)
	r.id = q.within(d, r.data, m.Info.ID)
	r.method = q.within(d, r.data, m.Info.Method)
	r.m.Frame.Data, r.m.Info.ID, r.m.Info.Method = nil, nil, nil
	if len(q.list) == cap(q.list) {
		if q.spare != nil && cap(q.spare.list) > len(q.list) {
			l := append(q.spare.list, q.list...) // the burst's memory, not grown anew
			q.spare.list = nil
			q.list, q.ownsList = l, true
		} else {
			q.ownsList = false // append grows a list of its own
		}
	}
	q.list = append(q.list, r)
}

// keep copies b to the end of buf.
func (q *earlyReplies) keep(b []byte) span {
	if b == nil {
		return span{n: -1}
	}
	s := span{at: len(q.buf), n: len(b)}
	if len(q.buf)+len(b) > cap(q.buf) {
		if q.spare != nil && cap(q.spare.buf) >= len(q.buf)+len(b) {
			nb := append(q.spare.buf, q.buf...)
			q.spare.buf = nil
			q.buf, q.ownsBuf = nb, true
		} else {
			q.ownsBuf = false // append grows a buffer of its own
		}
	}
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
			q.spare.giveList(q.list)
			q.list, q.ownsList = nil, false
		}
		if cap(q.buf) > keepEarlyBuf {
			q.spare.giveBuf(q.buf)
			q.buf, q.ownsBuf = nil, false
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
	// A list or buffer past its keep shrinks (and the observer may keep
	// its memory for bursts), unless it is that memory, given back once
	// emptied.
	if cap(q.list) > keepEarlyList && len(q.list) < cap(q.list)/4 && !q.ownsList {
		old := q.list
		q.list = slices.Clone(q.list)
		q.spare.giveList(old)
	}
	if cap(q.buf) > keepEarlyBuf && len(q.buf) < cap(q.buf)/4 && !q.ownsBuf {
		old := q.buf
		q.buf = slices.Clone(q.buf)
		q.spare.giveBuf(old)
	}
	for i := range q.list {
		r := &q.list[i]
		r.start -= from
		r.data.at -= from
		r.id.at -= from
		r.method.at -= from
	}
}
