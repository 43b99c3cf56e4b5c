package protocol

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// frames returns the Data of each frame.
func datas(fs []fr) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Data)
	}
	return out
}

func TestHTTPFraming(t *testing.T) {
	reqs := []string{
		"GET /a HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
		"PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nTrailer: t\r\n\r\n",
		"DELETE /d HTTP/1.1\r\n\r\n",
	}
	got := checkChunking(t, FramingHTTP, 1000, strings.Join(reqs, ""))
	if strings.Join(datas(got), "|") != strings.Join(reqs, "|") {
		t.Fatalf("requests: %v", got)
	}
	resps := []string{
		"HTTP/1.1 100 Continue\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
		"HTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n",
		"HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n4\r\nnope\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\n\r\nuntil the end",
	}
	got = checkChunking(t, FramingHTTP, 1000, strings.Join(resps, ""))
	if strings.Join(datas(got), "|") != strings.Join(resps, "|") || got[len(got)-1].Err != "" {
		t.Fatalf("responses: %v", got)
	}
	// A body larger than the cap is kept truncated with its true size.
	got = checkChunking(t, FramingHTTP, 40, "POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n"+strings.Repeat("z", 100)+"GET / HTTP/1.1\r\n\r\n")
	if len(got) != 2 || !got[0].Truncated || got[0].Size != 140 || got[1].Data != "GET / HTTP/1.1\r\n\r\n" {
		t.Fatalf("truncated: %v", got)
	}
}

// A response to HEAD has no body, whatever its Content-Length says: the
// two directions' framers share the requests' methods.
func TestHTTPHead(t *testing.T) {
	pair := NewFramerPair(FramingAuto, 1000)
	run(t, pair[C2S], 1000, false, []byte("HEAD / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n"))
	got := run(t, pair[S2C], 1000, false, []byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"))
	if len(got) != 2 || got[1].Data != "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" {
		t.Fatalf("got %v", got)
	}
}

// The two directions are read in parallel, so the answer to a HEAD may
// reach the framer before the HEAD itself: a would-be body that starts as a
// response does is no body, and the requests seen late are the early
// responses', so the next exchanges frame as they should.
func TestHTTPHeadAnsweredBeforeSeen(t *testing.T) {
	pair := NewFramerPair(FramingAuto, 1000)
	got := run(t, pair[S2C], 1000, false, []byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\ndown"))
	if len(got) != 2 || got[0].Data != "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" || got[1].Data != "HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\ndown" {
		t.Fatalf("responses before their requests: %v", got)
	}
	run(t, pair[C2S], 1000, false, []byte("HEAD / HTTP/1.1\r\n\r\nGET /busy HTTP/1.1\r\n\r\nGET /y HTTP/1.1\r\n\r\n"))
	got = run(t, pair[S2C], 1000, false, []byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"))
	if len(got) != 1 || got[0].Data != "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" {
		t.Fatalf("the next response, its request seen in time: %v", got)
	}
}

// The answer to a HEAD read before the HEAD reached the framers, alone in
// its read: once the HEAD is framed, EndLateHead ends it, bodiless, at
// once (it waited for the next response, which timed it). The answer to a
// GET so read waits for its body; a response whose request is known is no
// concern of EndLateHead's.
func TestHTTPEndLateHead(t *testing.T) {
	const head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
	pair := NewFramerPair(FramingAuto, 1000)
	var got []string
	emit := func(f *Frame) { got = append(got, string(f.Data)) }
	if got := run(t, pair[S2C], 1000, false, []byte(head)); len(got) != 0 || !AwaitsRequest(pair[S2C]) {
		t.Fatalf("the answer before its request: %v, awaits %v", got, AwaitsRequest(pair[S2C]))
	}
	if EndLateHead(pair[S2C], func(*Frame) { t.Fatal("ended before its request") }) {
		t.Fatal("ended before its request")
	}
	run(t, pair[C2S], 1000, false, []byte("HEAD / HTTP/1.1\r\n\r\n"))
	if !EndLateHead(pair[S2C], emit) || len(got) != 1 || got[0] != head || AwaitsRequest(pair[S2C]) {
		t.Fatalf("once the HEAD is framed: %q, awaits %v", got, AwaitsRequest(pair[S2C]))
	}
	// A GET's answer, its body in the next read.
	got = nil
	run(t, pair[S2C], 1000, false, []byte(head))
	run(t, pair[C2S], 1000, false, []byte("GET / HTTP/1.1\r\n\r\n"))
	if EndLateHead(pair[S2C], emit) || !AwaitsRequest(pair[S2C]) {
		t.Fatalf("a GET's answer ended without its body: %q", got)
	}
	if got := run(t, pair[S2C], 1000, false, []byte("hello")); len(got) != 1 || got[0].Data != head+"hello" {
		t.Fatalf("the GET's answer: %v", got)
	}
	// A HEAD framed in time: its answer is whole at once.
	run(t, pair[C2S], 1000, false, []byte("HEAD / HTTP/1.1\r\n\r\n"))
	if got := run(t, pair[S2C], 1000, false, []byte(head)); len(got) != 1 || AwaitsRequest(pair[S2C]) || EndLateHead(pair[S2C], emit) {
		t.Fatalf("a HEAD's answer in order: %v", got)
	}
}

// A 101 switches both directions to raw: the client's bytes after its
// upgrade request (a WebSocket's frames, Docker's stdin) are the new
// protocol's, whether the 101 is framed before or after they are, and
// whether the upgrade request was framed before the 101 or after.
func TestHTTPUpgradeSwitchesBothWays(t *testing.T) {
	const (
		req  = "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"
		resp = "HTTP/1.1 101 Switching Protocols\r\n\r\n"
	)
	for _, order := range []string{"request, 101, data", "request and data, 101", "101, request and data"} {
		pair := NewFramerPair(FramingAuto, 1000)
		var c2s, s2c []fr
		switch order {
		case "request, 101, data":
			c2s = run(t, pair[C2S], 1000, false, []byte(req))
			s2c = run(t, pair[S2C], 1000, false, []byte(resp+"\x81\x02hi"))
			c2s = append(c2s, run(t, pair[C2S], 1000, true, []byte("\x81\x82mask"))...)
		case "request and data, 101":
			c2s = run(t, pair[C2S], 1000, false, []byte(req+"\x81\x82mask"))
			s2c = run(t, pair[S2C], 1000, false, []byte(resp+"\x81\x02hi"))
			c2s = append(c2s, run(t, pair[C2S], 1000, true, []byte("more"))...)
		case "101, request and data":
			s2c = run(t, pair[S2C], 1000, false, []byte(resp+"\x81\x02hi"))
			c2s = run(t, pair[C2S], 1000, true, []byte(req+"\x81\x82mask"))
		}
		var got []string
		for _, f := range append(c2s, s2c...) {
			got = append(got, fmt.Sprintf("%q %q", f.Data, f.Err))
		}
		want := []string{fmt.Sprintf("%q \"\"", req)}
		switch order {
		case "request and data, 101":
			want = append(want, `"\x81\x82mask" "http: switched protocols (101); raw from here"`, `"more" "http: switched protocols (101); raw from here"`)
		default:
			want = append(want, `"\x81\x82mask" "http: switched protocols (101); raw from here"`)
		}
		want = append(want, fmt.Sprintf("%q \"\"", resp), `"\x81\x02hi" "http: switched protocols (101); raw from here"`)
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n%s\nwant\n%s", order, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	// The 101 answers its request: a response, not an interim notification.
	if info := ClassifyAs(FramingHTTP, []byte(resp), S2C, nil); info.Kind != KindResponse {
		t.Errorf("the 101 classifies as %v, want a response", info.Kind)
	}
}

// The answer to a HEAD seen before the HEAD, last on its connection: the
// end of the stream, with not a byte of the would-be body, ends it whole.
func TestHTTPHeadAnsweredBeforeSeenLast(t *testing.T) {
	pair := NewFramerPair(FramingAuto, 1000)
	got := run(t, pair[S2C], 1000, true, []byte("HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n"))
	if len(got) != 1 || got[0].Err != "" || got[0].Data != "HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n" {
		t.Fatalf("got %v", got)
	}
}

// WantsContinue says, once, that a request asking for 100 Continue has
// its head read and its body still to come: HTTP/1.1 only, with a body
// announced (a length or chunks), the header's name and value in any
// case; a body that came with its head wants none.
func TestHTTPWantsContinue(t *testing.T) {
	const (
		put     = "PUT /a HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
		chunked = "POST /a HTTP/1.1\r\nexpect: 100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n"
	)
	for _, c := range []struct {
		framing    Framing
		head, body string
		want       bool
	}{
		{FramingHTTP, put, "hello", true},
		{FramingAuto, put, "hello", true},
		{FramingHTTP, chunked, "5\r\nhello\r\n0\r\n\r\n", true},
		{FramingHTTP, strings.Replace(put, "HTTP/1.1", "HTTP/1.0", 1), "hello", false},
		{FramingHTTP, strings.Replace(put, "Expect: 100-continue\r\n", "", 1), "hello", false},
		{FramingHTTP, "PUT /a HTTP/1.1\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n", "", false},
		{FramingHTTP, "GET /a HTTP/1.1\r\nExpect: 100-continue\r\n\r\n", "", false},
	} {
		f := NewFramer(c.framing, 1000)
		n := 0
		emit := func(*Frame) { n++ }
		f.Feed([]byte(c.head), emit)
		if WantsContinue(f) != c.want || WantsContinue(f) {
			t.Errorf("%s %q: not %v once", c.framing, c.head, c.want)
		}
		for i := range len(c.body) {
			f.Feed([]byte(c.body[i:i+1]), emit)
			if WantsContinue(f) {
				t.Errorf("%q: again, %d bytes into the body", c.head, i+1)
			}
		}
		if n != 1 {
			t.Errorf("%q: %d frames", c.head, n)
		}
	}
	// The body with its head, then a pipelined request whose body is
	// still to come: that one wants it.
	f := NewFramer(FramingHTTP, 1000)
	n := 0
	f.Feed([]byte(put+"hello"), func(*Frame) { n++ })
	if n != 1 || WantsContinue(f) {
		t.Errorf("a body that came with its head: frames %d, wants continue", n)
	}
	f.Feed([]byte(put+"hello"+put), func(*Frame) { n++ })
	if n != 2 || !WantsContinue(f) {
		t.Errorf("the second request's body to come: frames %d, no continue", n)
	}
	// Not HTTP.
	lines := NewFramer(FramingLines, 1000)
	lines.Feed([]byte(put), func(*Frame) {})
	if WantsContinue(lines) {
		t.Error("lines want continue")
	}
}

// Bytes that turn out not to be the protocol are passed on raw, with the
// reason, from there on; nothing is lost.
func TestProfileFallsBackToRaw(t *testing.T) {
	for _, tc := range []struct {
		f    Framing
		in   string
		good int
		why  string
	}{
		{FramingHTTP, "GET / HTTP/1.1\r\n\r\nnot http at all\r\n\r\nmore", 1, "http: not an HTTP request line; raw from here"},
		{FramingHTTP, "HTTP/1.1 101 Switching Protocols\r\n\r\n\x00\x01ws", 1, "http: switched protocols (101); raw from here"},
		{FramingRESP, "+OK\r\n*2\r\n?what\r\n", 1, "resp: unknown type byte 0x3f '?'; raw from here"},
		{FramingRESP, "*2\r\n$x\r\n", 0, "resp: bad bulk length; raw from here"},
		{FramingMsgpack, "\x93\x02\xa1x\x90\xc1\x00", 1, "msgpack: type byte 0xc1; raw from here"},
	} {
		f := NewFramer(tc.f, 100)
		got := run(t, f, 100, true, []byte(tc.in))
		if len(got) < tc.good+1 || got[tc.good].Err != tc.why || wireTotal(got) != len(tc.in) {
			t.Errorf("%s %q: %v", tc.f, tc.in, got)
			continue
		}
		for _, g := range got[:tc.good] {
			if g.Err != "" {
				t.Errorf("%s %q: %v", tc.f, tc.in, got)
			}
		}
		// From then on every read is raw, with the reason.
		more := run(t, f, 100, true, []byte("GET / HTTP/1.1\r\n\r\n"))
		if len(more) != 1 || more[0].Err != tc.why {
			t.Errorf("%s after the fallback: %v", tc.f, more)
		}
	}
}

func TestRESPFraming(t *testing.T) {
	vals := []string{
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\nv\r\nx\r\n",
		"+OK\r\n", "-ERR no\r\n", ":42\r\n", "$-1\r\n", "*-1\r\n", "_\r\n", "#t\r\n", ",1.5\r\n", "(123\r\n",
		"*2\r\n*1\r\n:1\r\n%1\r\n+a\r\n~2\r\n:1\r\n:2\r\n",
		">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
		"|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n",
		"=8\r\ntxt:abcd\r\n", "!5\r\nERR x\r\n",
		"PING\r\n",
	}
	got := checkChunking(t, FramingRESP, 1000, strings.Join(vals, ""))
	if strings.Join(datas(got), "|") != strings.Join(vals, "|") {
		t.Fatalf("got %v", got)
	}
}

// An empty line between commands (redis-cli --pipe sends one before its
// last) is no command: no frame, and the next frame's Wire counts it.
func TestRESPEmptyLineIsNoFrame(t *testing.T) {
	got := checkChunking(t, FramingRESP, 1000, "*1\r\n$4\r\nPING\r\n\r\nECHO hi\r\n\n\r\n+x\r\n")
	var s []string
	for _, f := range got {
		s = append(s, fmt.Sprintf("%q wire %d", f.Data, f.Wire))
	}
	if want := `"*1\r\n$4\r\nPING\r\n" wire 14|"ECHO hi\r\n" wire 11|"+x\r\n" wire 7`; strings.Join(s, "|") != want {
		t.Fatalf("frames %s\nwant %s", strings.Join(s, "|"), want)
	}
}

func TestMsgpackFraming(t *testing.T) {
	vals := []string{
		"\x94\x00\x01\xa4ping\x90",                           // [0,1,"ping",[]]
		"\x94\x01\x01\xc0\x82\xa1a\x01\xa1b\xc4\x02\xff\xfe", // [1,1,nil,{"a":1,"b":bin}]
		"\x93\x02\xd9\x03evt\x91\xd4\x00\x05",                // [2,"evt",[fixext]]
		"\xdc\x00\x02\xcb\x00\x00\x00\x00\x00\x00\x00\x00\xd3\xff\xff\xff\xff\xff\xff\xff\xff",
		"\xc7\x03\x01abc",
	}
	got := checkChunking(t, FramingMsgpack, 1000, strings.Join(vals, ""))
	if strings.Join(datas(got), "|") != strings.Join(vals, "|") {
		t.Fatalf("got %v", got)
	}
	for i, want := range []string{`[0,1,"ping",[]]`, `[1,1,null,{"a":1,"b":{"b64":"//4="}}]`, `[2,"evt",[{"ext":0,"data":5}]]`, `[0,-1]`, `{"ext":1,"data":"YWJj"}`} {
		v, err := viewMsgpack(nil, []byte(vals[i]))
		if err != nil || string(v) != want {
			t.Errorf("view %q = %s, %v; want %s", vals[i], v, err, want)
		}
	}
}

func TestVarlinkFraming(t *testing.T) {
	in := `{"method":"a.B"}` + "\x00" + `{"parameters":{}}` + "\x00"
	got := checkChunking(t, FramingVarlink, 1000, in)
	if len(got) != 2 || got[0].Data != `{"method":"a.B"}` || got[0].Wire != 17 {
		t.Fatalf("got %v", got)
	}
}

func TestClassifyProfiles(t *testing.T) {
	for _, tc := range []struct {
		f      Framing
		dir    Dir
		in     string
		kind   Kind
		method string
		id     string
		isErr  bool
		more   bool
	}{
		{FramingHTTP, C2S, "GET /v1/info?x=1 HTTP/1.1\r\n\r\n", KindRequest, "GET /v1/info?x=1", "", false, false},
		{FramingHTTP, S2C, "HTTP/1.1 200 OK\r\n\r\n", KindResponse, "200 OK", "", false, false},
		{FramingHTTP, S2C, "HTTP/1.1 404 Not Found\r\n\r\n", KindResponse, "404 Not Found", "", true, false},
		{FramingHTTP, S2C, "HTTP/1.1 100 Continue\r\n\r\n", KindNotification, "100 Continue", "", false, false},
		{FramingRESP, C2S, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", KindRequest, "GET", "", false, false},
		{FramingRESP, C2S, "*2\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n", KindRequest, "SUBSCRIBE", "", false, false}, // answered by its confirmation
		{FramingRESP, S2C, "*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n", KindNotification, "subscribe", "", false, false},
		{FramingRESP, C2S, "*2\r\n$3\r\nget\r\n$1\r\nk\r\n", KindRequest, "GET", "", false, false}, // get and GET: one method
		{FramingRESP, C2S, "*1\r\n$6\r\nMYCMND\r\n", KindRequest, "MYCMND", "", false, false},      // a module's
		{FramingRESP, C2S, "*1\r\n$6\r\nnosuch\r\n", KindRequest, "NOSUCH", "", false, false},      // one Redis lacks: in capitals too
		{FramingRESP, C2S, "json.get k $\r\n", KindRequest, "JSON.GET", "", false, false},
		{FramingRESP, C2S, "PING\r\n", KindRequest, "PING", "", false, false},
		{FramingRESP, S2C, "-WRONGTYPE bad\r\n", KindResponse, "WRONGTYPE", "", true, false},
		{FramingRESP, S2C, ">2\r\n$10\r\ninvalidate\r\n*0\r\n", KindNotification, "invalidate", "", false, false},
		{FramingRESP, S2C, "*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nx\r\n", KindNotification, "message", "", false, false},
		{FramingRESP, S2C, "*1\r\n$1\r\nx\r\n", KindResponse, "", "", false, false},
		{FramingMsgpack, C2S, "\x94\x00\xcd\x01\x00\xa4ping\x90", KindRequest, "ping", "256", false, false},
		{FramingMsgpack, S2C, "\x94\x01\x05\x92\x00\xa1e\xc0", KindResponse, "", "5", true, false},
		{FramingMsgpack, S2C, "\x94\x01\x05\xc0\x01", KindResponse, "", "5", false, false},
		{FramingMsgpack, S2C, "\x93\x02\xa2ev\x90", KindNotification, "ev", "", false, false},
		{FramingVarlink, C2S, `{"method":"a.B","parameters":{},"oneway":true}`, KindNotification, "a.B", "", false, false},
		{FramingVarlink, C2S, `{"method":"a.B","more":true}`, KindRequest, "a.B", "", false, false},
		{FramingVarlink, S2C, `{"parameters":{"i":1},"continues":true}`, KindResponse, "", "", false, true},
		{FramingVarlink, S2C, `{"error":"a.Failed","parameters":{}}`, KindResponse, "a.Failed", "", true, false},
		{FramingLines, C2S, `{"command":["get_property","volume"],"request_id":3}`, KindRequest, "get_property", "3", false, false},
		{FramingLines, S2C, `{"data":1,"request_id":3,"error":"success"}`, KindResponse, "", "3", false, false},
		{FramingLines, S2C, `{"request_id":4,"error":"property not found"}`, KindResponse, "", "4", true, false},
	} {
		info := ClassifyAs(tc.f, []byte(tc.in), tc.dir, nil)
		sameInto(t, tc.f, []byte(tc.in), tc.dir)
		if info.Kind != tc.kind || string(info.Method) != tc.method || string(info.ID) != tc.id || info.IsError != tc.isErr || info.Continues != tc.more {
			t.Errorf("%s %s %q: %+v", tc.f, tc.dir, tc.in, info)
		}
	}
}

// mpv's commands without a request_id (or with 0), and its replies with
// request_id 0, which answer those in order, pair by order; with an id,
// and other protocols' 0, by id.
func TestClassifyMpvWithoutID(t *testing.T) {
	for in, want := range map[string]string{
		`{ "command": ["get_property", "volume"] }`:                      "request get_property  by order",
		`{"command":["get_property","volume"],"request_id":0}`:           "request get_property 0 by order",
		`{"command":["get_property","volume"],"request_id":7}`:           "request get_property 7 by id",
		`{"data":100.000000,"request_id":0,"error":"success"}`:           "response  0 by order",
		`{"request_id":0,"error":"property not found"}`:                  "response  0 by order",
		`{"request_id":7,"error":"success"}`:                             "response  7 by id",
		`{"jsonrpc":"2.0","id":0,"error":{"code":1,"message":"x"}}`:      "response  0 by id",
		`{"jsonrpc":"2.0","id":0,"method":"m"}`:                          "request m 0 by id",
		`{"rid":0,"success":false,"error":"boom"}`:                       "response  0 by id",
		`{"request_id":0,"result":1}`:                                    "response  0 by id",
		`{"event":"property-change","id":7,"name":"volume","data":42.0}`: "notification property-change  by id",
	} {
		info := Classify([]byte(in), nil)
		by := "by id"
		if info.ByOrder {
			by = "by order"
		}
		if got := fmt.Sprint(info.Kind, " ", string(info.Method), " ", string(info.ID), " ", by); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
		sameInto(t, FramingLines, []byte(in), C2S)
	}
}

// QMP's commands without an id, and its replies without one (a return, an
// error object of a class: QEMU's CommandNotFound, as QEMU 7.2 wrote them),
// pair by order; with an id, by id. JSON-RPC's error without an id (id
// null) and the seed's id-less error object stay orphans, a QMP event a
// notification.
func TestClassifyQMPWithoutID(t *testing.T) {
	for in, want := range map[string]string{
		`{"execute":"qmp_capabilities"}`:                                          "request qmp_capabilities  by order",
		`{"execute":"query-status","arguments":{}}`:                               "request query-status  by order",
		`{"execute":"cont","id":7}`:                                               "request cont 7 by id",
		`{"exec-oob":"migrate-pause","id":"p"}`:                                   "request migrate-pause \"p\" by id",
		`{"return": {}}`:                                                          "response   by order",
		`{"return": {"status": "running", "singlestep": false, "running": true}}`: "response   by order",
		`{"error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`: "error   by order",
		`{"return": {}, "id": 7}`:                                                     "response  7 by id",
		`{"error": {"class": "GenericError", "desc": "x"}, "id": "a"}`:                "error  \"a\" by id",
		`{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "STOP"}`:           "notification STOP  by id",
		`{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}`: "error   by id",
		`{"message":"boom","stack":"Error"}`:                                          "error   by id",
		`{"jsonrpc":"2.0","method":"m"}`:                                              "notification m  by id",
	} {
		info := Classify([]byte(in), nil)
		by, kind := "by id", info.Kind.String()
		if info.ByOrder {
			by = "by order"
		}
		if info.IsError {
			kind = "error"
		}
		if got := fmt.Sprint(kind, " ", string(info.Method), " ", string(info.ID), " ", by); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
		sameInto(t, FramingLines, []byte(in), C2S)
	}
}

// sameInto fails t unless ClassifyInto, into an Info that holds another
// frame's, says what ClassifyAs says of data.
func sameInto(t *testing.T, f Framing, data []byte, dir Dir) {
	t.Helper()
	want := ClassifyAs(f, data, dir, nil)
	got := Info{Kind: KindOther, ID: []byte("7"), Method: []byte("m"), IsError: true, Continues: true, ByOrder: true, Err: "stale"}
	ClassifyInto(f, data, dir, nil, &got)
	if got.Kind != want.Kind || string(got.ID) != string(want.ID) || (got.ID == nil) != (want.ID == nil) ||
		string(got.Method) != string(want.Method) || (got.Method == nil) != (want.Method == nil) ||
		got.IsError != want.IsError || got.Continues != want.Continues || got.ByOrder != want.ByOrder || got.Err != want.Err {
		t.Fatalf("%s %s %q: ClassifyInto %+v, ClassifyAs %+v", f, dir, data, got, want)
	}
}

func TestOrderPairer(t *testing.T) {
	at := func(ms int) int64 { return 1000*int64(time.Second) + int64(ms)*int64(time.Millisecond) }
	p := NewOrderPairer(3)
	p.Request(C2S, at(1), 1)
	p.Request(C2S, at(2), 2)
	if req, ok := p.Response(S2C, at(3), 10, true); !ok || req.Token != 1 {
		t.Fatalf("a continuing reply: %v %v", req, ok)
	}
	if req, ok := p.Response(S2C, at(3), 11, false); !ok || req.Token != 1 {
		t.Fatalf("the first reply answers the first request: %v %v", req, ok)
	}
	if req, ok := p.Response(S2C, at(4), 12, false); !ok || req.Token != 2 {
		t.Fatalf("then the second: %v %v", req, ok)
	}
	// A reply before its request (directions relayed in parallel).
	if _, ok := p.Response(S2C, at(6), 13, false); ok {
		t.Fatal("nothing to answer yet")
	}
	if r := p.Request(C2S, at(5), 3); !r.Answered || r.Reply.Token != 13 {
		t.Fatalf("early reply: %+v", r)
	}
	// One that never finds its request is an orphan once C2S is seen past it.
	p.Response(S2C, at(7), 14, false)
	if o := p.Settle(C2S, at(8)); len(o) != 1 || o[0].Token != 14 {
		t.Fatalf("settle: %v", o)
	}
	// Streaming replies before their request: its own, and the last
	// answers it; then the next request's reply, early too. (The request
	// was answered by the first, and the others, left early, were
	// orphans, and held the next request's reply behind them.)
	p.Response(S2C, at(9), 15, true)
	p.Response(S2C, at(9), 16, true)
	p.Response(S2C, at(9), 17, false)
	if r := p.Request(C2S, at(8), 4); !r.Answered || r.Reply.Token != 17 || len(r.Streamed) != 2 || r.Streamed[0].Token != 15 || r.Streamed[1].Token != 16 {
		t.Fatalf("streaming replies before their request: %+v", r)
	}
	p.Response(S2C, at(9), 18, false)
	if r := p.Request(C2S, at(8), 5); !r.Answered || r.Reply.Token != 18 || len(r.Streamed) != 0 {
		t.Fatalf("the next request: %+v", r)
	}
	// Its last still to come: the request waits for it.
	p.Response(S2C, at(9), 19, true)
	if r := p.Request(C2S, at(8), 6); r.Answered || len(r.Streamed) != 1 || r.Streamed[0].Token != 19 {
		t.Fatalf("a streaming reply before its request, its last after: %+v", r)
	}
	if req, ok := p.Response(S2C, at(9), 20, false); !ok || req.Token != 6 {
		t.Fatalf("the last reply: %v %v", req, ok)
	}
	for i := range 4 {
		if r := p.Request(C2S, at(10+i), uint64(20+i)); i == 3 && (len(r.Evicted) != 1 || r.Evicted[0].Token != 20) {
			t.Fatalf("bound: %+v", r)
		}
	}
	noReply, orphans := p.Close()
	if len(noReply) != 3 || noReply[0].Token != 21 || len(orphans) != 0 {
		t.Fatalf("close: %v %v", noReply, orphans)
	}
}

// Redis's pub/sub commands, paired by order: one is answered by a reply (an
// error, +QUEUED inside MULTI) or by its first confirmation; its other
// confirmations, and those no command waiting could get, answer nothing
// (notifications). A confirmation read before its command reached the
// observer is held early, as a reply is.
func TestOrderPairerPubSub(t *testing.T) {
	p := NewOrderPairer(0)
	answers := func(what string, req Pending, ok bool, want uint64) {
		t.Helper()
		if !ok || req.Token != want {
			t.Fatalf("%s: answered %d (%v), want %d", what, req.Token, ok, want)
		}
	}
	confirm := func(what string, at int64, tok uint64, sub SubWord, want Confirmed, wantReq uint64) {
		t.Helper()
		got, req := p.Confirm(S2C, at, tok, sub)
		if got != want || req.Token != wantReq {
			t.Fatalf("%s: %d %d, want %d %d", what, got, req.Token, want, wantReq)
		}
	}
	// SUBSCRIBE without a channel, then GET: the error is SUBSCRIBE's.
	p.RequestSub(C2S, 1, 1, SubSubscribe, 0)
	p.Request(C2S, 1, 2)
	req, ok := p.Response(S2C, 2, 10, false)
	answers("the arity error", req, ok, 1)
	req, ok = p.Response(S2C, 2, 11, false)
	answers("GET's reply", req, ok, 2)
	// MULTI; SUBSCRIBE c; EXEC: +QUEUED is SUBSCRIBE's.
	p.Request(C2S, 3, 3)
	p.RequestSub(C2S, 3, 4, SubSubscribe, 1)
	p.Request(C2S, 3, 5)
	for i, want := range []uint64{3, 4, 5} {
		req, ok = p.Response(S2C, 4, uint64(12+i), false)
		answers("MULTI's, SUBSCRIBE's QUEUED, EXEC's", req, ok, want)
	}
	// SUBSCRIBE a b; PSUBSCRIBE p*; PING: two confirmations, one, the pong.
	p.RequestSub(C2S, 5, 6, SubSubscribe, 2)
	p.RequestSub(C2S, 5, 7, SubPSubscribe, 1)
	p.Request(C2S, 5, 8)
	confirm("a", 6, 20, SubSubscribe, ConfirmAnswers, 6)
	confirm("b", 6, 21, SubSubscribe, ConfirmNote, 0)
	confirm("p*", 6, 22, SubPSubscribe, ConfirmAnswers, 7)
	confirm("a stray one", 6, 23, SubSubscribe, ConfirmNote, 0)
	req, ok = p.Response(S2C, 6, 24, false)
	answers("the pong", req, ok, 8)
	// UNSUBSCRIBE of all, twice (the second finds none), then GET.
	p.RequestSub(C2S, 7, 9, SubUnsubscribe, 0)
	p.RequestSub(C2S, 7, 10, SubUnsubscribe, 0)
	p.Request(C2S, 7, 11)
	confirm("unsubscribe a", 8, 25, SubUnsubscribe, ConfirmAnswers, 9)
	confirm("unsubscribe b", 8, 26, SubUnsubscribe, ConfirmAnswers, 10) // the second's, if it may be
	confirm("unsubscribe none", 8, 27, SubUnsubscribe, ConfirmNote, 0)
	req, ok = p.Response(S2C, 8, 28, false)
	answers("GET's reply", req, ok, 11)
	// Confirmations read before their command reached the observer.
	confirm("early a", 11, 29, SubSubscribe, ConfirmEarly, 0)
	confirm("early b", 11, 30, SubSubscribe, ConfirmEarly, 0)
	confirm("early, no command's", 11, 31, SubUnsubscribe, ConfirmEarly, 0)
	r := p.RequestSub(C2S, 10, 12, SubSubscribe, 2)
	if !r.Answered || r.Reply.Token != 29 || len(r.Notes) != 1 || r.Notes[0].Token != 30 {
		t.Fatalf("SUBSCRIBE a b after its confirmations: %+v", r)
	}
	r = p.Request(C2S, 10, 13)
	if r.Answered || len(r.Notes) != 1 || r.Notes[0].Token != 31 || r.Notes[0].Sub.Word != SubUnsubscribe {
		t.Fatalf("GET after a confirmation: %+v", r)
	}
	req, ok = p.Response(S2C, 12, 32, false)
	answers("GET's reply", req, ok, 13)
	// Settled, an early confirmation is a notification (Sub set), a reply
	// an orphan.
	confirm("early, never asked for", 14, 33, SubSubscribe, ConfirmEarly, 0)
	p.Response(S2C, 14, 34, false)
	if o := p.Settle(C2S, 15); len(o) != 2 || o[0].Token != 33 || o[0].Sub.Word != SubSubscribe || o[1].Token != 34 || o[1].Sub.Word != SubNone {
		t.Fatalf("settle: %+v", o)
	}
	if noReply, orphans := p.Close(); len(noReply)+len(orphans) != 0 {
		t.Fatalf("close: %v %v", noReply, orphans)
	}
}

// A RESP command's method is its name in capitals, as Redis reads it,
// known or not; a name seen before costs no copy.
func TestRESPMethodInCapitals(t *testing.T) {
	for _, in := range []string{"*1\r\n$13\r\nzrangebyscore\r\n", "*1\r\n$13\r\nZRangeByScore\r\n", "zrangebyscore k 0 1\r\n"} {
		if m := ClassifyAs(FramingRESP, []byte(in), C2S, nil).Method; string(m) != "ZRANGEBYSCORE" {
			t.Errorf("%q: method %q", in, m)
		}
	}
	data := []byte("*1\r\n$13\r\nzrangebyscore\r\n")
	if n := testing.AllocsPerRun(100, func() { ClassifyAs(FramingRESP, data, C2S, nil) }); n != 0 {
		t.Errorf("%v allocations a frame", n)
	}
}

// What a RESP message is to pub/sub: a command's word and how many
// confirmations it gets, a confirmation's word.
func TestRESPSub(t *testing.T) {
	for _, tc := range []struct {
		dir  Dir
		in   string
		sub  SubWord
		want int
	}{
		{C2S, "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n$1\r\nb\r\n", SubSubscribe, 2},
		{C2S, "*1\r\n$11\r\nUNSUBSCRIBE\r\n", SubUnsubscribe, 0},
		{C2S, "*2\r\n$12\r\nPUNSUBSCRIBE\r\n$2\r\np*\r\n", SubPUnsubscribe, 1},
		{C2S, "*2\r\n$10\r\nssubscribe\r\n$1\r\ns\r\n", SubSSubscribe, 1},
		{C2S, "psubscribe a* 'b c'\r\n", SubPSubscribe, 2},
		{C2S, "*2\r\n$3\r\nGET\r\n$9\r\nsubscribe\r\n", SubNone, 0},
		{S2C, "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n", SubSubscribe, 0},
		{S2C, ">3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n", SubUnsubscribe, 0},
		{S2C, "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nx\r\n", SubNone, 0},
		{S2C, "$9\r\nsubscribe\r\n", SubNone, 0},
	} {
		info := ClassifyAs(FramingRESP, []byte(tc.in), tc.dir, nil)
		if sub, want := RESPSub([]byte(tc.in), tc.dir, &info); sub != tc.sub || want != tc.want {
			t.Errorf("%s %q: %d %d, want %d %d", tc.dir, tc.in, sub, want, tc.sub, tc.want)
		}
	}
}

// Pairing by order allocates nothing per message once its rings have grown.
func TestOrderPairerAllocs(t *testing.T) {
	p := NewOrderPairer(0)
	at := int64(time.Second)
	n := testing.AllocsPerRun(1000, func() {
		for i := range 16 {
			p.Request(C2S, at, uint64(i))
		}
		for i := range 16 {
			p.Response(S2C, at, uint64(i), false)
		}
		p.Settle(C2S, at)
	})
	if n != 0 {
		t.Fatalf("%v allocations per 16 exchanges", n)
	}
}

// What sockscope writes is JSON: on lines, Content-Length and varlink
// (and raw, and a stream not decided yet), not on HTTP, RESP or msgpack-RPC.
func TestIsJSON(t *testing.T) {
	for f, want := range map[Framing]bool{FramingAuto: true, FramingLines: true, FramingContentLength: true,
		FramingVarlink: true, FramingRaw: true, FramingHTTP: false, FramingRESP: false, FramingMsgpack: false} {
		if IsJSON(f) != want {
			t.Errorf("IsJSON(%s) = %v", f, !want)
		}
	}
}

// A RESP command's words: a bulk array's, bytes and all, or an inline
// command's as Redis splits them (quotes).
func TestRESPArgs(t *testing.T) {
	for in, want := range map[string]string{
		"*2\r\n$4\r\nECHO\r\n$3\r\na\x00b\r\n": "ECHO|a\x00b",
		`SET k "a b"` + "\r\n":                 "SET|k|a b",
		"*2\r\n$4\r\nECHO\r\n$9\r\nshort\r\n":  "", // a length past the frame
	} {
		var got []string
		for _, a := range RESPArgs([]byte(in)) {
			got = append(got, string(a))
		}
		if strings.Join(got, "|") != want {
			t.Errorf("RESPArgs(%q) = %q, want %q", in, got, want)
		}
	}
}

// PendingHead gives the length of a message's head once it is read whole
// and its body is still coming, fed in one piece or byte by byte, and says
// whether the body is open-ended; between messages, inside a head, after
// a whole message and for other protocols it gives none.
func TestHTTPPendingHead(t *testing.T) {
	const (
		sized   = "POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\n"
		chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		toClose = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
	)
	for _, c := range []struct {
		framing Framing
		dir     Dir
		head    string
		body    string
		open    bool
	}{
		{FramingHTTP, C2S, sized, "hel", false},
		{FramingAuto, C2S, sized, "", false},
		{FramingHTTP, S2C, chunked, "5\r\nhel", true},
		{FramingHTTP, S2C, toClose, "data: 1\n\n", true},
	} {
		for _, bytewise := range []bool{false, true} {
			pair := NewFramerPair(c.framing, 1000)
			f := pair[c.dir]
			if c.dir == S2C { // the request first, so that the response's body is sure
				pair[C2S].Feed([]byte("GET / HTTP/1.1\r\n\r\n"), func(*Frame) {})
			}
			in := c.head + c.body
			step := len(in)
			if bytewise {
				step = 1
			}
			for i := 0; i < len(in); i += step {
				f.Feed([]byte(in[i:min(i+step, len(in))]), func(fr *Frame) { t.Errorf("%q: a frame: %q", c.head, fr.Data) })
				n, _ := PendingHead(f)
				if i+step < len(c.head) && n != 0 {
					t.Errorf("%q: a head of %d after %d bytes", c.head, n, i+step)
				}
			}
			if n, open := PendingHead(f); n != len(c.head) || open != c.open {
				t.Errorf("%s %q (bytewise %v): PendingHead = %d, %v; want %d, %v", c.framing, c.head, bytewise, n, open, len(c.head), c.open)
			}
		}
	}
	f := NewFramer(FramingHTTP, 1000)
	f.Feed([]byte(sized+"hello"), func(*Frame) {})
	if n, _ := PendingHead(f); n != 0 {
		t.Errorf("after a whole message: %d", n)
	}
	lines := NewFramer(FramingLines, 1000)
	lines.Feed([]byte(`{"id":1`), func(*Frame) {})
	if n, _ := PendingHead(lines); n != 0 {
		t.Errorf("lines: %d", n)
	}
}

// The lines a connection gets after MONITOR, one a command the server
// ran (from redis-server 7.0), are notifications, not replies that
// answer nothing; simple strings that merely start with a number are
// replies.
func TestRESPMonitorLines(t *testing.T) {
	for _, tc := range []struct {
		in   string
		kind Kind
	}{
		{"+1796473375.078970 [0 unix:/tmp/pp/r.sock] \"set\" \"a\" \"1\"\r\n", KindNotification},
		{"+1339518083.107412 [0 127.0.0.1:60866] \"keys\" \"*\"\r\n", KindNotification},
		{"+1339518083.107412 [0 lua] \"get\" \"k\"\r\n", KindNotification},
		{"+OK\r\n", KindResponse},
		{"+3.14\r\n", KindResponse},
		{"+1339518083.107412\r\n", KindResponse},
		{"+1339518083.107412 [x]\r\n", KindResponse},
	} {
		info := ClassifyAs(FramingRESP, []byte(tc.in), S2C, nil)
		if info.Kind != tc.kind {
			t.Errorf("%q: %v, want %v", tc.in, info.Kind, tc.kind)
		}
		if tc.kind == KindNotification && string(info.Method) != "MONITOR" {
			t.Errorf("%q: method %q", tc.in, info.Method)
		}
	}
}

// CLIENT REPLY OFF and SKIP get no reply, nor does what OFF or SKIP
// silences; ON gets its +OK, whatever came before (Redis's
// clientReplyCommand).
func TestRESPReplies(t *testing.T) {
	for _, tc := range []struct {
		cmds string
		want string // per command: y answered, n not
	}{
		{"GET k|SET k 1", "yy"},
		{"CLIENT REPLY OFF|SET k 1|GET k|CLIENT REPLY ON|GET k", "nnnyy"},
		{"client reply skip|SET k 1|GET k", "nny"},
		{"CLIENT REPLY OFF|CLIENT REPLY SKIP|GET k|CLIENT REPLY ON|GET k", "nnnyy"},
		{"CLIENT REPLY SKIP|CLIENT REPLY SKIP|GET k|GET k", "nnny"},
		{"CLIENT REPLY SKIP|CLIENT REPLY ON|GET k", "nyy"},
		{"CLIENT REPLY MAYBE|CLIENT LIST|GET k", "yyy"},
		// Inside MULTI, CLIENT REPLY is queued (+QUEUED) and runs with
		// EXEC: its effect starts after EXEC's reply; DISCARD drops it.
		{"MULTI|CLIENT REPLY OFF|SET k 1|EXEC|GET k|CLIENT REPLY ON|GET k", "yyyynyy"},
		{"MULTI|CLIENT REPLY SKIP|SET k 1|EXEC|GET k|GET k", "yyyyny"},
		{"MULTI|SET k 1|CLIENT REPLY SKIP|CLIENT REPLY ON|EXEC|GET k|GET k", "yyyyyny"},
		{"MULTI|CLIENT REPLY OFF|CLIENT REPLY ON|EXEC|GET k", "yyyyy"},
		{"MULTI|CLIENT REPLY OFF|DISCARD|GET k", "yyyy"},
		{"MULTI|CLIENT REPLY OFF|MULTI|WATCH k|EXEC|GET k", "yyyyyn"},
		{"MULTI|CLIENT REPLY OFF|RESET|GET k", "yyyy"},
		// Replies off: MULTI and what it queues get none, nor does EXEC.
		{"CLIENT REPLY OFF|MULTI|SET k 1|EXEC|CLIENT REPLY ON|GET k", "nnnnyy"},
		{"CLIENT REPLY SKIP|MULTI|SET k 1|EXEC", "nnyy"},
		{"CLIENT REPLY OFF|RESET|GET k", "nyy"},
	} {
		var r Replies
		var got string
		for _, cmd := range strings.Split(tc.cmds, "|") {
			inline, array := []byte(cmd+"\r\n"), []byte(respArray(strings.Fields(cmd)))
			info := ClassifyAs(FramingRESP, inline, C2S, nil)
			answered, next := RESPReplies(inline, &info, r)
			info = ClassifyAs(FramingRESP, array, C2S, nil)
			if a, n := RESPReplies(array, &info, r); a != answered || n != next {
				t.Errorf("%q: inline and as an array differ", cmd)
			}
			got += map[bool]string{true: "y", false: "n"}[answered]
			r = next
		}
		if got != tc.want {
			t.Errorf("%s: %s, want %s", tc.cmds, got, tc.want)
		}
	}
}

// An EXEC that fails (-EXECABORT, or a null array: a WATCHed key
// changed) runs none of the commands queued since MULTI: a CLIENT REPLY
// among them leaves the replies as they were (RESPExecFailed); its
// reply says which it was (RESPExecRan).
func TestRESPExecFailed(t *testing.T) {
	var r Replies
	for _, cmd := range []string{"CLIENT REPLY SKIP", "MULTI", "CLIENT REPLY OFF"} {
		info := ClassifyAs(FramingRESP, []byte(cmd+"\r\n"), C2S, nil)
		_, r = RESPReplies([]byte(cmd+"\r\n"), &info, r)
	}
	exec := ClassifyAs(FramingRESP, []byte("EXEC\r\n"), C2S, nil)
	if answered, ran := RESPReplies([]byte("EXEC\r\n"), &exec, r); !answered || ran != RepliesOff {
		t.Errorf("EXEC that runs CLIENT REPLY OFF: answered %v, replies %v after it", answered, ran)
	}
	if failed := RESPExecFailed(r); failed != RepliesOn {
		t.Errorf("after an EXEC that failed, replies %v, want on", failed)
	}
	for reply, ran := range map[string]bool{
		"*1\r\n+OK\r\n": true, "*0\r\n": true, "-EXECABORT Transaction discarded because of previous errors.\r\n": false,
		"*-1\r\n": false, "_\r\n": false, "-ERR EXEC without MULTI\r\n": false,
	} {
		info := ClassifyAs(FramingRESP, []byte(reply), S2C, nil)
		if got := RESPExecRan([]byte(reply), &info); got != ran {
			t.Errorf("EXEC answered %q: ran %v, want %v", reply, got, ran)
		}
	}
}

func respArray(args []string) string {
	s := "*" + strconv.Itoa(len(args)) + "\r\n"
	for _, a := range args {
		s += "$" + strconv.Itoa(len(a)) + "\r\n" + a + "\r\n"
	}
	return s
}

// What a master sends a replica: +FULLRESYNC, newlines while it makes
// the snapshot, the snapshot (RDB) as a bulk string without its CRLF or
// as "$EOF:<mark>", the snapshot, the mark (diskless, redis-cli --rdb),
// then the commands it runs. Each is a frame, however the bytes are cut,
// and the snapshot is shown by its size.
func TestRESPSnapshot(t *testing.T) {
	mark := strings.Repeat("0123456789abcdef", 3)[:40]
	rdb := "REDIS0010\xfa\x09redis-ver" + mark[:39] + "\r\n" + mark[1:] + "\xff" // the mark's start and end inside
	for _, tc := range []struct{ name, in, snapshot string }{
		{"diskless", "+FULLRESYNC 5814b6a2 71\r\n\n\n$EOF:" + mark + "\r\n" + rdb + mark, "$EOF:" + mark + "\r\n" + rdb + mark},
		{"disk", "+FULLRESYNC 5814b6a2 71\r\n\n$" + fmt.Sprint(len(rdb)) + "\r\n" + rdb, "$" + fmt.Sprint(len(rdb)) + "\r\n" + rdb},
		{"SYNC", "$EOF:" + mark + "\r\n" + rdb + mark, "$EOF:" + mark + "\r\n" + rdb + mark},
		// SYNC from a client that did not say REPLCONF capa eof: newlines
		// while the master saves, then "$<size>" and the snapshot, no CRLF.
		{"SYNC disk", "\n\n$" + fmt.Sprint(len(rdb)) + "\r\n" + rdb, "$" + fmt.Sprint(len(rdb)) + "\r\n" + rdb},
	} {
		stream := "*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r\n"
		got := datas(checkChunkingWith(t, afterSync("SYNC\r\n"), 1000, tc.in+stream+"$2\r\nhi\r\n"))
		want := []string{tc.snapshot, "*1\r\n$4\r\nPING\r\n", "*3\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r\n", "$2\r\nhi\r\n"}
		if !strings.HasPrefix(tc.name, "SYNC") {
			want = append([]string{"+FULLRESYNC 5814b6a2 71\r\n"}, want...)
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: frames %q\nwant %q", tc.name, got, want)
		}
		if v, err := viewRESP(nil, []byte(tc.snapshot)); err != nil || string(v) != fmt.Sprintf(`{"rdb":%d}`, len(rdb)) {
			t.Errorf("%s: view %s, %v", tc.name, v, err)
		}
	}
	// A bulk string that is not a snapshot keeps its CRLF.
	if got := datas(checkChunking(t, FramingRESP, 1000, "+OK\r\n$2\r\nhi\r\n+FULLRESYNC x 1\r\n+OK\r\n$2\r\nhi\r\n")); len(got) != 5 {
		t.Errorf("frames %q", got)
	}
	// A value that reads as a snapshot is one only where a snapshot is
	// expected: the first bulk string (or error) after SYNC, as an array
	// or inline, whatever replies to commands before it came between.
	// Elsewhere (a GET of a value a client stored), inside an aggregate,
	// or after SYNC was refused, it is a bulk string with its CRLF.
	for _, tc := range []struct{ sync, in, want string }{
		{"", "$9\r\nREDIS0011\r\n+OK\r\n", "$9\r\nREDIS0011\r\n|+OK\r\n"},
		{"", "$12\r\nREDIS0011abc\r\n+OK\r\n", "$12\r\nREDIS0011abc\r\n|+OK\r\n"},
		{"SYNC\r\n", "*1\r\n$9\r\nREDIS0011\r\n+OK\r\n", "*1\r\n$9\r\nREDIS0011\r\n|+OK\r\n"},
		{"SYNC\r\n", "$9\r\nREDIS0011\r\n+OK\r\n", "$9\r\nREDIS0011|+OK\r\n"},
		{"*1\r\n$4\r\nsync\r\n", "+PONG\r\n$9\r\nREDIS0011\r\n+OK\r\n", "+PONG\r\n|$9\r\nREDIS0011|+OK\r\n"},
		{"sync\n", "$9\r\nREDIS001x\r\n+OK\r\n", "$9\r\nREDIS001x\r\n|+OK\r\n"},
		{"SYNC\r\n", "$12\r\nREDIS0011abc+OK\r\n", "$12\r\nREDIS0011abc|+OK\r\n"},
		{"SYNC\r\n", "-NOPERM no\r\n$9\r\nREDIS0011\r\n", "-NOPERM no\r\n|$9\r\nREDIS0011\r\n"},
		{"*2\r\n$3\r\nGET\r\n$4\r\nSYNC\r\n", "$9\r\nREDIS0011\r\n", "$9\r\nREDIS0011\r\n"},
		// A reply to a command pipelined before SYNC is not its answer.
		{"GET k\r\nSYNC\r\n", "$9\r\nREDIS0011\r\n$9\r\nREDIS0012+OK\r\n", "$9\r\nREDIS0011\r\n|$9\r\nREDIS0012|+OK\r\n"},
		{"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n*1\r\n$4\r\nSYNC\r\n", "$9\r\nREDIS0011\r\n+PONG\r\n$9\r\nREDIS0012+OK\r\n", "$9\r\nREDIS0011\r\n|+PONG\r\n|$9\r\nREDIS0012|+OK\r\n"},
		{"CLIENT REPLY OFF\r\nGET k\r\nSYNC\r\n", "$9\r\nREDIS0012+OK\r\n", "$9\r\nREDIS0012|+OK\r\n"},
		// Pub/sub before SYNC: its commands get confirmations, one a
		// channel, and messages come unasked. RESP2's (arrays) were
		// counted as replies, so the GET's value was taken for SYNC's;
		// RESP3's (pushes) were not, though their commands were, so
		// SYNC's snapshot was not.
		{"SUBSCRIBE a b\r\nUNSUBSCRIBE\r\nGET k\r\nSYNC\r\n",
			"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n" +
				"*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n$9\r\nREDIS0011\r\n-ERR x\r\n",
			"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n|*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n|*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n|" +
				"*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n|*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n|$9\r\nREDIS0011\r\n|-ERR x\r\n"},
		{"HELLO 3\r\nSUBSCRIBE x\r\nUNSUBSCRIBE x\r\nSYNC\r\n",
			"%1\r\n+proto\r\n:3\r\n>3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n>3\r\n$11\r\nunsubscribe\r\n$1\r\nx\r\n:0\r\n$9\r\nREDIS0011+OK\r\n",
			"%1\r\n+proto\r\n:3\r\n|>3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n|>3\r\n$11\r\nunsubscribe\r\n$1\r\nx\r\n:0\r\n|$9\r\nREDIS0011|+OK\r\n"},
	} {
		if got := strings.Join(datas(checkChunkingWith(t, afterSync(tc.sync), 1000, tc.in)), "|"); got != tc.want {
			t.Errorf("after %q, %q: frames %q, want %q", tc.sync, tc.in, got, tc.want)
		}
	}
}

// afterSync makes the framers of a connection's replies whose other
// direction's framer framed cmds.
func afterSync(cmds string) func() Framer {
	return func() Framer {
		p := NewFramerPair(FramingRESP, 1000, DefaultIDFields...)
		p[C2S].Feed([]byte(cmds), func(*Frame) {})
		return p[S2C]
	}
}

// On a connection that asked for replication, what answers SYNC or PSYNC
// (the reply paired with it) starts the stream, and all that comes after
// is a notification: the
// snapshot, the commands the master sends (named as commands are) and
// the replica's REPLCONF ACK. An error answers and ends it.
func TestRESPReplication(t *testing.T) {
	type msg struct {
		dir  Dir
		data string
	}
	for _, tc := range []struct {
		msgs []msg
		want string // kind and method of each, after RESPReplication
	}{
		{[]msg{{C2S, "PSYNC ? -1\r\n"}, {S2C, "+FULLRESYNC x 1\r\n"}, {S2C, "$3\r\nabc"}, {S2C, "*3\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r\n"}, {C2S, "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n0\r\n"}, {S2C, "-ERR x\r\n"}},
			"request PSYNC|response |notification |notification SET|notification REPLCONF|notification ERR"},
		{[]msg{{C2S, "SYNC\r\n"}, {S2C, "$EOF:x\r\nabc"}, {S2C, "*1\r\n$4\r\nping\r\n"}},
			"request SYNC|response |notification PING"},
		{[]msg{{C2S, "PSYNC x 1\r\n"}, {S2C, "-NOMASTERLINK\r\n"}, {C2S, "GET k\r\n"}, {S2C, "$1\r\nv\r\n"}},
			"request PSYNC|response NOMASTERLINK|request GET|response "},
		{[]msg{{C2S, "GET k\r\n"}, {S2C, "*1\r\n$4\r\nSYNC\r\n"}, {C2S, "GET k\r\n"}},
			"request GET|response |request GET"},
	} {
		var r Replication
		var got []string
		for _, m := range tc.msgs {
			info := ClassifyAs(FramingRESP, []byte(m.data), m.dir, nil)
			r = RESPReplication([]byte(m.data), m.dir, &info, r)
			if r == ReplAsked && m.dir == S2C && info.Kind == KindResponse {
				r = RESPSyncAnswered(&info) // the reply paired with it: here the first, as no command came before it
			}
			got = append(got, info.Kind.String()+" "+string(info.Method))
		}
		if strings.Join(got, "|") != tc.want {
			t.Errorf("%v\ngot  %s\nwant %s", tc.msgs, strings.Join(got, "|"), tc.want)
		}
	}
}
