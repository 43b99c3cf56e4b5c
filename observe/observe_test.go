package observe

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"sockscope/event"

	"sockscope/protocol"
	"sockscope/store"
)

// script builds relay events for one connection, with times in order of
// reading (not of delivery).
type script struct {
	t0  time.Time
	evs []event.Event
}

func newScript() *script {
	s := &script{t0: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s.evs = append(s.evs, event.Event{Type: event.Open, Conn: 1, At: s.t0, Peer: &event.Peer{Client: "@", PID: -1, UID: -1}})
	return s
}

func (s *script) data(ms int, d protocol.Dir, text string) *script {
	s.evs = append(s.evs, event.Event{Type: event.Data, Conn: 1, Dir: d, At: s.t0.Add(time.Duration(ms) * time.Millisecond), Data: []byte(text)})
	return s
}

func (s *script) close(ms int, err error) *script {
	s.evs = append(s.evs, event.Event{Type: event.Close, Conn: 1, At: s.t0.Add(time.Duration(ms) * time.Millisecond), Err: err})
	return s
}

// run feeds the events one batch each, finishes, and returns the store
// and the parsed dump.
func (s *script) run(t *testing.T) (*store.Store, []map[string]any, Counts) {
	t.Helper()
	st := store.New(store.Config{})
	var out bytes.Buffer
	o := New(Config{Store: st, Sinks: []Sink{NewDump(&out)}})
	for i := range s.evs {
		o.Handle(s.evs[i : i+1])
	}
	o.finish(s.t0.Add(time.Hour))
	var lines []map[string]any
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("dump line %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	return st, lines, o.Counts()
}

func exchanges(lines []map[string]any) []string {
	var out []string
	for _, l := range lines {
		if l["type"] == "exchange" {
			m, _ := l["method"].(string)
			out = append(out, m+":"+l["status"].(string))
		}
	}
	return out
}

// latencies lists the exchanges' latencies in µs, in order.
func latencies(lines []map[string]any) string {
	var lat []string
	for _, l := range lines {
		if l["type"] == "exchange" {
			lat = append(lat, fmt.Sprint(l["latency_us"]))
		}
	}
	return strings.Join(lat, " ")
}

// sentAt lists when the stored rows' requests were sent, from the
// script's start.
func sentAt(st *store.Store) string {
	var sent []time.Duration
	st.Rows(0, func(r store.Row) bool {
		sent = append(sent, r.ReqAt.Sub(newScript().t0))
		return true
	})
	return fmt.Sprint(sent)
}

func TestSeedSessionPairsOutOfOrder(t *testing.T) {
	st, lines, c := newScript().
		data(0, protocol.S2C, `{"action":"register","methods":["add","time"]}`+"\n").
		data(1, protocol.C2S, `{"rid":1,"method":"time","args":[]}`+"\n"+`{"rid":2,"method":"add","args":[1,2]}`+"\n").
		data(2, protocol.S2C, `{"rid":2,"success":true,"data":3}`+"\n").
		data(1002, protocol.S2C, `{"rid":1,"success":true,"data":"12:00"}`+"\n").
		data(1003, protocol.C2S, `{"rid":3,"method":"nope","args":[]}`+"\n").
		data(1004, protocol.S2C, `{"success":false,"rid":3}`+"\n").
		data(1005, protocol.C2S, `{"rid":4,"method":"boom","args":[]}`+"\n").
		data(1006, protocol.S2C, "{}\n").
		data(1007, protocol.C2S, `{"rid":5,"method":"never","args":[]}`+"\n").
		close(2000, nil).run(t)

	got := exchanges(lines)
	want := []string{"add:ok", "time:ok", "nope:error", ":orphan", "boom:no-reply", "never:no-reply"}
	if len(got) != len(want) {
		t.Fatalf("exchanges %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("exchanges %v, want %v", got, want)
		}
	}
	if c.OK != 2 || c.Errors != 1 || c.Orphan != 1 || c.NoReply != 2 || c.Notifications != 1 {
		t.Errorf("counts %+v", c)
	}
	for _, l := range lines {
		if l["type"] == "exchange" && l["method"] == "time" && l["latency_us"].(float64) != 1001000 {
			t.Errorf("time latency %v µs, want 1001000", l["latency_us"])
		}
	}
	conn, ok := st.Conn(1)
	if !ok || conn.State != store.ConnClosed || conn.InFlight != 0 {
		t.Errorf("conn %+v", conn)
	}
}

// A request sockscope dropped (intercept, a rule) never reached its peer:
// its row ends as no reply at once, not pending until the connection
// ends, and is not in flight; so for a protocol paired by order (HTTP),
// where the next response is the next request's.
func TestDroppedRequestEndsAtOnce(t *testing.T) {
	for _, tc := range []struct{ req, reply, want string }{
		{`{"jsonrpc":"2.0","id":7,"method":"m"}` + "\n", `{"jsonrpc":"2.0","id":8,"result":1}` + "\n", "m:no-reply n:ok"},
		{"GET /m HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "GET /m:no-reply GET /n:ok"},
	} {
		s := newScript().data(1, protocol.C2S, tc.req)
		s.evs[len(s.evs)-1].Withheld = true
		s.evs[len(s.evs)-1].Note = &protocol.Note{Act: protocol.ActDropped}
		next := strings.NewReplacer("7", "8", `"m"`, `"n"`, "/m", "/n").Replace(tc.req)
		s.data(2, protocol.C2S, next).data(3, protocol.S2C, tc.reply)
		st := store.New(store.Config{})
		o := New(Config{Store: st})
		for i := range s.evs {
			o.Handle(s.evs[i : i+1])
		}
		var got []string
		st.Rows(0, func(r store.Row) bool {
			got = append(got, r.Method+":"+r.Status.String())
			return true
		})
		if strings.Join(got, " ") != tc.want || o.Counts().NoReply != 1 {
			t.Errorf("rows %v, counts %+v; want %s", got, o.Counts(), tc.want)
		}
		if c, _ := st.Conn(1); c.InFlight != 0 {
			t.Errorf("%d in flight, want 0", c.InFlight)
		}
	}
}

// A reply that reaches the observer before its request (the two directions
// are relayed in parallel) still pairs, by read time.
func TestReplyObservedBeforeRequest(t *testing.T) {
	_, lines, c := newScript().
		data(5, protocol.S2C, `{"jsonrpc":"2.0","id":7,"result":1}`+"\n").
		data(4, protocol.C2S, `{"jsonrpc":"2.0","id":7,"method":"m"}`+"\n").
		close(10, nil).run(t)
	if got := exchanges(lines); len(got) != 1 || got[0] != "m:ok" || c.Orphan != 0 {
		t.Fatalf("exchanges %v counts %+v", got, c)
	}
}

// An HTTP server that answers before the request's body is in (nginx's
// return, a 100 Continue then the answer, a 413): the response, read
// after the request began and before it ended, answers it. It was an
// orphan, the request no reply. Its latency is from the request's start
// (it was 0: from the request's end, after the answer); other requests
// from their last byte.
func TestHTTPReplyBeforeTheRequestEnds(t *testing.T) {
	st, lines, c := newScript().
		data(1, protocol.C2S, "POST /up HTTP/1.1\r\nContent-Length: 6\r\n\r\n").
		data(2, protocol.S2C, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n").
		data(3, protocol.C2S, "abcdef").
		data(4, protocol.C2S, "GET /next HTTP/1.1\r\n\r\n").
		data(7, protocol.S2C, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").
		data(8, protocol.C2S, "POST /late HTTP/1.1\r\nContent-Length: 2\r\n\r\n").
		data(9, protocol.C2S, "xy").
		data(13, protocol.S2C, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").
		close(20, nil).run(t)
	if got := exchanges(lines); strings.Join(got, " ") != "POST /up:ok GET /next:ok POST /late:ok" || c.Orphan != 0 || c.NoReply != 0 {
		t.Fatalf("exchanges %v counts %+v", got, c)
	}
	lat := latencies(lines)
	if lat != "1000 3000 4000" {
		t.Errorf("latencies %v µs, want 1000 (from the POST's start), 3000 and 4000 (from the last POST's end)", lat)
	}
	sent := sentAt(st)
	if sent != "[1ms 4ms 9ms]" {
		t.Errorf("requests sent at %v, want 1ms (the POST's start), 4ms and 9ms", sent)
	}
}

// The same early reply, reported after the read that ended its request:
// the relay reports each direction once it has forwarded it, and the
// client, which had the 413, sent the rest before the relay reported the
// 413. The request is still timed from its start.
func TestHTTPReplyBeforeTheRequestEndsReportedAfter(t *testing.T) {
	st, lines, c := newScript().
		data(1, protocol.C2S, "POST /up HTTP/1.1\r\nContent-Length: 6\r\n\r\nabc").
		data(3, protocol.C2S, "def").
		data(2, protocol.S2C, "HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\n\r\n").
		data(4, protocol.C2S, "GET /next HTTP/1.1\r\n\r\n").
		data(6, protocol.S2C, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").
		close(10, nil).run(t)
	if got := exchanges(lines); strings.Join(got, " ") != "POST /up:error GET /next:ok" || c.Orphan != 0 || c.NoReply != 0 {
		t.Fatalf("exchanges %v counts %+v", got, c)
	}
	lat := latencies(lines)
	if lat != "1000 2000" {
		t.Errorf("latencies %v µs, want 1000 (from the POST's start) and 2000", lat)
	}
	sent := sentAt(st)
	if sent != "[1ms 4ms]" {
		t.Errorf("requests sent at %v, want 1ms (the POST's start) and 4ms", sent)
	}
}

// A request whose body the server's close cut short (it answered 413 and
// closed) is still the request, and the 413 answers it; it was raw, the
// 413 an orphan.
func TestHTTPRequestCutShortByTheAnswer(t *testing.T) {
	_, lines, c := newScript().
		data(1, protocol.C2S, "POST /up HTTP/1.1\r\nContent-Length: 100000\r\n\r\nabc").
		data(2, protocol.S2C, "HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").
		data(3, protocol.C2S, "defgh").
		close(4, nil).run(t)
	if got := exchanges(lines); strings.Join(got, " ") != "POST /up:error" || c.Orphan != 0 || c.Raw != 0 {
		t.Fatalf("exchanges %v counts %+v", got, c)
	}
}

// A reply that matches nothing becomes an orphan as soon as the other
// direction has been seen past its read time, not only at close.
func TestOrphanSettledByOtherDirection(t *testing.T) {
	_, lines, _ := newScript().
		data(1, protocol.S2C, `{"jsonrpc":"2.0","id":9,"result":1}`+"\n").
		data(2, protocol.C2S, `{"jsonrpc":"2.0","id":10,"method":"m"}`+"\n").
		run(t)
	got := exchanges(lines)
	if len(got) < 1 || got[0] != ":orphan" {
		t.Fatalf("exchanges %v, want the orphan first (before close)", got)
	}
}

// Both sides ask with the same ids (LSP); each pairs within its direction.
func TestBothDirectionsAsk(t *testing.T) {
	lsp := func(body string) string {
		return "Content-Length: " + itoa(len(body)) + "\r\n\r\n" + body
	}
	_, lines, c := newScript().
		data(1, protocol.C2S, lsp(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`)).
		data(2, protocol.S2C, lsp(`{"jsonrpc":"2.0","id":1,"method":"workspace/configuration","params":{}}`)).
		data(3, protocol.C2S, lsp(`{"jsonrpc":"2.0","id":1,"result":[]}`)).
		data(4, protocol.S2C, lsp(`{"jsonrpc":"2.0","id":1,"result":{"capabilities":{}}}`)).
		close(5, nil).run(t)
	got := exchanges(lines)
	if len(got) != 2 || got[0] != "workspace/configuration:ok" || got[1] != "initialize:ok" || c.Orphan != 0 {
		t.Fatalf("exchanges %v counts %+v", got, c)
	}
}

func TestMalformedFrameIsRawAndStreamResyncs(t *testing.T) {
	_, lines, c := newScript().
		data(1, protocol.C2S, "this is not json\n"+`{"rid":1,"method":"add","args":[1]}`+"\n").
		data(2, protocol.S2C, `{"action":"register","methods":[]}`+"\n\xff\xfe\x00\n"+`{"rid":1,"success":true,"data":1}`+"\n").
		close(3, errors.New("connection reset")).run(t)
	var raws int
	for _, l := range lines {
		if l["type"] == "message" && l["kind"] == "raw" {
			raws++
			if l["reason"] == "" || (l["text"] == nil && l["b64"] == nil) {
				t.Errorf("raw message without reason or bytes: %v", l)
			}
		}
	}
	if raws != 2 || c.OK != 1 || c.Failed != 1 {
		t.Fatalf("raw %d, counts %+v", raws, c)
	}
	if last := lines[len(lines)-1]; last["type"] != "error" || last["error"] != "connection reset" {
		t.Errorf("last line %v, want the error end", last)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// A decoder that panics loses that batch's decoding, never the observer:
// the next batch is decoded, and a close still closes.
func TestDecoderPanicIsContained(t *testing.T) {
	st := store.New(store.Config{})
	o := New(Config{Store: st})
	s := newScript().
		data(1, protocol.C2S, `{"rid":1,"method":"add","args":[]}`+"\n").
		data(2, protocol.S2C, `{"rid":1,"success":true,"data":0}`+"\n").
		data(3, protocol.C2S, `{"rid":2,"method":"add","args":[]}`+"\n").
		data(4, protocol.S2C, `{"rid":2,"success":true,"data":0}`+"\n").
		close(5, nil)
	o.Handle(s.evs[:1])
	o.crashTest = func(ev *event.Event) {
		if ev.At.Equal(s.t0.Add(time.Millisecond)) {
			panic("decoder bug")
		}
	}
	for i := 1; i < len(s.evs); i++ {
		o.Handle(s.evs[i : i+1])
	}
	c := o.Counts()
	if c.Panics != 1 || c.LastPanic != "decoder bug" {
		t.Fatalf("counts %+v, want one panic recorded", c)
	}
	if c.OK != 1 || c.Orphan != 1 {
		t.Errorf("counts %+v: want rid 2 paired and rid 1's reply an orphan", c)
	}
	if conn, _ := st.Conn(1); conn.State != store.ConnClosed {
		t.Errorf("conn %+v, want closed", conn)
	}
}

// --id names the members that carry ids: with "tag", tagged messages pair
// and rid is just another member.
func TestCustomIDFields(t *testing.T) {
	st := store.New(store.Config{})
	var out bytes.Buffer
	o := New(Config{Store: st, Sinks: []Sink{NewDump(&out)}, IDFields: []string{"tag"}})
	s := newScript().
		data(1, protocol.C2S, `{"tag":"a","rid":1,"method":"get"}`+"\n").
		data(2, protocol.S2C, `{"tag":"a","rid":2,"result":1}`+"\n").
		close(3, nil)
	for i := range s.evs {
		o.Handle(s.evs[i : i+1])
	}
	o.flush()
	if c := o.Counts(); c.OK != 1 || c.Orphan+c.NoReply != 0 {
		t.Fatalf("counts %+v, want one ok exchange paired by tag", c)
	}
	if !bytes.Contains(out.Bytes(), []byte(`"type":"exchange","conn":1,"dir":"c2s","id":"a","method":"get","status":"ok"`)) {
		t.Errorf("dump:\n%s", out.Bytes())
	}
}

// A varlink call's replies that say "continues" are counted as streamed
// replies, not as notifications; a oneway call is a notification.
func TestVarlinkStreamedCounts(t *testing.T) {
	_, lines, c := newScript().
		data(0, protocol.C2S, `{"method":"org.example.Count","more":true}`+"\x00").
		data(1, protocol.S2C, `{"parameters":{"n":1},"continues":true}`+"\x00"+`{"parameters":{"n":2},"continues":true}`+"\x00"+`{"parameters":{"n":3}}`+"\x00").
		data(2, protocol.C2S, `{"method":"org.example.Note","oneway":true}`+"\x00").
		close(3, nil).run(t)
	if got := exchanges(lines); len(got) != 1 || got[0] != "org.example.Count:ok" {
		t.Errorf("exchanges %v, want the call, ok", got)
	}
	if c.Requests != 1 || c.OK != 1 || c.Streamed != 2 || c.Notifications != 1 {
		t.Errorf("counts %+v, want 1 request ok, 2 streamed replies, 1 notification", c)
	}
	if s := c.String(); !strings.Contains(s, "; 1 notification, 0 raw; 2 streamed replies") {
		t.Errorf("summary %q", s)
	}
}

// MCP reports a tool's failure as a result that says isError, not as a
// JSON-RPC error: a tools/call so answered ends as an error (it was ok),
// its reply still a response; a tool's success, an isError in a tool's
// text and another method's isError stay ok. A reply that comes before
// its request (early) counts the same.
func TestMCPToolFailureIsAnError(t *testing.T) {
	_, lines, c := newScript().
		data(1, protocol.C2S, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add"}}`+"\n").
		data(2, protocol.S2C, `{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"unknown tool"}],"isError":true}}`+"\n").
		data(3, protocol.C2S, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo"}}`+"\n").
		data(4, protocol.S2C, `{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"\"isError\":true"}]}}`+"\n").
		data(5, protocol.C2S, `{"jsonrpc":"2.0","id":3,"method":"other","params":{}}`+"\n").
		data(6, protocol.S2C, `{"jsonrpc":"2.0","id":3,"result":{"isError":true}}`+"\n").
		data(8, protocol.S2C, `{"jsonrpc":"2.0","id":4,"result":{"isError":true,"content":[]}}`+"\n").
		data(7, protocol.C2S, `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"x"}}`+"\n").
		close(9, nil).run(t)
	want := []string{"tools/call:error", "tools/call:ok", "other:ok", "tools/call:error"}
	if got := exchanges(lines); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("exchanges %q, want %q", got, want)
	}
	if c.Errors != 2 || c.OK != 2 {
		t.Errorf("counts %+v: want 2 errors, 2 ok", c)
	}
}

// Redis commands that CLIENT REPLY leaves without a reply are
// notifications: the replies that come pair with the commands that get
// them (the +OK of ON answered OFF, and each reply the command before
// its own).
func TestRedisClientReplyOff(t *testing.T) {
	_, lines, c := newScript().
		data(1, protocol.C2S, "CLIENT REPLY OFF\r\nSET q 1\r\nCLIENT REPLY ON\r\nGET q\r\nCLIENT REPLY SKIP\r\nSET q 2\r\nGET q\r\n").
		data(2, protocol.S2C, "+OK\r\n$1\r\n1\r\n$1\r\n2\r\n").
		close(3, nil).run(t)
	if got := exchanges(lines); strings.Join(got, " ") != "CLIENT:ok GET:ok GET:ok" || c.Notifications != 4 {
		t.Fatalf("exchanges %v counts %+v", got, c)
	}
}

// A Redis replication stream (redis-cli --replica): SYNC pairs with the
// snapshot, and the commands the master sends after it, and the
// replica's REPLCONF ACK, are notifications; they were orphans, raw (the
// snapshot's "$EOF:" was a bad bulk length) and requests without a reply.
func TestRedisReplicationStream(t *testing.T) {
	mark := strings.Repeat("a", 40)
	_, lines, c := newScript().
		data(1, protocol.C2S, "*1\r\n$4\r\nSYNC\r\n").
		data(2, protocol.S2C, "\n$EOF:"+mark+"\r\nREDIS0010\xff"+mark+"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n").
		data(3, protocol.C2S, "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n0\r\n").
		data(4, protocol.S2C, "*3\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r\n").
		close(5, nil).run(t)
	if got := exchanges(lines); strings.Join(got, " ") != "SYNC:ok" || c.Notifications != 3 || c.Raw != 0 {
		t.Fatalf("exchanges %v counts %+v", got, c)
	}
}
