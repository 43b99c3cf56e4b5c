package capture

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

	"sockscope/client"
	"sockscope/internal/goplstest"
	"sockscope/protocol"
	"sockscope/proxy"
)

// dialWhenUp connects to the Unix socket at path once it listens.
func dialWhenUp(t *testing.T, path string) net.Conn {
	t.Helper()
	var c net.Conn
	waitUntil(t, path+" listening", func() bool {
		var err error
		c, err = net.Dial("unix", path)
		return err == nil
	})
	return c
}

const lspSource = "package main\n\nimport \"fmt\"\n\n// Greet says hello.\nfunc Greet() { fmt.Println(\"hello\") }\n\nfunc main() { Greet() }\n"

// lspClient is an LSP client over c that answers the server's requests as
// an editor would, and counts the replies it never asked for.
type lspClient struct {
	*client.Conn
	mu         sync.Mutex
	unexpected []string
}

func newLSPClient(nc net.Conn) *lspClient {
	l := &lspClient{}
	l.Conn = client.New(nc, client.Options{Framing: protocol.FramingContentLength, Other: func(p []byte) {
		var m struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Params struct {
				Items []json.RawMessage `json:"items"`
			} `json:"params"`
		}
		json.Unmarshal(p, &m)
		switch {
		case m.ID != nil && m.Method == "workspace/configuration":
			items := make([]any, len(m.Params.Items))
			b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": m.ID, "result": items})
			l.Send(b)
		case m.ID != nil && m.Method != "":
			l.Send([]byte(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":null}`, m.ID)))
		case m.ID != nil:
			l.mu.Lock()
			l.unexpected = append(l.unexpected, string(p))
			l.mu.Unlock()
		}
	}})
	return l
}

func (l *lspClient) call(t *testing.T, id int, method, params string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), liveness)
	defer cancel()
	r, err := l.Call(ctx, []byte(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q,"params":%s}`, id, method, params)))
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return r
}

// A hover resent on gopls' live connection: sockscope's copy pairs as an
// injected exchange, and the editor's LSP client sees no frame it did not
// ask for.
func TestResendHoverToGopls(t *testing.T) {
	gopls := goplstest.Path(t)
	dir := shortTemp(t)
	ws := filepath.Join(dir, "ws")
	os.MkdirAll(ws, 0o755)
	os.WriteFile(filepath.Join(ws, "go.mod"), []byte("module example.com/ws\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(ws, "main.go"), []byte(lspSource), 0o644)
	svc, front := filepath.Join(dir, "gopls.sock"), filepath.Join(dir, "front.sock")
	cmd := exec.Command(gopls, "serve", "-listen", "unix;"+svc)
	cmd.Dir = ws
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	dialWhenUp(t, svc).Close()

	ln, err := net.Listen("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.Start(ctx, NewRelay(ln, proxy.Addr{Network: "unix", Address: svc}))
	t.Cleanup(func() { cancel(); e.Stop() })

	lsp := newLSPClient(dialWhenUp(t, front))
	defer lsp.Close()
	uri := "file://" + filepath.Join(ws, "main.go")
	lsp.call(t, 1, "initialize", fmt.Sprintf(`{"processId":%d,"rootUri":"file://%s","capabilities":{}}`, os.Getpid(), ws))
	lsp.Send([]byte(`{"jsonrpc":"2.0","method":"initialized","params":{}}`))
	src, _ := json.Marshal(lspSource)
	lsp.Send([]byte(fmt.Sprintf(`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":%q,"languageId":"go","version":1,"text":%s}}}`, uri, src)))
	hover := fmt.Sprintf(`{"textDocument":{"uri":%q},"position":{"line":7,"character":15}}`, uri)
	if r := lsp.call(t, 2, "textDocument/hover", hover); !strings.Contains(string(r), "Greet says hello") {
		t.Fatalf("hover: %s", r)
	}

	var conn, req uint64
	waitUntil(t, "the hover in the store", func() bool {
		for _, c := range e.Store.Conns() {
			for _, r := range rows(e.Store, c.ID) {
				if r.Method == "textDocument/hover" && r.Status == protocol.StatusOK {
					conn, req = c.ID, r.Req
				}
			}
		}
		return req != 0
	})
	m, _ := e.Store.Message(req)
	s, err := e.Send(context.Background(), conn, protocol.C2S, m.Frame.Data)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the resent hover answered", func() bool {
		for _, r := range rows(e.Store, conn) {
			if r.Injected && r.Method == "textDocument/hover" && r.Status == protocol.StatusOK && r.ID == s.WireID {
				resp, _ := e.Store.Message(r.Resp)
				return resp.Withheld && strings.Contains(string(resp.Frame.Data), "Greet says hello")
			}
		}
		return false
	})
	// The connection goes on as before for the editor.
	if r := lsp.call(t, 3, "textDocument/hover", hover); !strings.Contains(string(r), "Greet says hello") {
		t.Fatalf("hover after the resend: %s", r)
	}
	lsp.call(t, 4, "shutdown", "null")
	lsp.mu.Lock()
	defer lsp.mu.Unlock()
	if len(lsp.unexpected) > 0 {
		t.Errorf("the editor got replies it never asked for: %q", lsp.unexpected)
	}
}

// shortTemp returns a temp dir with a path short enough for Unix sockets.
func shortTemp(t *testing.T) string {
	d, err := os.MkdirTemp("", "sc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}
