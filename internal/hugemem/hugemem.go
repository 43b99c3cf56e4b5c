// Package hugemem hands out big, pointer-free memory that the kernel backs
// with huge pages where it can (MADV_HUGEPAGE on Linux, where transparent
// huge pages are often left to programs that ask: the default "madvise"
// mode).
//
// Why: on this project's VM a 4 KiB page of fresh memory costs about 11 µs
// to fault in, so a 256 MiB store filling up is some 60,000 faults and 0.7
// s of the decoder's CPU; backed by huge pages the same memory is about 130
// faults (a 256 MiB buffer touched page by page: 0.73 s, against 16 ms when
// the kernel had huge pages to give).
//
// The memory is Go memory: the collector frees a region once nothing
// points into it. Only memory the runtime hands out fresh gets huge pages
// (memory it reuses it zeroes first, page by page), which is what a store
// filling up, its one big growth, mostly gets.
package hugemem

// RegionSize is the size a Carver's regions grow to: eight huge pages. The
// Go runtime aligns a region to its own pages (8 KiB), not to huge pages,
// so the huge pages of a region are the whole ones inside it, which leaves
// up to 2 MiB at its ends in small pages: 16 MiB regions are 7/8 huge
// pages or more, 4 MiB ones half (256 MiB of regions touched page by page:
// 33,000 faults in regions of 4 MiB, 8,300 of 8, 4,200 of 16).
const RegionSize = 16 << 20

// region returns n bytes of zeroed memory, huge-page backed where the
// kernel can (the whole huge pages that fit in it).
func region(n int) []byte {
	b := make([]byte, n)
	advise(b)
	return b
}

// A Carver cuts blocks of Size bytes from regions, several to a region: a
// block of its own would be too small for a huge page, or (4 MiB) hold
// only one. Its regions double from one block up to RegionSize, so that a
// small user (a test's store, a short session's) holds no more than a
// small one's memory. A region lives while any block cut from it does: a
// user that lets its blocks go oldest first, as the store does, holds
// about one region more than its blocks. It is not safe for concurrent
// use.
type Carver struct {
	Size   int
	region int // the last region's size
	rest   []byte
}

// Get returns a zeroed block.
func (c *Carver) Get() []byte {
	if len(c.rest) < c.Size {
		c.region = max(min(2*c.region, max(RegionSize/c.Size, 1)*c.Size), c.Size)
		c.rest = region(c.region)
	}
	b := c.rest[:c.Size:c.Size]
	c.rest = c.rest[c.Size:]
	return b
}
