//go:build unix

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
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

// bigServer answers each JSON-RPC request line with a result of size
// bytes, its id after it; it reads the request's id with encoding/json.
func bigServer(size int) func(net.Conn) {
	return func(c net.Conn) {
		r := bufio.NewReaderSize(c, 64<<10)
		for {
			line, err := r.ReadBytes('\n')
			if err != nil {
				return
			}
			var req struct {
				ID json.RawMessage `json:"id"`
			}
			if err := json.Unmarshal(line, &req); err != nil {
				return
			}
			reply := `{"jsonrpc":"2.0","result":"` + strings.Repeat("r", size) + `","id":` + string(req.ID) + "}\n"
			if _, err := io.WriteString(c, reply); err != nil {
				return
			}
		}
	}
}

// Requests and replies of 1 MiB and 5 MiB, over --max-frame, their ids
// after the big member: each is still a message (kind, id, method, size,
// truncated only in what is kept), pairs with its reply, and its latency
// counts.
func TestFramesOverTheCapPair(t *testing.T) {
	for _, size := range []int{1 << 20, 5 << 20} {
		t.Run(fmt.Sprintf("%dMiB", size>>20), func(t *testing.T) {
			svc, front := paths(t)
			startUpstream(t, svc, bigServer(size))
			stop := sockscope(t, "--dump", "--lossless", "--listen", front, svc)
			waitListening(t, front)
			c, err := net.Dial("unix", front)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(2 * time.Minute))
			r := bufio.NewReaderSize(c, 64<<10)
			for i, id := range []string{`7`, `{"k":"é","n":[1]}`} {
				req := `{"jsonrpc":"2.0","method":"big","params":{"blob":"` + strings.Repeat("p", size) + `"},"id":` + id + "}\n"
				go io.WriteString(c, req)
				reply, err := r.ReadBytes('\n')
				if err != nil || len(reply) < size {
					t.Fatalf("reply %d: %d bytes, %v", i, len(reply), err)
				}
			}
			c.Close()

			var exchanges, messages int
			for _, l := range dumpLines(t, stop()) {
				switch l["type"] {
				case "exchange":
					exchanges++
					if l["method"] != "big" || l["status"] != "ok" || l["latency_us"] == nil {
						t.Errorf("exchange %v, want big, ok, with a latency", l)
					}
				case "message":
					messages++
					want := map[string]any{"c2s": "request", "s2c": "response"}[l["dir"].(string)]
					reason, _ := l["reason"].(string)
					if l["kind"] != want || l["truncated"] != true || l["id"] == nil || !strings.HasPrefix(reason, "truncated at 1048576 of") {
						t.Errorf("message %v…: want a %s with its id, truncated at the cap", trimmed(l), want)
					}
					if l["size"].(float64) <= float64(size) || l["dir"] == "c2s" && l["method"] != "big" {
						t.Errorf("message %v…: want its whole size, and method big", trimmed(l))
					}
				}
			}
			if exchanges != 2 || messages != 4 {
				t.Errorf("%d exchanges and %d messages, want 2 and 4", exchanges, messages)
			}
		})
	}
}

// trimmed is a dump line without its frame, for messages.
func trimmed(l map[string]any) map[string]any {
	m := map[string]any{}
	for k, v := range l {
		if k != "frame" && k != "text" && k != "b64" {
			m[k] = v
		}
	}
	return m
}

// Ctrl-C (SIGINT) with a connection open is a clean stop: the summary, the
// dump and the session file say the connection was open at exit, not that
// it failed, and `show` of the session says the same.
func TestStopWithOpenConnections(t *testing.T) {
	svc, front := paths(t)
	rec := filepath.Join(filepath.Dir(svc), "s.jsonl")
	dump := filepath.Join(filepath.Dir(svc), "dump.jsonl")
	startUpstream(t, svc, echoBytes)
	out, err := os.Create(dump)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	p := startSS(t, out, "--dump", "--lossless", "--record", rec, "--listen", front, svc)
	waitListening(t, front) // connection 1, closed at once
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	echo(t, c, `{"jsonrpc":"2.0","id":1,"method":"m"}`+"\n") // connection 2, left open
	eventually(t, "the probe's close and the request in the dump", func() bool {
		b, _ := os.ReadFile(dump)
		return bytes.Contains(b, []byte(`{"type":"close","conn":1,`)) && bytes.Contains(b, []byte(`"conn":2,"dir":"c2s"`))
	})
	if code := p.stop(os.Interrupt); code != 0 {
		t.Fatalf("exit %d: %s", code, p.err.String())
	}
	const want = "2 connections (0 failed, 1 open at exit)"
	if !strings.Contains(p.err.String(), want) {
		t.Errorf("summary %q does not say %q", p.err.String(), want)
	}
	data, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	ends := map[float64]string{}
	for _, l := range dumpLines(t, data) {
		switch {
		case l["type"] == "close" && l["open_at_exit"] == true:
			ends[l["conn"].(float64)] = "open at exit"
		case l["type"] == "close":
			ends[l["conn"].(float64)] = "close"
		case l["type"] == "error":
			ends[l["conn"].(float64)] = "error " + fmt.Sprint(l["error"])
		}
	}
	if ends[1] != "close" || ends[2] != "open at exit" || len(ends) != 2 {
		t.Errorf("connection ends in the dump %v, want 1 closed and 2 open at exit", ends)
	}
	show := exec.Command(binary, "show", "--headless", rec)
	var serr strings.Builder
	show.Stderr = &serr
	if err := show.Run(); err != nil {
		t.Fatalf("show: %v\n%s", err, serr.String())
	}
	if !strings.Contains(serr.String(), want) {
		t.Errorf("show's summary %q does not say %q", serr.String(), want)
	}
}
