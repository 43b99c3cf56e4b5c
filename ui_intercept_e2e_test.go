//go:build unix

package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"sockscope/internal/nodetest"
)

// Intercept by hand in a real terminal: --intercept holds the probe
// client's echoes; the status bar counts them; in the intercept pane a
// forwards one, e edits one (the client gets the edited call's answer), f
// answers one in the server's place, d drops one; : adds a rule the client
// then meets. The session file says what each peer received.
func TestUIInTerminalIntercept(t *testing.T) {
	dir := shortDir(t)
	svc, front, rec := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock"), filepath.Join(dir, "s.jsonl")
	nodetest.Start(t, "seed-server.js", svc).Expect(t, "listening")
	tm := newTerm(t, dir, 160, 48, nil, binary, "-w", rec, "--intercept", "method:echo", "--listen", front, svc)
	waitListening(t, front)
	rr := &ruleRun{client: nodetest.Start(t, "probe-client.js", front)}
	rr.client.Expect(t, "registered")

	rid := rr.call(t, "echo", `["one"]`)
	tm.waitText("the held count", "held 1")
	tm.keys("i")
	tm.waitText("the held echo in the pane", "echo id 1")
	tm.waitText("what holding holds up", "other connections and the other direction")
	tm.keys("a")
	if m, _ := rr.replyTo(t, rid); m["data"] != "one" {
		t.Fatalf("forwarded echo answered %v", m)
	}

	rid = rr.call(t, "echo", `["two"]`)
	tm.waitText("the second held echo", "echo id 2")
	tm.keys("e")
	tm.waitText("the editor", "Edit held frame")
	tm.keys("C-a") // the start of the line: the editor opens on the pretty JSON
	tm.keys("C-k") // a fresh text replaces it
	for range 8 {
		tm.keys("C-k", "C-k")
	}
	tm.typeText(`{"rid":2,"method":"echo","args":["edited"]}`)
	tm.keys("C-s")
	if m, _ := rr.replyTo(t, rid); m["data"] != "edited" {
		t.Fatalf("edited echo answered %v", m)
	}

	rid = rr.call(t, "echo", `["three"]`)
	tm.waitText("the third held echo", "echo id 3")
	tm.keys("f")
	tm.waitText("the reply editor", "Answer held request")
	tm.keys("C-s") // the template: success, data null
	if m, _ := rr.replyTo(t, rid); m["success"] != true || m["data"] != nil {
		t.Fatalf("fabricated reply %v", m)
	}

	rr.call(t, "echo", `["four"]`)
	tm.waitText("the fourth held echo", "echo id 4")
	tm.keys("d")
	tm.waitText("the drop", "dropped held")

	tm.keys(":")
	tm.typeText("add method:add error:-32000:boom once")
	tm.keys("Enter")
	tm.waitText("the rule in the pane", "hits 0")
	rid = rr.call(t, "add", "[1,1]")
	if m, _ := rr.replyTo(t, rid); m["success"] != false || m["error"] != "boom" {
		t.Fatalf("the rule's add answered %v", m)
	}
	tm.waitText("the rule's hit", "hits 1")
	tm.keys("Escape") // alone: ESC and q at once would read as alt+q
	tm.waitScreen("the pane closed", func(s string) error {
		if strings.Contains(s, "▌ Intercept") {
			return fmt.Errorf("the intercept pane is still open")
		}
		return nil
	})
	tm.keys("q")
	if st := tm.waitExit(); st != "0" {
		t.Fatalf("sockscope exited %s", st)
	}
	acts := map[string]int{}
	for _, r := range recordedFrames(t, rec) {
		if r.Note != nil {
			acts[r.Note.Act.String()]++
		}
	}
	if acts["held"] != 1 || acts["edit"] != 1 || acts["fab"] != 4 || acts["drop"] != 1 {
		t.Errorf("recorded acts %v, want held 1, edit 1, drop 1 and fab 4 (two answered requests and their replies)", acts)
	}
}
