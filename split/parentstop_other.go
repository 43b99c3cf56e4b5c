//go:build !linux

package split

import "context"

// ParentStops: only Linux tells here (procfs); the channel never sends.
func ParentStops(context.Context) <-chan bool { return nil }
