//go:build unix

package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"sockscope/internal/nodetest"
)

// heldRowRE is the list row of a held echo request: the held flag beside
// where the status goes, then its live timer.
var heldRowRE = regexp.MustCompile(`echo\s+held request\s+([0-9.]+(?:ns|µs|ms|s))`)

// A held request is a row of the list while it is held, with a timer that
// runs; a on that row (no intercept pane open) forwards it, and the row
// becomes the store's, flagged held, answered; d on the next drops it. The
// session file says what the server received, and when: the forwarded
// echo read before the screen showed it held, and forwarded (read + held)
// after the user let it go.
func TestUIInTerminalHeldRow(t *testing.T) {
	dir := shortDir(t)
	svc, front, rec := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock"), filepath.Join(dir, "s.jsonl")
	nodetest.Start(t, "seed-server.js", svc).Expect(t, "listening")
	tm := newTerm(t, dir, 160, 40, nil, binary, "-w", rec, "--intercept", "method:echo", "--listen", front, svc)
	waitListening(t, front)
	rr := &ruleRun{client: nodetest.Start(t, "probe-client.js", front)}
	rr.client.Expect(t, "registered")

	rid := rr.call(t, "echo", `["one"]`)
	var first string
	s := tm.waitScreen("the held row", func(s string) error {
		m := heldRowRE.FindStringSubmatch(s)
		if m == nil {
			return fmt.Errorf("no held echo row in the list")
		}
		first = m[1]
		return nil
	})
	shown := time.Now()
	if !strings.Contains(s, "held 1") || !strings.Contains(s, "1 held · following") {
		t.Errorf("no held count in the status bar or the list's title:\n%s", s)
	}
	// The timer runs: it reads something else, and then a second or more
	// (so the forwarded frame's time tells forwarding from reading).
	tm.waitScreen("the held row's timer running", func(s string) error {
		m := heldRowRE.FindStringSubmatch(s)
		if m == nil {
			return fmt.Errorf("the held row went away")
		}
		if m[1] == first {
			return fmt.Errorf("the timer still reads %s", first)
		}
		if d, err := time.ParseDuration(strings.Replace(m[1], "µ", "u", 1)); err != nil || d < time.Second {
			return fmt.Errorf("the timer reads %s", m[1])
		}
		return nil
	})
	if strings.Contains(tm.screen(), "▌ Intercept") {
		t.Fatal("the intercept pane is open: the test is to act from the list")
	}

	tm.keys("a") // following: the held row is the selected one
	if m, _ := rr.replyTo(t, rid); m["data"] != "one" {
		t.Fatalf("forwarded echo answered %v", m)
	}
	tm.waitScreen("the released row, the store's", func(s string) error {
		if heldRowRE.MatchString(s) {
			return fmt.Errorf("the held row is still listed")
		}
		if !regexp.MustCompile(`echo\s+held ok`).MatchString(s) {
			return fmt.Errorf("no answered echo row flagged held")
		}
		return nil
	})

	rr.call(t, "echo", `["two"]`)
	tm.waitScreen("the second held row", func(s string) error {
		if !heldRowRE.MatchString(s) {
			return fmt.Errorf("no held echo row in the list")
		}
		return nil
	})
	tm.keys("d")
	tm.waitScreen("the dropped row", func(s string) error {
		if heldRowRE.MatchString(s) {
			return fmt.Errorf("the held row is still listed")
		}
		if !regexp.MustCompile(`echo\s+drop`).MatchString(s) {
			return fmt.Errorf("no echo row flagged drop")
		}
		return nil
	})

	tm.keys("q")
	if st := tm.waitExit(); st != "0" {
		t.Fatalf("sockscope exited %s", st)
	}
	var held, dropped int
	for _, r := range recordedFrames(t, rec) {
		if r.Note == nil {
			continue
		}
		switch r.Note.Act.String() {
		case "held":
			held++
			if !strings.Contains(string(r.Data), `"one"`) || r.Note.Held <= 0 {
				t.Errorf("recorded held frame %s, held %v", r.Data, r.Note.Held)
			}
			// The record says when the frame was read (At) and how long it
			// was held: the server got it at At+Held, a second or more
			// after the screen first showed it held.
			if !r.At.Before(shown) || r.At.Add(r.Note.Held).Before(shown.Add(time.Second/2)) {
				t.Errorf("the forwarded echo is recorded read at %v, held %v; the screen showed it held at %v", r.At, r.Note.Held, shown)
			}
		case "drop":
			dropped++
		}
	}
	if held != 1 || dropped != 1 {
		t.Errorf("recorded held %d, dropped %d; want 1 and 1", held, dropped)
	}
}
