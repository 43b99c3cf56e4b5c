package capture

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sockscope/internal/nodetest"
	"sockscope/protocol"
	"sockscope/store"
)

// interceptCapture starts the seed Node server and an Engine with ic
// relaying to it; it returns the Engine and the address clients connect to.
func interceptCapture(t *testing.T, ic Intercept) (*Engine, string) {
	dir := shortTemp(t)
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
	nodetest.Start(t, "seed-server.js", svc).Expect(t, "listening")
	e := relayTo(t, Config{Intercept: ic}, front, svc)
	return e, front
}

// probeClient starts probe-client.js on front, registered.
func probeClient(t *testing.T, front string) *nodetest.Proc {
	p := nodetest.Start(t, "probe-client.js", front)
	p.Expect(t, "registered")
	return p
}

// call sends a call and waits for "sent N".
func call(t *testing.T, p *nodetest.Proc, method, args string, rid int) {
	t.Helper()
	p.Say("call " + method + " " + args)
	p.Expect(t, "sent "+strconv.Itoa(rid))
}

// reply reads the client's next line, which must be the reply to rid, and
// returns the message and the milliseconds it took.
func reply(t *testing.T, p *nodetest.Proc, rid int) (map[string]any, int) {
	t.Helper()
	line := p.Line(t)
	f := strings.SplitN(line, " ", 4)
	if len(f) != 4 || f[0] != "reply" || f[1] != strconv.Itoa(rid) {
		t.Fatalf("client said %q, want the reply to rid %d", line, rid)
	}
	ms, _ := strconv.Atoi(f[2])
	var m map[string]any
	if err := json.Unmarshal([]byte(f[3]), &m); err != nil {
		t.Fatal(err)
	}
	return m, ms
}

// heldNow waits until exactly n frames are held and returns them.
func heldNow(t *testing.T, e *Engine, n int) []Held {
	t.Helper()
	var hs []Held
	waitUntil(t, strconv.Itoa(n)+" held frames", func() bool { hs = e.Held(); return len(hs) == n })
	return hs
}

// rowOf returns the stored row of method on conn with id rid.
func rowOf(e *Engine, method string, rid int) (store.Row, bool) {
	var found store.Row
	ok := false
	e.Store.Rows(0, func(r store.Row) bool {
		if r.Method == method && r.ID == strconv.Itoa(rid) {
			found, ok = r, true
		}
		return true
	})
	return found, ok
}

// A held request waits with what its connection sends after it, while the
// other direction and other connections flow; forwarded, it goes on as it
// was, and the store says it was held.
func TestInterceptHoldForward(t *testing.T) {
	e, front := interceptCapture(t, Intercept{Filter: "method:echo", On: true})
	a := probeClient(t, front)
	call(t, a, "echo", `["a"]`, 1)
	h := heldNow(t, e, 1)[0]
	if h.Dir != protocol.C2S || string(h.Info.Method) != "echo" || string(h.Info.ID) != "1" {
		t.Fatalf("held %+v, want the echo request", h)
	}
	call(t, a, "add", `[1,2]`, 2) // behind the held echo

	b := probeClient(t, front) // another connection flows
	call(t, b, "add", `[2,3]`, 1)
	if m, _ := reply(t, b, 1); m["data"] != 5.0 {
		t.Fatalf("the other connection's add answered %v", m)
	}
	// The other direction of the held connection flows too.
	if _, err := e.Send(context.Background(), h.Conn, protocol.S2C, []byte(`{"rid":77,"success":true,"data":"pushed"}`)); err != nil {
		t.Fatal(err)
	}
	if line := a.Line(t); !strings.HasPrefix(line, "reply 77 ") {
		t.Fatalf("client said %q while its echo was held, want the pushed reply", line)
	}
	if _, ok := rowOf(e, "add", 2); ok {
		t.Fatal("the add behind the held echo was forwarded before it")
	}
	if err := e.Forward(h.ID); err != nil {
		t.Fatal(err)
	}
	if m, _ := reply(t, a, 1); m["data"] != "a" {
		t.Fatalf("echo answered %v", m)
	}
	if m, _ := reply(t, a, 2); m["data"] != 3.0 {
		t.Fatalf("add answered %v", m)
	}
	waitUntil(t, "the echo row held", func() bool {
		r, ok := rowOf(e, "echo", 1)
		return ok && r.Act == protocol.ActHeld && r.Status == protocol.StatusOK
	})
	r, _ := rowOf(e, "echo", 1)
	m, _ := e.Store.Message(r.Req)
	if m.Note == nil || m.Note.Held <= 0 {
		t.Fatalf("the held request's note: %+v", m.Note)
	}
}

// Edit (invalid JSON refused, the frame still held), drop and fabricate,
// each checked from the client's side.
func TestInterceptEditDropFabricate(t *testing.T) {
	e, front := interceptCapture(t, Intercept{Filter: "method:echo", On: true})
	a := probeClient(t, front)

	call(t, a, "echo", `["a"]`, 1)
	h := heldNow(t, e, 1)[0]
	if err := e.Edit(h.ID, []byte(`{"rid":1,`)); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("an invalid edit: %v, want the parser's complaint with its place", err)
	}
	heldNow(t, e, 1)
	if err := e.Edit(h.ID, []byte("{\"rid\": 1, \"method\": \"echo\",\n \"args\": [\"edited\"]}")); err != nil {
		t.Fatal(err)
	}
	if m, _ := reply(t, a, 1); m["data"] != "edited" {
		t.Fatalf("the edited echo answered %v", m)
	}

	call(t, a, "echo", `["b"]`, 2)
	if err := e.Drop(heldNow(t, e, 1)[0].ID); err != nil {
		t.Fatal(err)
	}
	call(t, a, "add", `[1,1]`, 3)
	if m, _ := reply(t, a, 3); m["data"] != 2.0 { // and never a reply to 2
		t.Fatalf("add answered %v", m)
	}

	call(t, a, "echo", `["c"]`, 4)
	h = heldNow(t, e, 1)[0]
	tmpl, err := e.ReplyTemplate(h.ID, false)
	if err != nil || !strings.Contains(string(tmpl), `"rid":4`) || !strings.Contains(string(tmpl), `"success":true`) {
		t.Fatalf("reply template %s, %v", tmpl, err)
	}
	if err := e.Fabricate(h.ID, []byte(`{"rid":999,"success":true,"data":"made up"}`)); err != nil {
		t.Fatal(err)
	}
	if m, _ := reply(t, a, 4); m["data"] != "made up" {
		t.Fatalf("the fabricated reply: %v", m)
	}
	call(t, a, "add", `[2,2]`, 5)
	if m, _ := reply(t, a, 5); m["data"] != 4.0 { // the server never answered 4: it never saw it
		t.Fatalf("add answered %v", m)
	}
	a.Say("quit")
	waitUntil(t, "the rows' acts", func() bool {
		r1, _ := rowOf(e, "echo", 1)
		r2, _ := rowOf(e, "echo", 2)
		r4, _ := rowOf(e, "echo", 4)
		return r1.Act == protocol.ActEdited && r2.Act == protocol.ActDropped && r2.Status == protocol.StatusNoReply &&
			r4.Act == protocol.ActFabricated && r4.Status == protocol.StatusOK
	})
	r1, _ := rowOf(e, "echo", 1)
	m, _ := e.Store.Message(r1.Req)
	if m.Note == nil || !strings.Contains(m.Note.Diff, `+{"rid":1,"method":"echo","args":["edited"]}`) ||
		!strings.Contains(string(m.Note.Was), `"args":["a"]`) {
		t.Fatalf("the edit's note: %+v, want the diff and the request as the client sent it", m.Note)
	}
}

// A hold ends by itself: forwarded as it was at --hold-timeout, dropped
// when a peer closes the connection.
func TestInterceptHoldEnds(t *testing.T) {
	e, front := interceptCapture(t, Intercept{Filter: "method:echo", On: true, HoldTimeout: 300 * time.Millisecond})
	a := probeClient(t, front)
	call(t, a, "echo", `["late"]`, 1)
	m, ms := reply(t, a, 1)
	if m["data"] != "late" || ms < 300 {
		t.Fatalf("echo answered %v after %d ms, want it as it was after the 300 ms timeout", m, ms)
	}
	waitUntil(t, "the timeout in the store", func() bool { r, _ := rowOf(e, "echo", 1); return r.Act == protocol.ActTimeout })
	if n := e.Notices(); len(n) != 1 || !strings.Contains(n[0], "hold-timeout") {
		t.Fatalf("notices %q", n)
	}

	e2, front2 := interceptCapture(t, Intercept{Filter: "method:echo", On: true})
	b := probeClient(t, front2)
	call(t, b, "echo", `["gone"]`, 1)
	heldNow(t, e2, 1)
	b.Say("quit") // the client closes while its request is held
	heldNow(t, e2, 0)
	waitUntil(t, "the dropped request", func() bool { r, _ := rowOf(e2, "echo", 1); return r.Act == protocol.ActDropped })
	if n := e2.Notices(); len(n) != 1 || !strings.Contains(n[0], "closed") {
		t.Fatalf("notices %q", n)
	}
}
