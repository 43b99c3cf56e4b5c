package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// newFileModel is newTestModel as show runs it: a session file, followed
// or not, with no Control.
func newFileModel(t testing.TB, follow bool) Model {
	t.Helper()
	t.Setenv("NO_COLOR", "")
	status := func() FileStatus {
		return FileStatus{Path: "/tmp/s.jsonl", Size: 4096, First: t0, Last: t0.Add(time.Second), Indexed: 4096, Total: 4096, Done: true, Follow: follow}
	}
	m := New(demoStore(t), Options{Listen: "session", Upstream: "/tmp/s.jsonl", File: status})
	m.c.now = func() time.Time { return t0.Add(3 * time.Second) }
	m.c.dir = t.TempDir()
	m = update(t, m, tea.WindowSizeMsg{Width: 160, Height: 48})
	return update(t, m, tickMsg(t0))
}

// In a file viewer C and p mean nothing (p does, following a file that
// grows) and R, e, n, N send nothing: each says so, and the help does not
// offer them.
func TestFileViewerKeysSaySo(t *testing.T) {
	m := newFileModel(t, false)
	help := view(press(t, m, "?"))
	for _, k := range []string{"clear all", "pause", "resend request"} {
		if strings.Contains(help, k) {
			t.Errorf("the file viewer's help offers %q", k)
		}
	}
	for _, c := range []struct{ key, says string }{
		{"C", "nothing to clear"}, {"p", "nothing to pause"}, {"space", "nothing to pause"},
		{"R", "nothing sent: a file has no live connection"}, {"e", "nothing sent: a file has no live connection"},
		{"n", "nothing sent: a file has no live connection"}, {"N", "nothing sent: a file has no live connection"},
	} {
		after := press(t, m, c.key)
		if !strings.HasPrefix(after.notice, c.says) || !after.noticeBad || after.overlays.top() != nil || after.list.paused || after.list.idx.len() != 17 {
			t.Errorf("%s in a file viewer: notice %q, overlay %v, paused %v, %d rows", c.key, after.notice, after.overlays.top(), after.list.paused, after.list.idx.len())
		}
	}

	m = newFileModel(t, true) // show --follow: new rows come, p holds them back
	if help := view(press(t, m, "?")); !strings.Contains(help, "pause") || strings.Contains(help, "clear all") {
		t.Errorf("following a file, the help should offer p and not C:\n%s", help)
	}
	if after := press(t, m, "p"); !after.list.paused {
		t.Errorf("p following a file: not paused (notice %q)", after.notice)
	}
}

// An attached viewer (a Control over the feed, no File) keeps C, p and R.
func TestAttachedViewerKeepsKeys(t *testing.T) {
	ctl := &fakeControl{}
	m := newControlModel(t, demoStore(t), 160, 48, ctl)
	m.c.opts.Feed = func() FeedStatus { return FeedStatus{} }
	help := view(press(t, m, "?"))
	for _, k := range []string{"clear all", "pause", "resend request"} {
		if !strings.Contains(help, k) {
			t.Errorf("the attached viewer's help lacks %q", k)
		}
	}
	if after := press(t, m, "p"); !after.list.paused {
		t.Errorf("p: not paused (notice %q)", after.notice)
	}
	if after := press(t, selectMethod(t, m, "divide"), "R"); after.overlays.top() == nil || after.overlays.top().kind() != overlayConfirm {
		t.Errorf("R: no confirmation (notice %q)", after.notice)
	}
	if after := press(t, m, "C"); after.list.idx.len() != 0 || !strings.HasPrefix(after.notice, "cleared") {
		t.Errorf("C: %d rows, notice %q", after.list.idx.len(), after.notice)
	}
}
