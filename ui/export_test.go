package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// typeKeys is the key presses that type s.
func typeKeys(s string) []string { return strings.Split(s, "") }

// E onto an existing file asks first: n gives the line back with the name
// typed, y overwrites. A name refused (no known extension) gives the line
// back too, with the name typed and why above it. E truncated an
// existing file without a word, and a refused name was gone.
func TestExportAsksBeforeOverwriting(t *testing.T) {
	m := newTestModel(t, demoStore(t), 80, 24)
	path := filepath.Join(m.c.dir, "x.jsonl")
	if err := os.WriteFile(path, []byte("mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m = pressRun(t, press(t, m, append([]string{"E"}, typeKeys("x.jsonl")...)...), "enter")
	if k, _ := m.overlays.topKind(); k != overlayConfirm || !strings.Contains(view(m), "x.jsonl exists: overwrite it?") {
		t.Fatalf("E onto an existing file asked nothing:\n%s", view(m))
	}
	m = pressRun(t, m, "n")
	if b, _ := os.ReadFile(path); string(b) != "mine\n" {
		t.Fatalf("n: the file was written: %q", b)
	}
	l, ok := m.overlays.top().(exportLine)
	if !ok || l.ti.Value() != "x.jsonl" {
		t.Fatalf("n did not give the line back with the name typed: %#v", m.overlays.top())
	}
	m = pressRun(t, m, "enter", "y")
	if b, _ := os.ReadFile(path); string(b) == "mine\n" || !strings.Contains(m.notice, "exported ") {
		t.Fatalf("y did not overwrite: file %q, notice %q", b, m.notice)
	}

	m = pressRun(t, press(t, m, append([]string{"E"}, typeKeys("out.txt")...)...), "enter")
	l, ok = m.overlays.top().(exportLine)
	if !ok || l.ti.Value() != "out.txt" {
		t.Fatalf("a refused name: the line is not back with it: %#v", m.overlays.top())
	}
	if v := view(m); !strings.Contains(v, "name the file .pcapng, .jsonl or .har") || !strings.Contains(lastLine(v), "out.txt") {
		t.Fatalf("a refused name: the reason or the name is not shown:\n%s", v)
	}
	if m = pressRun(t, m, "esc"); m.overlays.top() != nil {
		t.Fatal("esc left the line open")
	}

	// An export that fails (no such directory) gives the line back too.
	m = pressRun(t, press(t, m, append([]string{"E"}, typeKeys("nodir/y.har")...)...), "enter")
	if l, ok := m.overlays.top().(exportLine); !ok || l.ti.Value() != "nodir/y.har" || !strings.Contains(view(m), "export failed") {
		t.Fatalf("a failed export: the line is not back with the name and why:\n%s", view(m))
	}
}

// w onto a file that exists (w twice on a row) asks first; n leaves the
// file as it is, y writes it. It overwrote without a word.
func TestWriteAsksBeforeOverwriting(t *testing.T) {
	m := newTestModel(t, demoStore(t), 80, 24)
	m = pressRun(t, m, "w")
	path := filepath.Join(m.c.dir, "sockscope-"+itoa(m.list.sel)+".json")
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	m = pressRun(t, m, "w")
	if k, _ := m.overlays.topKind(); k != overlayConfirm {
		t.Fatalf("w onto an existing file asked nothing:\n%s", view(m))
	}
	if m = pressRun(t, m, "n"); m.overlays.top() != nil || !strings.Contains(m.notice, "nothing written") {
		t.Fatalf("n left the question, or said nothing (notice %q)", m.notice)
	}
	if b, _ := os.ReadFile(path); string(b) != "mine" {
		t.Fatalf("n: the file was written: %q", b)
	}
	m = pressRun(t, m, "w", "y")
	if b, _ := os.ReadFile(path); string(b) != string(want) || !strings.Contains(m.notice, "wrote ") {
		t.Fatalf("y: file %q, notice %q", b, m.notice)
	}
}

// At 40 columns a question too long for its part of the bottom line is
// shown whole above it, and the bottom line keeps y and n: it was cut
// before its end ("sockscope-44.json exis…").
func TestLongQuestionAt40(t *testing.T) {
	m := newTestModel(t, demoStore(t), 40, 12)
	m = pressRun(t, m, "w", "w")
	v := view(m)
	if k, _ := m.overlays.topKind(); k != overlayConfirm || !strings.Contains(v, "exists: overwrite it?") {
		t.Fatalf("the question is not shown whole:\n%s", v)
	}
	if last := lastLine(v); !strings.Contains(last, "y/enter yes") || !strings.Contains(last, "n/esc no") {
		t.Errorf("the bottom line %q does not name y and n", last)
	}
	if lines := strings.Split(v, "\n"); len(lines) != 12 {
		t.Errorf("the screen has %d lines, not 12:\n%s", len(lines), v)
	}
}

// E on a followed file still being indexed waits until what the file held
// when asked is indexed (not for the file's end, which never comes), and
// says so; a file that appeared at that path meanwhile is not replaced
// without asking.
func TestExportWaitsForAFollowedFile(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	fs := FileStatus{Path: "s.jsonl", Follow: true, Indexed: 100, Total: 1000}
	m := New(demoStore(t), Options{Listen: "session", Upstream: "s.jsonl", File: func() FileStatus { return fs }})
	m.c.now = func() time.Time { return t0.Add(3 * time.Second) }
	m.c.dir = t.TempDir()
	m = update(t, m, tea.WindowSizeMsg{Width: 120, Height: 30})
	m = update(t, m, tickMsg(t0))

	path := filepath.Join(m.c.dir, "x.jsonl")
	m = pressRun(t, press(t, m, append([]string{"E"}, typeKeys("x.jsonl")...)...), "enter")
	if !strings.Contains(view(m), "export waits for the index (esc cancels)") {
		t.Fatalf("the status bar does not say the export waits:\n%s", view(m))
	}
	fs.Indexed, fs.Total = 900, 2000 // the file grew; not yet what it held
	tm, cmd := m.Update(tickMsg(t0))
	m = runCmd(t, tm.(Model), cmd)
	if _, err := os.Stat(path); err == nil || m.exportWait == nil {
		t.Fatal("exported before what the file held when asked was indexed")
	}
	fs.Indexed = 1000
	tm, cmd = m.Update(tickMsg(t0))
	m = runCmd(t, tm.(Model), cmd)
	if b, err := os.ReadFile(path); err != nil || !strings.Contains(m.notice, "exported ") || m.exportWait != nil {
		t.Fatalf("not exported once indexed: %v %q, notice %q", err, b, m.notice)
	}
	if strings.Contains(view(m), "export waits") {
		t.Fatalf("the status bar still says the export waits:\n%s", view(m))
	}

	// Asked for where no file was, a file there since is not replaced.
	fs.Indexed, fs.Total = 1000, 3000
	m = pressRun(t, press(t, m, append([]string{"E"}, typeKeys("y.jsonl")...)...), "enter")
	if err := os.WriteFile(filepath.Join(m.c.dir, "y.jsonl"), []byte("mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fs.Indexed = 3000
	tm, cmd = m.Update(tickMsg(t0))
	m = runCmd(t, tm.(Model), cmd)
	if b, _ := os.ReadFile(filepath.Join(m.c.dir, "y.jsonl")); string(b) != "mine\n" || !strings.Contains(m.notice, "export failed") {
		t.Fatalf("a file that came meanwhile: %q, notice %q", b, m.notice)
	}
}
