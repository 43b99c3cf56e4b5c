//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sockscope/internal/nodetest"
)

// TestRuleSetKeepsHeaders: a rule that sets a field of an LSP message
// re-frames it with the header lines the client sent (a Content-Type, in
// its place and spelling), only the Content-Length value changed. The
// server is a Node peer that answers with the header block it received.
func TestRuleSetKeepsHeaders(t *testing.T) {
	dir := shortDir(t)
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
	nodetest.Start(t, "headers-echo.js", svc).Expect(t, "listening")
	started(t, "listening on", "--headless", "--listen", front, "--rule", "method:echo set:$.params.a=12345", svc)
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	const ct = "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n"
	for i, head := range []string{
		"Content-Length: %d\r\n" + ct + "\r\n",
		ct + "content-length:  %d \r\n" + "X-Other:\tkept as it was\r\n\r\n",
	} {
		body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"echo","params":{"a":1,"b":"x"}}`, i+1)
		if _, err := fmt.Fprintf(c, head+body, len(body)); err != nil {
			t.Fatal(err)
		}
		var reply struct {
			Result struct {
				Head   string
				Params struct{ A int }
			}
		}
		if err := json.Unmarshal(readLSP(t, r), &reply); err != nil {
			t.Fatal(err)
		}
		sent := strings.Replace(body, `"a":1`, `"a":12345`, 1)
		if want := fmt.Sprintf(head, len(sent)); reply.Result.Head != want || reply.Result.Params.A != 12345 {
			t.Errorf("frame %d: the server received header %q and a=%d, want %q and a=12345", i+1, reply.Result.Head, reply.Result.Params.A, want)
		}
	}
}

// readLSP reads one Content-Length framed body from r.
func readLSP(t *testing.T, r *bufio.Reader) []byte {
	t.Helper()
	n := -1
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading a header: %v", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Content-Length") {
			if n, err = strconv.Atoi(strings.TrimSpace(v)); err != nil {
				t.Fatalf("bad Content-Length %q", v)
			}
		}
	}
	if n < 0 {
		t.Fatal("no Content-Length")
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		t.Fatal(err)
	}
	return b
}
