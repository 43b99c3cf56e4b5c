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

import (
	"runtime"
	"runtime/debug"
	"sync"
	"unsafe"
)

// hugePage is the size of an x86-64 or arm64 transparent huge page (2 MiB):
// madvise applies to the whole pages inside a region. goPage is the Go
// runtime's page, to which it aligns large allocations.
const (
	hugePage = 2 << 20
	goPage   = 8 << 10
)

// RegionSize is the size a Carver's regions grow to: eight huge pages.
const RegionSize = 16 << 20

// region returns n bytes of zeroed memory, huge-page backed where the
// kernel can.
//
// The Go runtime aligns memory to its own pages (8 KiB), not to huge
// pages, so the huge pages of a region would be the whole ones inside it,
// leaving up to 2 MiB at its ends in small pages: 512 faults in each 16
// MiB region, a third of the decoder's faults in a 64 B run. So a region
// of two huge pages or more is cut from a larger allocation at its first
// huge page boundary. The rest, up to 2 MiB, is address space only: memory
// the runtime hands out fresh is not touched until written.
func region(n int) []byte {
	if n < 2*hugePage {
		b := make([]byte, n)
		advise(b)
		return b
	}
	all := make([]byte, n+hugePage-goPage)
	addSlack(hugePage - goPage)
	runtime.AddCleanup(unsafe.SliceData(all), addSlack, -(hugePage - goPage))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(all)))
	off := int((p+hugePage-1)&^(hugePage-1) - p)
	b := all[off : off+n : off+n]
	advise(b)
	return b
}

// limit is the soft memory limit LimitMemory keeps, and the slack of the
// live regions: the part of their allocations outside them. The collector
// counts the slack as heap, but nothing writes to it, so in a region made
// of fresh memory (a store filling up: see above) the kernel backs none of
// it, and a limit that counted it would be that much tighter on what is
// resident: with a 256 MiB store, 16 regions, 32 MiB, enough to keep the
// decoder's heap at its limit and the collector running back to back. (A
// region made of reused memory has its slack zeroed, and resident, with
// the rest.)
var limit struct {
	sync.Mutex
	bound int64 // LimitMemory's n; 0 until it is called
	slack int64
}

// LimitMemory sets the Go runtime's soft memory limit (debug.SetMemoryLimit)
// to n plus the slack of the live regions, and keeps it there as regions
// are made and collected: n bounds the heap that can be resident.
func LimitMemory(n int64) {
	limit.Lock()
	defer limit.Unlock()
	limit.bound = n
	debug.SetMemoryLimit(limit.bound + limit.slack)
}

// Limit returns the limit LimitMemory keeps (n plus the slack), or 0 if it
// was not called.
func Limit() int64 {
	limit.Lock()
	defer limit.Unlock()
	if limit.bound == 0 {
		return 0
	}
	return limit.bound + limit.slack
}

// addSlack adds n bytes (fewer, if negative) to the live regions' slack,
// and to the limit if LimitMemory set one.
func addSlack(n int) {
	limit.Lock()
	defer limit.Unlock()
	limit.slack += int64(n)
	if limit.bound > 0 {
		debug.SetMemoryLimit(limit.bound + limit.slack)
	}
}

// A Carver cuts blocks of Size bytes from regions, several to a region: a
// block of its own would be too small for a huge page, or (4 MiB) hold
// only one. Its regions double from one block up to RegionSize, so that a
// small user (a test's store, a short session's) holds no more than a
// small one's memory.
//
// A region lives while any block cut from it does, so a user that kept
// some blocks and dropped others would keep regions alive for the sake of
// one block each (a store evicting oldest first, reusing a few blocks it
// freed, doubled its memory under a 64 MiB bound). So blocks are given
// back (Put) rather than dropped, and Get reuses them first: a Carver
// holds the most its user held at once, plus the rest of its last region,
// until it is itself collected. It is not safe for concurrent use.
type Carver struct {
	Size   int
	region int      // the last region's size
	rest   []byte   // the last region's part not yet cut
	free   [][]byte // blocks given back, the last first
	carved int      // bytes of all the regions cut
}

// Get returns a block: one given back, as it was left, or a new, zeroed
// one.
func (c *Carver) Get() []byte {
	if n := len(c.free); n > 0 {
		b := c.free[n-1]
		c.free[n-1] = nil
		c.free = c.free[:n-1]
		return b
	}
	if len(c.rest) < c.Size {
		c.region = max(min(2*c.region, max(RegionSize/c.Size, 1)*c.Size), c.Size)
		c.rest = region(c.region)
		c.carved += c.region
	}
	b := c.rest[:c.Size:c.Size]
	c.rest = c.rest[c.Size:]
	return b
}

// Put gives back b, a block Get returned, for Get to reuse.
func (c *Carver) Put(b []byte) { c.free = append(c.free, b) }

// Carved is the bytes of all the regions c has cut blocks from: the
// memory it holds.
func (c *Carver) Carved() int { return c.carved }
