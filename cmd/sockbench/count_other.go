//go:build unix && !linux

package main

import (
	"context"
	"errors"
)

// runCount is -count, which reads perf(1)'s tracepoints: Linux only.
func runCount(ctx context.Context, o options, dir string) error {
	return errors.New("-count counts with perf(1), on Linux only")
}
