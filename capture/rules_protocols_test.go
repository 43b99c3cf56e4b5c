package capture

import (
	"bufio"
	"context"
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

// A held HTTP request is edited as its JSON view, written back as HTTP
// (a view that is no request is refused, and the frame stays held); it is
// not answered with JSON, which no HTTP client reads.
func TestHeldHTTPEditedAsItsView(t *testing.T) {
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
	for what, tc := range map[string]struct {
		err  error
		want string
	}{
		"edit":     {e.Edit(h.ID, []byte(`{"a":1}`)), `not http: unknown member "a"`},
		"answer":   {e.Fabricate(h.ID, []byte(`{"result":1}`)), "http, not JSON"},
		"template": {func() error { _, err := e.ReplyTemplate(h.ID, false); return err }(), "http, not JSON"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: %v, want a refusal saying %q", what, tc.err, tc.want)
		}
	}
	heldNow(t, e, 1) // still held
	if err := e.Edit(h.ID, []byte(`{"start":"GET /edited HTTP/1.1","headers":{"Host":"x"}}`)); err != nil {
		t.Fatal(err)
	}
	if b := <-got; b != "body of /edited" {
		t.Errorf("the client got %q, want the edited request's answer", b)
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

// Under rules and an intercept filter that cannot match it, HTTP flows as
// it does without them: the first event of a Server-Sent Events stream
// reaches the client while the stream goes on, and a request that waits
// for 100 Continue before it sends its body gets it. A stream whose head
// a rule may match (a text rule needs the whole message) flows too once
// it has waited for its end, and a notice says it was not judged.
func TestStreamingHTTPUnderRules(t *testing.T) {
	dir := shortTemp(t)
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
	ln, err := net.Listen("unix", svc)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/upload" {
			b, _ := io.ReadAll(r.Body)
			io.WriteString(w, "got "+string(b))
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: first\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done() // the stream goes on until the client leaves
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	rule, err := ParseRule("r1", `method:"GET /json" error:-1:no`)
	if err != nil {
		t.Fatal(err)
	}
	e := relayTo(t, Config{Intercept: Intercept{Rules: []Rule{rule}, Filter: `method:"PUT /held"`, On: true}}, front, svc)

	firstEvent := func() {
		t.Helper()
		c, err := net.Dial("unix", front)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(liveness))
		io.WriteString(c, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("the stream's head: %v", err)
		}
		line, err := bufio.NewReader(resp.Body).ReadString('\n')
		if err != nil || line != "data: first\n" {
			t.Fatalf("the first event: %q, %v", line, err)
		}
	}
	firstEvent()

	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(liveness))
	io.WriteString(c, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
	br := bufio.NewReader(c)
	if line, err := br.ReadString('\n'); err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("waiting for 100 Continue: %q, %v", line, err)
	}
	br.ReadString('\n') // the interim response's empty line
	io.WriteString(c, "hello")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(resp.Body); string(b) != "got hello" {
		t.Fatalf("the upload's answer: %q", b)
	}
	if n := e.Notices(); len(n) != 0 {
		t.Fatalf("frames were not passed on their heads: %q", n)
	}

	if _, err := e.AddRule(context.Background(), `"never sent" drop`); err != nil {
		t.Fatal(err)
	}
	firstEvent()
	if n := e.Notices(); len(n) == 0 || !strings.Contains(n[len(n)-1], "a frame went on unseen by rules and intercept: its end did not come within 500ms") {
		t.Fatalf("notices: %q", n)
	}
}
