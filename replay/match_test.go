package replay

import (
	"strings"
	"testing"

	"sockscope/protocol"
)

// strict leaves out what --ignore says and LSP's processId, as
// method-params does; in the recorded order a miss takes its place, so one
// request unlike the recording makes one miss; and a miss says what the
// recording has at its place and how the request differs from it.
func TestMatcherInOrder(t *testing.T) {
	reqs := []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":11,"rootUri":"file:///a","time":1}}`,
		`{"jsonrpc":"2.0","id":2,"method":"textDocument/hover","params":{"line":7}}`,
		`{"jsonrpc":"2.0","id":3,"method":"textDocument/hover","params":{"line":8}}`,
		`{"jsonrpc":"2.0","id":4,"method":"shutdown"}`,
	}
	var exs []*Exchange
	for _, r := range reqs {
		exs = append(exs, &Exchange{Req: msgOf(r)})
	}
	ig, _ := ParseIgnore([]string{"time"})
	strict := NewMatcher(exs, MatchStrict, ig, protocol.DefaultIDFields)
	seq := NewMatcher(exs, MatchSequential, ig, protocol.DefaultIDFields)
	type step struct {
		req string
		ok  bool
		why string // in the miss's Why
	}
	for _, c := range []struct {
		m     *Matcher
		steps []step
	}{
		{strict, []step{
			{`{"jsonrpc":"2.0","id":10,"method":"initialize","params":{"processId":99,"rootUri":"file:///a","time":2}}`, true, ""},
			{`{"jsonrpc":"2.0","id":11,"method":"textDocument/hover","params":{"line":9}}`, false,
				`request 2 of the recorded connection is textDocument/hover {"params":{"line":7}}: the params differ at $.params.line: 7 → 9`},
			{`{"jsonrpc":"2.0","id":12,"method":"textDocument/hover","params":{"line":8}}`, true, ""},
			{`{"jsonrpc":"2.0","id":13,"method":"exit"}`, false,
				`request 4 of the recorded connection is shutdown {}: the method differs`},
			{`{"jsonrpc":"2.0","id":14,"method":"shutdown"}`, false,
				`the recorded connection has 4 requests, and this is request 5`},
		}},
		{seq, []step{
			{`{"jsonrpc":"2.0","id":10,"method":"initialize","params":{}}`, true, ""},
			{`{"jsonrpc":"2.0","id":11,"method":"shutdown"}`, false,
				`request 2 of the recorded connection is textDocument/hover {"params":{"line":7}}: the method differs`},
			{`{"jsonrpc":"2.0","id":12,"method":"textDocument/hover","params":{"line":1}}`, true, ""},
		}},
	} {
		var cur Cursor
		for i, s := range c.steps {
			p := msgOf(s.req)
			method := string(p.Info.Method)
			_, ok := c.m.Find(p.Payload, method, &cur)
			if ok != s.ok {
				t.Errorf("%v %d: %s: found %v", c.m.mode, i, s.req, ok)
				continue
			}
			if !ok {
				if why := c.m.Why(p.Payload, method, &cur); why != s.why {
					t.Errorf("%v %d: why\n%s, want\n%s", c.m.mode, i, why, s.why)
				}
			}
		}
	}
	// method-params names the closest recorded request.
	mp := NewMatcher(exs, MatchMethodParams, ig, protocol.DefaultIDFields)
	var cur Cursor
	p := msgOf(`{"jsonrpc":"2.0","id":11,"method":"textDocument/hover","params":{"line":9}}`)
	if _, ok := mp.Find(p.Payload, "textDocument/hover", &cur); ok {
		t.Fatal("method-params: line 9 matched")
	}
	if why := mp.Why(p.Payload, "textDocument/hover", &cur); !strings.HasPrefix(why, "the closest recorded request is textDocument/hover") {
		t.Errorf("method-params: %s", why)
	}
}

// An HTTP request's form holds its body and the headers that change the
// answer (a conditional GET's 304 is no answer to a plain GET), not the
// others (a User-Agent).
func TestHTTPRequestForm(t *testing.T) {
	form := func(headers string) string {
		return string(requestForm(protocol.FramingHTTP, []byte("GET /index.html HTTP/1.1\r\nHost: x\r\n"+headers+"\r\n")))
	}
	plain, cond := form(""), form("If-Modified-Since: Tue, 01 Dec 2026 10:00:00 GMT\r\n")
	if plain == cond {
		t.Errorf("a conditional GET has the plain GET's form %s", plain)
	}
	if other := form("User-Agent: curl/8\r\n"); other != plain {
		t.Errorf("a User-Agent changed the form: %s, %s", other, plain)
	}
	if got := form("Range: bytes=0-9\r\n"); got != `{"range":"bytes=0-9"}` {
		t.Errorf("a range request's form %s", got)
	}
}

// What a miss's message quotes of a request is as it was: no HTML
// escapes (<html> was \u003chtml\u003e).
func TestRequestKeyKeepsHTML(t *testing.T) {
	if k := requestKey([]byte(`{"id":1,"method":"m","params":{"body":"<html>a&b</html>"}}`), []string{"id"}, nil); k != `{"params":{"body":"<html>a&b</html>"}}` {
		t.Errorf("requestKey: %s", k)
	}
}

// A JSON-RPC batch matches a recorded one with the same requests in the
// same order, whatever their ids, and is answered with the recorded reply
// array, each reply given the id of the request it answers (the replies
// in the server's order, the bytes otherwise as recorded); one with other
// params does not match.
func TestMatcherBatch(t *testing.T) {
	x := &Exchange{
		Req:  msgOf(`[{"jsonrpc":"2.0","id":1,"method":"echo","params":[1]},{"jsonrpc":"2.0","method":"log"},{"jsonrpc":"2.0","id":2,"method":"fail"}]`),
		Resp: msgOf(`[ {"jsonrpc":"2.0","id":2,"error":{"code":-32000,"message":"fail"}}, {"jsonrpc":"2.0","id":1,"result":[1]} ]`),
	}
	m := NewMatcher([]*Exchange{x}, MatchMethodParams, Ignore{}, protocol.DefaultIDFields)
	req := msgOf(`[{"jsonrpc":"2.0","id":"a","method":"echo","params":[1]},{"jsonrpc":"2.0","method":"log"},{"jsonrpc":"2.0","id":7,"method":"fail"}]`)
	var cur Cursor
	got, ok := m.Find(req.Payload, string(req.Info.Method), &cur)
	if !ok || got != x {
		t.Fatalf("the batch with other ids: found %v", ok)
	}
	want := `[ {"jsonrpc":"2.0","id":7,"error":{"code":-32000,"message":"fail"}}, {"jsonrpc":"2.0","id":"a","result":[1]} ]`
	if a := answerWith(x, req.Payload, req.Info.ID, protocol.DefaultIDFields); string(a) != want {
		t.Errorf("answer %s\nwant %s", a, want)
	}
	other := msgOf(`[{"jsonrpc":"2.0","id":1,"method":"echo","params":[2]},{"jsonrpc":"2.0","method":"log"},{"jsonrpc":"2.0","id":2,"method":"fail"}]`)
	if _, ok := m.Find(other.Payload, string(other.Info.Method), &cur); ok {
		t.Error("a batch with other params matched")
	}
}

// A miss names the closest recorded request on one line, even when the
// recording kept only the start of a RESP command (no JSON form: its bytes,
// CRLFs and all), and sends no escape sequence to the terminal.
func TestMissSaysTheClosestRequestOnOneLine(t *testing.T) {
	cut := []byte("*3\r\n$3\r\nset\r\n$3\r\nbig\r\n$2666668\r\n3oxf\x1b[2J")
	x := &Exchange{Req: &Msg{Payload: cut, Info: protocol.Info{Kind: protocol.KindRequest, Method: []byte("SET")}}}
	m := newMatcher([]*Exchange{x}, [][]byte{requestForm(protocol.FramingRESP, cut)}, MatchMethodParams, Ignore{}, protocol.DefaultIDFields)
	ping := []byte("*1\r\n$4\r\nPING\r\n")
	var cur Cursor
	form := requestForm(protocol.FramingRESP, ping)
	if _, ok := m.Find(form, "PING", &cur); ok {
		t.Fatal("PING matched the recorded SET")
	}
	why := m.Why(form, "PING", &cur)
	if strings.ContainsAny(why, "\r\n\x1b") || !strings.Contains(why, `SET *3\r\n$3\r\nset\r\n`) || !strings.Contains(why, `\x1b[2J`) {
		t.Errorf("why %q: not on one line, or not escaped", why)
	}
	d := Difference{Path: "$", Then: "oops\r\n", Now: "fine"}
	if s := d.String(); s != `$: oops\r\n → fine` {
		t.Errorf("difference %q", s)
	}
}
