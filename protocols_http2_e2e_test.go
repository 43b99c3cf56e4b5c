//go:build unix

package main

import (
	bin "encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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

// HTTP/2 with prior knowledge through the real binary, nginx and curl
// --http2-prior-knowledge: each direction is detected as http2 and cut
// into its frames (the client's preface one of them); each request (the
// client's HEADERS on a stream) pairs with the server's HEADERS on that
// stream, its status read from the static table or a literal (200, 503,
// 413 errors); DATA, SETTINGS, WINDOW_UPDATE are notifications; nothing
// is raw. The recording exported as pcapng decodes in tshark with the
// command export prints (-d tcp.port==7777,http2).
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
	lines := dumpLines(t, stop())

	var got []string
	for _, e := range ofType(lines, "exchange") {
		got = append(got, fmt.Sprint(e["conn"], " ", e["id"], " ", e["method"], " ", e["status"], " ", e["code"]))
	}
	// Connection 1 was dialWait's. curl's :path is Huffman-coded: only
	// the method is read.
	want := "2 1 GET /json ok 200|2 3 GET /fail error 503|2 5 GET /data.json ok 200|3 1 GET ok 200|4 1 POST ok 200|5 1 POST error 413"
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
		if m["kind"] == "request" && (f["type"] != "HEADERS" || f["hpack"] != "not decoded" || f["stream"] == nil) {
			t.Errorf("a request's view: %v", f)
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
	if s := strings.Fields(string(out)); strings.Join(s, " ") != "200 503 200 200 200 413" {
		t.Errorf("tshark's statuses %q, want 200 503 200 200 200 413", s)
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
	frame := func(typ, flags byte, stream uint32, payload []byte) []byte {
		b := []byte{byte(len(payload) >> 16), byte(len(payload) >> 8), byte(len(payload)), typ, flags, 0, 0, 0, 0}
		bin.BigEndian.PutUint32(b[5:], stream)
		return append(b, payload...)
	}
	out := append([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), frame(0x4, 0, 0, nil)...)
	for i, p := range paths {
		// :method GET, :scheme http, :authority x (a literal), :path (a literal)
		block := append([]byte{0x82, 0x86, 0x41, 1, 'x', 0x04, byte(len(p))}, p...)
		out = append(out, frame(0x1, 0x5, uint32(2*i+1), block)...)
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
			c.Write(frame(0x4, 1, 0, nil))
		case (typ == 0x0 || typ == 0x1) && flags&1 != 0:
			open--
		case typ == 0x3 || typ == 0x7:
			t.Fatalf("the server reset or went away: % x", payload)
		}
	}
}
