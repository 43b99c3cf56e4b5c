//go:build unix

package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sockscope/internal/missing"
)

// dialWait waits until something accepts connections on the Unix socket at
// path (its file exists before listen(), so seeing it is not enough).
func dialWait(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("unix", path)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s: %v", path, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// need ends the test when a program is missing: a skip outside CI, a
// failure in it.
func need(t *testing.T, progs ...string) {
	t.Helper()
	for _, p := range progs {
		if _, err := exec.LookPath(p); err != nil {
			missing.Peer(t, "%s is not installed", p)
		}
	}
}

// startProc runs a peer for the test's duration.
func startProc(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// wantExchanges checks the dump's exchanges, each as describe writes it,
// joined with ", " by connection, against want; and that every message
// was paired (a request or a response).
func wantExchanges(t *testing.T, lines []map[string]any, describe func(e map[string]any) string, want map[float64]string) {
	t.Helper()
	got := map[float64][]string{}
	for _, e := range ofType(lines, "exchange") {
		conn := e["conn"].(float64)
		got[conn] = append(got[conn], describe(e))
	}
	for conn, w := range want {
		if g := strings.Join(got[conn], ", "); g != w {
			t.Errorf("connection %v: exchanges %q, want %q", conn, g, w)
		}
	}
	for _, m := range ofType(lines, "message") {
		if m["kind"] != "request" && m["kind"] != "response" {
			t.Errorf("not paired: %v", m)
		}
	}
}

// ofType returns the dump lines of one type.
func ofType(lines []map[string]any, typ string) []map[string]any {
	var out []map[string]any
	for _, l := range lines {
		if l["type"] == typ {
			out = append(out, l)
		}
	}
	return out
}

// startNginx runs the real nginx on a Unix socket in dir, serving a JSON
// file, a JSON answer, a 204, a 503, a chunked body (sub_filter drops the
// length), a WebDAV PUT (which answers Expect: 100-continue) and, under
// /gz/, the files of html gzip-encoded for a client that accepts it
// (chunked: gzip drops the length).
func startNginx(t *testing.T, dir string) string {
	t.Helper()
	need(t, "nginx")
	html := filepath.Join(dir, "html")
	os.MkdirAll(html, 0o755)
	os.WriteFile(filepath.Join(html, "data.json"), []byte(`{"hello":"world","n":[1,2,3]}`+"\n"), 0o644)
	return runNginx(t, dir, "ng.sock", "", `
    location = /json { default_type application/json; return 200 '{"ok":true}'; }
    location = /nothing { return 204; }
    location = /fail { return 503 'down'; }
    location /chunked/ { alias DIR/html/; sub_filter 'world' 'chunks'; sub_filter_once off; sub_filter_types *; }
    location /dav/ { dav_methods PUT; create_full_put_path on; }
    location /gz/ { alias DIR/html/; gzip on; gzip_types text/plain; gzip_min_length 1; }
    location /small/ { client_max_body_size 16; }`)
}

// runNginx runs the real nginx in dir, one worker, with one server on the
// Unix socket dir/name (listen's options after it, such as http2), its
// root dir/html, and locations (DIR in them is dir); it returns the socket
// once it takes connections.
func runNginx(t *testing.T, dir, name, options, locations string) string {
	t.Helper()
	conf := strings.ReplaceAll(`daemon off;
master_process off;
worker_processes 1;
pid DIR/nginx.pid;
error_log stderr;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path DIR/body;
  types { application/json json; }
  server {
    listen unix:DIR/`+name+` `+options+`;
    root DIR/html;`+locations+`
  }
}
`, "DIR", dir)
	path := filepath.Join(dir, "nginx.conf")
	os.WriteFile(path, []byte(conf), 0o644)
	startProc(t, "nginx", "-c", path, "-p", dir)
	sock := filepath.Join(dir, name)
	dialWait(t, sock)
	return sock
}

// nginx behind the real binary, driven by curl (keep-alive, HEAD,
// Expect: 100-continue, a 304) and by pipelined requests written at once:
// every request pairs with its response in order, 204/304/HEAD end without
// a body, chunked and Content-Length bodies are framed, 5xx are errors and
// JSON bodies are shown as JSON.
func TestHTTPNginx(t *testing.T) {
	need(t, "curl")
	dir := shortDir(t)
	up := startNginx(t, dir)
	front := filepath.Join(dir, "front.sock")
	stop := sockscope(t, "--dump", "--lossless", "--listen", front, up)
	dialWait(t, front)

	curl := func(args ...string) {
		t.Helper()
		out, err := exec.Command("curl", append([]string{"-sS", "-o", "/dev/null", "--unix-socket", front}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %v: %v\n%s", args, err, out)
		}
	}
	// One keep-alive connection for five requests.
	curl("http://x/json", "-o", "/dev/null", "http://x/nothing", "-o", "/dev/null", "http://x/fail",
		"-o", "/dev/null", "http://x/chunked/data.json", "-o", "/dev/null", "http://x/data.json")
	curl("-I", "http://x/data.json")
	curl("-T", filepath.Join(dir, "html", "data.json"), "-H", "Expect: 100-continue", "http://x/dav/up.json")
	curl("-H", "If-None-Match: *", "http://x/data.json")

	// Pipelined: three requests in one write, HEAD in the middle.
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	pipelined := []string{"GET /chunked/data.json", "HEAD /data.json", "GET /fail", "GET /json"}
	var reqs string
	for _, r := range pipelined {
		reqs += r + " HTTP/1.1\r\nHost: x\r\n\r\n"
	}
	if _, err := c.Write([]byte(reqs)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	for _, r := range pipelined {
		method, _, _ := strings.Cut(r, " ")
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		resp.Body.Close()
	}
	c.Close()
	lines := dumpLines(t, stop())

	// The status code is the exchange's status: "code" beside ok/error.
	type ex struct {
		method, status string
		code           float64
	}
	var got []ex
	for _, l := range ofType(lines, "exchange") {
		m, _ := l["method"].(string)
		c, _ := l["code"].(float64)
		got = append(got, ex{m, l["status"].(string), c})
	}
	want := []ex{
		{"GET /json", "ok", 200}, {"GET /nothing", "ok", 204}, {"GET /fail", "error", 503}, {"GET /chunked/data.json", "ok", 200}, {"GET /data.json", "ok", 200},
		{"HEAD /data.json", "ok", 200}, {"PUT /dav/up.json", "ok", 201}, {"GET /data.json", "ok", 304},
		{"GET /chunked/data.json", "ok", 200}, {"HEAD /data.json", "ok", 200}, {"GET /fail", "error", 503}, {"GET /json", "ok", 200},
	}
	if len(got) != len(want) {
		t.Fatalf("exchanges %v\nwant %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("exchange %d: %v, want %v", i, got[i], want[i])
		}
	}
	var sawChunked, sawJSONBody, sawContinue, sawNoBody bool
	for _, m := range ofType(lines, "message") {
		if m["reason"] != nil || m["kind"] == "raw" {
			t.Errorf("a message not decoded: %v", m)
		}
		f, _ := m["frame"].(map[string]any)
		h, _ := f["headers"].(map[string]any)
		switch {
		case h["Transfer-Encoding"] == "chunked":
			// The chunks joined, and shown as the JSON they are.
			if b, _ := f["body"].(map[string]any); b["hello"] == "chunks" {
				sawChunked = true
			}
		case m["method"] == "100 Continue":
			sawContinue = m["kind"] == "notification"
		case m["method"] == "204 No Content" || m["method"] == "304 Not Modified":
			sawNoBody = f["body"] == nil
		}
		if b, _ := f["body"].(map[string]any); b["ok"] == true {
			sawJSONBody = true
		}
	}
	if !sawChunked || !sawJSONBody || !sawContinue || !sawNoBody {
		t.Errorf("chunked %v, JSON body %v, 100 Continue as a notification %v, 204/304 without body %v", sawChunked, sawJSONBody, sawContinue, sawNoBody)
	}
}

// nginx answers a request whose Content-Length is over
// client_max_body_size with a 413 as soon as it has read the headers,
// before the body is in: the 413 answers that request, and its latency
// runs from the request's start (it was 0, timed from the request's end,
// which came after the answer).
func TestHTTPNginxAnswersBeforeTheBody(t *testing.T) {
	dir := shortDir(t)
	up := startNginx(t, dir)
	front := filepath.Join(dir, "front.sock")
	file := filepath.Join(dir, "s.jsonl")
	stop := sockscope(t, "--dump", "--lossless", "--record", file, "--listen", front, up)
	dialWait(t, front)

	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("b", 1000)
	io.WriteString(c, "POST /small/x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"+body[:100])
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: "POST"})
	if err != nil || resp.StatusCode != 413 {
		t.Fatalf("nginx: %v %v", resp, err)
	}
	resp.Body.Close()
	io.WriteString(c, body[100:]) // the rest, after the answer (nginx may have closed: no matter)
	c.Close()
	lines := dumpLines(t, stop())

	var ex []map[string]any
	var reqAt, respAt time.Time
	for _, l := range lines {
		switch {
		case l["type"] == "exchange":
			ex = append(ex, l)
		case l["type"] == "message" && l["kind"] == "request":
			reqAt, _ = time.Parse(time.RFC3339Nano, l["at"].(string))
		case l["type"] == "message" && l["method"] == "413 Request Entity Too Large":
			respAt, _ = time.Parse(time.RFC3339Nano, l["at"].(string))
		}
	}
	if len(ex) != 1 || ex[0]["method"] != "POST /small/x" || ex[0]["code"] != 413.0 {
		t.Fatalf("exchanges %v, want POST /small/x answered by the 413", ex)
	}
	if respAt.IsZero() || !respAt.Before(reqAt) {
		t.Fatalf("the 413 read at %v, the request's end at %v: not an early answer", respAt, reqAt)
	}
	if lat, _ := ex[0]["latency_us"].(float64); lat <= 0 {
		t.Errorf("latency %v µs: want it from the request's start, before the answer", ex[0]["latency_us"])
	}

	// The recording says when the request began: show pairs and times it
	// as the live run did (it found no request for the 413, an orphan,
	// and the POST got no reply).
	out, _ := showRun(t, "show", "--dump", file)
	var shown []map[string]any
	for _, l := range dumpLines(t, []byte(out)) {
		if l["type"] == "exchange" {
			shown = append(shown, l)
		}
	}
	if len(shown) != 1 || fmt.Sprint(shown[0]) != fmt.Sprint(ex[0]) {
		t.Errorf("show --dump: exchanges %v, live %v", shown, ex)
	}
}
