package store

import "sockscope/internal/hugemem"

// Chunk sizes of the payload arena: a standard chunk is a 64th of the byte
// bound, within these limits.
const (
	maxChunk = 4 << 20
	minChunk = 64
)

// arena keeps the stored bytes (frame payloads, long row ids) in large byte
// chunks, which hold no pointers, so the garbage collector never scans them.
// Allocations are appended in order and freed in the same order (the store
// evicts oldest first): a chunk is released once the oldest live allocation
// is in a later chunk. One released standard chunk is kept for reuse.
// Standard chunks are cut from regions advised for huge pages (package
// hugemem), several to a region, and given back to it when released.
//
// A location is a chunk sequence number (from 1, increasing) and an offset.
type arena struct {
	size   int            // standard chunk size
	chunks ring[[]byte]   // live chunks by sequence number
	cur    []byte         // the newest chunk, nil when none is live
	off    int            // bytes used in the newest chunk
	spare  []byte         // a released standard chunk, for reuse
	alloc  int64          // bytes of the live chunks and the spare
	live   int64          // bytes of the allocations not yet released
	carve  hugemem.Carver // cuts the standard chunks from huge-page regions
}

func newArena(maxBytes int64) arena {
	size := int(min(max(maxBytes/64, minChunk), maxChunk))
	return arena{size: size, chunks: newRing[[]byte](), carve: hugemem.Carver{Size: size}}
}

// put copies the concatenation of parts into the arena and returns its
// location. An empty allocation takes no space; its location is where the
// next one would go, so locations never go back.
func (a *arena) put(parts ...[]byte) (chunk uint64, off uint32) {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n == 0 {
		if a.off < len(a.cur) {
			return a.chunks.next - 1, uint32(a.off)
		}
		return a.chunks.next, 0
	}
	c := a.cur
	if a.off+n > len(c) {
		c = a.newChunk(n)
	}
	chunk, off = a.chunks.next-1, uint32(a.off)
	for _, p := range parts {
		a.off += coldCopy(c[a.off:], p)
	}
	a.live += int64(n)
	return chunk, off
}

// put1 is put of one part, with a fast path for bytes that fit in the
// newest chunk.
func (a *arena) put1(b []byte) (chunk uint64, off uint32) {
	n := len(b)
	if n == 0 || n >= coldMin || a.off+n > len(a.cur) {
		return a.put(b)
	}
	off = uint32(a.off)
	copy(a.cur[a.off:], b)
	a.off += n
	a.live += int64(n)
	return a.chunks.next - 1, off
}

// fits reports whether n more bytes fit in the newest chunk.
func (a *arena) fits(n int) bool { return a.off+n <= len(a.cur) }

// growth returns how many bytes put would allocate for n bytes: 0 when they
// fit in the newest chunk or the spare.
func (a *arena) growth(n int) int {
	switch {
	case n == 0:
		return 0
	case n > a.size:
		return n
	case a.fits(n):
		return 0
	case a.spare != nil:
		return 0
	}
	return a.size
}

// newChunk appends a chunk for an allocation of n bytes: a standard one, or
// one of exactly n bytes when n is larger.
func (a *arena) newChunk(n int) []byte {
	var c []byte
	switch {
	case n > a.size:
		c = make([]byte, n)
		a.alloc += int64(n)
	case a.spare != nil:
		c, a.spare = a.spare, nil
	default:
		c = a.carve.Get() // maybe used: the arena reads only what it wrote
		a.alloc += int64(a.size)
	}
	p, _ := a.chunks.push()
	*p = c
	a.cur, a.off = c, 0
	return c
}

// bytes returns the n bytes at a location.
func (a *arena) bytes(chunk uint64, off uint32, n int) []byte {
	if n == 0 {
		return nil
	}
	return (*a.chunks.at(chunk))[off : int(off)+n : int(off)+n]
}

// free accounts n bytes of an allocation as dead; release frees the chunks.
func (a *arena) free(n int) { a.live -= int64(n) }

// release drops the chunks before chunk oldest, the chunk of the oldest
// live allocation (past the newest chunk when none is live).
func (a *arena) release(oldest uint64) {
	for a.chunks.len() > 0 && a.chunks.first < oldest {
		c := *a.chunks.front()
		a.chunks.pop()
		switch {
		case len(c) != a.size:
			a.alloc -= int64(len(c)) // the collector's
		case a.spare == nil:
			a.spare = c
		default:
			a.alloc -= int64(len(c))
			a.carve.Put(c) // not dropped: see hugemem.Carver
		}
	}
	if a.chunks.len() == 0 {
		a.cur, a.off = nil, 0
	}
}

// reset drops every allocation, keeping one standard chunk as the spare.
func (a *arena) reset() {
	a.release(a.chunks.next)
	a.chunks.reset()
	a.live = 0
}

// slack returns the bytes allocated beyond the live allocations: unused
// room, dead allocations in chunks not yet released, and the spare.
func (a *arena) slack() int64 { return a.alloc - a.live }
