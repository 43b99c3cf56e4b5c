//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"sockscope/internal/nodetest"
	"sockscope/session"
)

// seedSession starts the seed server at svc in a directory of its own and
// records a session with it through the real binary (record: recordSeed,
// recordSeedClient) in file; it skips the test without node.
func seedSession(t *testing.T, record func(t *testing.T, dir, svc string) string) (dir, svc, file string) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	dir = shortDir(t)
	svc = filepath.Join(dir, "svc.sock")
	seedServerAt(t, svc)
	return dir, svc, record(t, dir, svc)
}

// recordSeedClient records, through the real binary, one seed-client.js
// session with the seed server at svc: one connection, six requests.
func recordSeedClient(t *testing.T, dir, svc string) string {
	t.Helper()
	file, front := filepath.Join(dir, "client.jsonl"), filepath.Join(dir, "cfront.sock")
	stop := started(t, "listening on", "--headless", "-w", file, "--listen", front, svc)
	runNode(t, "seed-client.js", front)
	stop()
	return file
}

// fakeServer listens on path until the test ends; each connection gets
// the seed server's greeting and is then served by conn, which receives
// the lines the client sends. got counts the lines received.
func fakeServer(t *testing.T, path string, conn func(c net.Conn, lines <-chan string)) (got *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	got = &atomic.Int64{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			c.Write([]byte(`{"action":"register","methods":["add","time","echo","boom","never"]}` + "\n"))
			lines := make(chan string, 64)
			go func() {
				defer close(lines)
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					got.Add(1)
					lines <- sc.Text()
				}
			}()
			go conn(c, lines)
		}
	}()
	return got
}

// --update replaces the whole recording: with --filter it would drop the
// connections the filter left out, so the two together are refused before
// anything runs, and the file stays as it was.
func TestReplayUpdateRefusesFilter(t *testing.T) {
	dir, svc, file := seedSession(t, recordSeed)
	golden := filepath.Join(dir, "golden.jsonl")
	copyFile(file, golden)
	before, _ := os.ReadFile(golden)

	_, errOut, status := runStatus(t, "replay", "--update", "--filter", "conn:1", "--pace", "none", "--timeout", "1500ms", golden, svc)
	if status != 2 || !strings.Contains(errOut, "--update") || !strings.Contains(errOut, "--filter") || strings.Contains(errOut, "now holds") {
		t.Errorf("--update --filter: status %d: %s", status, errOut)
	}
	if after, _ := os.ReadFile(golden); !bytes.Equal(before, after) {
		t.Errorf("--update --filter changed the recording")
	}
}

// A recording of a protocol replay does not compare (here raw bytes, which
// no framing takes) is refused before anything is sent: the server is not
// even connected to, exit 2. A filter that selects nothing is no pass
// either: exit 2, saying nothing was compared.
func TestReplayRefusesWhatItCannotCompare(t *testing.T) {
	need(t, "node")
	dir := shortDir(t)
	up, front := filepath.Join(dir, "raw.sock"), filepath.Join(dir, "f.sock")
	ln, err := net.Listen("unix", up)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer c.Close()
				io.Copy(c, c) // an echo
			}()
		}
	}()
	rec := filepath.Join(dir, "raw.jsonl")
	stop := started(t, "listening on", "--headless", "-w", rec, "--listen", front, up)
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("\x00\x01\x02\xff binary"))
	io.ReadFull(c, make([]byte, 11))
	c.Close()
	stop()
	before := conns.Load()
	out, errOut, status := runStatus(t, "replay", "--headless", rec, up)
	if status != 2 || out != "" || !strings.Contains(errOut, "conn 1 speaks raw") {
		t.Errorf("replaying raw bytes: status %d, stdout %q, stderr %s", status, out, errOut)
	}
	if n := conns.Load(); n != before {
		t.Errorf("the replay connected to the server: %d connections, then %d", before, n)
	}

	svc := filepath.Join(dir, "svc.sock")
	seedServerAt(t, svc)
	file := recordSeedClient(t, dir, svc)
	_, errOut, status = runStatus(t, "replay", "--filter", "method:nothing", "--pace", "none", file, svc)
	if status != 2 || !strings.Contains(errOut, "passes --filter: nothing to compare") {
		t.Errorf("--filter method:nothing: status %d: %s", status, errOut)
	}
}

// --update does not take a reply lost to the replay's own --timeout for
// the new golden one: the seed's time answers after 1 s, so with
// --timeout 200ms it is refused, naming the request and suggesting a
// longer --timeout, and the file stays as it was.
func TestReplayUpdateRefusesTimeouts(t *testing.T) {
	_, svc, file := seedSession(t, recordSeedClient)
	before, _ := os.ReadFile(file)
	_, errOut, status := runStatus(t, "replay", "--update", "--pace", "none", "--timeout", "200ms", file, svc)
	if status != 2 || !strings.Contains(errOut, "conn 1 time id 2 got no reply within --timeout 200ms") ||
		!strings.Contains(errOut, "longer --timeout") || strings.Contains(errOut, "now holds") {
		t.Errorf("--update with a timeout too short: status %d: %s", status, errOut)
	}
	if after, _ := os.ReadFile(file); !bytes.Equal(before, after) {
		t.Errorf("--update changed the recording")
	}
}

// A server that cannot be reached is said before anything runs: no
// verdicts, no recording written, exit 2. One that goes away mid-replay
// (here: it closes the connection after the first request) gives that
// request and the ones after it an error, not a match or a difference;
// JUnit says <error>; exit 2.
func TestReplayServerGone(t *testing.T) {
	dir, _, file := seedSession(t, recordSeedClient)

	rec := filepath.Join(dir, "replayed.jsonl")
	out, errOut, status := runStatus(t, "replay", "--headless", "-w", rec, file, filepath.Join(dir, "nobody.sock"))
	if status != 2 || out != "" || !strings.Contains(errOut, "the server is unreachable") || strings.Contains(errOut, "requests:") {
		t.Errorf("nobody listening: status %d, stdout %q, stderr %s", status, out, errOut)
	}
	if _, err := os.Stat(rec); !os.IsNotExist(err) {
		t.Errorf("the replay's recording was written: %v", err)
	}

	dying := filepath.Join(dir, "dying.sock")
	fakeServer(t, dying, func(c net.Conn, lines <-chan string) {
		<-lines
		c.Close()
	})
	junit := filepath.Join(dir, "replay.xml")
	out, errOut, status = runStatus(t, "replay", "--dump", "--junit", junit, "--timeout", "1m", file, dying)
	exchanges := ofType(dumpLines(t, []byte(out)), "exchange")
	for _, l := range exchanges {
		if l["status"] != "error" {
			t.Errorf("after the connection was lost: %v", l)
		}
	}
	if status != 2 || len(exchanges) != 6 || !strings.Contains(errOut, "6 errors") {
		t.Errorf("the server gone mid-replay: status %d, %d exchanges; stderr %s", status, len(exchanges), errOut)
	}
	if x, _ := os.ReadFile(junit); !bytes.Contains(x, []byte(`errors="6"`)) || !bytes.Contains(x, []byte(`<error message="error: `)) || bytes.Contains(x, []byte("<failure")) {
		t.Errorf("junit:\n%s", x)
	}
}

// A replay stopped early (SIGINT) compares only what it sent and saw
// answered or timed out: against a server that never answers, stopped
// while the first request waits, nothing is compared (not the five
// requests never sent as matches), the summary says 0 of 6, stderr says
// interrupted (not "context canceled"), exit 2.
func TestReplayInterrupted(t *testing.T) {
	dir, _, file := seedSession(t, recordSeedClient)

	silent := filepath.Join(dir, "silent.sock")
	got := fakeServer(t, silent, func(c net.Conn, lines <-chan string) {
		for range lines {
		}
	})
	// Bounded: a replay that ignored the signal would fail, not hang.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "replay", "--dump", "--timeout", "1m", file, silent)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the first request to reach the server", func() bool { return got.Load() > 0 })
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	if ctx.Err() != nil {
		t.Fatal("the replay did not stop at SIGINT")
	}
	if n := len(ofType(dumpLines(t, out.Bytes()), "exchange")); n != 0 || cmd.ProcessState.ExitCode() != 2 ||
		!strings.Contains(errb.String(), "0 of 6 requests compared") ||
		!strings.Contains(errb.String(), "sockscope replay: interrupted") || strings.Contains(errb.String(), "context canceled") {
		t.Errorf("stopped early: status %d, %d compared\nstdout %s\nstderr %s", cmd.ProcessState.ExitCode(), n, out.String(), errb.String())
	}
}

// A request still waiting for its reply when the recording stopped (its
// connection open at exit) has no recorded reply to compare with: it is
// "unanswered" (reported, not failed), not a difference when the server
// answers now.
func TestReplayUnansweredWhenRecorded(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	dir := shortDir(t)
	svc, silent, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "silent.sock"), filepath.Join(dir, "front.sock")
	seedServerAt(t, svc)
	got := fakeServer(t, silent, func(c net.Conn, lines <-chan string) {
		for range lines {
		}
	})
	file := filepath.Join(dir, "open.jsonl")
	stop := started(t, "listening on", "--headless", "-w", file, "--listen", front, silent)
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte(`{"rid":1,"method":"add","args":[1,2]}` + "\n"))
	eventually(t, "the request to reach the server", func() bool { return got.Load() > 0 })
	stop()
	if raw, _ := os.ReadFile(file); !bytes.Contains(raw, []byte(`"err":"open at exit"`)) || !bytes.Contains(raw, []byte(`"method\":\"add`)) {
		t.Fatalf("no request on a connection open at exit:\n%s", raw)
	}

	out, errOut, status := runStatus(t, "replay", "--dump", "--timeout", "10s", file, svc)
	ex := ofType(dumpLines(t, []byte(out)), "exchange")
	if status != 0 || len(ex) != 1 || ex[0]["status"] != "unanswered" || ex[0]["now"] != "ok" || !strings.Contains(errOut, "1 unanswered when recorded") {
		t.Errorf("a request unanswered when recorded: status %d, %v; stderr %s", status, ex, errOut)
	}
}

// A wrap recording holds the child's stderr as a stream of its own: it is
// no connection to replay.
func TestReplayWrapSkipsStderr(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	dir := shortDir(t)
	file := filepath.Join(dir, "wrap.jsonl")
	cmd := exec.Command(binary, "-w", file, "--", "node", "testdata/node/jsonrpc-echo-stdio.js")
	cmd.Stdin = strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"echo","params":[1]}` + "\n" +
		`{"jsonrpc":"2.0","id":2,"method":"echo","params":["x"]}` + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("wrap: %v\n%s", err, out)
	}
	echo := filepath.Join(dir, "echo.sock")
	nodetest.Start(t, "jsonrpc-echo.js", echo).Expect(t, "listening")
	out, errOut, status := runStatus(t, "replay", "--dump", file, echo)
	ex := ofType(dumpLines(t, []byte(out)), "exchange")
	if status != 0 || len(ex) != 2 || !strings.Contains(errOut, "1 connection, 2 requests: 2 match") {
		t.Errorf("replaying a wrap recording: status %d, %v; stderr %s", status, ex, errOut)
	}
	// serve --match sequential plays the child's stdio to every client in
	// turn: the stderr stream is no connection a client plays.
	mock := filepath.Join(dir, "mock.sock")
	stop := started(t, "listening on", "serve", "--match", "sequential", file, "--listen", mock)
	defer stop()
	for i := range 2 {
		if out, errOut, status := runStatus(t, "send", mock, `{"jsonrpc":"2.0","id":1,"method":"echo","params":[1]}`); status != 0 {
			t.Errorf("client %d of serve --match sequential: status %d: %s %s", i+1, status, out, errOut)
		}
	}
}

// A server that answers and then keeps its side of the connection open
// after the client's end: the replay ends a --timeout after its last
// request (it waited for the server's close for ever).
func TestReplayServerKeepsItsSideOpen(t *testing.T) {
	dir, _, file := seedSession(t, recordSeedClient)
	open := filepath.Join(dir, "open.sock")
	stay := make(chan struct{})
	t.Cleanup(func() { close(stay) })
	fakeServer(t, open, func(c net.Conn, lines <-chan string) {
		for l := range lines {
			var m struct{ RID json.RawMessage }
			if json.Unmarshal([]byte(l), &m) == nil && m.RID != nil {
				fmt.Fprintf(c, `{"rid":%s,"success":true}`+"\n", m.RID)
			}
		}
		<-stay // the client ended; this side stays open
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "replay", "--headless", "--pace", "none", "--timeout", "500ms", file, open)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("the replay did not end:\n%s", out)
	}
	// Its replies are not the seed's (no data): they differ, exit 1.
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "requests:") {
		t.Errorf("replay: %v\n%s", err, out)
	}
}

// A recording with a damaged line (not a crash's last record) is not
// replayed: what the line held would not be compared, and the rest might
// pass. serve answers from the rest, and says so.
func TestReplayRefusesADamagedRecording(t *testing.T) {
	dir := shortDir(t)
	file := filepath.Join(dir, "damaged.jsonl")
	os.WriteFile(file, []byte(`{"type":"header","format":"sockscope-session","version":1,"started":"2026-01-02T03:04:05Z","framing":"lines"}
{"type":"open","conn":1,"at":"2026-01-02T03:04:05Z"}
{"type":"frame","conn":1,"dir":"c2s","at":"2026-01-02T03:04:05Z","size":21,"text":"{\"id\":1,\"method\":\"a\"}"}
{"type":"frame","conn":1,"dir":"c2s","at":"2026-01-02T03:04:05Z","size":21,"te
{"type":"frame","conn":1,"dir":"s2c","at":"2026-01-02T03:04:06Z","size":19,"text":"{\"id\":1,\"result\":2}"}
{"type":"close","conn":1,"at":"2026-01-02T03:04:07Z"}
`), 0o600)
	_, errOut, status := runStatus(t, "replay", file, filepath.Join(dir, "nobody.sock"))
	if status != 2 || !strings.Contains(errOut, "1 unreadable line skipped (session: line 4: not valid JSON): a replay compares a whole recording") {
		t.Errorf("replay of a damaged file: status %d: %s", status, errOut)
	}
	log := started(t, "listening on", "serve", file, "--listen", filepath.Join(dir, "mock.sock"))()
	if !strings.Contains(log, "1 unreadable line skipped (session: line 4: not valid JSON): answering from the rest") {
		t.Errorf("serve of a damaged file: %s", log)
	}
}

// A connection that cannot be made after the first: the requests of the
// connections not replayed are errors (not sent), in the summary, --dump
// and JUnit, not left out as if the replay had been stopped.
func TestReplayLaterConnectionUnreachable(t *testing.T) {
	dir, _, file := seedSession(t, recordSeed) // the seed client's connection, then the strict client's

	once := filepath.Join(dir, "once.sock")
	ln, err := net.Listen("unix", once)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		c, err := ln.Accept()
		ln.Close() // no second connection
		if err != nil {
			return
		}
		defer c.Close()
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			var m struct{ RID json.RawMessage }
			if json.Unmarshal(sc.Bytes(), &m) == nil && m.RID != nil {
				fmt.Fprintf(c, `{"rid":%s,"success":true}`+"\n", m.RID)
			}
		}
	}()
	junit := filepath.Join(dir, "j.xml")
	out, errOut, status := runStatus(t, "replay", "--dump", "--pace", "none", "--timeout", "500ms", "--junit", junit, file, once)
	var notSent int
	for _, l := range ofType(dumpLines(t, []byte(out)), "exchange") {
		if l["status"] == "error" && strings.Contains(fmt.Sprint(l["now"]), "not sent") {
			notSent++
		}
	}
	if status != 2 || notSent != 20 || strings.Contains(errOut, "stopped early") || !strings.Contains(errOut, "20 errors") {
		t.Errorf("status %d, %d not sent (want the strict client's 20); stderr %s", status, notSent, errOut)
	}
	if x, _ := os.ReadFile(junit); !bytes.Contains(x, []byte(`errors="20"`)) {
		t.Errorf("junit:\n%s", x)
	}
}

// The replay ends its client's side as the recorded client did, and reads
// what the server sends until the server ends its own: a notification the
// server sends after the client's last message (the echo server's pong),
// or the greeting on a connection whose client sent nothing, is counted
// now as then, and the connection ends cleanly (it used to end with
// "s2c: io: read/write on closed pipe", the server's message lost).
func TestReplayReadsTheServerToItsEnd(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	dir := shortDir(t)
	cleanEnds := func(file string) {
		t.Helper()
		recs, err := session.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Type == session.TypeClose && r.Err != "" {
				t.Errorf("replayed conn %d ended with %q", r.Conn, r.Err)
			}
		}
	}

	echo, efront, efile := filepath.Join(dir, "echo.sock"), filepath.Join(dir, "efront.sock"), filepath.Join(dir, "ping.jsonl")
	nodetest.Start(t, "jsonrpc-echo.js", echo).Expect(t, "listening")
	stop := started(t, "listening on", "--headless", "-w", efile, "--listen", efront, echo)
	c, err := net.Dial("unix", efront)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	cr := bufio.NewReader(c)
	for _, m := range []string{`{"jsonrpc":"2.0","id":1,"method":"echo","params":[1]}`, `{"jsonrpc":"2.0","method":"ping","params":[2]}`} {
		fmt.Fprintln(c, m)
		if _, err := cr.ReadString('\n'); err != nil { // the reply, the pong
			t.Fatal(err)
		}
	}
	c.Close()
	stop()
	for i := range 5 { // the pong used to be lost more often than not
		rec := filepath.Join(dir, fmt.Sprintf("ping%d.jsonl", i))
		_, errOut, status := runStatus(t, "replay", "--headless", "--notifications", "-w", rec, efile, echo)
		if status != 0 || !strings.Contains(errOut, "pong 1→1") {
			t.Errorf("replay %d: status %d: %s", i, status, errOut)
		}
		cleanEnds(rec)
	}

	svc, sfront, sfile := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "sfront.sock"), filepath.Join(dir, "greeted.jsonl")
	seedServerAt(t, svc)
	stop = started(t, "listening on", "--headless", "-w", sfile, "--listen", sfront, svc)
	g, err := net.Dial("unix", sfront)
	if err != nil {
		t.Fatal(err)
	}
	g.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := bufio.NewReader(g).ReadString('\n'); err != nil { // the greeting, and nothing said
		t.Fatal(err)
	}
	g.Close()
	strictCalls(t, sfront, "2")
	stop()
	rec := filepath.Join(dir, "greeted-replay.jsonl")
	_, errOut, status := runStatus(t, "replay", "--headless", "-w", rec, sfile, svc)
	if status != 0 || !strings.Contains(errOut, "2 connections, 2 requests: 2 match") || !strings.Contains(errOut, "register 2→2") {
		t.Errorf("replay with a connection that said nothing: status %d: %s", status, errOut)
	}
	cleanEnds(rec)
}

// Bad flags and arguments are bad input: exit 2 for replay and send, as
// their own checks say, never 1, which means "a response differs" (replay)
// or "an error reply" (send). Cobra's own errors exited 1.
func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"replay", "--timout", "5s", "a.jsonl", "/tmp/x.sock"},
		{"replay", "--timeout", "abc", "a.jsonl", "/tmp/x.sock"},
		{"replay", "a.jsonl"},
		{"send"},
		{"send", "/tmp/x.sock", "{}", "--bogus"},
	} {
		_, errOut, status := runStatus(t, args...)
		if status != 2 || !strings.HasPrefix(errOut, "sockscope: ") {
			t.Errorf("%q: status %d, stderr %q; want 2 and the reason", args, status, errOut)
		}
	}
}
