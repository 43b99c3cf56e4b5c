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

// maxSpare is how many bytes of released slabs are kept for reuse, all
// sizes together: what the relay's pipes have in flight under a pipelined
// load (a filling slab per direction and those whose events wait for the
// observer), so that a steady load allocates none. What is kept stays
// kept: after a burst, up to maxSpare, and slabs of one size may take the
// room of another's until a size asked for since needs it (makeRoom).
const maxSpare = 8 << 20

// spares holds released slabs by size class (minSlab << i), the last
// released first. Not a sync.Pool: the collector empties a pool, and a
// slab allocated again is fresh memory, up to 256 pages to fault in (about
// 3.5 ms on this project's VM), while each one allocated brings the next
// collection nearer.
var spares struct {
	sync.Mutex
	bytes int
	slabs [slabClasses][]*slab
	clock uint64              // counts the gets
	asked [slabClasses]uint64 // the clock at each class's last get
}

// getSlab returns a slab of size bytes holding the caller's reference: a
// released one when there is one, so that its memory need not be allocated
// and cleared again. Only sizes that are powers of two from minSlab to
// maxSlab are reused.
func getSlab(size int) *slab {
	var s *slab
	if c := slabClass(size); c >= 0 {
		spares.Lock()
		spares.clock++
		spares.asked[c] = spares.clock
		if n := len(spares.slabs[c]); n > 0 {
			s = spares.slabs[c][n-1]
			spares.slabs[c][n-1] = nil
			spares.slabs[c] = spares.slabs[c][:n-1]
			spares.bytes -= size
		}
		spares.Unlock()
	}
	if s == nil {
		s = &slab{buf: make([]byte, size)}
	}
	s.refs.Store(1)
	return s
}

// slabClass is the class of slabs of size bytes, or -1 if they are not
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

// release drops a reference; the last one keeps s for reuse while the
// spares have room.
func (s *slab) release() {
	if s.refs.Add(-1) != 0 {
		return
	}
	c := slabClass(len(s.buf))
	if c < 0 {
		return
	}
	spares.Lock()
	makeRoom(c, len(s.buf))
	if spares.bytes+len(s.buf) <= maxSpare {
		spares.slabs[c] = append(spares.slabs[c], s)
		spares.bytes += len(s.buf)
	} // else more were out at once than are kept: the collector takes it
	spares.Unlock()
}

// makeRoom makes room in the spares for n bytes of class c, if it has to
// and can, by leaving the slabs of the classes last asked for before c to
// the collector, the longest unasked first. A pipe that doubles its slabs
// releases one of each size on its way up, and the sizes it has left
// would otherwise keep the room from the size it reads into: under a
// pipelined --lossless load, 8 MiB of 128 to 512 KiB slabs no pipe asked
// for again, and every 1 MiB slab allocated anew (1,100 a run of
// sockbench -mem, each to fault in; TestSparesKeepTheSizeInUse). The
// caller holds the lock.
func makeRoom(c, n int) {
	older := 0 // the bytes of the classes asked for before c
	for i, asked := range spares.asked {
		if asked < spares.asked[c] {
			older += len(spares.slabs[i]) * (minSlab << i)
		}
	}
	if spares.bytes+n <= maxSpare || spares.bytes-older+n > maxSpare {
		return // room enough, or none to make
	}
	for spares.bytes+n > maxSpare {
		old := -1
		for i, asked := range spares.asked {
			if len(spares.slabs[i]) > 0 && asked < spares.asked[c] && (old < 0 || asked < spares.asked[old]) {
				old = i
			}
		}
		k := len(spares.slabs[old]) - 1
		spares.slabs[old][k] = nil
		spares.slabs[old] = spares.slabs[old][:k]
		spares.bytes -= minSlab << old
	}
}

// Release implements event.Buffer: it drops an event's reference.
func (s *slab) Release() { s.release() }
