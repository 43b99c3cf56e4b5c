//go:build unix

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sockscope/internal/sessiongen"
)

// E in show while the file is still being indexed: the rows listed and
// the connections counted so far are only part of the file, so the export
// waits until the whole file is indexed (the status bar says so, esc
// cancels it), and then writes what an export asked for once the index is
// complete writes, byte for byte. It used to export at once what was
// indexed: some of the rows, and only the connections counted so far.
func TestShowExportWaitsForTheIndex(t *testing.T) {
	dir := shortDir(t)
	path := filepath.Join(dir, "big.jsonl")
	// Big enough that indexing outlasts the keys below on a quick machine
	// (about 3 s at the 24 MB/s README measured on a quiet one).
	if err := sessiongen.Write(path, sessiongen.Config{Size: 64 << 20, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	tm := newTerm(t, dir, 160, 40, nil, binary, "show", path)
	tm.waitScreen("rows while the file is indexed", func(s string) error {
		if len(listRows(s)) == 0 {
			return fmt.Errorf("no rows")
		}
		return nil
	})
	waits := func(s string) error {
		switch {
		case !strings.Contains(s, "export waits for the index (esc cancels)"):
			return fmt.Errorf("the status bar does not say the export waits")
		case !strings.Contains(s, "indexing"):
			return fmt.Errorf("not indexing")
		}
		return nil
	}

	// One asked for and cancelled while it waits: never written.
	tm.export(filepath.Join(dir, "cancelled.pcapng"))
	tm.waitScreen("the export waiting for the index", waits)
	tm.keys("Escape")
	tm.waitText("the export cancelled", "cancelled.pcapng cancelled")

	tm.export(filepath.Join(dir, "early.pcapng"))
	tm.waitScreen("the export waiting for the index", waits)
	// The index takes as long as the machine makes it: wait for progress,
	// each step bounded, until the export is done.
	pct := regexp.MustCompile(`indexing (\d+)%`)
	last := ""
	for done := false; !done; {
		tm.waitScreen("the indexing going on, or the export done", func(s string) error {
			if strings.Contains(s, "as pcapng to "+filepath.Join(dir, "early.pcapng")) {
				done = true
				return nil
			}
			if strings.Contains(s, "export failed") {
				t.Fatalf("the export failed:\n%s", s)
			}
			if m := pct.FindStringSubmatch(s); m != nil && m[1] != last {
				last = m[1]
				return nil
			}
			return fmt.Errorf("no progress since indexing %s%%", last)
		})
	}
	if s := tm.screen(); strings.Contains(s, "indexing") || strings.Contains(s, "export waits") {
		t.Fatalf("exported before the file was indexed:\n%s", s)
	}

	tm.export(filepath.Join(dir, "late.pcapng"))
	tm.waitText("the second export's notice", "as pcapng to "+filepath.Join(dir, "late.pcapng"))
	tm.keys("q")
	early, err := os.ReadFile(filepath.Join(dir, "early.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	late, err := os.ReadFile(filepath.Join(dir, "late.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(early, late) {
		t.Errorf("the export asked for while indexing (%d bytes) differs from the one asked for after (%d bytes)", len(early), len(late))
	}
	if _, err := os.Stat(filepath.Join(dir, "cancelled.pcapng")); err == nil {
		t.Error("the cancelled export was written")
	}
}
