package indexbuild

import (
	"math"
	"os"
	"runtime/debug"

	"sockscope/index"
	"sockscope/internal/hugemem"
	"sockscope/store"
)

// MemoryLimit is the soft memory limit LimitMemory sets: the bounds of
// what a build keeps (the store it pairs through, the statistics of the
// whole file and the budgets of their histograms) and room for the rest
// (the UI, the index's buffers, what a batch decodes). Past it the garbage
// collector runs sooner rather than let the heap double, so that show's
// memory does not follow the live heap's growth up to those bounds.
const MemoryLimit = StatsBytes + index.MaxConnBytes + 2*store.ConnHistBytes + memSlack

// memSlack is MemoryLimit's room beyond the bounds.
const memSlack = 32 << 20

// LimitMemory sets the Go runtime's soft memory limit to MemoryLimit
// unless the user chose one (GOMEMLIMIT) or the program already set one,
// and returns whether it did.
func LimitMemory() bool {
	if v, ok := os.LookupEnv("GOMEMLIMIT"); ok && v != "" {
		return false
	}
	if debug.SetMemoryLimit(-1) != math.MaxInt64 {
		return false
	}
	hugemem.LimitMemory(MemoryLimit) // plus the store's regions' slack
	return true
}
