package replay

import (
	"reflect"
	"strings"
	"testing"

	"sockscope/protocol"
	"sockscope/store"
)

func TestDiff(t *testing.T) {
	for _, c := range []struct {
		name, then, now string
		ignore          []string
		want            []string
	}{
		{"same", `{"rid":1,"success":true,"data":15}`, `{"success":true,"data":15,"rid":1}`, nil, nil},
		{"one more", `{"rid":1,"success":true,"data":15}`, `{"rid":1,"success":true,"data":16}`, nil, []string{"$.data"}},
		{"ids left out", `{"rid":1,"data":15}`, `{"rid":2,"data":15}`, nil, nil},
		{"numbers as values", `{"id":1,"result":1.0}`, `{"id":1,"result":1}`, nil, nil},
		{"a member gone and one new", `{"id":1,"result":{"a":1}}`, `{"id":1,"result":{"b":1}}`, nil, []string{"$.result.a", "$.result.b"}},
		{"arrays", `{"id":1,"result":[1,2,3]}`, `{"id":1,"result":[1,5]}`, nil, []string{"$.result[1]", "$.result[2]"}},
		{"a string holding JSON", `{"id":1,"result":"{\"a\":1,\"b\":2}"}`, `{"id":1,"result":"{\"b\":2, \"a\":3}"}`, nil, []string{"$.result.a"}},
		{"a path ignored", `{"id":1,"data":{"time":1,"x":1}}`, `{"id":1,"data":{"time":2,"x":1}}`, []string{"$.data.time"}, nil},
		{"a key at any depth", `{"id":1,"a":{"timestamp":1,"b":[{"timestamp":3}]}}`, `{"id":1,"a":{"timestamp":2,"b":[{"timestamp":4}]}}`, []string{"timestamp"}, nil},
		{"a wildcard", `{"id":1,"items":[{"id":1,"v":1},{"id":2,"v":1}]}`, `{"id":1,"items":[{"id":5,"v":1},{"id":6,"v":2}]}`, []string{"$.items[*].id"}, []string{"$.items[1].v"}},
		{"odd member names", `{"id":1,"a b":1}`, `{"id":1,"a b":2}`, nil, []string{`$["a b"]`}},
		{"not JSON", `abc`, `abd`, nil, []string{"$"}},
	} {
		ig, err := ParseIgnore(c.ignore)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range Diff([]byte(c.then), []byte(c.now), ig, []string{"rid", "id"}) {
			got = append(got, d.Path)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if _, err := ParseIgnore([]string{"a.b"}); err == nil {
		t.Error("a bare key with a dot was taken")
	}
}

func msgOf(p string) *Msg {
	b := []byte(p)
	return &Msg{Payload: b, Info: protocol.Classify(b, protocol.DefaultIDFields)}
}

// Requests match by method and params, without their ids, the volatile
// processId and what --ignore says; identical ones take the recorded
// answers in order; sequential and strict follow the recorded order.
func TestMatcher(t *testing.T) {
	reqs := []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":11,"rootUri":"file:///a"}}`,
		`{"rid":1,"method":"add","args":[1,2],"at":5}`,
		`{"rid":2,"method":"add","args":[1,2],"at":6}`,
		`{"rid":3,"method":"echo","args":["x"]}`,
	}
	var exs []*Exchange
	for _, r := range reqs {
		m := msgOf(r)
		exs = append(exs, &Exchange{Req: m})
	}
	ig, _ := ParseIgnore([]string{"at"})
	m := NewMatcher(exs, MatchMethodParams, ig, protocol.DefaultIDFields)
	var cur Cursor
	for i, c := range []struct {
		req  string
		want int // index in reqs, -1 for none
	}{
		{`{"jsonrpc":"2.0","id":9,"method":"initialize","params":{"processId":77,"rootUri":"file:///a"}}`, 0},
		{`{"jsonrpc":"2.0","id":9,"method":"initialize","params":{"processId":77,"rootUri":"file:///b"}}`, -1},
		{`{"rid":7,"method":"add","args":[1,2],"at":9}`, 1},
		{`{"rid":8,"method":"add","args":[1,2],"at":9}`, 2},
		{`{"rid":9,"method":"add","args":[1,2],"at":9}`, 2},
		{`{"rid":9,"method":"add","args":[2,2]}`, -1},
	} {
		p := msgOf(c.req)
		x, ok := m.Find(p.Payload, string(p.Info.Method), &cur)
		switch {
		case c.want < 0 && ok:
			t.Errorf("%d: %s matched %s", i, c.req, x.Req.Payload)
		case c.want >= 0 && (!ok || x != exs[c.want]):
			t.Errorf("%d: %s: %v, want %s", i, c.req, ok, reqs[c.want])
		}
	}
	if e := m.closest([]byte(`{"rid":9,"method":"add","args":[2,2]}`), "add"); e == nil || string(e.x.Req.Info.Method) != "add" {
		t.Errorf("closest: %v", e)
	}
	seq := NewMatcher(exs[1:], MatchSequential, Ignore{}, protocol.DefaultIDFields)
	strict := NewMatcher(exs[1:], MatchStrict, Ignore{}, protocol.DefaultIDFields)
	var c1, c2, c3 Cursor
	if _, ok := seq.Find([]byte(`{"rid":5,"method":"add","args":[7]}`), "add", &c1); !ok {
		t.Error("sequential: the method alone should match")
	}
	if _, ok := strict.Find([]byte(`{"rid":5,"method":"add","args":[7],"at":5}`), "add", &c2); ok {
		t.Error("strict: other args matched")
	}
	if _, ok := strict.Find([]byte(`{"rid":5,"method":"add","args":[1,2],"at":5}`), "add", &c3); !ok {
		t.Error("strict: the same request but for its id did not match")
	}
}

// A miss is answered in the request's own protocol.
func TestMissReply(t *testing.T) {
	for req, want := range map[string]string{
		`{"rid":3,"method":"add","args":[1]}`:                  `{"error":"why","rid":3,"success":false}`,
		`{"jsonrpc":"2.0","id":"a","method":"m"}`:              `{"error":{"code":-32000,"message":"why"},"id":"a","jsonrpc":"2.0"}`,
		`{"execute":"query-status","id":{"n":1}}`:              `{"error":{"class":"GenericError","desc":"why"},"id":{"n":1}}`,
		`{"seq":4,"type":"request","command":"launch","id":4}`: `{"command":"launch","message":"why","request_seq":4,"success":false,"type":"response"}`,
	} {
		info := protocol.Classify([]byte(req), protocol.DefaultIDFields)
		if got := string(missReply([]byte(req), info, protocol.DefaultIDFields, "why")); got != want {
			t.Errorf("%s: %s, want %s", req, got, want)
		}
	}
	got := string(typedDefault([]byte(`{"jsonrpc":"2.0","id":4,"method":"workspace/configuration","params":{"items":[{},{}]}}`), []byte("4"), "workspace/configuration"))
	if got != `{"jsonrpc":"2.0","id":4,"result":[null,null]}` {
		t.Errorf("configuration default: %s", got)
	}
	if got := string(withProcessID([]byte(`{"id":1,"method":"initialize","params":{"processId":5,"rootUri":"x"}}`), 42)); !strings.Contains(got, `"processId":42`) {
		t.Errorf("processId: %s", got)
	}
	pm, _ := ParsePathMap("/old/src=/new/src")
	if got := string(mapPaths([]byte(`{"uri":"file:///old/src/a.go"}`), []PathMap{pm}, true)); got != `{"uri":"file:///new/src/a.go"}` {
		t.Errorf("map-path: %s", got)
	}
}

// A request the client cancelled is marked, so its comparison is a race;
// what the server sent unasked after a request follows it. LSP cancels
// with $/cancelRequest (Neovim 0.7 spells it "$\/cancelRequest"), MCP
// with notifications/cancelled, DAP with a cancel request; a cancellation
// naming another id marks nothing.
func TestLinkCancelAndFollowers(t *testing.T) {
	for _, tc := range []struct {
		name, req, note, cancel, resp string
		kind                          protocol.Kind // the cancellation's
		cancelled                     bool
	}{
		{"LSP", `{"jsonrpc":"2.0","id":7,"method":"textDocument/hover","params":{}}`, `{"jsonrpc":"2.0","method":"window/logMessage","params":{}}`,
			`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":7}}`, `{"jsonrpc":"2.0","id":7,"error":{"code":-32800,"message":"cancelled"}}`, protocol.KindNotification, true},
		{"Neovim", `{"jsonrpc":"2.0","id":7,"method":"textDocument/hover","params":{}}`, `{"jsonrpc":"2.0","method":"window/logMessage","params":{}}`,
			`{"jsonrpc":"2.0","method":"$\/cancelRequest","params":{"id":7}}`, `{"jsonrpc":"2.0","id":7,"error":{"code":-32800,"message":"cancelled"}}`, protocol.KindNotification, true},
		{"MCP", `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"slow"}}`, `{"jsonrpc":"2.0","method":"notifications/progress","params":{}}`,
			`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7,"reason":"user"}}`, `{"jsonrpc":"2.0","id":7,"result":{"content":[]}}`, protocol.KindNotification, true},
		{"MCP other id", `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"slow"}}`, `{"jsonrpc":"2.0","method":"notifications/progress","params":{}}`,
			`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":8}}`, `{"jsonrpc":"2.0","id":7,"result":{"content":[]}}`, protocol.KindNotification, false},
		{"DAP", `{"seq":7,"type":"request","command":"evaluate","arguments":{"expression":"x"}}`, `{"seq":3,"type":"event","event":"output","body":{}}`,
			`{"seq":8,"type":"request","command":"cancel","arguments":{"requestId":7}}`, `{"seq":4,"type":"response","request_seq":7,"success":false,"command":"evaluate","message":"cancelled"}`, protocol.KindRequest, true},
	} {
		c := &Conn{}
		add := func(seq uint64, dir protocol.Dir, p string) *Msg {
			m := msgOf(p)
			m.Seq, m.Dir = seq, dir
			c.Msgs = append(c.Msgs, m)
			return m
		}
		req := add(1, protocol.C2S, tc.req)
		note := add(2, protocol.S2C, tc.note)
		cancel := add(3, protocol.C2S, tc.cancel)
		resp := add(4, protocol.S2C, tc.resp)
		c.addExchange(storeRow(protocol.C2S, protocol.KindRequest, "7"), req, resp)
		c.addExchange(storeRow(protocol.C2S, tc.kind, string(cancel.Info.ID)), cancel, nil)
		c.link(protocol.DefaultIDFields)
		x := c.Exchange(1)
		if x.Cancelled != tc.cancelled || len(x.Followers) != 1 || x.Followers[0] != note {
			t.Errorf("%s: cancelled %v, want %v; followers %d", tc.name, x.Cancelled, tc.cancelled, len(x.Followers))
		}
	}
}

func storeRow(dir protocol.Dir, kind protocol.Kind, id string) store.Row {
	return store.Row{Dir: dir, Kind: kind, ID: id}
}

// An HTTP interim response goes with the request whose final response
// comes next, before that response, wherever it was observed: a 103 seen
// after the previous answer (its request's frame ended with its body,
// later) and one seen after its request.
func TestLinkHTTPInterim(t *testing.T) {
	c := &Conn{Framing: [2]protocol.Framing{protocol.FramingHTTP, protocol.FramingHTTP}}
	add := func(seq uint64, dir protocol.Dir, p string) *Msg {
		m := msgOf(p)
		m.Seq, m.Dir = seq, dir
		c.Msgs = append(c.Msgs, m)
		return m
	}
	req1 := add(1, protocol.C2S, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
	resp1 := add(2, protocol.S2C, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	early2 := add(3, protocol.S2C, "HTTP/1.1 103 Early Hints\r\nLink: </b.css>\r\n\r\n")
	req2 := add(4, protocol.C2S, "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx")
	resp2 := add(5, protocol.S2C, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	req3 := add(6, protocol.C2S, "GET /c HTTP/1.1\r\nHost: x\r\n\r\n")
	early3 := add(7, protocol.S2C, "HTTP/1.1 103 Early Hints\r\nLink: </c.css>\r\n\r\n")
	resp3 := add(8, protocol.S2C, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	c.addExchange(storeRow(protocol.C2S, protocol.KindRequest, ""), req1, resp1)
	c.addExchange(storeRow(protocol.C2S, protocol.KindRequest, ""), req2, resp2)
	c.addExchange(storeRow(protocol.C2S, protocol.KindRequest, ""), req3, resp3)
	c.link(protocol.DefaultIDFields)
	for _, tc := range []struct {
		seq    uint64
		before *Msg
	}{{1, nil}, {4, early2}, {6, early3}} {
		before, after := c.Exchange(tc.seq).Around()
		if len(after) != 0 || (tc.before == nil) != (len(before) == 0) || tc.before != nil && (len(before) != 1 || before[0] != tc.before) {
			t.Errorf("request %d: %d before its response, %d after", tc.seq, len(before), len(after))
		}
	}
}
