//go:build unix

package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sockscope/protocol"
	"sockscope/session"
)

// R, N and Y on a Redis command, through the real binary in a real
// terminal, against the real redis-server with a password and redis-cli in
// database 3: R sends the selected INCR again on a new connection of
// sockscope's own (a client takes Redis replies in order, so not on its),
// which first replays the connection's AUTH and SELECT; N sends one
// composed from its JSON view; Y copies a redis-cli command line. The
// counter the server keeps in database 3 says each ran there; the session
// file marks the new connections' frames injected, and each closed once
// its reply came.
func TestUIResendRedis(t *testing.T) {
	need(t, "redis-server", "redis-cli")
	dir := shortDir(t)
	up, front, rec := startRedis(t, dir, "--requirepass", "sekret"), filepath.Join(dir, "f.sock"), filepath.Join(dir, "s.jsonl")
	tm := newTerm(t, dir, 160, 48, nil, binary, "-w", rec, "--listen", front, up)
	waitListening(t, front)
	counter := func(sock string) string {
		t.Helper()
		out, err := exec.Command("redis-cli", "-s", sock, "-a", "sekret", "--no-auth-warning", "-n", "3", "get", "counter").CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli get: %v %s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	waitCounter := func(want string) {
		t.Helper()
		eventually(t, "counter "+want+" in database 3", func() bool { return counter(up) == want })
	}
	if got := func() string {
		out, _ := exec.Command("redis-cli", "-s", front, "-a", "sekret", "--no-auth-warning", "-n", "3", "incr", "counter").CombinedOutput()
		return strings.TrimSpace(string(out))
	}(); got != "1" {
		t.Fatalf("redis-cli incr through sockscope: %q", got)
	}

	tm.filter("method:INCR")
	tm.keys("g")
	tm.keys("R")
	tm.waitText("the resend confirmation", "speaks resp, whose replies its client takes in order: resend INCR on a new connection like #")
	tm.keys("y")
	waitSent(tm, "the resend's result", "resent INCR on new conn #", "")
	waitCounter("2")

	tm.keys("N")
	tm.waitText("the composer, prefilled from the INCR", "sent as a RESP array of bulk strings")
	tm.keys("C-s")
	waitSent(tm, "the composed INCR's result", "sent a new message on new conn #", "")
	waitCounter("3")

	tm.keys("Y")
	tm.waitText("the copied command", "copied: redis-cli -s "+front+" incr counter")

	// Every INCR answered, sockscope's two on connections of its own.
	tm.keys("Escape")
	tm.filter("method:INCR is:injected")
	tm.waitScreen("two injected INCRs answered", func(s string) error {
		n := 0
		for _, r := range listRows(s) {
			if has(r, "inj") && has(r, "ok") {
				n++
			}
		}
		if n != 2 {
			return fmt.Errorf("%d injected ok rows", n)
		}
		return nil
	})
	tm.keys("q")
	if st := tm.waitExit(); st != "0" {
		t.Fatalf("sockscope exited %s", st)
	}
	// Each resend's connection closed once its reply came, before q.
	recs, err := session.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	own, closed := map[uint64]bool{}, 0
	for _, r := range recs {
		switch {
		case r.Type == session.TypeOpen && r.Own:
			own[r.Conn] = true
		case r.Type == session.TypeClose && own[r.Conn] && r.Err == "":
			closed++
		}
	}
	if len(own) != 2 || closed != 2 {
		t.Errorf("%d connections of sockscope's own, %d of them closed cleanly; want 2 and 2", len(own), closed)
	}
	var injected []string
	for _, r := range recordedFrames(t, rec) {
		if r.Injected && r.Dir == protocol.C2S {
			injected = append(injected, string(protocol.ClassifyAs(protocol.FramingRESP, r.Data, r.Dir, nil).Method))
		}
	}
	if want := []string{"AUTH", "SELECT", "INCR", "AUTH", "SELECT", "INCR"}; strings.Join(injected, " ") != strings.Join(want, " ") {
		t.Errorf("injected commands in the session file: %v, want %v", injected, want)
	}
}

// e on an HTTP request, through the real binary with $EDITOR, against the
// real nginx: a WebDAV PUT whose body the editor makes longer goes on a
// new connection with its Content-Length counted again, and nginx stores
// the new body. Y copies a curl command line.
func TestUIEditHTTP(t *testing.T) {
	need(t, "curl")
	dir := shortDir(t)
	up := startNginx(t, dir)
	front := filepath.Join(dir, "f.sock")
	editor := filepath.Join(dir, "ed.sh")
	if err := os.WriteFile(editor, []byte("#!/bin/sh\nsed -i 's/\"one\"/\"two, and longer\"/' \"$1\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tm := newTerm(t, dir, 160, 48, []string{"EDITOR=" + editor}, binary, "--listen", front, up)
	waitListening(t, front)
	if out, err := exec.Command("curl", "-sS", "--unix-socket", front, "-T", "-", "http://localhost/dav/f.txt").CombinedOutput(); err != nil {
		t.Fatalf("curl PUT: %v %s", err, out)
	}
	file := filepath.Join(dir, "html", "dav", "f.txt")
	if b, err := os.ReadFile(file); err != nil || len(b) != 0 {
		t.Fatalf("nginx stored %q, %v; want an empty file", b, err)
	}
	cmd := exec.Command("curl", "-sS", "--unix-socket", front, "-X", "PUT", "--data-binary", "one", "http://localhost/dav/f.txt")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("curl PUT: %v %s", err, out)
	}
	tm.filter("method:PUT")
	tm.keys("G")
	tm.keys("e")
	waitSent(tm, "the edited PUT's result", "sent the edited PUT /dav/f.txt on new conn #", "")
	eventually(t, "nginx to store the edited body", func() bool {
		b, _ := os.ReadFile(file)
		return string(b) == "two, and longer"
	})
	tm.keys("Y")
	tm.waitText("the copied command", "copied: curl --unix-socket "+front+" -X PUT -H 'User-Agent: curl/")
	tm.keys("q")
	if st := tm.waitExit(); st != "0" {
		t.Fatalf("sockscope exited %s", st)
	}
}

// e on a msgpack-RPC call, through the real binary with $EDITOR, against
// the real Neovim: the edited nvim_set_var goes on the client's own
// connection (msgpack-RPC's requests have ids: it gets one of sockscope's),
// written back as msgpack; Neovim's variable holds the new value, and the
// reply never reaches the client, whose next reply is to its own next
// call.
func TestUIEditNvim(t *testing.T) {
	dir := shortDir(t)
	up, front := startNvim(t, dir, "n.sock"), filepath.Join(dir, "f.sock")
	editor := filepath.Join(dir, "ed.sh")
	if err := os.WriteFile(editor, []byte("#!/bin/sh\nsed -i 's/\"first\"/\"edited\"/' \"$1\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tm := newTerm(t, dir, 160, 48, []string{"EDITOR=" + editor}, binary, "--listen", front, up)
	waitListening(t, front)
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var views []string
	fr := protocol.NewFramer(protocol.FramingMsgpack, 1<<20)
	buf := make([]byte, 4096)
	reply := func() string { // the client's next frame, as its view
		t.Helper()
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		for len(views) == 0 {
			k, err := c.Read(buf)
			fr.Feed(buf[:k], func(f *protocol.Frame) {
				v, _ := protocol.AppendView(nil, protocol.FramingMsgpack, f)
				views = append(views, string(v))
			})
			if err != nil {
				t.Fatalf("the client read: %v", err)
			}
		}
		v := views[0]
		views = views[1:]
		return v
	}
	c.Write(mpCall(1, "nvim_set_var", "x", "first"))
	if v := reply(); v != `[1,1,null,null]` {
		t.Fatalf("nvim_set_var: %s", v)
	}
	tm.filter("method:nvim_set_var")
	tm.keys("g")
	tm.keys("e")
	waitSent(tm, "the edited call's result", "sent the edited nvim_set_var (id 1) on conn #2 to the server (id on the wire 2147483646)", "")
	eventually(t, "Neovim's x to be the edited value", func() bool {
		return mpCalls(t, up, mpCall(2, "nvim_get_var", "x"))[0] == `[1,2,null,"edited"]`
	})
	c.Write(mpCall(2, "nvim_get_var", "x"))
	if v := reply(); v != `[1,2,null,"edited"]` {
		t.Fatalf("the client's next frame is %s, want the reply to its own call (the reply to sockscope's is withheld)", v)
	}
	tm.keys("q")
	if st := tm.waitExit(); st != "0" {
		t.Fatalf("sockscope exited %s", st)
	}
}
