package capture

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sockscope/internal/lsptest"
	"sockscope/protocol"
)

// goplsBehind serves gopls on a workspace of its own (ws) behind a relay
// configured with cfg, and returns its engine and an LSP client connected
// through it, closed when the test ends.
func goplsBehind(t *testing.T, cfg Config) (e *Engine, lsp *lsptest.Client, ws string) {
	t.Helper()
	dir := shortTemp(t)
	ws = lsptest.Workspace(t, dir)
	svc, front := filepath.Join(dir, "gopls.sock"), filepath.Join(dir, "front.sock")
	lsptest.Serve(t, ws, svc)
	e = relayTo(t, cfg, front, svc)
	lsp = lsptest.NewClient(lsptest.Dial(t, front))
	t.Cleanup(func() { lsp.Close() })
	return e, lsp, ws
}

// A hover resent on gopls' live connection: sockscope's copy pairs as an
// injected exchange, and the editor's LSP client sees no frame it did not
// ask for.
func TestResendHoverToGopls(t *testing.T) {
	e, lsp, ws := goplsBehind(t, Config{})
	uri := lsp.Open(t, ws, `{}`)
	hover := fmt.Sprintf(`{"textDocument":{"uri":%q},"position":{"line":7,"character":15}}`, uri)
	if r := lsp.Call(t, 2, "textDocument/hover", hover); !strings.Contains(string(r), "Greet says hello") {
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
	// The connection goes on as before for the editor: a reply it never
	// asked for would have come before this one.
	if r := lsp.Call(t, 3, "textDocument/hover", hover); !strings.Contains(string(r), "Greet says hello") {
		t.Fatalf("hover after the resend: %s", r)
	}
	lsp.Call(t, 4, "shutdown", "null")
	lsp.Mu.Lock()
	defer lsp.Mu.Unlock()
	if len(lsp.Unpair) > 0 {
		t.Errorf("the editor got replies it never asked for: %q", lsp.Unpair)
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

// N on a connection of `gopls -remote`, whose first request is
// gopls/handshake, replays its initialize (then initialized) on the new
// connection: without it gopls answers "no views".
func TestSendNewReplaysInitializeAfterGoplsHandshake(t *testing.T) {
	e, lsp, ws := goplsBehind(t, Config{})
	lsp.Call(t, 0, "gopls/handshake", `{"serverID":"","logfile":"","debugAddr":"","goplsPath":""}`)
	uri := lsp.Open(t, ws, `{}`)
	var conn uint64
	waitUntil(t, "the initialize in the store", func() bool {
		for _, c := range e.Store.Conns() {
			for _, r := range rows(e.Store, c.ID) {
				if r.Method == "initialize" && r.Status == protocol.StatusOK {
					conn = c.ID
				}
			}
		}
		return conn != 0
	})
	hover := fmt.Sprintf(`{"jsonrpc":"2.0","id":2,"method":"textDocument/hover","params":{"textDocument":{"uri":%q},"position":{"line":7,"character":15}}}`, uri)
	s, err := e.SendNew(context.Background(), conn, []byte(hover))
	if err != nil {
		t.Fatal(err)
	}
	var reply string
	waitUntil(t, "the hover on the new connection answered", func() bool {
		for _, r := range rows(e.Store, s.Conn) {
			if r.Method == "textDocument/hover" && r.Status != protocol.StatusPending {
				m, _ := e.Store.Message(r.Resp)
				reply = string(m.Frame.Data)
				return true
			}
		}
		return false
	})
	if !strings.Contains(reply, "Greet says hello") {
		t.Errorf("the hover on sockscope's connection: %s", reply)
	}
}
