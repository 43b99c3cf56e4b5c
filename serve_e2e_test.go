//go:build unix

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sockscope/internal/lsptest"
	"sockscope/internal/nodetest"
	"sockscope/protocol"
)

// serve stands in for nginx, recorded through the real binary: curl gets
// the recorded responses by method and target (a keep-alive connection
// and HEAD included), and a request the recording has no reply for gets a
// 502 that says so; serve refuses --miss forward for an HTTP recording.
func TestServeHTTP(t *testing.T) {
	need(t, "curl")
	dir := shortDir(t)
	up := startNginx(t, dir)
	file, front := filepath.Join(dir, "http.jsonl"), filepath.Join(dir, "front.sock")
	curl := func(sock string, args ...string) string {
		t.Helper()
		// -m bounds a hang, which is the failure: serve must answer.
		out, err := exec.Command("curl", append([]string{"-sS", "-m", "30", "--unix-socket", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	stop := started(t, "listening on", "--headless", "-w", file, "--listen", front, up)
	recorded := curl(front, "http://x/json", "http://x/data.json")
	curl(front, "-I", "http://x/data.json")
	stop()

	mock := filepath.Join(dir, "mock.sock")
	stopServe := started(t, "listening on", "serve", file, "--listen", mock)
	if got := curl(mock, "http://x/json", "http://x/data.json"); got != recorded {
		t.Errorf("curl against serve: %q, want %q", got, recorded)
	}
	if got := curl(mock, "-I", "http://x/data.json"); !strings.Contains(got, "200 OK") || !strings.Contains(got, "Content-Length: 30") {
		t.Errorf("HEAD against serve: %q", got)
	}
	got := curl(mock, "-i", "http://x/nosuch")
	if !strings.Contains(got, "502 Bad Gateway") || !strings.Contains(got, "no recorded reply to GET /nosuch {}; the closest recorded request is GET /json {}") {
		t.Errorf("a miss: %q", got)
	}
	if log := stopServe(); !strings.Contains(log, "3 connections, 3 requests answered from the recording, 1 miss") {
		t.Errorf("serve's summary: %s", log)
	}

	_, errOut, status := runStatus(t, "serve", file, "--listen", filepath.Join(dir, "fwd.sock"), "--miss", "forward:"+up)
	if status == 0 || !strings.Contains(errOut, "speaks http: --miss forward takes JSON protocols only") {
		t.Errorf("--miss forward with HTTP: status %d: %s", status, errOut)
	}

	// A response whose body ends with its connection (no length, not
	// chunked): serve closes after it, as the recorded server did; curl
	// waited for the end until its -m.
	raw, rawFront := filepath.Join(dir, "raw.sock"), filepath.Join(dir, "rawfront.sock")
	startUpstream(t, raw, func(c net.Conn) {
		bufio.NewReader(c).ReadString('\n')
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nto the end")
		c.Close()
	})
	rawFile := filepath.Join(dir, "raw.jsonl")
	stop = started(t, "listening on", "--headless", "-w", rawFile, "--listen", rawFront, raw)
	if got := curl(rawFront, "http://x/"); got != "to the end" {
		t.Fatalf("curl through sockscope: %q", got)
	}
	stop()
	rawMock := filepath.Join(dir, "rawmock.sock")
	defer started(t, "listening on", "serve", rawFile, "--listen", rawMock)()
	if got := curl(rawMock, "http://x/"); got != "to the end" {
		t.Errorf("a close-delimited response from serve: %q", got)
	}
}

// serve answers a request that says Expect: 100-continue with a 100
// Continue once its head is in, and takes the body then: curl -T and Go's
// client waited (curl a second, Go its ExpectContinueTimeout) for a go-ahead
// serve never gave. The recorded server's own 100s are not played (on
// connect, as the greeting, or after the previous answer): a client would
// take one for the next request's.
func TestServeHTTPContinue(t *testing.T) {
	dir := shortDir(t)
	up, front := filepath.Join(dir, "up.sock"), filepath.Join(dir, "front.sock")
	// Go's server says 100 Continue as the handler reads the body.
	goHTTPServer(t, up, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "%s %s", r.URL.Path, b)
	})

	type upload struct{ method, path, body, expect string }
	uploads := []upload{
		{"PUT", "/up", "first", "100-continue"},  // its 100 was recorded before it: the greeting
		{"POST", "/plain", "second", ""},         // recorded without one
		{"PUT", "/up2", "third", "100-Continue"}, // its 100 was recorded after the previous answer
	}
	// Go's client, on one keep-alive connection: it waits for a 100 for
	// up to 30 s, the request as a whole for 10 s, so a go-ahead that does
	// not come fails it.
	transport := func(sock string) *http.Transport {
		return &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, "unix", sock)
			},
			ExpectContinueTimeout: 30 * time.Second,
			MaxConnsPerHost:       1,
		}
	}
	roundTrip := func(tr *http.Transport, u upload) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, u.method, "http://x"+u.path, strings.NewReader(u.body))
		if u.expect != "" {
			req.Header.Set("Expect", u.expect)
		}
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatalf("%s %s: %v", u.method, u.path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return fmt.Sprintf("%d %s", resp.StatusCode, b)
	}
	file := filepath.Join(dir, "http.jsonl")
	stop := started(t, "listening on", "--headless", "-w", file, "--listen", front, up)
	var recorded []string
	tr := transport(front)
	for _, u := range uploads {
		recorded = append(recorded, roundTrip(tr, u))
	}
	tr.CloseIdleConnections()
	stop()

	// A client of its own: the head, then the 100 Continue (the first
	// thing it reads, within 10 s) before the body, then the answer.
	mock := filepath.Join(dir, "mock.sock")
	stopServe := started(t, "listening on", "serve", file, "--listen", mock)
	c, err := net.Dial("unix", mock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	for i, u := range uploads {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", u.method, u.path, len(u.body))
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != http.StatusContinue || resp.Proto != "HTTP/1.1" {
			t.Fatalf("%s %s: no 100 Continue before the body: %v %v", u.method, u.path, resp, err)
		}
		io.WriteString(c, u.body)
		resp, err = http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s %s: %v", u.method, u.path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if got := fmt.Sprintf("%d %s", resp.StatusCode, b); got != recorded[i] {
			t.Errorf("%s %s: %q, want %q", u.method, u.path, got, recorded[i])
		}
	}
	c.Close()

	// Go's client, asking for a 100 where it did when recorded.
	tr = transport(mock)
	for i, u := range uploads {
		if got := roundTrip(tr, u); got != recorded[i] {
			t.Errorf("Go's client, %s %s: %q, want %q", u.method, u.path, got, recorded[i])
		}
	}
	tr.CloseIdleConnections()
	if log := stopServe(); !strings.Contains(log, "2 connections, 6 requests answered from the recording, 0 misses") {
		t.Errorf("serve's summary: %s", log)
	}
}

// goHTTPServer serves h with Go's HTTP server on a Unix socket at path
// until the test ends.
func goHTTPServer(t *testing.T, path string, h http.HandlerFunc) {
	t.Helper()
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

// serve sends a recorded 103 Early Hints before the final response it
// came before, as the server did: it sent it after that response, where a
// client takes it for unsolicited bytes on an idle connection (Go's drops
// the connection) and the request it belonged to got no hints.
func TestServeHTTPEarlyHints(t *testing.T) {
	dir := shortDir(t)
	up, front := filepath.Join(dir, "up.sock"), filepath.Join(dir, "front.sock")
	goHTTPServer(t, up, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "<"+r.URL.Path+".css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
		fmt.Fprintf(w, "page %s", r.URL.Path)
	})

	// Go's client on one keep-alive connection: what it saw of each
	// request, in order, and whether the connection was reused.
	get := func(tr *http.Transport, path string) string {
		t.Helper()
		var saw []string
		trace := &httptrace.ClientTrace{
			GotConn: func(ci httptrace.GotConnInfo) { saw = append(saw, fmt.Sprintf("reused=%v", ci.Reused)) },
			Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
				saw = append(saw, fmt.Sprintf("%d %s", code, h.Get("Link")))
				return nil
			},
		}
		ctx, cancel := context.WithTimeout(httptrace.WithClientTrace(context.Background(), trace), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://x"+path, nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.Join(append(saw, fmt.Sprintf("%d %s", resp.StatusCode, b)), ", ")
	}
	transport := func(sock string) *http.Transport {
		return &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}, MaxConnsPerHost: 1}
	}
	paths := []string{"/a", "/b", "/c"}
	want := func(i int, p string) string {
		return fmt.Sprintf("reused=%v, 103 <%s.css>; rel=preload, 200 page %s", i > 0, p, p)
	}

	file := filepath.Join(dir, "http.jsonl")
	stop := started(t, "listening on", "--headless", "-w", file, "--listen", front, up)
	tr := transport(front)
	for i, p := range paths {
		if got := get(tr, p); got != want(i, p) {
			t.Fatalf("through sockscope: %s, want %s", got, want(i, p))
		}
	}
	tr.CloseIdleConnections()
	stop()

	mock := filepath.Join(dir, "mock.sock")
	stopServe := started(t, "listening on", "serve", file, "--listen", mock)
	tr = transport(mock)
	for i, p := range paths {
		if got := get(tr, p); got != want(i, p) {
			t.Errorf("from serve: %s, want %s", got, want(i, p))
		}
	}
	tr.CloseIdleConnections()
	if log := stopServe(); !strings.Contains(log, "1 connection, 3 requests answered from the recording, 0 misses") {
		t.Errorf("serve's summary: %s", log)
	}
}

// serve stands in for redis-server, recorded through the real binary:
// redis-cli gets the recorded reply to the same command and arguments
// (its name in any case), and one the recording has no reply for gets an
// error reply that says so.
func TestServeRedis(t *testing.T) {
	need(t, "redis-server", "redis-cli")
	dir := shortDir(t)
	up, front := startRedis(t, dir), filepath.Join(dir, "f.sock")
	file := filepath.Join(dir, "redis.jsonl")
	cli := func(sock string, args ...string) string {
		t.Helper()
		// The deadline bounds a hang, which is the failure: serve must answer.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "redis-cli", append([]string{"-s", sock}, args...)...)
		cmd.Stdin = strings.NewReader("") // redis-cli reads its last argument from a stdin that is not a terminal
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	stop := started(t, "listening on", "--headless", "-w", file, "--listen", front, up)
	cli(front, "set", "k", "v")
	cli(front, "rpush", "l", "a", "b")
	stop()

	mock := filepath.Join(dir, "mock.sock")
	stopServe := started(t, "listening on", "serve", file, "--listen", mock)
	if got := cli(mock, "SET", "k", "v"); got != "OK" {
		t.Errorf("set against serve: %q", got)
	}
	if got := cli(mock, "rpush", "l", "a", "b"); got != "2" {
		t.Errorf("rpush against serve: %q", got)
	}
	if got := cli(mock, "get", "k"); got != `ERR sockscope serve: no recorded reply to GET {"args":["k"]}; the closest recorded request is SET {"args":["k","v"]}` {
		t.Errorf("a miss: %q", got)
	}
	// What any server answers alike, missed: ECHO (redis-cli --pipe's last
	// command, whose echo it waits for) and PING.
	if got := cli(mock, "echo", "not recorded"); got != "not recorded" {
		t.Errorf("echo against serve: %q", got)
	}
	if got := cli(mock, "ping"); got != "PONG" {
		t.Errorf("ping against serve: %q", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pipe := exec.CommandContext(ctx, "redis-cli", "-s", mock, "--pipe")
	pipe.Stdin = strings.NewReader("SET k v\r\n")
	if out, err := pipe.CombinedOutput(); err != nil || !strings.Contains(string(out), "errors: 0, replies: 1") {
		t.Errorf("redis-cli --pipe against serve: %v\n%s", err, out)
	}
	log := stopServe()
	if !strings.Contains(log, "6 connections, 3 requests answered from the recording, 4 misses") {
		t.Errorf("serve's summary: %s", log)
	}
	// The log says what the client got for a miss any server answers.
	if !strings.Contains(log, `no recorded reply to PING {"args":[]}; the closest recorded request is SET {"args":["k","v"]}; answered PONG, as any server would`) {
		t.Errorf("serve's log of the missed PING: %s", log)
	}
}

// --miss forward with the seed service: the client had the recorded
// greeting, and the real server's (on the forward connection) does not
// reach it: the reply to a forwarded call is the next thing it gets. A
// client that ends its side after a forwarded call still gets its reply
// (serve closed the connection at the client's end, the reply unsent). With
// nothing listening at the forward address, serve says so at start and
// serves on; the call gets an error reply that names the dial failure,
// and serve says it on stderr, as it says each miss it forwarded.
func TestServeForwardSeed(t *testing.T) {
	dir, svc, file := seedSession(t, recordSeed)

	fwd := filepath.Join(dir, "fwd.sock")
	stopFwd := started(t, "listening on", "serve", "--miss", "forward:"+svc, file, "--listen", fwd)
	probe := nodetest.Start(t, "probe-client.js", fwd)
	probe.Expect(t, "registered")
	for i, args := range []string{"[7]", "[7,1001]"} { // no recorded add has either
		probe.Say("call add " + args)
		probe.Expect(t, fmt.Sprintf("sent %d", i+1))
		if got, want := probe.Line(t), fmt.Sprintf(`reply %d `, i+1); !strings.HasPrefix(got, want) || !strings.Contains(got, `"success":true`) {
			t.Errorf("after call %d, the client got %q, want its reply", i+1, got)
		}
	}
	probe.Say("quit")

	// A client that ends its side after its requests, as nc does, and
	// reads on: the forwarded one's reply still reaches it before the end.
	nc, err := net.Dial("unix", fwd)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	fmt.Fprintln(nc, `{"rid":9,"method":"add","args":[40,2]}`)
	nc.(*net.UnixConn).CloseWrite()
	nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	if got, err := io.ReadAll(nc); err != nil || !strings.Contains(string(got), `{"success":true,"rid":9,"data":42}`) {
		t.Errorf("a client that ended its side got %q, %v; want the forwarded add's reply", got, err)
	}
	if log := stopFwd(); strings.Count(log, "; forwarded to the real server") != 3 {
		t.Errorf("serve's log does not say the three misses were forwarded: %s", log)
	}

	nowhere := filepath.Join(dir, "nowhere.sock")
	broken := filepath.Join(dir, "broken.sock")
	stop := started(t, "listening on", "serve", "--miss", "forward:"+nowhere, file, "--listen", broken)
	out, _, status := runStatus(t, "send", broken, `{"rid":7,"method":"add","args":[9,9]}`)
	if status != 1 || !strings.Contains(out, `"rid":7`) || !strings.Contains(out, `"success":false`) || !strings.Contains(out, "forwarding it failed: ") || !strings.Contains(out, nowhere) {
		t.Errorf("forward to nowhere: status %d: %s", status, out)
	}
	log := stop()
	if !strings.Contains(log, "; forwarding it failed: ") || !strings.Contains(log, nowhere) {
		t.Errorf("serve's log does not say the dial failed: %s", log)
	}
	// And it said so at start, before it listened (it said nothing until
	// the first miss).
	if warned, listening := strings.Index(log, "--miss forward:"+nowhere+": no server there now ("), strings.Index(log, "listening on"); warned < 0 || warned > listening {
		t.Errorf("serve did not say at start that nothing answers at the forward address: %s", log)
	}
}

// --miss forward with an LSP recording (serve --help's example): a request
// the recording has no reply for goes to gopls framed as LSP, after the
// client's own handshake (initialize, initialized) on the forward
// connection, and gopls' answer comes back.
func TestServeForwardGopls(t *testing.T) {
	dir, ws, svc, file := goplsSession(t)

	mock := filepath.Join(dir, "mock.sock")
	stopServe := started(t, "listening on", "serve", file, "--listen", mock, "--miss", "forward:"+svc)
	// The recorded initialize (answered from the recording), then one
	// unlike it (forwarded itself, and initialized after it).
	for _, caps := range []string{
		`{"workspace":{"configuration":true,"didChangeWatchedFiles":{"dynamicRegistration":true}},"window":{"workDoneProgress":true}}`,
		`{"workspace":{"configuration":true}}`,
	} {
		lsp := lsptest.NewClient(lsptest.Dial(t, mock))
		uri := lsp.Open(t, ws, caps)
		def := lsp.Call(t, 4, "textDocument/definition", fmt.Sprintf(`{"textDocument":{"uri":%q},"position":{"line":7,"character":15}}`, uri))
		if !strings.Contains(string(def), `"id":4`) || !strings.Contains(string(def), `"line":5`) {
			t.Errorf("definition, forwarded to gopls: %s", def)
		}
		lsp.Close()
	}
	if log := stopServe(); !strings.Contains(log, "2 connections, 1 request answered from the recording, 3 misses") {
		t.Errorf("serve's summary: %s", log)
	}
}

// --match sequential and strict with the seed service: a request unlike
// the recorded one at its place gets an error saying what the recording
// has there and how the request differs, and takes its place, so the
// next one is compared with the next recorded request; strict leaves out
// what --ignore says.
func TestServeSeedInOrder(t *testing.T) {
	dir, _, file := seedSession(t, recordSeed)
	send := func(sock string, lines ...string) []string {
		t.Helper()
		cmd := exec.Command(binary, "send", sock, "-")
		cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
		out, _ := cmd.Output()
		return strings.Split(strings.TrimSpace(string(out)), "\n")
	}

	seq := filepath.Join(dir, "seq.sock")
	stop := started(t, "listening on", "serve", "--match", "sequential", file, "--listen", seq)
	got := send(seq, `{"rid":1,"method":"add","args":[1,2,3,4,5]}`, `{"rid":2,"method":"add","args":[1,2,3,4,5]}`, `{"rid":3,"method":"echo","args":["x"]}`)
	if len(got) != 3 || got[0] != `{"success":true,"rid":1,"data":15}` || got[2] != `{"success":true,"rid":3,"data":"héllo→世界"}` ||
		!strings.Contains(got[1], `"rid":2`) || !strings.Contains(got[1], `request 2 of the recorded connection is time {\"args\":[1,2,3,4,5]}: the method differs`) {
		t.Errorf("sequential: %q", got)
	}
	if log := stop(); !strings.Contains(log, "2 requests answered from the recording, 1 miss") {
		t.Errorf("serve's summary: %s", log)
	}

	strict := filepath.Join(dir, "strict.sock")
	started(t, "listening on", "serve", "--match", "strict", "--ignore", "$.args[0]", file, "--listen", strict)
	got = send(strict, `{"rid":1,"method":"add","args":[9,2,3,4,5]}`, `{"rid":2,"method":"time","args":[1,2,3]}`, `{"rid":3,"method":"echo","args":["héllo→世界"]}`)
	if len(got) != 3 || got[0] != `{"success":true,"rid":1,"data":15}` || got[2] != `{"success":true,"rid":3,"data":"héllo→世界"}` ||
		!strings.Contains(got[1], `request 2 of the recorded connection is time {\"args\":[1,2,3,4,5]}: the params differ at $.args[3]: 4 → (absent), $.args[4]: 5 → (absent)`) {
		t.Errorf("strict: %q", got)
	}
}

// serve stands in for mpv, recorded through the real binary as send
// spoke to it: a command gets the reply recorded for the same command and
// arguments, so a property never asked for in the recording is a miss
// (it got the volume's reply, the command's arguments left out of the
// match) that names the argument that differs from the closest recorded
// command, as --match strict names it. A command without request_id gets
// the reply with request_id 0, as from mpv, its miss too (it had "id":null).
func TestServeMpv(t *testing.T) {
	need(t, "mpv")
	dir := shortDir(t)
	up, front := filepath.Join(dir, "m.sock"), filepath.Join(dir, "f.sock")
	startProc(t, "mpv", "--idle=yes", "--no-config", "--no-video", "--ao=null", "--no-terminal", "--input-ipc-server="+up)
	dialWait(t, up)
	file := filepath.Join(dir, "mpv.jsonl")
	stop := started(t, "listening on", "--headless", "-w", file, "--listen", front, up)
	for _, cmd := range []string{`{"command":["get_property","volume"]}`, `{"command":["get_property","no-such-property"]}`} {
		if _, errOut, status := runSendCmd(t, "", front, cmd); status > 1 {
			t.Fatalf("send %s to mpv: status %d, %s", cmd, status, errOut)
		}
	}
	stop()

	mock := filepath.Join(dir, "mock.sock")
	stopServe := started(t, "listening on", "serve", file, "--listen", mock)
	for _, c := range []struct {
		cmd, want string
		status    int
	}{
		{`{"command":["get_property","volume"]}`, `{"data":100.000000,"request_id":1,"error":"success"}`, 0},
		{`{"command":["get_property","no-such-property"],"request_id":5}`, `{"request_id":5,"error":"property not found"}`, 1},
		{`{"command":["get_property","speed"]}`, `no recorded reply to get_property {\"command\":[\"get_property\",\"speed\"]}; the closest recorded request is get_property {\"command\":[\"get_property\",\"volume\"]}: the params differ at $.command[1]: \"volume\" → \"speed\"`, 1},
	} {
		if out, errOut, status := runSendCmd(t, "", mock, c.cmd); status != c.status || !strings.Contains(out, c.want) {
			t.Errorf("send %s to serve: %q (%s), status %d; want %s, status %d", c.cmd, out, errOut, status, c.want, c.status)
		}
	}
	// mpv's documented form, without request_id, recorded with one: mpv
	// answers it with request_id 0 (serve wrote "request_id":, no JSON).
	nc, err := net.Dial("unix", mock)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintln(nc, `{"command":["get_property","volume"]}`)
	br := bufio.NewReader(nc)
	if line, err := br.ReadString('\n'); line != `{"data":100.000000,"request_id":0,"error":"success"}`+"\n" {
		t.Errorf("a command without request_id got %q, %v", line, err)
	}
	fmt.Fprintln(nc, `{"command":["get_property","speed"]}`)
	if line, err := br.ReadString('\n'); !strings.Contains(line, `"request_id":0`) || !strings.Contains(line, `no recorded reply to get_property`) {
		t.Errorf("a command without request_id that misses got %q, %v", line, err)
	}
	stopServe()
	stopServe = started(t, "listening on", "serve", file, "--listen", mock, "--match", "strict")
	out, _, _ := runSendCmd(t, "", mock, `{"command":["get_property","speed"]}`)
	if want := `the params differ at $.command[1]: \"volume\" → \"speed\"`; !strings.Contains(out, want) {
		t.Errorf("strict serve's miss: %s, want it to say %s", out, want)
	}
	stopServe()
}

// serve stands in for a gopls daemon that Neovim reaches through
// gopls -remote, the README's LSP set-up, recorded through the real
// binary: Neovim gets the same answers from the recording as from gopls,
// with no miss. gopls -remote's initialize carries its go env, whose
// GOGCCFLAGS names a temporary directory of its own each run: the match
// leaves it out, as LSP's processId (initialize missed, and Neovim gave
// up on the server). A connection of the recording on which the client
// said nothing (a readiness probe's) is none a client plays: Neovim's
// would have played it and got lines, no Content-Length, and hung.
func TestServeNeovimGoplsRemote(t *testing.T) {
	need(t, "nvim")
	dir := shortDir(t)
	ws := neovimWorkspace(t, dir)
	svc, front, mock := filepath.Join(dir, "gopls.sock"), filepath.Join(dir, "front.sock"), filepath.Join(dir, "mock.sock")
	lsptest.Serve(t, ws, svc)
	file := filepath.Join(dir, "remote.jsonl")
	stop := started(t, "listening on", "--headless", "-w", file, "--listen", front, svc)
	lsptest.Dial(t, front).Close() // a readiness probe's connection, on which the client said nothing
	recorded := neovimLSP(t, ws, "REMOTE="+front, "OUT="+filepath.Join(dir, "recorded.txt"))
	stop()
	if !strings.HasPrefix(recorded, "hover\ttrue\ndefinition\t5\ncompletion\ttrue\nrename\t3\n") {
		t.Fatalf("Neovim through gopls -remote got:\n%s", recorded)
	}
	stopServe := started(t, "listening on", "serve", file, "--listen", mock)
	served := neovimLSP(t, ws, "REMOTE="+mock, "OUT="+filepath.Join(dir, "served.txt"))
	log := stopServe()
	if served != recorded {
		t.Errorf("Neovim got from serve:\n%s\nfrom gopls:\n%s", served, recorded)
	}
	if !strings.Contains(log, " 0 misses") {
		t.Errorf("serve: %s", log)
	}
}

// --miss forward to a server that takes one client (socat without fork,
// which runs the Node JSON-RPC server for its one client and then exits):
// serve does not connect to it at start, which would have been its one
// client (socat gone when the first miss came, the miss an error reply):
// it only looks that a socket is there, and the first miss is the real
// server's first client, answered by it. serve says at start when what is
// at the path is no socket.
func TestServeForwardOneClientServer(t *testing.T) {
	need(t, "socat", "node")
	dir := shortDir(t)
	file, mock, real := filepath.Join(dir, "rpc.jsonl"), filepath.Join(dir, "mock.sock"), filepath.Join(dir, "real.sock")
	recordFrames(t, file, protocol.FramingLines,
		`> {"jsonrpc":"2.0","id":1,"method":"echo","params":["x"]}`,
		`< {"jsonrpc":"2.0","id":1,"result":["x"]}`,
	)
	socat := exec.Command("socat", "-d", "-d", "UNIX-LISTEN:"+real,
		"EXEC:node "+filepath.Join("testdata", "node", "jsonrpc-echo-stdio.js"))
	errs, err := socat.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := socat.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { socat.Process.Kill(); socat.Wait() })
	sc := bufio.NewScanner(errs)
	for sc.Scan() && !strings.Contains(sc.Text(), " listening on ") {
	}
	go io.Copy(io.Discard, errs)

	stop := started(t, "listening on", "serve", "--miss", "forward:"+real, file, "--listen", mock)
	c := dialServe(t, mock, protocol.FramingLines)
	c.send(`{"jsonrpc":"2.0","id":5,"method":"echo","params":["y"]}`)
	if got, want := c.next(), `{"jsonrpc":"2.0","id":5,"result":["y"]}`; got != want {
		t.Errorf("the miss got %s; want the real server's %s", got, want)
	}
	if log := stop(); strings.Contains(log, "no server there now") || !strings.Contains(log, "; forwarded to the real server") {
		t.Errorf("serve's log: %s", log)
	}

	stop = started(t, "listening on", "serve", "--miss", "forward:"+file, file, "--listen", filepath.Join(dir, "m2.sock"))
	if log := stop(); !strings.Contains(log, "--miss forward:"+file+": no server there now ("+file+" is not a socket)") {
		t.Errorf("serve did not say at start that the forward address is no socket: %s", log)
	}
}

// serve stands in for Neovim (msgpack-RPC), recorded through the real
// binary: a client's call gets the recorded reply to the same method and
// params, addressed to the client's own msgid; a call the recording has no
// reply for gets an error reply that says so. serve refused msgpack-RPC
// recordings.
func TestServeNeovim(t *testing.T) {
	_, file, got := recordNvim(t, mpCall(1, "nvim_get_var", "x"), mpCall(2, "nvim_eval", "1+2"))
	if len(got) != 2 || got[0] != `[1,1,null,"a"]` || got[1] != "[1,2,null,3]" {
		t.Fatalf("nvim replied %q", got)
	}
	mock := filepath.Join(filepath.Dir(file), "mock.sock")
	stopServe := started(t, "listening on", "serve", file, "--listen", mock)
	got = mpCalls(t, mock, mpCall(9, "nvim_eval", "1+2"), mpCall(10, "nvim_get_var", "x"), mpCall(11, "nvim_get_var", "y"))
	want := []string{"[1,9,null,3]", `[1,10,null,"a"]`, `[1,11,"sockscope serve: no recorded reply to nvim_get_var {\"params\":[\"y\"]}; the closest recorded request is nvim_get_var {\"params\":[\"x\"]}: the params differ at $.params[0]: \"x\" → \"y\"",null]`}
	if !slices.Equal(got, want) {
		t.Errorf("against serve:\n got %q\nwant %q", got, want)
	}
	if log := stopServe(); !strings.Contains(log, "1 connection, 2 requests answered from the recording, 1 miss") {
		t.Errorf("serve's summary: %s", log)
	}
}
