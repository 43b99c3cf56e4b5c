package indexbuild

import (
	"math"
	"runtime/debug"
	"testing"

	"sockscope/internal/hugemem"
)

// TestLimitMemory: with GOMEMLIMIT unset, LimitMemory sets the runtime's
// limit to MemoryLimit (plus the slack of the stores' live regions, which
// an earlier test's store may leave until the collector takes it); with
// GOMEMLIMIT set, or a limit already set, it leaves the limit as it is.
func TestLimitMemory(t *testing.T) {
	prev := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })

	t.Setenv("GOMEMLIMIT", "")
	if !LimitMemory() || debug.SetMemoryLimit(-1) != hugemem.Limit() || hugemem.Limit() < MemoryLimit {
		t.Fatalf("GOMEMLIMIT unset: limit %d, want %d and the regions' slack (%d in all)", debug.SetMemoryLimit(-1), int64(MemoryLimit), hugemem.Limit())
	}

	debug.SetMemoryLimit(math.MaxInt64)
	t.Setenv("GOMEMLIMIT", "1GiB")
	if LimitMemory() || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Fatalf("GOMEMLIMIT set: LimitMemory changed the limit to %d", debug.SetMemoryLimit(-1))
	}

	t.Setenv("GOMEMLIMIT", "")
	debug.SetMemoryLimit(200 << 20)
	if LimitMemory() || debug.SetMemoryLimit(-1) != 200<<20 {
		t.Fatalf("a limit already set: LimitMemory changed it to %d", debug.SetMemoryLimit(-1))
	}
}
