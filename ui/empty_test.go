package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sockscope/store"
)

// newEmptyModel is a model over an empty store with opts, at w×h.
func newEmptyModel(t *testing.T, opts Options, w, h int) Model {
	t.Helper()
	t.Setenv("NO_COLOR", "")
	m := New(store.New(store.Config{}), opts)
	m.c.now = func() time.Time { return t0 }
	m.c.dir = t.TempDir()
	m = update(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	return update(t, m, tickMsg(t0))
}

// listText is the text of the exchanges list's column of the screen, its
// lines joined without their spaces, so that a text wrapped over lines
// reads whole.
func listText(m Model) string {
	l := m.layout()
	var b strings.Builder
	for i, line := range strings.Split(view(m), "\n") {
		if i < l.list.y || i >= l.list.y+l.list.h {
			continue
		}
		r := []rune(line)
		from, to := min(l.list.x, len(r)), min(l.list.x+l.list.w, len(r))
		b.WriteString(strings.ReplaceAll(string(r[from:to]), " ", ""))
	}
	return b.String()
}

// An empty list says why it is empty and what to do. A live proxy's says
// where the clients connect, whole at any width: the status bar's
// addresses are cut on a narrow terminal (at 80 columns the path the
// clients must use was cut off, and the list only said "waiting for
// traffic…"). A session file with nothing in it says so, not that it
// waits for traffic.
func TestEmptyListSaysWhatToDo(t *testing.T) {
	const addr = "/tmp/sockscope-demo-3620254370/sockscope.sock"
	for _, sz := range [][2]int{{120, 35}, {80, 24}, {60, 20}} {
		m := newEmptyModel(t, Options{Listen: addr, Upstream: "unix:/tmp/sockscope-demo-3620254370/service.sock", SendAddr: addr}, sz[0], sz[1])
		if got := listText(m); !strings.Contains(got, "waitingfortraffic:clientsconnectto"+addr) {
			t.Errorf("%dx%d: the empty list does not name %s whole: %q\n%s", sz[0], sz[1], addr, got, view(m))
		}
		if w := m.layout().list.w; w-4 >= len(addr) && !strings.Contains(view(m), addr) {
			t.Errorf("%dx%d: %s is broken over lines where it fits on one:\n%s", sz[0], sz[1], addr, view(m))
		}
	}
	for _, c := range []struct {
		follow bool
		says   string
	}{{false, "the file holds no exchanges"}, {true, "waiting for it to grow"}} {
		file := func() FileStatus {
			return FileStatus{Path: "/tmp/empty.jsonl", Size: 365, Done: true, Follow: c.follow}
		}
		m := newEmptyModel(t, Options{Listen: "session", Upstream: "/tmp/empty.jsonl", File: file}, 100, 30)
		if got := listText(m); !strings.Contains(got, strings.ReplaceAll(c.says, " ", "")) || strings.Contains(got, "waitingfortraffic") {
			t.Errorf("an empty file (follow %v) says %q, want %q", c.follow, got, c.says)
		}
	}
}
