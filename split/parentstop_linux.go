package split

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"time"
)

// ParentStops tells whether the process that started this one is stopped
// (SIGSTOP, SIGTSTP: its shell then takes the terminal back) — true when
// it stops, false when it runs again — until ctx is done or the parent is
// gone. A UI in a session of its own (RunUI's, the decoder's) gets no
// job-control signal of its own: it gives the terminal back to the shell
// meanwhile (ui.Options.Away), rather than draw over it and read its
// keys, and takes it again after fg.
func ParentStops(ctx context.Context) <-chan bool {
	out := make(chan bool)
	stat := "/proc/" + strconv.Itoa(os.Getppid()) + "/stat"
	go func() {
		defer close(out)
		t := time.NewTicker(parentPoll)
		defer t.Stop()
		was := false
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			stopped, ok := isStopped(stat)
			if !ok {
				return
			}
			if stopped == was {
				continue
			}
			was = stopped
			select {
			case out <- stopped:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// isStopped reads a /proc/PID/stat: whether the process is stopped (state
// T, or t: stopped by a tracer); false, false when it cannot be read.
func isStopped(stat string) (stopped, ok bool) {
	b, err := os.ReadFile(stat)
	if err != nil {
		return false, false
	}
	i := bytes.LastIndexByte(b, ')') // the name may hold anything
	if i < 0 || i+2 >= len(b) {
		return false, false
	}
	return b[i+2] == 'T' || b[i+2] == 't', true
}
