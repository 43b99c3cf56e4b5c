package split

import (
	"context"
	"os"
	"time"
)

// parentPoll is how often ParentStops and ParentGone look at the parent.
const parentPoll = 200 * time.Millisecond

// ParentGone is closed once the process that started this one has ended
// (this one was given another parent), within parentPoll; never if ctx is
// done first. A UI in a session of its own that its parent shows (an
// attached view) ends with it: a parent killed with SIGKILL cannot stop
// it, and it would go on drawing on the terminal the shell has taken
// back, and reading the shell's keys.
func ParentGone(ctx context.Context) <-chan struct{} {
	out := make(chan struct{})
	ppid := os.Getppid()
	go func() {
		t := time.NewTicker(parentPoll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if os.Getppid() != ppid {
				close(out)
				return
			}
		}
	}()
	return out
}
