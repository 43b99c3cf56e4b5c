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
	spares.clock, spares.asked = 0, [slabClasses]uint64{}
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

// The sizes pipes no longer ask for leave the room to the one they do: a
// pipe's slabs double up to maxSlab, and it releases the smaller ones on
// its way.
func TestSparesKeepTheSizeInUse(t *testing.T) {
	emptySpares()
	small := make([]*slab, maxSpare/(maxSlab/4)+1)
	for i := range small {
		small[i] = getSlab(maxSlab / 4)
	}
	late := small[len(small)-1] // released after the big ones
	for _, s := range small[:len(small)-1] {
		s.release()
	}
	big := make([]*slab, maxSpare/maxSlab)
	for i := range big {
		big[i] = getSlab(maxSlab)
	}
	for _, s := range big {
		s.release()
	}
	spares.Lock()
	kept, bytes := len(spares.slabs[slabClass(maxSlab)]), spares.bytes
	spares.Unlock()
	if kept != len(big) || bytes != maxSpare {
		t.Errorf("kept %d of %d slabs of the size in use, %d bytes in all; want all, %d bytes", kept, len(big), bytes, maxSpare)
	}
	// The size in use keeps its room from one no longer asked for.
	late.release()
	spares.Lock()
	kept = len(spares.slabs[slabClass(maxSlab/4)])
	spares.Unlock()
	if kept != 0 {
		t.Errorf("a slab of a size asked for before the one in use took its room")
	}
}
