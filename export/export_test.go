package export

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"sockscope/event"
	"sockscope/observe"
	"sockscope/protocol"
	"sockscope/query"
	"sockscope/store"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// observed decodes events through the real observer into a store.
func observed(t *testing.T, evs []event.Event) *store.Store { return observedWith(t, 0, evs) }

// observedWith is observed with frames kept up to maxFrame bytes (0: the
// default).
func observedWith(t *testing.T, maxFrame int, evs []event.Event) *store.Store {
	t.Helper()
	st := store.New(store.Config{})
	o := observe.New(observe.Config{Store: st, MaxFrame: maxFrame})
	q := event.NewQueue(0, true)
	done := make(chan struct{})
	go func() { o.Run(q); close(done) }()
	for _, ev := range evs {
		q.Put(ev)
	}
	q.Close()
	<-done
	return st
}

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

// openEv, dataEv and closeEv are the relay's events of a connection, at ms.
func openEv(conn uint64, ms int, listen, upstream string) event.Event {
	return event.Event{Type: event.Open, Conn: conn, At: at(ms), Peer: &event.Peer{Client: "@", Listen: listen, Upstream: upstream, PID: -1, UID: -1}}
}

func dataEv(conn uint64, ms int, d protocol.Dir, s string) event.Event {
	return event.Event{Type: event.Data, Conn: conn, Dir: d, At: at(ms), Data: []byte(s)}
}

func closeEv(conn uint64, ms int) event.Event {
	return event.Event{Type: event.Close, Conn: conn, At: at(ms)}
}

// harOf exports st as HAR with opts and decodes the log into har,
// failing t when either fails; it returns the log.
func harOf(t *testing.T, st *store.Store, opts Options, har any) []byte {
	t.Helper()
	var out bytes.Buffer
	if _, err := Write(&out, st, HAR, opts); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out.Bytes(), har); err != nil {
		t.Fatalf("%v\n%s", err, out.Bytes())
	}
	return out.Bytes()
}

// sessionEvents is two connections: lines with an injected request and a
// frame of 200,000 bytes, and Content-Length frames on another listener.
func sessionEvents(big []byte) []event.Event {
	lsp := func(body string) string { return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body) }
	evs := []event.Event{
		openEv(1, 0, "/front.sock", "/up.sock"),
		dataEv(1, 1, protocol.C2S, `{"id":1,"method":"add","params":[1,2]}`+"\n"),
		dataEv(1, 3, protocol.S2C, `{"id":1,"result":3}`+"\n"),
		dataEv(1, 4, protocol.C2S, `{"id":2,"method":"big","params":"`+string(big)+`"}`+"\r\n"),
		dataEv(1, 9, protocol.S2C, `{"id":2,"result":true}`+"\n"),
		dataEv(1, 10, protocol.C2S, `{"id":3,"method":"add","params":[5]}`+"\n"),
		dataEv(1, 11, protocol.S2C, `{"id":3,"error":{"code":1}}`+"\n"),
		openEv(2, 12, "/lsp.sock", "/up.sock"),
		dataEv(2, 13, protocol.C2S, lsp(`{"jsonrpc":"2.0","id":1,"method":"initialize"}`)),
		dataEv(2, 15, protocol.S2C, lsp(`{"jsonrpc":"2.0","id":1,"result":{}}`)),
		closeEv(1, 20),
		closeEv(2, 21),
	}
	evs[5].Injected = true                                            // the request with id 3
	evs[6].Withheld = true                                            // its reply, which the client never got
	evs[8].Note = &protocol.Note{Act: protocol.ActEdited, Rule: "r1"} // initialize's reply
	return evs
}

// block is one pcapng block, as read back.
type block struct {
	typ  uint32
	body []byte // between the length fields
}

func readBlocks(t *testing.T, b []byte) []block {
	t.Helper()
	var out []block
	for len(b) > 0 {
		if len(b) < 12 {
			t.Fatalf("%d bytes left over", len(b))
		}
		typ, n := le.Uint32(b), le.Uint32(b[4:])
		if n%4 != 0 || int(n) > len(b) || le.Uint32(b[n-4:]) != n {
			t.Fatalf("block %#x: bad length %d", typ, n)
		}
		out = append(out, block{typ, b[8 : n-4]})
		b = b[n:]
	}
	return out
}

// packetOf parses an enhanced packet block: the interface, the TCP segment
// and the comment.
type packetOf struct {
	ifc          uint32
	sport, dport uint16
	seq, ack     uint32
	flags        uint8
	payload      []byte
	comment      string
	size         int
}

func parsePacket(t *testing.T, body []byte) packetOf {
	t.Helper()
	p := packetOf{ifc: le.Uint32(body)}
	n := int(le.Uint32(body[12:]))
	data := body[20 : 20+n]
	p.size = n
	opts := body[20+(n+3)/4*4:]
	for len(opts) >= 4 {
		code, l := le.Uint16(opts), int(le.Uint16(opts[2:]))
		if code == optComment {
			p.comment = string(opts[4 : 4+l])
		}
		opts = opts[4+(l+3)/4*4:]
	}
	ip := data[ethHeader:]
	if checksum(0, ip[:ipHeader]) != 0 {
		t.Errorf("bad IP checksum")
	}
	tcp := ip[ipHeader:]
	be := binary.BigEndian
	p.sport, p.dport, p.seq, p.ack, p.flags = be.Uint16(tcp), be.Uint16(tcp[2:]), be.Uint32(tcp[4:]), be.Uint32(tcp[8:]), tcp[13]
	p.payload = tcp[tcpHeader:]
	var pseudo [12]byte
	copy(pseudo[:], ip[12:20])
	pseudo[9] = 6
	be.PutUint16(pseudo[10:], uint16(len(tcp)))
	if checksum(sum(0, pseudo[:]), tcp) != 0 {
		t.Errorf("bad TCP checksum")
	}
	return p
}

// The pcapng: an interface per listener; per connection and direction the
// payloads, in order and contiguous in sequence space, are the bytes on the
// wire; acks follow the peer; no packet over the limit; comments pair. A
// connection with a frame injected is two streams, each what its peer
// sent and received: the client's leg without the injected request and
// the withheld reply, the server's with them.
func TestPCAPNG(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 200_000)
	evs := sessionEvents(big)
	st := observed(t, evs)
	var out bytes.Buffer
	stats, err := Write(&out, st, PCAPNG, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !stats.ContentLength || stats.Messages != 8 || stats.Exchanges != 4 {
		t.Errorf("stats %+v", stats)
	}
	blocks := readBlocks(t, out.Bytes())
	if blocks[0].typ != blockSHB || blocks[1].typ != blockIDB || blocks[2].typ != blockIDB {
		t.Fatalf("blocks start %#x %#x %#x", blocks[0].typ, blocks[1].typ, blocks[2].typ)
	}
	if !bytes.Contains(blocks[1].body, []byte("/front.sock")) || !bytes.Contains(blocks[2].body, []byte("/lsp.sock")) {
		t.Errorf("interfaces not named after the listeners")
	}
	type key struct {
		port, server uint16
		c2s          bool
	}
	streams := map[key][]byte{}
	next := map[key]uint32{}
	var comments []string
	for _, b := range blocks[3:] {
		p := parsePacket(t, b.body)
		if len(p.payload) > MaxSegment {
			t.Errorf("a packet of %d payload bytes", len(p.payload))
		}
		c2s := p.dport == ServerPort || p.dport == UpstreamPort
		client, server := p.sport, p.dport
		if !c2s {
			client, server = p.dport, p.sport
		}
		k, peer := key{client, server, c2s}, key{client, server, !c2s}
		if want, ok := next[k]; ok && p.seq != want {
			t.Errorf("seq %d, want %d", p.seq, want)
		}
		if want, ok := next[peer]; ok && p.flags&tcpACK != 0 && p.ack != want {
			t.Errorf("ack %d, want the peer's next seq %d", p.ack, want)
		}
		next[k] = p.seq + uint32(len(p.payload))
		if p.flags&(tcpSYN|tcpFIN) != 0 {
			next[k]++
		}
		streams[k] = append(streams[k], p.payload...)
		if len(p.payload) > 0 {
			comments = append(comments, p.comment)
		}
		if client == firstClientPort+1 && p.ifc != 1 { // the second listener
			t.Errorf("connection 2 on interface %d", p.ifc)
		}
	}
	for _, ev := range evs {
		if ev.Type != event.Data {
			continue
		}
		c2s := ev.Dir == protocol.C2S
		legs := []uint16{ServerPort}
		if ev.Conn == 1 {
			legs = nil
			if !(ev.Injected && c2s || ev.Withheld && !c2s) {
				legs = append(legs, ServerPort) // the client sent or got it
			}
			if !(ev.Withheld && c2s || ev.Injected && !c2s) {
				legs = append(legs, UpstreamPort) // the server got or sent it
			}
		}
		for _, server := range legs {
			k := key{uint16(firstClientPort + ev.Conn - 1), server, c2s}
			if !bytes.HasPrefix(streams[k], ev.Data) {
				t.Fatalf("conn %d %v to %d: stream does not go on with %.60q", ev.Conn, ev.Dir, server, ev.Data)
			}
			streams[k] = streams[k][len(ev.Data):]
		}
	}
	for k, rest := range streams {
		if len(rest) > 0 {
			t.Errorf("%v: %d bytes more than were sent", k, len(rest))
		}
	}
	want := []string{
		"conn=1 c2s request id=1 method=add status=ok latency=2ms exchange=1 leg=client",
		"conn=1 c2s request id=1 method=add status=ok latency=2ms exchange=1 leg=server",
		"conn=1 s2c response id=1 method=add status=ok latency=2ms exchange=1 leg=server",
		"conn=1 s2c response id=1 method=add status=ok latency=2ms exchange=1 leg=client",
		"conn=1 c2s request id=2 method=big status=ok latency=5ms exchange=2 leg=client part=1/4",
		"conn=1 c2s request id=2 method=big status=ok latency=5ms exchange=2 leg=client part=2/4",
		"conn=1 c2s request id=2 method=big status=ok latency=5ms exchange=2 leg=client part=3/4",
		"conn=1 c2s request id=2 method=big status=ok latency=5ms exchange=2 leg=client part=4/4",
		"conn=1 c2s request id=2 method=big status=ok latency=5ms exchange=2 leg=server part=1/4",
		"conn=1 c2s request id=2 method=big status=ok latency=5ms exchange=2 leg=server part=2/4",
		"conn=1 c2s request id=2 method=big status=ok latency=5ms exchange=2 leg=server part=3/4",
		"conn=1 c2s request id=2 method=big status=ok latency=5ms exchange=2 leg=server part=4/4",
		"conn=1 s2c response id=2 method=big status=ok latency=5ms exchange=2 leg=server",
		"conn=1 s2c response id=2 method=big status=ok latency=5ms exchange=2 leg=client",
		"conn=1 c2s request id=3 method=add status=error latency=1ms exchange=3 flags=injected leg=server",
		"conn=1 s2c response id=3 method=add status=error latency=1ms exchange=3 flags=injected,withheld leg=server",
		"conn=2 c2s request id=1 method=initialize status=ok latency=2ms exchange=4 flags=edit",
		"conn=2 s2c response id=1 method=initialize status=ok latency=2ms exchange=4 flags=edit",
	}
	if strings.Join(comments, "\n") != strings.Join(want, "\n") {
		t.Errorf("comments:\n%s\nwant:\n%s", strings.Join(comments, "\n"), strings.Join(want, "\n"))
	}
}

// A filter keeps the exchanges it passes, in every format.
func TestFilter(t *testing.T) {
	st := observed(t, sessionEvents([]byte("small")))
	q, err := query.Parse("method:add")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []Format{PCAPNG, JSONL, HAR} {
		var out bytes.Buffer
		stats, err := Write(&out, st, f, Options{Filter: q})
		if err != nil {
			t.Fatal(err)
		}
		if stats.Exchanges != 2 || stats.Messages != 4 {
			t.Errorf("%v: stats %+v, want the 2 add exchanges", f, stats)
		}
	}
}

// jsonl: one decodable line per exchange, with its pairing.
func TestJSONL(t *testing.T) {
	st := observed(t, sessionEvents([]byte("small")))
	var out bytes.Buffer
	if _, err := Write(&out, st, JSONL, Options{}); err != nil {
		t.Fatal(err)
	}
	var lines []map[string]any
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4", len(lines))
	}
	add := lines[0]
	if add["method"] != "add" || add["id"] != 1.0 || add["status"] != "ok" || add["latency_us"] != 2000.0 ||
		add["response"].(map[string]any)["result"] != 3.0 || add["request_at"] != at(1).Format(time.RFC3339Nano) {
		t.Errorf("add: %v", add)
	}
	if fl := lines[2]["flags"]; fmt.Sprint(fl) != "[injected withheld]" || lines[2]["status"] != "error" {
		t.Errorf("injected add: %v", lines[2])
	}
}

// har: a valid HAR 1.2 log, one entry per exchange.
func TestHAR(t *testing.T) {
	st := observed(t, sessionEvents([]byte("small")))
	var har struct {
		Log struct {
			Version string
			Creator struct{ Name, Version string }
			Entries []struct {
				StartedDateTime string
				Time            float64
				Request         struct {
					Method, URL string
					PostData    struct{ MimeType, Text string }
				}
				Response struct {
					Status     int
					StatusText string
					Content    struct{ Text string }
				}
			}
		}
	}
	harOf(t, st, Options{Version: "test"}, &har)
	l := har.Log
	if l.Version != "1.2" || l.Creator.Name != "sockscope" || l.Creator.Version != "test" || len(l.Entries) != 4 {
		t.Fatalf("log %+v", l)
	}
	e := l.Entries[0]
	if e.Request.URL != "sockscope://conn-1/add?id=1" || e.Request.Method != "POST" || e.Response.Status != 200 ||
		e.Time != 2 || e.Response.Content.Text != `{"id":1,"result":3}` || e.Request.PostData.MimeType != "application/json" {
		t.Errorf("entry %+v", e)
	}
	if e := l.Entries[2]; e.Response.Status != 500 || e.Response.StatusText != "error" {
		t.Errorf("error entry %+v", e)
	}
}

// An HTTP exchange's HAR entry is an HTTP entry: its method, URL, version,
// headers, cookies, query and body, the response's status line, headers,
// body (a chunked one joined) and redirect; and its pcapng is read as HTTP.
func TestHARofHTTP(t *testing.T) {
	st := observed(t, []event.Event{
		openEv(1, 0, "127.0.0.1:8080", "127.0.0.1:80"),
		dataEv(1, 1, protocol.C2S, "GET /a.txt?x=1&b=2 HTTP/1.1\r\nHost: example.test\r\nCookie: s=1; t=2\r\n\r\n"),
		dataEv(1, 3, protocol.S2C, "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nSet-Cookie: k=v; Path=/; HttpOnly\r\nContent-Length: 5\r\n\r\nnope\n"),
		dataEv(1, 4, protocol.C2S, "POST /api HTTP/1.1\r\nHost: example.test\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}"),
		dataEv(1, 6, protocol.S2C, "HTTP/1.1 302 Found\r\nLocation: /b\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"),
		closeEv(1, 9),
	})
	type nv struct{ Name, Value string }
	var har struct {
		Log struct {
			Entries []struct {
				Request struct {
					Method, URL, HTTPVersion string
					Headers, Cookies         []nv
					QueryString              []nv
					PostData                 *struct{ MimeType, Text string }
					HeadersSize, BodySize    int
				}
				Response struct {
					Status                  int
					StatusText, HTTPVersion string
					RedirectURL             string
					Cookies                 []struct {
						Name, Value, Path string
						HTTPOnly          bool
					}
					Content struct {
						Size           int
						MimeType, Text string
					}
					BodySize int
				}
			}
		}
	}
	out := harOf(t, st, Options{}, &har)
	if len(har.Log.Entries) != 2 {
		t.Fatalf("entries:\n%s", out)
	}
	get, post := har.Log.Entries[0], har.Log.Entries[1]
	if r := get.Request; r.Method != "GET" || r.URL != "http://example.test/a.txt?x=1&b=2" || r.HTTPVersion != "HTTP/1.1" ||
		fmt.Sprint(r.QueryString) != "[{b 2} {x 1}]" || fmt.Sprint(r.Cookies) != "[{s 1} {t 2}]" || len(r.Headers) != 2 ||
		r.PostData != nil || r.BodySize != 0 {
		t.Errorf("GET request %+v", r)
	}
	if r := get.Response; r.Status != 404 || r.StatusText != "Not Found" || r.Content.Text != "nope\n" ||
		r.Content.MimeType != "text/plain" || fmt.Sprint(r.Cookies) != "[{k v / true}]" || r.BodySize != 5 {
		t.Errorf("404 response %+v", r)
	}
	if r := post.Request; r.Method != "POST" || r.PostData == nil || r.PostData.Text != `{"a":1}` || r.PostData.MimeType != "application/json" {
		t.Errorf("POST request %+v", r)
	}
	if r := post.Response; r.Status != 302 || r.RedirectURL != "/b" || r.Content.Text != "abcde" || r.Content.Size != 5 {
		t.Errorf("302 response %+v", r)
	}
	pst, err := Write(io.Discard, st, PCAPNG, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cmd := TsharkCommand("x.pcapng", pst); cmd != "tshark -r x.pcapng -d tcp.port==7777,http" {
		t.Errorf("tshark command %q", cmd)
	}
}

// Each form of an HTTP request's target has an absolute URL in its HAR
// entry: OPTIONS * (the asterisk form, about the server as a whole) the
// server's, with no path, not http://host*; a path whose query holds
// "://" the Host's and the path; an absolute target itself; CONNECT's
// host:port (the authority form) that server's.
func TestHARTargetForms(t *testing.T) {
	st := observed(t, []event.Event{
		openEv(1, 0, "127.0.0.1:8080", "127.0.0.1:80"),
		dataEv(1, 1, protocol.C2S, "OPTIONS * HTTP/1.1\r\nHost: example.test:8080\r\n\r\n"),
		dataEv(1, 2, protocol.S2C, "HTTP/1.1 204 No Content\r\nAllow: GET, OPTIONS\r\n\r\n"),
		dataEv(1, 3, protocol.C2S, "OPTIONS * HTTP/1.1\r\n\r\n"),
		dataEv(1, 4, protocol.S2C, "HTTP/1.1 204 No Content\r\n\r\n"),
		dataEv(1, 5, protocol.C2S, "GET /r?u=http://x HTTP/1.1\r\nHost: example.test\r\n\r\n"),
		dataEv(1, 6, protocol.S2C, "HTTP/1.1 204 No Content\r\n\r\n"),
		dataEv(1, 7, protocol.C2S, "GET http://other.test/a HTTP/1.1\r\nHost: example.test\r\n\r\n"),
		dataEv(1, 8, protocol.S2C, "HTTP/1.1 204 No Content\r\n\r\n"),
		closeEv(1, 9),
		openEv(2, 10, "127.0.0.1:8080", "127.0.0.1:80"),
		dataEv(2, 11, protocol.C2S, "CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n"),
		dataEv(2, 12, protocol.S2C, "HTTP/1.1 204 No Content\r\n\r\n"),
		closeEv(2, 13),
	})
	var har struct {
		Log struct {
			Entries []struct {
				Request  struct{ Method, URL string }
				Response struct{ Status int }
				Method   string `json:"_method"`
			}
		}
	}
	out := harOf(t, st, Options{}, &har)
	if len(har.Log.Entries) != 5 {
		t.Fatalf("entries:\n%s", out)
	}
	for i, want := range []struct{ method, url string }{
		{"OPTIONS *", "http://example.test:8080"},
		{"OPTIONS *", "http://localhost"},
		{"GET /r?u=http://x", "http://example.test/r?u=http://x"}, // the origin form, "://" in its query
		{"GET http://other.test/a", "http://other.test/a"},        // the absolute form
		{"CONNECT example.test:443", "http://example.test:443"},   // the authority form
	} {
		e := har.Log.Entries[i]
		if e.Request.Method != strings.Fields(want.method)[0] || e.Request.URL != want.url || e.Method != want.method || e.Response.Status != 204 {
			t.Errorf("entry %d: %+v, want %+v", i, e, want)
		}
		if u, err := url.Parse(e.Request.URL); err != nil || !u.IsAbs() || u.Host == "" {
			t.Errorf("entry %d: URL %q is not absolute: %v", i, e.Request.URL, err)
		}
	}
}

// An interim response (curl's Expect: 100-continue, as nginx answers it) is
// a lone message of the server's: its entry's response is the 100, and its
// request no HTTP request read out of a status line (it was method
// "HTTP/1.1", URL "http://localhost100", version "Continue").
func TestHARInterimResponse(t *testing.T) {
	st := observed(t, []event.Event{
		openEv(1, 0, "/spy.sock", "/ng.sock"),
		dataEv(1, 1, protocol.C2S, "PUT /dav/b.txt HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"),
		dataEv(1, 2, protocol.S2C, "HTTP/1.1 100 Continue\r\n\r\n"),
		dataEv(1, 3, protocol.C2S, "abc"),
		dataEv(1, 4, protocol.S2C, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"),
		closeEv(1, 5),
	})
	var har struct {
		Log struct {
			Entries []struct {
				Started  string `json:"startedDateTime"`
				Request  struct{ Method, URL, HTTPVersion string }
				Response struct {
					Status      int
					StatusText  string
					HTTPVersion string
				}
				Kind   string `json:"_kind"`
				Status string `json:"_status"`
			}
		}
	}
	out := harOf(t, st, Options{}, &har)
	if len(har.Log.Entries) != 2 {
		t.Fatalf("entries:\n%s", out)
	}
	var cont, put = har.Log.Entries[0], har.Log.Entries[1]
	if cont.Response.Status != 100 {
		cont, put = put, cont
	}
	if cont.Response.Status != 100 || cont.Response.StatusText != "Continue" || cont.Response.HTTPVersion != "HTTP/1.1" ||
		cont.Kind != "notification" || cont.Status != "none" || cont.Started != at(2).Format(time.RFC3339Nano) {
		t.Errorf("the 100 Continue's entry: %+v\n%s", cont, out)
	}
	if u, err := url.Parse(cont.Request.URL); err != nil || cont.Request.Method == "HTTP/1.1" || cont.Request.HTTPVersion == "Continue" || !u.IsAbs() {
		t.Errorf("the 100 Continue's request is read from its status line: %+v (%v)", cont.Request, err)
	}
	if put.Request.Method != "PUT" || put.Request.URL != "http://x/dav/b.txt" || put.Response.Status != 201 {
		t.Errorf("the PUT's entry: %+v", put)
	}
}

// Terminal controls in payloads never reach the output raw.
func TestEscapeControls(t *testing.T) {
	var spare bytes.Buffer
	in := "{\"a\":\"\x1b]52;\u009b2J\x7f\u2028é\"}\n"
	got := string(escapeControls([]byte(in), &spare))
	if got != "{\"a\":\"\\u001b]52;\\u009b2J\\u007f\\u2028é\"}\n" {
		t.Errorf("got %q", got)
	}
	var v map[string]string
	if err := json.Unmarshal([]byte(got), &v); err != nil || v["a"] != "\x1b]52;\u009b2J\x7f\u2028é" {
		t.Errorf("%q does not decode to the input: %v %q", got, err, v["a"])
	}
}

// Neovim's msgpack-RPC is no JSON: the tshark command for a recording of
// it alone decodes nothing (it said -d tcp.port==7777,json, whose
// dissector shows msgpack as a line of garbled text).
func TestTsharkCommandOfMsgpack(t *testing.T) {
	data := func(ms int, d protocol.Dir, b ...byte) event.Event {
		return event.Event{Type: event.Data, Conn: 1, Dir: d, At: at(ms), Data: b}
	}
	st := observed(t, []event.Event{
		openEv(1, 0, "/spy.sock", "/n.sock"),
		// [0, 1, "nvim_eval", ["1+2"]] and [1, 1, nil, 3]
		data(1, protocol.C2S, 0x94, 0x00, 0x01, 0xa9, 'n', 'v', 'i', 'm', '_', 'e', 'v', 'a', 'l', 0x91, 0xa3, '1', '+', '2'),
		data(2, protocol.S2C, 0x94, 0x01, 0x01, 0xc0, 0x03),
		closeEv(1, 3),
	})
	pst, err := Write(io.Discard, st, PCAPNG, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if pst.Messages != 2 {
		t.Fatalf("exported %+v", pst)
	}
	if cmd := TsharkCommand("x.pcapng", pst); cmd != "tshark -r x.pcapng" {
		t.Errorf("tshark command %q for msgpack-RPC", cmd)
	}
}

// HTTP/2 with prior knowledge (h2c on a port tshark does not know): the
// tshark command decodes it as http2, as it does HTTP/1.1 as http. It
// said nothing, as for raw bytes.
func TestTsharkCommandOfHTTP2(t *testing.T) {
	frame := func(typ, flags byte, stream byte, payload string) string {
		return string([]byte{0, 0, byte(len(payload)), typ, flags, 0, 0, 0, stream}) + payload
	}
	data := func(ms int, d protocol.Dir, s string) event.Event {
		return event.Event{Type: event.Data, Conn: 1, Dir: d, At: at(ms), Data: []byte(s)}
	}
	st := observed(t, []event.Event{
		openEv(1, 0, "/spy.sock", "/h2.sock"),
		data(1, protocol.C2S, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"+frame(4, 0, 0, "")+frame(1, 5, 1, "\x82\x84\x86")),
		data(2, protocol.S2C, frame(4, 0, 0, "")+frame(1, 4, 1, "\x88")+frame(0, 1, 1, "hi")),
		closeEv(1, 3),
	})
	pst, err := Write(io.Discard, st, PCAPNG, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if pst.Messages != 6 || !pst.HTTP2 {
		t.Fatalf("exported %+v", pst)
	}
	if cmd := TsharkCommand("x.pcapng", pst); cmd != "tshark -r x.pcapng -d tcp.port==7777,http2" {
		t.Errorf("tshark command %q for HTTP/2", cmd)
	}
}

// The tshark command decodes the payloads as what they all are: HTTP,
// HTTP/2, RESP (Redis), or else JSON; the servers' legs too when there are some.
func TestTsharkCommand(t *testing.T) {
	for _, c := range []struct {
		st   Stats
		want string
	}{
		{Stats{HTTP: true}, "tshark -r x.pcapng -d tcp.port==7777,http"},
		{Stats{HTTP2: true, Legs: 1}, "tshark -r x.pcapng -d tcp.port==7777,http2 -d tcp.port==7778,http2"},
		{Stats{HTTP: true, HTTP2: true}, "tshark -r x.pcapng -d tcp.port==7777,http"}, // upgraded to h2c: tshark follows it
		{Stats{HTTP: true, HTTP2: true, HTTP2Prior: true}, "tshark -r x.pcapng"},      // on one port, one dissector: neither

		{Stats{RESP: true}, "tshark -r x.pcapng -d tcp.port==7777,resp"},
		{Stats{RESP: true, Other: true, JSON: true}, "tshark -r x.pcapng -d tcp.port==7777,json"},
		{Stats{Other: true, JSON: true, ContentLength: true, Legs: 1}, "tshark -r x.pcapng -d tcp.port==7777,json -d tcp.port==7778,json -o json.ignore_leading_bytes:TRUE"},
		{Stats{Other: true}, "tshark -r x.pcapng"}, // msgpack-RPC (Neovim) alone: no JSON to decode
	} {
		if got := TsharkCommand("x.pcapng", c.st); got != c.want {
			t.Errorf("%+v: %s, want %s", c.st, got, c.want)
		}
	}
}

// A frame kept truncated is written as kept, and its stream's next segment
// comes after the bytes not kept, as on the wire: Wireshark says "previous
// segment not captured" rather than take the next frame for its rest (the
// sequence numbers went on from the bytes kept).
func TestPCAPNGTruncatedFrame(t *testing.T) {
	big := `{"id":1,"method":"big","params":"` + strings.Repeat("x", 300) + `"}`
	st := observedWith(t, 100, []event.Event{
		openEv(1, 0, "/front.sock", "/up.sock"),
		{Type: event.Data, Conn: 1, Dir: protocol.C2S, At: at(1), Data: []byte(big + "\n" + `{"id":2,"method":"small"}` + "\n")},
		closeEv(1, 2),
	})
	var out bytes.Buffer
	if _, err := Write(&out, st, PCAPNG, Options{}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range readBlocks(t, out.Bytes())[2:] {
		if p := parsePacket(t, b.body); len(p.payload) > 0 {
			got = append(got, fmt.Sprintf("%d+%d", p.seq-isnClient-1, len(p.payload)))
		}
	}
	// The first frame: its 100 bytes kept and a '\n' (the wire had 300
	// more and its own); the second where it was on the wire.
	if want := []string{"0+101", fmt.Sprintf("%d+%d", len(big)+1, len(`{"id":2,"method":"small"}`)+1)}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("c2s segments (offset+length) %v, want %v", got, want)
	}
}

// A frame sockscope edited on its way (by hand or by a rule: its note
// keeps it as sent) makes its connection two streams, each what its peer
// sent and received: the sender's leg the frame as sent, the receiver's
// as edited. Both legs carried the edit, the sender's a frame its peer
// never sent.
func TestPCAPNGEditedFrame(t *testing.T) {
	sent, edited := `{"id":1,"method":"add","params":[1,2]}`, `{"id":1,"method":"add","params":[1,20]}`
	evs := []event.Event{
		openEv(1, 0, "/front.sock", "/up.sock"),
		{Type: event.Data, Conn: 1, Dir: protocol.C2S, At: at(1), Data: []byte(edited + "\n"),
			Note: &protocol.Note{Act: protocol.ActEdited, Diff: "-2\n+20", Was: []byte(sent)}},
		{Type: event.Data, Conn: 1, Dir: protocol.S2C, At: at(2), Data: []byte(`{"id":1,"result":21}` + "\n")},
		closeEv(1, 3),
	}
	var out bytes.Buffer
	if _, err := Write(&out, observed(t, evs), PCAPNG, Options{}); err != nil {
		t.Fatal(err)
	}
	legs := map[uint16]string{}
	for _, b := range readBlocks(t, out.Bytes())[2:] {
		if p := parsePacket(t, b.body); len(p.payload) > 0 && p.sport == firstClientPort {
			legs[p.dport] += string(p.payload)
		}
	}
	if legs[ServerPort] != sent+"\n" || legs[UpstreamPort] != edited+"\n" {
		t.Errorf("the client sent %q (want %q), the server got %q (want %q)", legs[ServerPort], sent+"\n", legs[UpstreamPort], edited+"\n")
	}
}

// Bytes the decoder dropped its copy of (a gap: they were forwarded) were
// on the wire: the stream's next segment comes after them, so that
// Wireshark says "previous segment not captured" there and does not join
// the frames on either side. A gap that took the end of a frame and the
// start of the next (the lines framer lets go of the frame begun, and
// skips the rest of the line the gap cut); one between frames, after
// which the next line is kept whole; one at the connection's end.
func TestPCAPNGGaps(t *testing.T) {
	a, b, c := `{"id":1,"method":"a"}`+"\n", `{"id":2,"method":"b"}`+"\n", `{"id":3,"method":"c"}`+"\n"
	cutHead, cutTail := `{"id":9,"meth`, `od":"lost"}`+"\n"
	st := observed(t, []event.Event{
		openEv(1, 0, "/front.sock", "/up.sock"),
		dataEv(1, 1, protocol.C2S, a),
		dataEv(1, 2, protocol.C2S, b+cutHead),
		{Type: event.Data, Conn: 1, Dir: protocol.C2S, At: at(3), Data: []byte(cutTail + c), Gap: 1000},
		{Type: event.Data, Conn: 1, Dir: protocol.C2S, At: at(4), Data: []byte(a), Gap: 500},
		{Type: event.Close, Conn: 1, At: at(5), TailGaps: [2]int64{protocol.C2S: 70}},
	})
	var out bytes.Buffer
	if _, err := Write(&out, st, PCAPNG, Options{}); err != nil {
		t.Fatal(err)
	}
	var got []string
	fin := -1
	for _, bl := range readBlocks(t, out.Bytes())[2:] {
		p := parsePacket(t, bl.body)
		if p.sport != firstClientPort {
			continue
		}
		if len(p.payload) > 0 {
			got = append(got, fmt.Sprintf("%d+%d", p.seq-isnClient-1, len(p.payload)))
		}
		if p.flags&tcpFIN != 0 {
			fin = int(p.seq - isnClient - 1)
		}
	}
	// On the wire: a, b, the cut frame's head, 1000 bytes, its tail, c,
	// 500 bytes, a, 70 bytes, the FIN. The cut frame is in no packet.
	c0 := len(a) + len(b) + len(cutHead) + 1000 + len(cutTail)
	a1 := c0 + len(c) + 500
	want := []string{
		fmt.Sprintf("%d+%d", 0, len(a)),
		fmt.Sprintf("%d+%d", len(a), len(b)),
		fmt.Sprintf("%d+%d", c0, len(c)),
		fmt.Sprintf("%d+%d", a1, len(a)),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("c2s segments (offset+length) %v, want %v", got, want)
	}
	if end := a1 + len(a) + 70; fin != end {
		t.Errorf("the client's FIN at %d, want %d", fin, end)
	}
}

// Blank lines between NDJSON frames are on the wire but in no frame (the
// next frame's Wire counts them): the frame is still a line in the
// pcapng, after a skip of them, and not a Content-Length frame made up
// from its size.
func TestPCAPNGBlankLines(t *testing.T) {
	a := `{"id":1,"method":"a"}`
	st := observed(t, []event.Event{
		openEv(1, 0, "/front.sock", "/up.sock"),
		dataEv(1, 1, protocol.C2S, "\n\n\n"+a+"\n"),
		closeEv(1, 2),
	})
	var out bytes.Buffer
	if _, err := Write(&out, st, PCAPNG, Options{}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, bl := range readBlocks(t, out.Bytes())[2:] {
		if p := parsePacket(t, bl.body); len(p.payload) > 0 {
			got = append(got, fmt.Sprintf("%d:%s", p.seq-isnClient-1, p.payload))
		}
	}
	if want := []string{"3:" + a + "\n"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("segments (offset:payload) %q, want %q", got, want)
	}
}

// A side of an exchange says its size, also when it is 0 (an LSP message
// with an empty body): it was left out with the other zeros, and a reader
// found "request_at" without "request_size".
func TestJSONLZeroSize(t *testing.T) {
	st := observed(t, []event.Event{
		openEv(1, 0, "/lsp.sock", "/up.sock"),
		dataEv(1, 1, protocol.C2S, "Content-Length: 0\r\n\r\n"),
		closeEv(1, 2),
	})
	var out bytes.Buffer
	if _, err := Write(&out, st, JSONL, Options{}); err != nil {
		t.Fatal(err)
	}
	var l map[string]any
	if err := json.Unmarshal(out.Bytes(), &l); err != nil {
		t.Fatalf("%q: %v", out.String(), err)
	}
	if l["request_at"] == nil || l["request_size"] != 0.0 || l["response_size"] != nil {
		t.Errorf("an empty request: %s", out.String())
	}
}
