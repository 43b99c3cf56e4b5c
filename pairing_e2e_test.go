//go:build unix

package main

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startNode runs a testdata/node server on svc and waits for its
// "listening".
func startNode(t *testing.T, script, svc string) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	server := exec.Command("node", filepath.Join("testdata/node", script), svc)
	out, err := server.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Process.Kill(); server.Wait() })
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || !strings.Contains(line, "listening") {
		t.Fatalf("node %s said %q, %v", script, line, err)
	}
}

// A server that parses each request and writes its id back its own way
// (keys reversed, escapes, number spellings; testdata/node/reserialize.js),
// through the real binary: every request pairs with its reply, QMP-style
// and JSON-RPC alike, and none is an orphan or "no reply".
func TestReserializedIDsPair(t *testing.T) {
	svc, front := paths(t)
	startNode(t, "reserialize.js", svc)
	stop := sockscope(t, "--dump", "--lossless", "--listen", front, svc)
	waitListening(t, front)

	requests := []string{
		`{"execute":"query-status","id":{"tag":["x",1],"n":null}}`,
		`{"execute":"query-name","id":"split-é"}`,
		`{"execute":"query-kvm","id":"a/b 😀"}`,
		`{ "execute" : "query-cpus", "id" : { "b" : { "y" : 2 , "x" : 1.0 } , "a" : [ 1e0 , "é" ] } }`,
		`{"jsonrpc":"2.0","method":"one","id":1.0}`,
		`{"jsonrpc":"2.0","method":"hundred","id":1e2}`,
		`{"jsonrpc":"2.0","method":"str","id":"1"}`,
	}
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	if greeting, err := r.ReadString('\n'); err != nil || !strings.Contains(greeting, `"QMP"`) {
		t.Fatalf("greeting %q, %v", greeting, err)
	}
	for _, req := range requests {
		if _, err := fmt.Fprintln(c, req); err != nil {
			t.Fatal(err)
		}
		reply, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(reply, `\u00e9`) && strings.Contains(req, "é") {
			t.Fatalf("the server did not escape the id: %s", reply)
		}
	}
	c.Close()

	status := map[string]string{}
	for _, l := range dumpLines(t, stop()) {
		if l["type"] == "exchange" {
			m, _ := l["method"].(string)
			status[m] = fmt.Sprint(l["status"])
		}
	}
	for _, m := range []string{"query-status", "query-name", "query-kvm", "query-cpus", "one", "hundred", "str"} {
		if status[m] != "ok" {
			t.Errorf("%s: status %q, want ok", m, status[m])
		}
	}
	if len(status) != 7 {
		t.Errorf("exchanges %v, want the 7 calls", status)
	}
}
