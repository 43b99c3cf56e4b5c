package proxy

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// A slab is a read buffer that Data events are cut from, without copying:
// a pipe fills it read by read and hands each read's bytes to the Queue. It
// is reused once the pipe has moved on to another slab and every event cut
// from it has been released (Event.Release). An event never released keeps
// its slab out of reuse, and the garbage collector takes it in the end: a
// receiver that keeps the bytes simply does not release them.
type slab struct {
	buf  []byte
	refs atomic.Int32 // the filling pipe's, and one per kept event
}

// slabClasses is how many slab sizes there are: minSlab << 0 … maxSlab.
const slabClasses = 8

// slabPools hold released slabs by size class: minSlab << i.
var slabPools [slabClasses]sync.Pool

// getSlab returns a slab of size bytes holding the caller's reference: a
// released one when there is one, so that its memory need not be allocated
// and cleared again. Only sizes that are powers of two from minSlab to
// maxSlab are reused.
func getSlab(size int) *slab {
	var s *slab
	if c := slabClass(size); c >= 0 {
		s, _ = slabPools[c].Get().(*slab)
	}
	if s == nil {
		s = &slab{buf: make([]byte, size)}
	}
	s.refs.Store(1)
	return s
}

// slabClass is the pool of slabs of size bytes, or -1 if they are not
// reused.
func slabClass(size int) int {
	c := bits.TrailingZeros(uint(size / minSlab))
	if size < minSlab || size > maxSlab || size != minSlab<<c {
		return -1
	}
	return c
}

// retain adds a reference for an event cut from s.
func (s *slab) retain() { s.refs.Add(1) }

// release drops a reference; the last one puts s back in its pool.
func (s *slab) release() {
	if s.refs.Add(-1) == 0 {
		if c := slabClass(len(s.buf)); c >= 0 {
			slabPools[c].Put(s)
		}
	}
}

// Release implements event.Buffer: it drops an event's reference.
func (s *slab) Release() { s.release() }
