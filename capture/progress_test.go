package capture

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"sockscope/protocol"
)

func TestWithoutProgress(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"t","arguments":{"duration":2},"_meta":{"progressToken":4}}}`,
			`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"t","arguments":{"duration":2}}}`},
		{`{"jsonrpc":"2.0","id":3,"method":"m","params":{"_meta":{"a":1,"progressToken":"p"},"x":1}}`,
			`{"jsonrpc":"2.0","id":3,"method":"m","params":{"_meta":{"a":1},"x":1}}`},
		{`{"jsonrpc":"2.0","id":5,"method":"textDocument/references","params":{"workDoneToken":"w","textDocument":{"uri":"file:///a"},"partialResultToken":7}}`,
			`{"jsonrpc":"2.0","id":5,"method":"textDocument/references","params":{"textDocument":{"uri":"file:///a"}}}`},
		{`{"jsonrpc":"2.0","id":5,"method":"m","params":{"token":"t","_meta":{}}}`, ``}, // $/progress's token is not a request's
		{`{"jsonrpc":"2.0","id":5,"method":"m","params":["workDoneToken"]}`, ``},
		{`{"workDoneToken":1,"id":5,"method":"m"}`, ``},
		{`{"rid":1,"method":"add","args":[1,2]}`, ``},
	} {
		want := c.want
		if want == "" {
			want = c.in
		}
		if got, changed := withoutProgress([]byte(c.in)); string(got) != want || changed != (c.want != "") {
			t.Errorf("withoutProgress(%s)\n = %s, changed %v\nwant %s", c.in, got, changed, want)
		}
	}
}

// progressServer serves JSON-RPC lines on a Unix socket at path: for each
// request it sends a progress notification for every token the request
// carries (MCP's notifications/progress for params._meta.progressToken,
// LSP's $/progress for params.workDoneToken and params.partialResultToken),
// then its reply. Each request it read goes to got.
func progressServer(t *testing.T, path string, got chan<- string) {
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		s, err := ln.Accept()
		if err != nil {
			return
		}
		defer s.Close()
		r := bufio.NewReader(s)
		for {
			line, err := r.ReadBytes('\n')
			if err != nil {
				return
			}
			got <- strings.TrimSpace(string(line))
			var req struct {
				ID     json.RawMessage
				Params struct {
					Meta               struct{ ProgressToken json.RawMessage } `json:"_meta"`
					WorkDoneToken      json.RawMessage
					PartialResultToken json.RawMessage
				}
			}
			if json.Unmarshal(line, &req) != nil || req.ID == nil {
				continue
			}
			var out strings.Builder
			if p := req.Params.Meta.ProgressToken; p != nil {
				fmt.Fprintf(&out, `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":%s,"progress":1,"total":2}}`+"\n", p)
			}
			for _, tok := range []json.RawMessage{req.Params.WorkDoneToken, req.Params.PartialResultToken} {
				if tok != nil {
					fmt.Fprintf(&out, `{"jsonrpc":"2.0","method":"$/progress","params":{"token":%s,"value":{"kind":"report"}}}`+"\n", tok)
				}
			}
			fmt.Fprintf(&out, `{"jsonrpc":"2.0","id":%s,"result":{}}`+"\n", req.ID)
			s.Write([]byte(out.String()))
		}
	}()
}

// A request resent with the client's progress tokens goes to the server
// without them: the server sends no progress for it, and the client gets
// none it never asked for. The store shows the request as the server got
// it.
func TestSendLeavesOutProgressTokens(t *testing.T) {
	dir := shortTemp(t)
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
	got := make(chan string, 16)
	progressServer(t, svc, got)
	e := relayTo(t, Config{}, front, svc)
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	// call sends req and returns what the client read up to the reply
	// with id.
	call := func(req string, id string) []string {
		t.Helper()
		if _, err := c.Write([]byte(req + "\n")); err != nil {
			t.Fatal(err)
		}
		<-got
		var read []string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("the client read %q, then: %v", read, err)
			}
			read = append(read, strings.TrimSpace(line))
			if strings.Contains(line, `"id":`+id+`,`) {
				return read
			}
		}
	}
	mcp := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"trigger-long-running-operation","arguments":{"duration":2,"steps":2},"_meta":{"progressToken":4}}}`
	if read := call(mcp, "1"); len(read) != 2 {
		t.Fatalf("the client's own call: read %q, want its progress and its reply", read)
	}
	conn := answeredConn(t, e, "tools/call")
	lsp := `{"jsonrpc":"2.0","id":1,"method":"textDocument/references","params":{"workDoneToken":"w","partialResultToken":"p","position":{"line":1}}}`
	for _, req := range []string{mcp, lsp} {
		s, err := e.Send(context.Background(), conn, protocol.C2S, []byte(req))
		if err != nil {
			t.Fatal(err)
		}
		if m := <-got; strings.Contains(m, "Token") {
			t.Errorf("the server got %s, with a progress token", m)
		}
		waitUntil(t, "the injected request answered", func() bool {
			for _, r := range rows(e.Store, conn) {
				if r.Injected && r.ID == s.WireID && r.Status == protocol.StatusOK {
					if m, _ := e.Store.Message(r.Req); strings.Contains(string(m.Frame.Data), "Token") {
						t.Errorf("stored as sent: %s, with a progress token", m.Frame.Data)
					}
					return true
				}
			}
			return false
		})
	}
	// Whatever the server sent for sockscope's requests came before the
	// reply to this one.
	if read := call(`{"jsonrpc":"2.0","id":2,"method":"ping"}`, "2"); len(read) != 1 {
		t.Errorf("the client read %q, want the reply to its ping alone", read)
	}
}
