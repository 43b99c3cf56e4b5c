package observe

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"sockscope/event"
	"sockscope/protocol"
	"sockscope/store"
)

// A connection sockscope closed as it stopped (live: event.ErrStopped,
// wrapped or not; from a session file: its text) ends as open at exit, not
// failed: in the counts and the summary, the store and the dump. A real
// failure still counts as one.
func TestOpenAtExitIsNoFailure(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
	}{
		{"stopped", event.ErrStopped},
		{"stopped while dialling", fmt.Errorf("dial upstream: %w", event.ErrStopped)},
		{"from a session file", errors.New(event.OpenAtExit)},
		{"relay stopped without telling", nil}, // finish closes it
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newScript().data(1, protocol.C2S, `{"jsonrpc":"2.0","id":1,"method":"m"}`+"\n")
			if c.err != nil || c.name != "relay stopped without telling" {
				s.close(2, c.err)
			}
			st, lines, counts := s.run(t)
			if counts.Failed != 0 || counts.OpenAtExit != 1 {
				t.Errorf("counts %+v, want 0 failed and 1 open at exit", counts)
			}
			if sum := counts.String(); !strings.HasPrefix(sum, "1 connection (0 failed, 1 open at exit)") {
				t.Errorf("summary %q", sum)
			}
			conn := st.Conns()[0]
			if conn.State != store.ConnOpenAtExit || conn.Err != "" || conn.State.String() != "open at exit" {
				t.Errorf("stored connection state %v, err %q", conn.State, conn.Err)
			}
			last := lines[len(lines)-1]
			if last["type"] != "close" || last["open_at_exit"] != true || last["error"] != nil {
				t.Errorf("dump's last line %v, want a close open at exit", last)
			}
		})
	}
	// A reset is a failure, and the summary says it as before.
	_, lines, counts := newScript().close(2, errors.New("c2s: connection reset by peer")).run(t)
	if counts.Failed != 1 || counts.OpenAtExit != 0 || !strings.HasPrefix(counts.String(), "1 connection (1 failed), ") {
		t.Errorf("a reset: counts %+v, summary %q", counts, counts.String())
	}
	if last := lines[len(lines)-1]; last["type"] != "error" {
		t.Errorf("a reset: dump's last line %v", last)
	}
}
