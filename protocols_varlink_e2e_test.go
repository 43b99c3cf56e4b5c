//go:build unix

package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A varlink service and client on github.com/varlink/go
// (internal/varlinkpeer) with the real binary between them: calls pair in
// order with their replies, the three replies of a "more" call stay with
// it (two "continues", the last ends it), the error reply is an error and
// the oneway call is a notification that pairs with nothing (the call
// after it still gets its own reply).
func TestVarlink(t *testing.T) {
	dir := shortDir(t)
	peer := filepath.Join(dir, "varlinkpeer")
	if out, err := exec.Command("go", "build", "-o", peer, "./internal/varlinkpeer").CombinedOutput(); err != nil {
		t.Fatalf("building varlinkpeer: %v\n%s", err, out)
	}
	up, front := filepath.Join(dir, "v.sock"), filepath.Join(dir, "f.sock")
	startProc(t, peer, "serve", "unix:"+up)
	dialWait(t, up)
	stop := sockscope(t, "--dump", "--lossless", "--listen", front, up)
	dialWait(t, front)
	out, err := exec.Command(peer, "call", "unix:"+front).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "notes 1\ndone") {
		t.Fatalf("varlinkpeer call: %v\n%s", err, out)
	}
	lines := dumpLines(t, stop())

	var got []string
	for _, e := range ofType(lines, "exchange") {
		method, _ := e["method"].(string)
		status, _ := e["status"].(string)
		got = append(got, strings.TrimPrefix(method, "org.sockscope.test.")+" "+status)
	}
	if want := "Ping ok,Count ok,Fail error,Ping ok"; strings.Join(got, ",") != want {
		t.Errorf("exchanges %v, want %s; the dump:\n%s", got, want, dumpText(lines))
	}
	var continues, oneway int
	for _, m := range ofType(lines, "message") {
		if _, ok := m["frame"].(map[string]any); !ok {
			t.Errorf("not shown as JSON: %v", m)
		}
		if m["continues"] == true {
			continues++
		}
		if m["kind"] == "notification" && m["method"] == "org.sockscope.test.Note" {
			oneway++
		}
	}
	if continues != 2 || oneway != 1 {
		t.Errorf("%d continuing replies (want 2), %d oneway notes (want 1)", continues, oneway)
	}
}

// dumpText renders dump lines again, one a line, for a failure's message.
func dumpText(lines []map[string]any) string {
	var b strings.Builder
	for _, l := range lines {
		j, _ := json.Marshal(l)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}
