package proxy

import (
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

func TestSlabReusedOnlyWhenReleased(t *testing.T) {
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
	// The pool may drop what is put in it (it does at random under the race
	// detector), so ask a few times.
	for range 20 {
		got := getSlab(4 * minSlab)
		if got == s {
			if got.refs.Load() != 1 {
				t.Errorf("a reused slab has %d references, want the taker's 1", got.refs.Load())
			}
			return
		}
		got.release()
		s.refs.Store(1)
		s.release()
	}
	t.Error("a released slab was never reused")
}
