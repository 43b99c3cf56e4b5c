package proxy

import (
	"runtime"
	"testing"

	"sockscope/event"
)

func TestSlabClasses(t *testing.T) {
	if maxSlab != minSlab<<(slabClasses-1) {
		t.Fatalf("slabClasses = %d does not reach maxSlab from minSlab", slabClasses)
	}
	for c := range slabClasses {
		if got := slabClass(minSlab << c); got != c {
			t.Errorf("slabClass(%d) = %d, want %d", minSlab<<c, got, c)
		}
	}
	for _, size := range []int{minSlab / 2, minSlab + 1, 3 * minSlab, 2 * maxSlab, DefaultReadSize + 1} {
		if got := slabClass(size); got != -1 {
			t.Errorf("slabClass(%d) = %d, want -1 (not reused)", size, got)
		}
	}
}

// emptySpares forgets the slabs kept for reuse.
func emptySpares() {
	spares.Lock()
	spares.slabs, spares.bytes = [slabClasses][]*slab{}, 0
	spares.Unlock()
}

func TestSlabReusedOnlyWhenReleased(t *testing.T) {
	emptySpares()
	s := getSlab(4 * minSlab)
	ev := event.Event{Type: event.Data, Data: s.buf[:10], Buf: s}
	s.retain()  // the event's reference
	s.release() // the pipe moves on; the event still holds s
	for range 20 {
		if getSlab(4*minSlab) == s {
			t.Fatal("a slab was handed out again while an event held it")
		}
	}
	ev.Release()
	ev.Release() // a second call is a no-op
	if n := s.refs.Load(); n != 0 {
		t.Fatalf("refs after the last release = %d", n)
	}
	runtime.GC() // a sync.Pool would lose it here
	if got := getSlab(4 * minSlab); got != s {
		t.Error("a released slab was not reused")
	} else if got.refs.Load() != 1 {
		t.Errorf("a reused slab has %d references, want the taker's 1", got.refs.Load())
	}
}

func TestSparesBounded(t *testing.T) {
	emptySpares()
	var out []*slab
	for range 2 * maxSpare / maxSlab {
		out = append(out, getSlab(maxSlab))
	}
	for _, s := range out {
		s.release()
	}
	spares.Lock()
	kept, bytes := len(spares.slabs[slabClass(maxSlab)]), spares.bytes
	spares.Unlock()
	if bytes > maxSpare || kept != maxSpare/maxSlab {
		t.Errorf("after releasing %d slabs of %d bytes: %d kept, %d bytes; want %d kept, at most %d bytes",
			len(out), maxSlab, kept, bytes, maxSpare/maxSlab, maxSpare)
	}
}
