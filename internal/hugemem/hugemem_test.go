package hugemem

import (
	"runtime"
	"runtime/debug"
	"testing"
	"unsafe"
)

// A carver's blocks are zeroed, of its size and apart, and its regions
// grow to RegionSize (or one block's, when larger).
func TestCarver(t *testing.T) {
	for _, size := range []int{32 << 10, 3 << 20, 5 << 20} {
		c := &Carver{Size: size}
		var blocks [][]byte
		for range 2*max(RegionSize/size, 1) + 1 {
			b := c.Get()
			if len(b) != size || cap(b) != size {
				t.Fatalf("size %d: a block of len %d, cap %d", size, len(b), cap(b))
			}
			for i, x := range b {
				if x != 0 {
					t.Fatalf("size %d: byte %d of a new block is %d", size, i, x)
				}
			}
			for i := range b {
				b[i] = 0xff
			}
			blocks = append(blocks, b)
		}
		if want := max(RegionSize/size, 1) * size; c.region != want {
			t.Errorf("size %d: regions of %d bytes after %d blocks, want %d", size, c.region, len(blocks), want)
		}
		for i, b := range blocks {
			for j, o := range blocks[:i] {
				if overlap(b, o) {
					t.Fatalf("size %d: blocks %d and %d overlap", size, j, i)
				}
			}
		}
	}
}

// A block given back is the next one Get returns, as it was left, and no
// region more is cut for it.
func TestCarverReuses(t *testing.T) {
	c := &Carver{Size: 4 << 10}
	a, b := c.Get(), c.Get()
	carved := c.Carved()
	a[0], b[0] = 1, 2
	c.Put(a)
	c.Put(b)
	for _, want := range [][]byte{b, a} {
		got := c.Get()
		if &got[0] != &want[0] || got[0] != want[0] {
			t.Fatalf("Get after Put: block %p (byte %d), want %p as left (byte %d)", &got[0], got[0], &want[0], want[0])
		}
	}
	if c.Carved() != carved {
		t.Errorf("carved %d bytes, then %d for blocks given back", carved, c.Carved())
	}
}

func overlap(a, b []byte) bool {
	pa, pb := uintptr(unsafe.Pointer(unsafe.SliceData(a))), uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return pa < pb+uintptr(len(b)) && pb < pa+uintptr(len(a))
}

// A region of two huge pages or more starts on a huge page, so that all of
// it can be huge pages; a smaller one is as asked.
func TestRegionsStartOnHugePages(t *testing.T) {
	for _, n := range []int{64 << 10, 2*hugePage - goPage, 2 * hugePage, RegionSize, RegionSize + goPage} {
		b := region(n)
		if len(b) != n || cap(b) != n {
			t.Fatalf("region(%d): len %d, cap %d", n, len(b), cap(b))
		}
		if p := uintptr(unsafe.Pointer(unsafe.SliceData(b))); n >= 2*hugePage && p%hugePage != 0 {
			t.Errorf("region(%d) starts at %#x, %d bytes past a huge page", n, p, p%hugePage)
		}
	}
}

// LimitMemory's limit leaves out the slack of the regions cut at a huge
// page, and takes it back when they are collected.
func TestLimitMemoryLeavesOutSlack(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	defer func() { limit.Lock(); limit.bound = 0; limit.Unlock() }()
	waitSlack(t, 0) // the other tests' regions
	const bound, each = 1 << 40, hugePage - goPage
	LimitMemory(bound)
	r := [][]byte{region(RegionSize), region(2 * hugePage), region(hugePage)}
	if got := debug.SetMemoryLimit(-1); got != bound+2*each {
		t.Errorf("limit %d with two regions cut at a huge page, want %d + 2×%d", got, int64(bound), each)
	}
	runtime.KeepAlive(r)
	r = nil
	waitSlack(t, 0)
	if got := debug.SetMemoryLimit(-1); got != bound {
		t.Errorf("limit %d once the regions are collected, want %d", got, int64(bound))
	}
}

// waitSlack collects until the live regions' slack is want.
func waitSlack(t *testing.T, want int64) {
	t.Helper()
	for i := 0; ; i++ {
		runtime.GC()
		limit.Lock()
		got := limit.slack
		limit.Unlock()
		if got == want {
			return
		}
		if i == 1000 {
			t.Fatalf("slack %d after %d collections, want %d", got, i, want)
		}
		runtime.Gosched() // the cleanups' goroutine
	}
}
