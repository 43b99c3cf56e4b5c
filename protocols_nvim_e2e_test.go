//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sockscope/internal/missing"
)

// Neovim's msgpack-RPC behind the real binary, driven by the official Node
// client: every call pairs by msgid, the failing command is an error, the
// server's rpcnotify is a notification, and the messages show as JSON
// (buffer handles as msgpack extensions).
func TestNeovimMsgpackRPC(t *testing.T) {
	need(t, "nvim", "node")
	client := filepath.Join("testdata", "nvim", "client.js")
	if _, err := os.Stat(filepath.Join("testdata", "nvim", "node_modules", "neovim")); err != nil {
		missing.Peer(t, "the npm neovim client is not installed: (cd testdata/nvim && npm ci)")
	}
	dir := shortDir(t)
	up, front := startNvim(t, dir, "n.sock"), filepath.Join(dir, "f.sock")
	stop := sockscope(t, "--dump", "--lossless", "--listen", front, up)
	dialWait(t, front)
	out, err := exec.Command("node", client, front).CombinedOutput()
	if err != nil || !strings.HasSuffix(string(out), "done\n") {
		t.Fatalf("node client: %v\n%s", err, out)
	}
	lines := dumpLines(t, stop())

	status := map[string][]string{}
	for _, e := range ofType(lines, "exchange") {
		status[e["method"].(string)] = append(status[e["method"].(string)], e["status"].(string))
		if _, ok := e["id"].(float64); !ok {
			t.Errorf("exchange without its msgid: %v", e)
		}
	}
	for m, want := range map[string]string{"nvim_eval": "ok", "nvim_get_var": "ok", "nvim_buf_set_lines": "ok", "nvim_subscribe": "ok"} {
		if got := status[m]; len(got) != 1 || got[0] != want {
			t.Errorf("%s: %v, want [%s]", m, got, want)
		}
	}
	if got := strings.Join(status["nvim_command"], ","); got != "ok,error,ok" {
		t.Errorf("nvim_command: %s, want ok,error,ok (let, NoSuchCommand, rpcnotify)", got)
	}
	var notified, ext, utf bool
	for _, m := range ofType(lines, "message") {
		f, _ := m["frame"].([]any)
		if f == nil {
			t.Errorf("not shown as a JSON array: %v", m)
			continue
		}
		switch {
		case m["kind"] == "notification":
			notified = m["method"] == "sockscope-ev" && m["dir"] == "s2c" && len(f) == 3
		case m["method"] == "nvim_buf_set_lines":
			args, _ := f[3].([]any)
			h, _ := args[0].(map[string]any)
			ext = h["ext"] == 0.0 && h["data"] == 1.0
		case m["kind"] == "response" && len(f) == 4 && f[3] == "héllo":
			utf = true
		}
	}
	if !notified || !ext || !utf {
		t.Errorf("rpcnotify as a notification %v, buffer handle as an extension %v, UTF-8 value %v", notified, ext, utf)
	}
}
