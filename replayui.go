package main

import (
	"context"
	"fmt"
	"os"

	xterm "github.com/charmbracelet/x/term"

	"sockscope/capture"
	"sockscope/replay"
	"sockscope/ui"
)

// replayWithUI says whether `sockscope replay` shows its UI: unless
// --headless or --dump, when its output is a terminal (in CI, piped, or
// sent to a file or /dev/null, it runs headless as before).
func replayWithUI(o replayOptions) bool {
	if o.headless || o.dump {
		return false
	}
	return xterm.IsTerminal(os.Stdout.Fd())
}

// runReplayUI shows the replay's own capture, each replayed request with
// its comparison, until the user quits; stop ends the replay when the user
// quits before it is over. It returns what e.Wait returned, or an error
// that says how far the replay got.
func runReplayUI(ctx context.Context, e *capture.Engine, stop context.CancelFunc, live *replay.Live, recordPath string) error {
	done := make(chan error, 1)
	go func() { done <- e.Wait(ctx) }()
	uo := ui.Options{Replay: live}
	if recordPath != "" {
		uo.RecordPath = recordPath
		uo.RecordStatus = func() (int64, error) {
			_, size, err := e.Recording()
			return size, err
		}
	}
	uiErr := ui.Run(ctx, e.Store, uo)
	select {
	case err := <-done:
		if err == nil {
			err = uiErr
		}
		return err
	default:
	}
	stop()
	<-done
	st := live.Status()
	return fmt.Errorf("quit before the end of the replay: %d of %d requests compared", st.Compared, st.Expected)
}
