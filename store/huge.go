package store

import "unsafe"

// The store's memory is most of what a busy sockscope faults in: a full
// store of 64-byte calls is some 60,000 pages, and on this project's VM a
// page of fresh memory costs about 11 µs to fault in (a 256 MiB store: 0.7
// s of the decoder's CPU, and as much again whenever the collector has
// handed the memory back). Backed by huge pages the same memory is about
// 130 faults (a 256 MiB buffer touched page by page: 0.73 s, against 16 ms
// when the kernel had huge pages to give). So the store takes its big,
// pointer-free memory (arena chunks, the records' blocks) in regions of
// regionSize that it asks the kernel to back with huge pages
// (MADV_HUGEPAGE on Linux, where transparent huge pages are often left to
// programs that ask, the default "madvise" mode).
//
// The regions are Go memory: the collector frees a region once nothing
// points into it. Only memory the runtime hands out fresh gets huge pages
// (it has not touched it: memory it reuses it zeroes first, page by page),
// which is the store filling up, its one big growth.
const regionSize = 4 << 20

// newRegion returns n bytes of zeroed memory, huge-page backed where the
// kernel can.
func newRegion(n int) []byte {
	b := make([]byte, n)
	adviseHuge(b)
	return b
}

// A carver cuts blocks of one size from regions: the records' blocks,
// each too small to be given huge pages of its own. Its regions double
// from one block up to regionSize, so that a small store (a test's, a
// short session's) holds no more than a small one's memory.
type carver struct {
	size   int
	region int // the last region's size
	rest   []byte
}

// get returns a zeroed block.
func (c *carver) get() []byte {
	if len(c.rest) < c.size {
		c.region = min(2*c.region, max(regionSize/c.size, 1)*c.size)
		c.region = max(c.region, c.size)
		c.rest = newRegion(c.region)
	}
	b := c.rest[:c.size:c.size]
	c.rest = c.rest[c.size:]
	return b
}

// newBlock returns a zeroed block of a ring of values of a type with no
// pointers, cut by c (its size that of the block).
func newBlock[T any](c *carver) *[ringBlock]T {
	return (*[ringBlock]T)(unsafe.Pointer(unsafe.SliceData(c.get())))
}
