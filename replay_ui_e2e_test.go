//go:build unix

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// replay in a terminal: the real binary in tmux replays a recorded seed
// session against the copy of the service whose add answers one more. The
// UI shows the replay's own capture: every add says it differs at $.data,
// the others that they are the same; the status bar counts 26 compared, 21
// differing; status:differs lists the adds alone; an add's detail shows the
// diff; E writes the listed rows as JSON Lines; q prints the summary and
// exits 1, as headless.
func TestReplayUIInTerminal(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	dir := shortDir(t)
	svc, plus := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "plus.sock")
	seedServerAt(t, svc)
	seedServerAt(t, plus, "--plus1")
	file := recordSeed(t, dir, svc)

	tm := newTerm(t, dir, 220, 60, nil, "sh", "-c", `cd "$1" && shift && exec "$@"`, "sh", dir,
		binary, "replay", "--pace", "none", "--timeout", "1500ms", file, plus)
	tm.waitScreen("the replay done, 26 compared, 21 differing", func(s string) error {
		if !strings.Contains(s, "compared 26/26 · done") || !strings.Contains(s, "≠ 21 differ") {
			return fmt.Errorf("status bar")
		}
		return nil
	})
	s := tm.waitScreen("the adds flagged as differing at $.data", func(s string) error {
		rows := listRows(s)
		adds, same := 0, 0
		for _, r := range rows {
			switch {
			case has(r, "add") && has(r, "differs") && has(r, "$.data"):
				adds++
			case has(r, "add"):
				return fmt.Errorf("an add not flagged: %v", r)
			case has(r, "same"):
				same++
			}
		}
		if adds < 10 || same == 0 {
			return fmt.Errorf("%d differing adds, %d same rows", adds, same)
		}
		return nil
	})
	if !strings.Contains(s, "replay seed.jsonl → unix:"+plus) {
		t.Errorf("the status bar does not name the replay:\n%s", s)
	}

	tm.filter("status:differs")
	tm.waitScreen("status:differs listing the 21 adds", func(s string) error {
		if !strings.Contains(s, "21 of ") {
			return fmt.Errorf("no '21 of' in the list title")
		}
		for _, r := range listRows(s) {
			if !has(r, "add") || !has(r, "differs") {
				return fmt.Errorf("a row that is no differing add: %v", r)
			}
		}
		return nil
	})
	tm.keys("g", "Enter")
	tm.waitScreen("the first add's diff view", func(s string) error {
		for _, want := range []string{"replay: differs at $.data", "≠ $.data: ", "recorded response", "new response", `≠   "data": `} {
			if !strings.Contains(s, want) {
				return fmt.Errorf("no %q", want)
			}
		}
		return nil
	})

	tm.export("diffs.jsonl")
	tm.waitText("the export's notice", "exported 21 exchanges")
	out, err := os.ReadFile(filepath.Join(dir, "diffs.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for _, l := range lines {
		if !strings.Contains(l, `"method":"add"`) {
			t.Errorf("exported a row that is no add: %s", l)
		}
	}
	if len(lines) != 21 {
		t.Errorf("exported %d lines, want 21", len(lines))
	}

	tm.keys("q")
	if st := tm.waitExit(); st != "1" {
		t.Errorf("exit status %s, want 1:\n%s", st, tm.screen())
	}
	if s := tm.screen(); !strings.Contains(s, "26 requests: 5 match, 21 differ") {
		t.Errorf("no summary after the UI:\n%s", s)
	}
}
