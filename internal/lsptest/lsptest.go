// Package lsptest runs gopls (found by goplstest) for tests and drives it
// with an LSP client that answers the server's requests as an editor would.
package lsptest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sockscope/client"
	"sockscope/internal/goplstest"
	"sockscope/protocol"
)

// liveness bounds waits that only a hang would exceed.
const liveness = 60 * time.Second

// Source is the workspace's main.go: hovering Greet at line 7, character
// 15 shows "Greet says hello".
const Source = "package main\n\nimport \"fmt\"\n\n// Greet says hello.\nfunc Greet() { fmt.Println(\"hello\") }\n\nfunc main() { Greet() }\n"

// Workspace writes a Go module with Source in dir/ws and returns its path.
func Workspace(t testing.TB, dir string) string {
	ws := filepath.Join(dir, "ws")
	os.MkdirAll(ws, 0o755)
	os.WriteFile(filepath.Join(ws, "go.mod"), []byte("module example.com/ws\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(ws, "main.go"), []byte(Source), 0o644)
	return ws
}

// Serve runs `gopls serve` on the Unix socket sock, in ws, until the test
// ends, and returns once it listens.
func Serve(t testing.TB, ws, sock string) {
	t.Helper()
	cmd := exec.Command(goplstest.Path(t), "serve", "-listen", "unix;"+sock)
	cmd.Dir = ws
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	Dial(t, sock).Close()
}

// Dial connects to the Unix socket at path once it listens.
func Dial(t testing.TB, path string) net.Conn {
	t.Helper()
	deadline := time.Now().Add(liveness)
	for {
		c, err := net.Dial("unix", path)
		if err == nil {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never listened: %v", path, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Client is an LSP client that answers the server's requests as an editor
// would and counts them.
type Client struct {
	*client.Conn
	Mu     sync.Mutex // guards Asked and Unpair
	Asked  []string   // the methods the server asked
	Unpair []string   // replies it never asked for
}

// NewClient starts a Client on nc.
func NewClient(nc net.Conn) *Client {
	l := &Client{}
	l.Conn = client.New(nc, client.Options{Framing: protocol.FramingContentLength, Other: func(p []byte) {
		var m struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Params struct {
				Items []json.RawMessage `json:"items"`
			} `json:"params"`
		}
		json.Unmarshal(p, &m)
		l.Mu.Lock()
		defer l.Mu.Unlock()
		switch {
		case m.ID != nil && m.Method == "workspace/configuration":
			l.Asked = append(l.Asked, m.Method)
			items := make([]any, len(m.Params.Items))
			b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": m.ID, "result": items})
			go l.Send(b)
		case m.ID != nil && m.Method != "":
			l.Asked = append(l.Asked, m.Method)
			go l.Send([]byte(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":null}`, m.ID)))
		case m.ID != nil:
			l.Unpair = append(l.Unpair, string(p))
		}
	}})
	return l
}

// Call sends a request and returns its reply, failing the test on an error.
func (l *Client) Call(t testing.TB, id int, method, params string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), liveness)
	defer cancel()
	r, err := l.Conn.Call(ctx, []byte(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q,"params":%s}`, id, method, params)))
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return r
}

// Open starts an editor's session on ws: initialize (request 1, with the
// client capabilities caps, a JSON object), initialized, didOpen of
// main.go. It returns main.go's URI.
func (l *Client) Open(t testing.TB, ws, caps string) string {
	t.Helper()
	uri := "file://" + filepath.Join(ws, "main.go")
	l.Call(t, 1, "initialize", fmt.Sprintf(`{"processId":%d,"rootUri":"file://%s","capabilities":%s}`, os.Getpid(), ws, caps))
	l.Send([]byte(`{"jsonrpc":"2.0","method":"initialized","params":{}}`))
	src, _ := json.Marshal(Source)
	l.Send([]byte(fmt.Sprintf(`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":%q,"languageId":"go","version":1,"text":%s}}}`, uri, src)))
	return uri
}

// Session runs an editor's session on ws: Open, a hover on Greet (which it
// checks), shutdown.
func (l *Client) Session(t testing.TB, ws string) {
	t.Helper()
	uri := l.Open(t, ws, `{"workspace":{"configuration":true,"didChangeWatchedFiles":{"dynamicRegistration":true}},"window":{"workDoneProgress":true}}`)
	hover := fmt.Sprintf(`{"textDocument":{"uri":%q},"position":{"line":7,"character":15}}`, uri)
	if r := l.Call(t, 2, "textDocument/hover", hover); !strings.Contains(string(r), "Greet says hello") {
		t.Fatalf("hover: %s", r)
	}
	l.Call(t, 3, "shutdown", "null")
}
