package protocol

import "slices"

// earlyFIFO lists the early responses of one direction that have integer
// keys, in the order they were held, so that Settle pops the ones it
// settles from its front instead of scanning every slot of the early
// table at every data event of the connection while any reply is early.
//
// It is a list of what was held, not of what is held: an entry whose
// response has left the table since (taken by its request, displaced by
// a newer early response with the same id, settled by a scan) is stale,
// and is skipped when it reaches the front (its key no longer holds the
// same Pending). Its backing array is reused: holding and settling
// allocate nothing once it has grown.
type earlyFIFO struct {
	q    []earlyEntry
	head int // q[:head] are popped
	// scan is set when an entry was held out of read order (a read time,
	// then token, before the last one's): the FIFO's front is then not the
	// first read, and Settle scans the table as it did before, until the
	// table is empty again.
	scan bool
	// spare is the memory the Pairer's observer keeps for bursts (nil:
	// none): see FIFOSpare.
	spare *FIFOSpare
}

// FIFOSpare is the memory of the largest list of early responses lately,
// larger than a FIFO keeps (keepFIFO), which the Pairers of one observer
// share (Pairer.ShareSpare): a FIFO that sheds its memory gives it here,
// and one that must grow takes it. Under a pipelined load, the replies of
// a read whose requests' read reaches the decoder after it are early, a
// burst of about a thousand every few hundred KiB; each grew its list
// anew, doubling from nothing, and shed it when its requests came: 3 % of
// the decoder's process's CPU under --lossless, and garbage.
type FIFOSpare struct{ q []earlyEntry }

// maxFIFOSpare bounds what a FIFOSpare keeps: 2 MiB.
const maxFIFOSpare = 1 << 16

// give keeps q's memory if it is larger than what is kept and within
// the bound (an entry holds no pointer: nothing to clear).
func (s *FIFOSpare) give(q []earlyEntry) {
	if s != nil && cap(q) > cap(s.q) && cap(q) <= maxFIFOSpare {
		s.q = q[:0]
	}
}

type earlyEntry struct {
	key uint64
	e   Pending
}

// keepFIFO is the capacity an emptied FIFO (or Settle's result) keeps, or
// one whose entries fell to a quarter of it: a burst of early responses
// larger than that once does not keep its memory for the connection's
// life.
const keepFIFO = 1 << 10

// push lists e, held under key k in t; the stale entries kept are bounded
// by the entries t holds (compact).
func (f *earlyFIFO) push(k uint64, e Pending, t *intTable) {
	if f.scan {
		return
	}
	if n := len(f.q); n > f.head && readAfter(f.q[n-1].e, e) {
		f.scan = true
		return
	}
	if len(f.q)-f.head > 2*t.n+64 {
		f.compact(t)
	}
	if len(f.q) == cap(f.q) && f.spare != nil && cap(f.spare.q) > len(f.q)-f.head {
		q := append(f.spare.q, f.q[f.head:]...) // the last burst's memory, not grown anew
		f.spare.q = nil
		f.spare.give(f.q)
		f.q, f.head = q, 0
	}
	f.q = append(f.q, earlyEntry{key: k, e: e})
}

// live reports whether x is still held in t.
func (x *earlyEntry) live(t *intTable) (int, bool) {
	if t.n == 0 {
		return 0, false
	}
	i, ok := t.find(x.key)
	return i, ok && t.slots[i].val == x.e
}

// compact drops the stale entries, keeping the order of the others.
func (f *earlyFIFO) compact(t *intTable) {
	q := f.q[:0]
	for _, x := range f.q[f.head:] {
		if _, ok := x.live(t); ok {
			q = append(q, x)
		}
	}
	clear(f.q[len(q):])
	f.q, f.head = f.shrunk(q), 0
}

// shrunk is q, in an array of its own if it uses a quarter of one larger
// than keepFIFO (which goes to the spare).
func (f *earlyFIFO) shrunk(q []earlyEntry) []earlyEntry {
	if cap(q) > keepFIFO && len(q) < cap(q)/4 {
		c := slices.Clone(q)
		f.spare.give(q)
		return c
	}
	return q
}

// settle removes from t the entries read up to upTo and appends them to
// out, in read order.
func (f *earlyFIFO) settle(t *intTable, upTo int64, out []Pending) []Pending {
	for f.head < len(f.q) {
		x := &f.q[f.head]
		if x.e.At > upTo {
			break
		}
		f.head++
		if i, ok := x.live(t); ok {
			out = append(out, x.e)
			t.remove(i)
		}
	}
	if f.head == len(f.q) {
		f.q, f.head = f.q[:0], 0
	} else if f.head > len(f.q)/2 {
		n := copy(f.q, f.q[f.head:])
		f.q, f.head = f.shrunk(f.q[:n]), 0
	}
	return out
}

// reset empties the FIFO (the table has no early response left).
func (f *earlyFIFO) reset() {
	q := f.q[:0]
	if cap(q) > keepFIFO {
		f.spare.give(q)
		q = nil
	}
	*f = earlyFIFO{q: q, spare: f.spare}
}
