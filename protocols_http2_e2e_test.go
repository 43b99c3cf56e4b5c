//go:build unix

package main

import (
	"context"
	bin "encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sockscope/internal/h2test"
	"strings"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
)

// startNginxH2 runs nginx (nginx-light has http_v2) speaking HTTP/2 with
// prior knowledge on a Unix socket in dir, and returns the socket's path:
// /json answers 200 with a JSON body, /fail 503, /data.json is a file,
// /small/ takes bodies of at most 16 bytes (413 past that).
func startNginxH2(t *testing.T, dir string) string {
	t.Helper()
	need(t, "nginx")
	if out, _ := exec.Command("nginx", "-V").CombinedOutput(); !strings.Contains(string(out), "http_v2") {
		t.Skip("this nginx has no http_v2 module")
	}
	html := filepath.Join(dir, "html")
	os.MkdirAll(html, 0o755)
	os.WriteFile(filepath.Join(html, "data.json"), []byte(`{"hello":"world"}`+"\n"), 0o644)
	return runNginx(t, dir, "h2.sock", "http2", `
    location = /json { default_type application/json; return 200 '{"ok":true}'; }
    location = /fail { return 503 'down'; }
    location /small/ { client_max_body_size 16; return 200; }`)
}

// HTTP/2 with prior knowledge through the real binary, nginx, curl
// --http2-prior-knowledge and Go's own client: each direction is detected
// as http2 and cut into its frames (the client's preface one of them);
// each header block is decoded (HPACK, with each direction's dynamic
// table: Go's client indexes what it sends, so its later requests are the
// table's); each request (the client's HEADERS on a stream), named by its
// method and path, pairs with the server's HEADERS on that stream, named
// by its :status (503, 413 errors); DATA, SETTINGS, WINDOW_UPDATE are
// notifications; nothing is raw. The recording exported as pcapng decodes
// in tshark with the command export prints (-d tcp.port==7777,http2), to
// the same paths and statuses.
func TestHTTP2Nginx(t *testing.T) {
	need(t, "curl")
	dir := shortDir(t)
	up := startNginxH2(t, dir)
	front := filepath.Join(dir, "front.sock")
	rec := filepath.Join(dir, "s.jsonl")
	stop := sockscope(t, "--dump", "--lossless", "--record", rec, "--listen", front, up)
	dialWait(t, front)

	curl := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("curl", append([]string{"-sS", "--http2-prior-knowledge", "--unix-socket", front}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	// One connection, three streams at once (curl 7.88's second request
	// on a connection fails: "Error in the HTTP2 framing layer", nginx
	// or not), by hand; then curl's GET, POST, and a body too big.
	h2Streams(t, front, "/json", "/fail", "/data.json")
	if out := curl("http://x/json"); out != `{"ok":true}` {
		t.Fatalf("curl: %q", out)
	}
	// nginx answers these without reading the body, and resets the stream
	// once it has (RST_STREAM, NO_ERROR): as the race with the body goes,
	// curl 7.88 says "Stream error in the HTTP/2 framing layer" (92)
	// after the answer, which came all the same.
	post := func(body, url string) {
		t.Helper()
		c := exec.Command("curl", "-sS", "--http2-prior-knowledge", "--unix-socket", front, "-o", "/dev/null", "-d", body, url)
		if out, err := c.CombinedOutput(); err != nil && c.ProcessState.ExitCode() != 92 {
			t.Fatalf("curl -d %s: %v\n%s", url, err, out)
		}
	}
	post(`{"a":1}`, "http://x/json")
	post(strings.Repeat("b", 100), "http://x/small/up")
	goH2(t, front, "/json", "/fail", "/data.json", "/json")
	// So curl may never send its body: nginx's answer and reset can come
	// before it does, and curl drops it (seen under load, and most times
	// under strace). A POST by hand, its HEADERS and DATA written at once,
	// puts a body of the client's on the wire whatever nginx does.
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	c.Write(slices.Concat([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), h2test.Frame(0x4, 0, 0, nil), h2Post(1, "/json", `{"b":2}`)))
	h2Read(t, c, func(typ, flags byte, stream uint32, _ []byte) bool {
		return (typ == 0x0 || typ == 0x1) && flags&1 != 0 && stream == 1
	})
	c.Close()
	lines := dumpLines(t, stop())

	got := exchangeLines(lines)
	// Connection 1 was dialWait's. Each client has its answer before
	// sockscope reports it (forwarded first, observed after), so the next
	// connection's may be reported first: in order of connection and id.
	slices.Sort(got)
	want := "2 1 GET /json ok 200|2 3 GET /fail error 503|2 5 GET /data.json ok 200|3 1 GET /json ok 200|4 1 POST /json ok 200|5 1 POST /small/up error 413|" +
		"6 1 GET /json ok 200|6 3 GET /fail error 503|6 5 GET /data.json ok 200|6 7 GET /json ok 200|7 1 POST /json ok 200"
	if g := strings.Join(got, "|"); g != want {
		t.Errorf("exchanges\n%s\nwant\n%s", g, want)
	}
	types := map[string]int{}
	for _, m := range ofType(lines, "message") {
		if m["kind"] == "raw" || m["reason"] != nil {
			t.Errorf("not decoded: %v", m)
			continue
		}
		f, _ := m["frame"].(map[string]any)
		if m["kind"] == "notification" {
			types[fmt.Sprint(m["dir"], " ", m["method"])]++
		}
		h, _ := f["headers"].(map[string]any)
		switch {
		case m["kind"] == "request" && (f["type"] != "HEADERS" || f["stream"] == nil || f["hpack"] != nil ||
			fmt.Sprint(h[":method"], " ", h[":path"]) != m["method"] || h[":authority"] != "x"):
			t.Errorf("a request's view: %v", f)
		case m["kind"] == "request" && m["conn"] == 6.0 && h["x-trace"] != "sockscope-e2e":
			t.Errorf("Go's request, its header from the table: %v", f)
		case m["kind"] == "response" && (h[":status"] != m["method"] || !strings.HasPrefix(fmt.Sprint(h["server"]), "nginx")):
			t.Errorf("a response's view: %v", f)
		}
	}
	for _, k := range []string{"c2s PREFACE", "c2s SETTINGS", "s2c SETTINGS", "s2c DATA", "c2s DATA"} {
		if types[k] == 0 {
			t.Errorf("no %s notification: %v", k, types)
		}
	}

	// The recording, exported: tshark reads HTTP/2 with the command given.
	pcap := filepath.Join(dir, "s.pcapng")
	_, stderr := showRun(t, "export", rec, "-o", pcap)
	i := strings.Index(stderr, "tshark ")
	if i < 0 || !strings.Contains(stderr, "-d tcp.port==7777,http2") {
		t.Fatalf("the tshark command: %s", stderr)
	}
	if _, err := exec.LookPath("tshark"); err != nil {
		return
	}
	args := strings.Fields(strings.SplitN(stderr[i:], "\n", 2)[0])[1:]
	out, err := exec.Command("tshark", append(args, "-Y", "http2.header.value", "-T", "fields", "-e", "http2.headers.status")...).Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	if s := strings.Fields(string(out)); strings.Join(s, " ") != "200 503 200 200 200 413 200 503 200 200 200" {
		t.Errorf("tshark's statuses %q, want 200 503 200 200 200 413 200 503 200 200 200", s)
	}
	out, err = exec.Command("tshark", append(args, "-Y", "http2.headers.path", "-T", "fields", "-e", "http2.headers.method", "-e", "http2.headers.path")...).Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	// tshark puts the fields of the frames of one packet on one line,
	// joined by commas.
	var theirs, ours []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		m, p, _ := strings.Cut(l, "\t")
		ms, ps := strings.Split(m, ","), strings.Split(p, ",")
		for i := range min(len(ms), len(ps)) {
			theirs = append(theirs, ms[i]+" "+ps[i])
		}
	}
	for _, e := range ofType(lines, "exchange") {
		ours = append(ours, fmt.Sprint(e["method"]))
	}
	slices.Sort(theirs)
	slices.Sort(ours)
	if !slices.Equal(theirs, ours) {
		t.Errorf("tshark's requests\n%q\nsockscope's\n%q", theirs, ours)
	}
}

// h2Streams speaks HTTP/2 with prior knowledge to the server at sock, by
// hand: the preface, SETTINGS, and a GET of each path on streams 1, 3, 5…
// written at once, its fields from HPACK's static table or plain literals;
// it reads until every stream has ended, acknowledging the server's
// SETTINGS.
func h2Streams(t *testing.T, sock string, paths ...string) {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out := append([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), h2test.Frame(0x4, 0, 0, nil)...)
	for i, p := range paths {
		// :method GET, :scheme http, :authority x (a literal), :path (a literal)
		block := append([]byte{0x82, 0x86, 0x41, 1, 'x', 0x04, byte(len(p))}, p...)
		out = append(out, h2test.Frame(0x1, 0x5, uint32(2*i+1), block)...)
	}
	if _, err := c.Write(out); err != nil {
		t.Fatal(err)
	}
	open := len(paths)
	for open > 0 {
		var h [9]byte
		if _, err := io.ReadFull(c, h[:]); err != nil {
			t.Fatalf("reading a frame (%d streams open): %v", open, err)
		}
		payload := make([]byte, int(h[0])<<16|int(h[1])<<8|int(h[2]))
		if _, err := io.ReadFull(c, payload); err != nil {
			t.Fatal(err)
		}
		switch typ, flags := h[3], h[4]; {
		case typ == 0x4 && flags&1 == 0:
			c.Write(h2test.Frame(0x4, 1, 0, nil))
		case (typ == 0x0 || typ == 0x1) && flags&1 != 0:
			open--
		case typ == 0x3 || typ == 0x7:
			t.Fatalf("the server reset or went away: % x", payload)
		}
	}
}

// goH2 gets each path in turn from the server at sock, over one
// connection, with Go's own HTTP/2 client (net/http's unencrypted HTTP/2,
// with prior knowledge), whose HPACK encoder indexes the fields it sends:
// from the second request on they are the dynamic table's.
func goH2(t *testing.T, sock string, paths ...string) {
	t.Helper()
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: p, DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}
	defer tr.CloseIdleConnections()
	for _, path := range paths {
		req, err := http.NewRequest("GET", "http://x"+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Trace", "sockscope-e2e")
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 2 {
			t.Fatalf("GET %s: %s, want HTTP/2", path, resp.Proto)
		}
	}
}

// h2Post is the HEADERS and DATA frames of a POST of body to path on
// stream, the DATA ending the stream.
func h2Post(stream uint32, path, body string) []byte {
	headers := h2test.Frame(0x1, 0x4, stream, append([]byte{0x83, 0x86, 0x41, 1, 'x', 0x04, byte(len(path))}, path...))
	return append(headers, h2test.Frame(0x0, 0x1, stream, []byte(body))...)
}

// h2Read reads frames from c, acknowledging the server's SETTINGS, until
// until says so of one (its type, flags, stream and payload).
func h2Read(t *testing.T, c net.Conn, until func(typ, flags byte, stream uint32, payload []byte) bool) {
	t.Helper()
	for {
		var h [9]byte
		if _, err := io.ReadFull(c, h[:]); err != nil {
			t.Fatalf("reading a frame: %v", err)
		}
		payload := make([]byte, int(h[0])<<16|int(h[1])<<8|int(h[2]))
		if _, err := io.ReadFull(c, payload); err != nil {
			t.Fatal(err)
		}
		typ, flags, stream := h[3], h[4], bin.BigEndian.Uint32(h[5:])&^(1<<31)
		t.Logf("frame %d flags %x stream %d: % x", typ, flags, stream, payload)
		if typ == 0x4 && flags&1 == 0 {
			c.Write(h2test.Frame(0x4, 1, 0, nil))
		}
		if until(typ, flags, stream, payload) {
			return
		}
	}
}

// A stream reset, or left unprocessed by a GOAWAY, before its answer
// ends its request's row as an error, answered by the frame that ended
// it, named with its error code; a reset after the answer, or one of a
// stream without a request, is a notification. Against real nginx: it
// refuses a stream over http2_max_concurrent_streams (RST_STREAM
// REFUSED_STREAM), skips the streams above the last it takes after
// keepalive_requests (GOAWAY), and the client gives up on a request its
// upstream never answers (RST_STREAM CANCEL).
func TestHTTP2Reset(t *testing.T) {
	dir := shortDir(t)
	need(t, "nginx")
	if out, _ := exec.Command("nginx", "-V").CombinedOutput(); !strings.Contains(string(out), "http_v2") {
		t.Skip("this nginx has no http_v2 module")
	}
	hang := filepath.Join(dir, "hang.sock") // an upstream that never answers
	ln, err := net.Listen("unix", hang)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	up := runNginx(t, dir, "h2.sock", "http2", `
    http2_max_concurrent_streams 1;
    keepalive_requests 2;
    location = /json { return 200 '{"ok":true}'; }
    location = /hang { proxy_pass http://unix:`+hang+`:; }`)
	front := filepath.Join(dir, "front.sock")
	stop := sockscope(t, "--dump", "--lossless", "--listen", front, up)
	dialWait(t, front)
	preface := append([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), h2test.Frame(0x4, 0, 0, nil)...)

	// /hang takes the one stream nginx allows: it refuses /json's; the
	// client cancels /hang, then a PING's answer says nginx read it.
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	c.Write(slices.Concat(preface, h2test.Get(1, "/hang"), h2test.Get(3, "/json")))
	h2Read(t, c, func(typ, _ byte, stream uint32, _ []byte) bool { return typ == 0x3 && stream == 3 })
	c.Write(slices.Concat(h2test.Frame(0x3, 0, 1, []byte{0, 0, 0, 8}), h2test.Frame(0x6, 0, 0, make([]byte, 8))))
	h2Read(t, c, func(typ, flags byte, _ uint32, _ []byte) bool { return typ == 0x6 && flags&1 != 0 })
	c.Close()

	// Three streams: nginx takes two (keepalive_requests), says so in a
	// GOAWAY (its last stream 3), answers both, and skips the third.
	c, err = net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	c.Write(slices.Concat(preface, h2test.Get(1, "/json"), h2test.Get(3, "/json"), h2test.Get(5, "/json")))
	goaway, ended := false, 0
	h2Read(t, c, func(typ, flags byte, stream uint32, _ []byte) bool {
		goaway = goaway || typ == 0x7
		if (typ == 0x0 || typ == 0x1) && flags&1 != 0 {
			ended++
		}
		return goaway && ended == 2
	})
	c.Close()

	lines := dumpLines(t, stop())
	got := exchangeLines(lines)
	slices.Sort(got)
	want := "2 1 GET /hang error <nil>|2 3 GET /json error <nil>|3 1 GET /json ok 200|3 3 GET /json ok 200|3 5 GET /json error <nil>"
	if g := strings.Join(got, "|"); g != want {
		t.Errorf("exchanges\n%s\nwant\n%s", g, want)
	}
	var ends []string
	for _, m := range ofType(lines, "message") {
		if m["kind"] == "raw" || m["reason"] != nil {
			t.Errorf("not decoded: %v", m)
		}
		if s := fmt.Sprint(m["method"]); strings.HasPrefix(s, "RST_STREAM") || strings.HasPrefix(s, "GOAWAY") {
			ends = append(ends, fmt.Sprint(m["conn"], " ", m["dir"], " ", m["id"], " ", s))
		}
	}
	if g, want := strings.Join(ends, "|"), "2 s2c 3 RST_STREAM REFUSED_STREAM|2 c2s 1 RST_STREAM CANCEL|3 s2c <nil> GOAWAY NO_ERROR"; g != want {
		t.Errorf("the frames that ended them\n%s\nwant\n%s", g, want)
	}
}

// An HTTP/1.1 request with Upgrade: h2c, answered 101 Switching
// Protocols, switches its connection to HTTP/2: curl --http2 (which asks
// for the upgrade on http://) against Go's h2c server. The request pairs
// with its 101; from there each direction is cut into HTTP/2 frames (the
// client's from its preface), header blocks decoded; the response on
// stream 1 answers the request the upgrade was asked in, which its 101
// answered: a notification, named by its status; nothing is raw.
func TestHTTP2Upgrade(t *testing.T) {
	need(t, "curl")
	dir := shortDir(t)
	up := startH2C(t, dir)
	front := filepath.Join(dir, "front.sock")
	rec := filepath.Join(dir, "s.jsonl")
	stop := sockscope(t, "--dump", "--lossless", "--record", rec, "--listen", front, up)
	dialWait(t, front)

	out, err := exec.Command("curl", "-sS", "--http2", "--unix-socket", front, "http://x/json", "http://x/fail").CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	if want := `{"proto":"HTTP/1.1","path":"/json"}{"proto":"HTTP/2.0","path":"/fail"}`; string(out) != want { // the upgrade's request is as it was sent
		t.Fatalf("curl: %s, want %s", out, want)
	}
	lines := dumpLines(t, stop())
	got := exchangeLines(lines)
	if g, want := strings.Join(got, "|"), "2 <nil> GET /json ok 101|2 3 GET /fail error 503"; g != want {
		t.Errorf("exchanges\n%s\nwant\n%s", g, want)
	}
	var msgs []string
	for _, m := range ofType(lines, "message") {
		if m["conn"] != 2.0 {
			continue
		}
		if m["kind"] == "raw" || m["reason"] != nil {
			t.Errorf("not decoded: %v", m)
		}
		msgs = append(msgs, fmt.Sprint(m["dir"], " ", m["kind"], " ", m["method"]))
		f, _ := m["frame"].(map[string]any)
		if h, _ := f["headers"].(map[string]any); m["method"] == "200" && h["content-type"] != "application/json" {
			t.Errorf("stream 1's response: %v", f)
		}
	}
	joined := strings.Join(msgs, "|")
	for _, want := range []string{"c2s request GET /json", "s2c response 101 Switching Protocols", "c2s notification PREFACE", "s2c notification SETTINGS", "s2c notification 200", "c2s request GET /fail", "s2c response 503"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no %q in %s", want, joined)
		}
	}

	// Exported as pcapng: tshark's HTTP dissector follows the Upgrade to
	// h2c, so the command export prints decodes the port as http, and
	// tshark reads the 101 and the HTTP/2 after it.
	pcap := filepath.Join(dir, "s.pcapng")
	_, stderr := showRun(t, "export", rec, "-o", pcap)
	i := strings.Index(stderr, "tshark ")
	if i < 0 || !strings.Contains(stderr[i:], "-d tcp.port==7777,http\n") {
		t.Fatalf("the tshark command: %s", stderr)
	}
	if _, err := exec.LookPath("tshark"); err != nil {
		return
	}
	args := strings.Fields(strings.SplitN(stderr[i:], "\n", 2)[0])[1:]
	out, err = exec.Command("tshark", append(args, "-Y", "http.response.code || http2.headers.status", "-T", "fields", "-e", "http.response.code", "-e", "http2.headers.status")...).Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	if s := strings.Fields(string(out)); strings.Join(s, " ") != "101 200 503" {
		t.Errorf("tshark's statuses %q, want 101 200 503", s)
	}
}

// TestHTTP2UpgradeHAR: the HAR entry of the request an h2c upgrade was
// asked in is that HTTP/1.1 request with its real response, the one on
// stream 1 (status, headers, body from its DATA frames), not the 101;
// the stream-1 response has no entry of its own.
func TestHTTP2UpgradeHAR(t *testing.T) {
	need(t, "curl")
	dir := shortDir(t)
	up := startH2C(t, dir)
	front := filepath.Join(dir, "front.sock")
	rec := filepath.Join(dir, "s.jsonl")
	stop := sockscope(t, "--dump", "--lossless", "--record", rec, "--listen", front, up)
	dialWait(t, front)
	for _, path := range []string{"/json", "/fail"} { // each its own connection: both upgraded
		if out, err := exec.Command("curl", "-sS", "--http2", "--unix-socket", front, "http://x"+path).CombinedOutput(); err != nil {
			t.Fatalf("curl: %v\n%s", err, out)
		}
	}
	stop()

	harFile := filepath.Join(dir, "s.har")
	b := exportTo(t, rec, harFile)
	type nv struct{ Name, Value string }
	var har struct {
		Log struct {
			Entries []struct {
				Time     float64
				Request  struct{ Method, URL, HTTPVersion string }
				Response struct {
					Status                  int
					StatusText, HTTPVersion string
					Headers                 []nv
					Content                 struct{ MimeType, Text string }
				}
				Status  string `json:"_status"`
				Comment string
			}
		}
	}
	if err := json.Unmarshal(b, &har); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range har.Log.Entries {
		if !strings.HasPrefix(e.Request.URL, "http://x/") {
			continue // dialWait's connection
		}
		r := e.Response
		var xu string
		for _, h := range r.Headers {
			if h.Name == "x-upgraded" {
				xu = h.Value
			}
		}
		got = append(got, fmt.Sprint(e.Request.Method, " ", e.Request.URL, " ", e.Request.HTTPVersion, " -> ", r.Status, " ", r.StatusText, " ", r.HTTPVersion, " ", xu, " ", r.Content.MimeType, " ", r.Content.Text, " ", e.Status))
		if !strings.Contains(e.Comment, "h2c") || e.Time <= 0 {
			t.Errorf("entry %s: comment %q, time %v", e.Request.URL, e.Comment, e.Time)
		}
	}
	want := `GET http://x/json HTTP/1.1 -> 200 OK HTTP/2.0 HTTP/1.1 application/json {"proto":"HTTP/1.1","path":"/json"} ok|` +
		`GET http://x/fail HTTP/1.1 -> 503 Service Unavailable HTTP/2.0 HTTP/1.1 application/json {"proto":"HTTP/1.1","path":"/fail"} error`
	if g := strings.Join(got, "|"); g != want {
		t.Errorf("entries\n%s\nwant\n%s", g, want)
	}
}

// exchangeLines says each exchange of a --dump as "conn id method status
// code", in the order they were reported.
func exchangeLines(lines []map[string]any) []string {
	var got []string
	for _, e := range ofType(lines, "exchange") {
		got = append(got, fmt.Sprint(e["conn"], " ", e["id"], " ", e["method"], " ", e["status"], " ", e["code"]))
	}
	return got
}

// startH2C runs Go's h2c server on a Unix socket in dir until the test
// ends, and returns the socket: it takes HTTP/2 with prior knowledge or by
// an HTTP/1.1 Upgrade, answers {"proto":…,"path":…} as JSON (503 for
// /fail), and says in X-Upgraded which protocol a request came in (the
// upgrade's request is served as HTTP/1.1).
func startH2C(t *testing.T, dir string) string {
	t.Helper()
	up := filepath.Join(dir, "h2c.sock")
	ln, err := net.Listen("unix", up)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h2c.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Upgraded", r.Proto)
		if r.URL.Path == "/fail" {
			w.WriteHeader(503)
		}
		fmt.Fprintf(w, `{"proto":%q,"path":%q}`, r.Proto, r.URL.Path)
	}), &http2.Server{})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return up
}
