//go:build unix

package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sockscope/indexbuild"
	"sockscope/internal/sessiongen"
	"sockscope/protocol"
)

// The whole file from the real binary in a terminal: F finds a text near
// the file's start in the background and ] selects the row that holds it,
// T goes to the file's first row, ! to an error, L to a slow exchange, and
// the top line has the file's sparklines.
func TestShowFileNavInTerminal(t *testing.T) {
	dir := shortDir(t)
	path := filepath.Join(dir, "nav.jsonl")
	if err := sessiongen.Write(path, sessiongen.Config{Size: 6 << 20, Seed: 11, Needle: "needle-for-F", NeedleAt: 32 << 10}); err != nil {
		t.Fatal(err)
	}
	tm := newTerm(t, dir, 200, 40, nil, binary, "show", path)
	tm.waitScreen("the file indexed, with its sparklines", func(s string) error {
		switch {
		case len(listRows(s)) == 0:
			return fmt.Errorf("no rows")
		case strings.Contains(s, "indexing"):
			return fmt.Errorf("still indexing")
		case !strings.Contains(s, "rate ") || !strings.Contains(s, " lat "):
			return fmt.Errorf("no sparklines in the top line")
		}
		return nil
	})
	head := func(s string) (seq, rest string) {
		for _, l := range strings.Split(s, "\n") {
			if i := strings.Index(l, "│#"); i >= 0 {
				f := strings.Fields(l[i+len("│#"):])
				if len(f) > 0 {
					return f[0], l[i:]
				}
			}
		}
		return "", ""
	}
	tm.keys("F")
	tm.typeText("needle-for-F")
	tm.keys("Enter")
	tm.waitScreen("the search over", func(s string) error {
		if !strings.Contains(s, `find "needle-for-F": 1 hit`) || strings.Contains(s, "esc stops") {
			return fmt.Errorf("the search is not over with 1 hit")
		}
		return nil
	})
	tm.keys("]")
	tm.waitScreen("the row with the needle selected", func(s string) error {
		if !strings.Contains(s, "needle-for-F") || strings.Count(s, "needle-for-F") < 2 {
			return fmt.Errorf("the detail does not show the needle")
		}
		return nil
	})
	tm.keys("T")
	tm.typeText("+0s")
	tm.keys("Enter")
	tm.waitScreen("the first row selected", func(s string) error {
		if seq, _ := head(s); seq != "1" {
			return fmt.Errorf("row %q selected, want 1", seq)
		}
		return nil
	})
	// What ! and L must select, from the index show kept.
	v, err := indexbuild.Open(context.Background(), path, indexbuild.Settings{Framing: protocol.FramingLines}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if v.Built {
		t.Fatal("show kept no fresh index")
	}
	if err := v.Build.Wait(); err != nil {
		t.Fatal(err)
	}
	firstErr, ok1 := v.NextError(1, false)
	firstSlow, ok2 := v.NextSlow(1, false)
	if !ok1 || !ok2 {
		t.Fatal("the file has no error or no slow exchange")
	}
	r, _ := v.Row(firstSlow)
	t.Logf("first error row %d, first slow row %d (%v, slow from %v)", firstErr, firstSlow, r.Latency, v.SlowLatency())
	tm.typeText("!")
	tm.waitScreen("the first error selected", func(s string) error {
		seq, l := head(s)
		if seq != strconv.FormatUint(firstErr, 10) || !(strings.Contains(l, "error") || strings.Contains(l, "no-reply") || strings.Contains(l, "orphan")) {
			return fmt.Errorf("row %s selected: %q", seq, l)
		}
		return nil
	})
	tm.keys("T")
	tm.typeText("+0s")
	tm.keys("Enter")
	tm.keys("L")
	tm.waitScreen("a slow exchange selected", func(s string) error {
		if seq, l := head(s); seq != strconv.FormatUint(firstSlow, 10) {
			return fmt.Errorf("row %s selected: %q", seq, l)
		}
		return nil
	})
	tm.keys("?")
	tm.waitScreen("the file's keys in the help", func(s string) error {
		for _, k := range []string{"find in payloads", "next hit", "go to time", "next error", "next slow exchange"} {
			if !strings.Contains(s, k) {
				return fmt.Errorf("the help has no %q", k)
			}
		}
		return nil
	})
}
