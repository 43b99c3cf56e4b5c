package capture

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sockscope/internal/nodetest"
	"sockscope/protocol"
)

// A JSON-RPC batch sent on a client's connection (R on a batch row): each
// of its requests goes with a wire id of sockscope's own, the server's
// reply array (in reverse order, testdata/node/lib/jsonrpc-echo.js) pairs
// with it as an injected exchange and is withheld from the client, whose
// own batch with the same ids, sent meanwhile, pairs and reaches it.
func TestSendBatch(t *testing.T) {
	dir := shortTemp(t)
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
	nodetest.Start(t, "jsonrpc-echo.js", svc).Expect(t, "listening")
	e := relayTo(t, Config{}, front, svc)
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(liveness))
	r := bufio.NewReader(c)
	fmt.Fprintln(c, `{"jsonrpc":"2.0","id":1,"method":"echo","params":["hello"]}`)
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	conn := answeredConn(t, e, "echo")

	batch := `[{"jsonrpc":"2.0","id":1,"method":"echo","params":[1]},{"jsonrpc":"2.0","method":"log"},{"jsonrpc":"2.0","id":2,"method":"fail"}]`
	s, err := e.Send(context.Background(), conn, protocol.C2S, []byte(batch))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.WireID, "[21474836") || strings.Contains(s.WireID, "1,2]") {
		t.Fatalf("Send = %+v: want the batch's ids on the wire, sockscope's own", s)
	}
	fmt.Fprintln(c, batch)
	reply, err := r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if got := protocol.Classify([]byte(strings.TrimSpace(reply)), nil); string(got.ID) != "[1,2]" {
		t.Fatalf("the client got %q, want the reply to its own batch (sockscope's withheld)", reply)
	}
	waitUntil(t, "both batches answered", func() bool {
		var ours, theirs bool
		for _, row := range rows(e.Store, conn) {
			if row.Method != "batch(echo,log,fail)" || row.Status != protocol.StatusError {
				continue
			}
			ours = ours || row.Injected && row.ID == s.WireID
			theirs = theirs || !row.Injected && row.ID == "[1,2]"
		}
		return ours && theirs
	})
	// Nothing else came to the client: its next call's reply is next.
	fmt.Fprintln(c, `{"jsonrpc":"2.0","id":3,"method":"echo","params":["again"]}`)
	if reply, err := r.ReadString('\n'); err != nil || !strings.Contains(reply, `"again"`) {
		t.Fatalf("after the batches the client read %q, %v", reply, err)
	}
	tbl := e.sources[0].(*Relay).table(conn, nil)
	tbl.mu.Lock()
	left := len(tbl.own[protocol.C2S])
	tbl.mu.Unlock()
	if left != 0 {
		t.Errorf("%d ids of sockscope's still claimed after the batch's reply, want none", left)
	}
}

// A rule that answers a batch in the server's place answers it as a
// JSON-RPC server would: one array of replies to its requests, with their
// ids (none for its notification); and an answer made up for a held batch
// (ReplyTemplate, then Fabricate) keeps the ids its replies carry.
func TestRulesAnswerBatches(t *testing.T) {
	dir := shortTemp(t)
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
	nodetest.Start(t, "jsonrpc-echo.js", svc).Expect(t, "listening")
	var rules []Rule
	for i, r := range []string{`method:batch(fail, error:-32001:made-up`, `method:batch(echo reply:{"made":"up"}`} {
		rule, err := ParseRule(fmt.Sprintf("r%d", i+1), r)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, rule)
	}
	e := relayTo(t, Config{Intercept: Intercept{Rules: rules}}, front, svc)
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(liveness))
	r := bufio.NewReader(c)
	call := func(line string) string {
		t.Helper()
		fmt.Fprintln(c, line)
		reply, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(reply)
	}
	if got, want := call(`[{"jsonrpc":"2.0","id":7,"method":"fail"},{"jsonrpc":"2.0","method":"log"},{"jsonrpc":"2.0","id":"x","method":"fail"}]`),
		`[{"jsonrpc":"2.0","id":7,"error":{"code":-32001,"message":"made-up"}},{"jsonrpc":"2.0","id":"x","error":{"code":-32001,"message":"made-up"}}]`; got != want {
		t.Errorf("error: rule on a batch: %s\nwant %s", got, want)
	}
	if got, want := call(`[{"jsonrpc":"2.0","id":1,"method":"echo","params":[1]},{"jsonrpc":"2.0","id":2,"method":"echo","params":[2]}]`),
		`[{"jsonrpc":"2.0","id":1,"result":{"made":"up"}},{"jsonrpc":"2.0","id":2,"result":{"made":"up"}}]`; got != want {
		t.Errorf("reply: rule on a batch: %s\nwant %s", got, want)
	}
	conn := answeredConn(t, e, "batch(echo×2)")

	// Held, answered by hand from the template.
	if err := e.SetIntercept(context.Background(), "method:batch(ping", true); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(c, `[{"jsonrpc":"2.0","id":5,"method":"ping2"},{"jsonrpc":"2.0","id":6,"method":"ping2"}]`)
	var held uint64
	waitUntil(t, "the batch held", func() bool {
		for _, h := range e.Held() {
			if h.Conn == conn {
				held = h.ID
			}
		}
		return held != 0
	})
	tmpl, err := e.ReplyTemplate(held, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := `[{"jsonrpc":"2.0","id":5,"result":null},{"jsonrpc":"2.0","id":6,"result":null}]`; string(tmpl) != want {
		t.Errorf("template %s, want %s", tmpl, want)
	}
	if err := e.Fabricate(held, tmpl); err != nil {
		t.Fatal(err)
	}
	if reply, err := r.ReadString('\n'); err != nil || strings.TrimSpace(reply) != string(tmpl) {
		t.Errorf("the client got %q, %v; want the template as it was", reply, err)
	}
}
