package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// fakeNav is a FileNav that records the texts searched for.
type fakeNav struct{ searched []string }

func (n *fakeNav) Search(_ context.Context, text string) FileSearch {
	n.searched = append(n.searched, text)
	return fakeSearch{}
}
func (n *fakeNav) RowAt(time.Time) uint64                            { return 0 }
func (n *fakeNav) NextError(uint64, bool) (uint64, bool)             { return 0, false }
func (n *fakeNav) NextSlow(uint64, bool) (uint64, bool)              { return 0, false }
func (n *fakeNav) Sparkline(int) (rate []int64, lat []time.Duration) { return nil, nil }

// fakeSearch is a search that is over, with no hits.
type fakeSearch struct{}

func (fakeSearch) Cancel()                                      {}
func (fakeSearch) Progress() (rows, of uint64, over, full bool) { return 1, 1, true, false }
func (fakeSearch) Hits() int                                    { return 0 }
func (fakeSearch) Next(uint64, bool) (uint64, bool)             { return 0, false }

// F asks for the text to find with an empty line, the last text shown
// until something is typed: what is typed replaces it (it was appended to
// it: "rid":12345"rid":9999,), and enter on the empty line finds the last
// text again.
func TestFindStartsEmpty(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	nav := &fakeNav{}
	m := New(demoStore(t), Options{Listen: "session", Upstream: "s.jsonl", Nav: nav,
		File: func() FileStatus { return FileStatus{Path: "s.jsonl", Done: true} }})
	m.c.now = func() time.Time { return t0.Add(3 * time.Second) }
	m = update(t, m, tea.WindowSizeMsg{Width: 120, Height: 30})
	m = update(t, m, tickMsg(t0))

	m = press(t, m, append(append([]string{"F"}, strings.Split(`"rid":12345`, "")...), "enter")...)
	m = press(t, m, "F")
	if !strings.Contains(view(m), `find in payloads: "rid":12345`) {
		t.Fatalf("F does not show the last text:\n%s", view(m))
	}
	m = press(t, m, append(strings.Split(`"rid":9999,`, ""), "enter")...)
	m = press(t, m, "F", "enter")
	want := []string{`"rid":12345`, `"rid":9999,`, `"rid":9999,`}
	if strings.Join(nav.searched, " ") != strings.Join(want, " ") {
		t.Errorf("searched %q, want %q", nav.searched, want)
	}
}
