package capture

import (
	"math"
	"runtime/debug"
	"testing"
)

// An engine that keeps the store bounds the heap by the store's bound and
// its headroom, and sets the collector's percentage when told to; the
// bounds are the process's, so the test puts them back.
func TestLimitMemory(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	e, err := New(Config{MaxBytes: 64 << 20, HeapHeadroom: 40 << 20, GCPercent: 10})
	if err != nil {
		t.Fatal(err)
	}
	e.limitMemory()
	if got := debug.SetMemoryLimit(-1); got != 104<<20 {
		t.Errorf("memory limit %d, want %d", got, 104<<20)
	}
	if got := debug.SetGCPercent(100); got != 10 {
		t.Errorf("GC percent %d, want 10", got)
	}
	e, err = New(Config{MaxBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	e.limitMemory()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GC percent %d without GCPercent, want it untouched (100)", got)
	}
}
