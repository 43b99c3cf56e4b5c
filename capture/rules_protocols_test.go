package capture

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sockscope/protocol"
)

// httpUpstream serves HTTP on the Unix socket svc until the test ends:
// each path's body is "body of PATH", with its Content-Length (also for
// HEAD).
func httpUpstream(t *testing.T, svc string) {
	t.Helper()
	ln, err := net.Listen("unix", svc)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "body of "+r.URL.Path)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

// Rules and the intercept filter see HTTP as HTTP: a rule matches a
// request by its method and target, as the display filter does; the
// framers of a connection's two directions share what HEAD says of its
// response's body, so keep-alive after a HEAD flows on; and an action that
// makes JSON is not applied to an HTTP frame (noted), rather than write
// JSON into it.
func TestRulesOnHTTP(t *testing.T) {
	dir := shortTemp(t)
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
	httpUpstream(t, svc)
	var rules []Rule
	for i, spec := range []string{`method:"GET /closed" close`, `method:"GET /json" error:-1:no`} {
		r, err := ParseRule("r"+string(rune('1'+i)), spec)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, r)
	}
	e := relayTo(t, Config{Intercept: Intercept{Rules: rules}}, front, svc)

	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second)) // a stall fails, not hangs
	br := bufio.NewReader(c)
	do := func(method, path string) (*http.Response, error) {
		req, _ := http.NewRequest(method, "http://x"+path, nil)
		if err := req.Write(c); err != nil {
			return nil, err
		}
		resp, err := http.ReadResponse(br, req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}
	for _, step := range []struct{ method, path, want string }{
		{"GET", "/a", "200"}, {"HEAD", "/b", "200"}, {"GET", "/json", "200"}, {"GET", "/c", "200"}, {"GET", "/closed", "closed"},
	} {
		resp, err := do(step.method, step.path)
		got := "closed"
		if err == nil {
			got = resp.Status[:3]
		}
		if got != step.want {
			t.Fatalf("%s %s: %s (%v), want %s", step.method, step.path, got, err, step.want)
		}
	}
	waitUntil(t, "the rules' notes in the store", func() bool {
		var closed, kept bool
		first, next := e.Store.MessageBounds()
		for seq := first; seq < next; seq++ {
			m, ok := e.Store.Message(seq)
			if !ok || m.Note == nil {
				continue
			}
			switch {
			case m.Note.Rule == "r1" && m.Note.Act == protocol.ActClosed:
				closed = true
			case m.Note.Rule == "r2" && strings.Contains(m.Note.Diff, "not JSON: forwarded as it was"):
				kept = true
			}
		}
		return closed && kept
	})
}

// A held frame that is not JSON (HTTP here, msgpack-RPC as well) is not
// edited or answered with JSON: each says why, and the frame stays held
// until forwarded, unchanged.
func TestHeldHTTPIsNotWrittenAsJSON(t *testing.T) {
	dir := shortTemp(t)
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
	httpUpstream(t, svc)
	e := relayTo(t, Config{Intercept: Intercept{Filter: `method:"GET /x"`, On: true}}, front, svc)
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	got := make(chan string, 1)
	go func() {
		req, _ := http.NewRequest("GET", "http://x/x", nil)
		req.Write(c)
		resp, err := http.ReadResponse(bufio.NewReader(c), req)
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	h := heldNow(t, e, 1)[0]
	if h.Framing != protocol.FramingHTTP {
		t.Errorf("held framing %v", h.Framing)
	}
	for what, err := range map[string]error{
		"edit":     e.Edit(h.ID, []byte(`{"a":1}`)),
		"answer":   e.Fabricate(h.ID, []byte(`{"result":1}`)),
		"template": func() error { _, err := e.ReplyTemplate(h.ID, false); return err }(),
	} {
		if err == nil || !strings.Contains(err.Error(), "http, not JSON") {
			t.Errorf("%s: %v, want a refusal", what, err)
		}
	}
	heldNow(t, e, 1) // still held
	if err := e.Forward(h.ID); err != nil {
		t.Fatal(err)
	}
	if b := <-got; b != "body of /x" {
		t.Errorf("the client got %q", b)
	}
}

// A DAP response carries its request's command: a rule's method: still
// matches the request alone, as with JSON-RPC, whose responses have no
// method. after:2 fails the third stackTrace, not the second (its
// request, reply and request matched before).
func TestRuleMethodIsTheRequests(t *testing.T) {
	dir := shortTemp(t)
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
	dapServer(t, svc) // each response names its request's command
	frame := func(body string) string { return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body) }
	rule, err := ParseRule("r1", "method:stackTrace error:-5:third after:2 once")
	if err != nil {
		t.Fatal(err)
	}
	relayTo(t, Config{Framing: protocol.FramingContentLength, Intercept: Intercept{Rules: []Rule{rule}}}, front, svc)
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	var got []string
	for seq := 1; seq <= 3; seq++ {
		io.WriteString(c, frame(fmt.Sprintf(`{"seq":%d,"type":"request","command":"stackTrace","arguments":{"threadId":1}}`, seq)))
		var n int
		if _, err := fmt.Fscanf(r, "Content-Length: %d\r\n\r\n", &n); err != nil {
			t.Fatal(err)
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			t.Fatal(err)
		}
		var resp struct{ Success bool }
		json.Unmarshal(body, &resp)
		got = append(got, fmt.Sprint(resp.Success))
	}
	if strings.Join(got, " ") != "true true false" {
		t.Errorf("successes %v, want the third request failed by the rule", got)
	}
}
