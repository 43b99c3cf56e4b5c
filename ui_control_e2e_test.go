//go:build unix

package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"sockscope/internal/nodetest"
)

// The way back through the real binary in a real terminal, while a strict
// Node client runs pipelined calls on its connection (it fails on any reply
// it did not ask for): R resends the selected add, n sends a composed one
// on the same connection, N one on a new connection of sockscope's own, Y
// copies a send command. Every injected request shows as an injected,
// answered exchange; the session file marks what sockscope sent and what it
// withheld.
func TestUIInTerminalInject(t *testing.T) {
	dir := shortDir(t)
	svc, front, rec := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock"), filepath.Join(dir, "s.jsonl")
	nodetest.Start(t, "seed-server.js", svc).Expect(t, "listening")
	tm := newTerm(t, dir, 160, 48, nil, binary, "-w", rec, "--listen", front, svc)
	waitListening(t, front)
	cl := nodetest.Start(t, "strict-client.js", front)
	cl.Expect(t, "registered")
	cl.Say("calls 20 4")
	cl.Expect(t, "ok 20")
	cl.Say("calls 3000 16")

	// Only the strict client's adds (the dial probe above was a connection
	// too), the oldest first.
	tm.filter("method:add conn:node")
	tm.keys("g")
	last := ""
	for i := range 3 {
		tm.keys("R")
		tm.waitScreen("the resend confirmation", func(s string) error {
			if !strings.Contains(s, "resend add") {
				return fmt.Errorf("no confirmation (resend %d)", i)
			}
			return nil
		})
		tm.keys("y")
		// Each resend's own notice: each has a wire id of its own.
		last = waitSent(tm, "the resend's result", "resent add (id 1) on conn #", last)
	}
	tm.keys("n")
	tm.waitScreen("the compose overlay", func(s string) error {
		// The overlay's own lines: the detail pane shows the add too.
		if !strings.Contains(s, "prefilled from") || !strings.Contains(s, "ctrl+s") {
			return fmt.Errorf("no overlay prefilled from a stored message")
		}
		return nil
	})
	tm.keys("C-s")
	// Each send's result before the next key: a result that came after Y
	// would replace the copied command on the status line (under load the
	// send on a new connection, through the relay's process, took longer).
	waitSent(tm, "the composed add's result", "sent a new message on conn #", "")
	tm.keys("N")
	tm.waitText("the compose overlay for a new connection", "new connection")
	tm.keys("C-s")
	waitSent(tm, "the new connection's add's result", "sent a new message on new conn #", "")
	tm.keys("Y")
	tm.waitText("the copied command", "sockscope send")
	cl.Expect(t, "ok 3000")
	cl.Say("quit")
	if err := cl.Wait(); err != nil {
		t.Fatalf("the strict client failed: %v", err)
	}
	// Every injected request answered: 3 resends and one composed add on
	// the client's connection, one on sockscope's own.
	tm.keys("Escape") // alone: ESC and / at once would read as alt+/
	tm.waitScreen("the filter cleared", func(s string) error {
		if strings.Contains(s, "filter: method:add") {
			return fmt.Errorf("the filter is still on")
		}
		return nil
	})
	tm.filter("is:injected")
	tm.keys("G")
	tm.waitScreen("five injected, answered adds", func(s string) error {
		n := 0
		for _, r := range listRows(s) {
			if has(r, "inj") && has(r, "ok") {
				n++
			}
		}
		if n != 5 {
			return fmt.Errorf("%d injected ok rows on screen", n)
		}
		return nil
	})
	tm.keys("q")
	if st := tm.waitExit(); st != "0" {
		t.Fatalf("sockscope exited %s", st)
	}
	injected, withheld := 0, 0
	for _, r := range recordedFrames(t, rec) {
		if r.Injected {
			injected++
		}
		if r.Withheld {
			withheld++
		}
	}
	if injected < 5 || withheld < 4 {
		t.Errorf("session file: %d injected and %d withheld frames, want at least 5 and 4", injected, withheld)
	}
}

// waitSent waits until the status line shows want, a send's result, in a
// line other than not (an earlier send's), and returns it. It fails at
// once, with the notice, when it says the send failed: its notice expires,
// and a wait for want alone saw only the screen after it.
func waitSent(tm *term, what, want, not string) (line string) {
	tm.t.Helper()
	tm.waitScreen(what, func(s string) error {
		// The status line only: "sent" is in the detail pane's times too,
		// and a send's result must not be taken from an earlier one's.
		line = bottomLine(s)
		if i := max(strings.Index(line, "not sent"), strings.Index(line, "not resent")); i >= 0 {
			tm.t.Fatalf("%s: %s", what, strings.TrimSpace(line[i:]))
		}
		if !strings.Contains(line, want) || line == not {
			return fmt.Errorf("no new %q on the status line", want)
		}
		return nil
	})
	return line
}

// bottomLine is the screen's last line that is not blank: the status line.
func bottomLine(screen string) string {
	lines := strings.Split(strings.TrimRight(screen, " \n"), "\n")
	return lines[len(lines)-1]
}
