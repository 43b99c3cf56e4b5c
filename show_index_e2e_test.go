//go:build unix

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sockscope/index"
	"sockscope/internal/sessiongen"
)

// show on a big generated file, in a real terminal: rows come while the
// file is still being indexed, the status bar says it is a file, the
// filter's text finds a request near the file's start, and the index is
// kept beside the file.
func TestShowBigFileInTerminal(t *testing.T) {
	dir := shortDir(t)
	path := filepath.Join(dir, "big.jsonl")
	if err := sessiongen.Write(path, sessiongen.Config{Size: 24 << 20, Seed: 9, Needle: "needle-near-start", NeedleAt: 64 << 10}); err != nil {
		t.Fatal(err)
	}
	tm := newTerm(t, dir, 160, 40, nil, binary, "show", path)
	tm.waitScreen("rows and a file's status bar", func(s string) error {
		switch {
		case len(listRows(s)) == 0:
			return fmt.Errorf("no rows")
		case !strings.Contains(s, "file big.jsonl"):
			return fmt.Errorf("the status bar does not name the file")
		case strings.Contains(s, "msg/s") || strings.Contains(s, "drops"):
			return fmt.Errorf("the status bar speaks of a live proxy")
		}
		return nil
	})
	tm.filter("needle-near-start")
	tm.waitScreen("the request with the needle", func(s string) error {
		if rows := listRows(s); len(rows) != 1 || strings.Contains(s, "indexing") {
			return fmt.Errorf("%d rows, want 1 once indexed", len(rows))
		}
		return nil
	})
	tm.keys("q")
	tm.waitScreen("show's exit with status 0", func(s string) error {
		if !strings.Contains(s, "[exit 0]") && !strings.Contains(s, "Pane is dead (status 0") {
			return fmt.Errorf("not exited with 0")
		}
		return nil
	})
	if _, err := os.Stat(index.PathOf(path)); err != nil {
		t.Fatalf("no index kept beside the file: %v", err)
	}
}
