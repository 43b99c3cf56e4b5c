//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sockscope/session"
)

// binary is the real sockscope, built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ssbin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "sockscope")
	// The feeds of the headless and wrapped instances the tests start go
	// to a runtime directory of the run's own, removed with it, not the
	// user's (a test that kills an instance would leave its socket there).
	if err := os.Setenv("XDG_RUNTIME_DIR", filepath.Join(dir, "run")); err != nil {
		panic(err)
	}
	// A decoder's process at the lowest priority gets next to nothing on a
	// machine busy with other work (a CI machine running other packages'
	// tests): the tests run it at the relay's priority, but for those about
	// its priority (lowest).
	if err := os.Setenv("SOCKSCOPE_DECODER", "normal"); err != nil {
		panic(err)
	}
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building sockscope: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// recordedFrames returns the frame records of the session file at path.
func recordedFrames(t *testing.T, path string) []session.Record {
	t.Helper()
	recs, err := session.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var frames []session.Record
	for _, r := range recs {
		if r.Type == session.TypeFrame {
			frames = append(frames, r)
		}
	}
	return frames
}

// shortDir is a temp dir whose socket paths stay well under 104 bytes.
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ss")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// waitListening waits until the Unix socket at path accepts a connection,
// retrying for up to 20 s. Its file exists from bind(), before listen(), so
// only a connection tells that it listens. The probe is closed at once: a
// sockscope listening there relays it as its connection 1 (connections are
// numbered in the order they connect), without messages.
func waitListening(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("unix", path, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never accepted a connection: %v", path, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitFile polls until the regular file at path exists (a session file
// sockscope creates as it starts).
func waitFile(t *testing.T, path string) {
	t.Helper()
	eventually(t, path+" to exist", func() bool {
		_, err := os.Stat(path)
		return err == nil
	})
}

// sockscope runs the real binary with args; stop sends SIGINT and returns
// its stdout once it exited.
func sockscope(t *testing.T, args ...string) (stop func() []byte) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := false
	t.Cleanup(func() {
		if !done {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return func() []byte {
		t.Helper()
		done = true
		cmd.Process.Signal(syscall.SIGINT)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("sockscope: %v\nstderr:\n%s", err, errb.String())
		}
		if !strings.Contains(errb.String(), "sockscope:") {
			t.Errorf("no summary line on stderr: %q", errb.String())
		}
		return out.Bytes()
	}
}

// dumpLines parses --dump output.
func dumpLines(t *testing.T, out []byte) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("dump line %q is not JSON: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	return lines
}

// A real Node.js server and client speaking the seed protocol, with the real
// binary in --dump mode between them.
func TestNodeSeedThroughDump(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	dir := shortDir(t)
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")

	server := exec.Command("node", "testdata/node/seed-server.js", svc)
	sout, _ := server.StdoutPipe()
	server.Stderr = os.Stderr
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { server.Process.Kill(); server.Wait() }()
	if line, err := bufio.NewReader(sout).ReadString('\n'); err != nil || !strings.Contains(line, "listening") {
		t.Fatalf("node server said %q, %v", line, err)
	}

	stop := sockscope(t, "--dump", "--lossless", "--listen", front, svc)
	waitListening(t, front)
	client := exec.Command("node", "testdata/node/seed-client.js", front)
	client.Stderr = os.Stderr
	cout, err := client.Output()
	if err != nil {
		t.Fatalf("node client: %v\n%s", err, cout)
	}
	lines := dumpLines(t, stop())

	byMethod := map[string]map[string]any{}
	var orphans, opens, closes int
	for _, l := range lines {
		if l["conn"] == float64(1) {
			continue // waitListening's probe
		}
		switch l["type"] {
		case "open":
			opens++
			if l["pid"] == nil || l["process"] != "node" {
				t.Errorf("open without the client's pid/process: %v", l)
			}
		case "close":
			closes++
		case "exchange":
			if l["status"] == "orphan" {
				orphans++
				continue
			}
			byMethod[l["method"].(string)] = l
		}
	}
	if opens != 1 || closes != 1 {
		t.Errorf("%d opens, %d closes; want 1 each", opens, closes)
	}
	want := map[string]string{"add": "ok", "time": "ok", "echo": "ok", "nosuchmethod": "error", "boom": "no-reply", "never": "no-reply"}
	for m, st := range want {
		ex, ok := byMethod[m]
		if !ok {
			t.Errorf("no exchange for %s; got %v", m, byMethod)
			continue
		}
		if ex["status"] != st {
			t.Errorf("%s: status %v, want %s", m, ex["status"], st)
		}
	}
	if lat, _ := byMethod["time"]["latency_us"].(float64); lat < 900_000 || lat > 5_000_000 {
		t.Errorf("time latency %v µs, want about 1 s", lat)
	}
	if orphans != 1 {
		t.Errorf("%d orphans, want the one {} of the rejected promise", orphans)
	}
	// The UTF-8 argument passed through whole (frames are decoded, not bytes).
	if !bytes.Contains(cout, []byte("héllo→世界")) {
		t.Errorf("client output lost the UTF-8 echo: %s", cout)
	}
}

// echoServer answers every line with a JSON-RPC result of the same id.
func echoServer(t *testing.T, path string) {
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r, w := bufio.NewReader(c), bufio.NewWriter(c)
				for {
					line, err := r.ReadSlice('\n')
					if err != nil { // the stream's last bytes, without '\n', go back as they came
						w.Write(line)
						w.Flush()
						return
					}
					// {"jsonrpc":"2.0","id":N,"method":"echo"} → {"jsonrpc":"2.0","id":N,"result":true}
					// and anything else back as it came.
					if i := bytes.Index(line, []byte(`,"method"`)); i >= 0 {
						w.Write(line[:i])
						w.WriteString(`,"result":true}` + "\n")
					} else {
						w.Write(line)
					}
					if r.Buffered() == 0 {
						w.Flush()
					}
				}
			}()
		}
	}()
}

// 200,000 pipelined calls through --dump --lossless: every one pairs, none
// shows as pending, orphan or no-reply, although replies race requests to
// the observer.
func TestPipelinedCallsAllPair(t *testing.T) {
	const calls = 200_000
	dir := shortDir(t)
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
	echoServer(t, svc)
	stop := sockscope(t, "--dump", "--lossless", "--listen", front, svc)
	waitListening(t, front)

	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	go func() {
		w := bufio.NewWriter(c)
		for i := 1; i <= calls && ctx.Err() == nil; i++ {
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%d,"method":"echo"}`+"\n", i)
		}
		w.Flush()
		c.(*net.UnixConn).CloseWrite()
	}()
	n, err := io.Copy(io.Discard, c)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	out := stop()

	counts := map[string]int{}
	for line := range bytes.Lines(out) {
		if !bytes.HasPrefix(line, []byte(`{"type":"exchange"`)) {
			continue
		}
		i := bytes.Index(line, []byte(`"status":"`))
		st := line[i+10:]
		counts[string(st[:bytes.IndexByte(st, '"')])]++
	}
	if counts["ok"] != calls || len(counts) != 1 {
		t.Fatalf("exchanges by status %v (read %d reply bytes), want %d ok and nothing else", counts, n, calls)
	}
}

// A session recorded live and shown again decodes to the same exchanges,
// with the recorded latencies.
func TestRecordThenShow(t *testing.T) {
	dir := shortDir(t)
	svc, front, file := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock"), filepath.Join(dir, "s.jsonl")
	echoServer(t, svc)
	stop := sockscope(t, "--dump", "--lossless", "--record", file, "--listen", front, svc)
	waitListening(t, front)
	for conn := 0; conn < 3; conn++ {
		c, err := net.Dial("unix", front)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 50; i++ {
			fmt.Fprintf(c, `{"jsonrpc":"2.0","id":%d,"method":"echo"}`+"\n", i)
		}
		c.Write([]byte("not json\n"))
		c.(*net.UnixConn).CloseWrite()
		io.Copy(io.Discard, c)
		c.Close()
	}
	// And one connection of LSP frames (Content-Length framing), echoed.
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		body := fmt.Sprintf(`{"method":"m%d","jsonrpc":"2.0","id":%d}`, i, i)
		fmt.Fprintf(c, "Content-Length: %d\r\n\r\n%s", len(body), body)
	}
	c.(*net.UnixConn).CloseWrite()
	io.Copy(io.Discard, c)
	c.Close()
	live := stop()
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("session file: %v, mode %v; want 0600", err, fi.Mode())
	}
	framings := map[string]int{}
	for _, r := range recordedFrames(t, file) {
		framings[fmt.Sprint(r.Conn, " ", r.Framing)]++
	}
	// Connection 1 is waitListening's probe.
	if framings["5 content-length"] != 6 || framings["2 lines"] != 102 {
		t.Errorf("recorded framings %v, want each frame's own", framings)
	}
	out, err := exec.Command(binary, "show", "--dump", file).Output()
	if err != nil {
		t.Fatalf("show: %v", err)
	}
	lats := map[string][]float64{} // by connection and id: live first, then shown
	summarise := func(out []byte) map[string]int {
		m := map[string]int{}
		for _, l := range dumpLines(t, out) {
			switch l["type"] {
			case "exchange":
				// Live latencies come from the monotonic clock, shown ones
				// from the recorded wall-clock times: they may differ by
				// a microsecond's rounding.
				lat, _ := l["latency_us"].(float64)
				m[fmt.Sprintf("exchange %v %v %v", l["conn"], l["method"], l["status"])]++
				if l["status"] == "ok" {
					k := fmt.Sprint(l["conn"], l["dir"], l["id"])
					lats[k] = append(lats[k], lat)
				}
			case "message":
				m[fmt.Sprintf("message %v %v %v", l["conn"], l["kind"], l["size"])]++
			default:
				m[fmt.Sprint(l["type"], " ", l["conn"])]++
			}
		}
		return m
	}
	want, got := summarise(live), summarise(out)
	for k, l := range lats {
		if len(l) != 2 || math.Abs(l[0]-l[1]) > 1 {
			t.Errorf("exchange %s: latencies live, shown %v µs", k, l)
		}
	}
	total := 0
	for _, n := range want {
		total += n
	}
	if total != 2+3*(2+50+100+2)+(2+6+6) {
		t.Fatalf("live dump has %d lines, want the probe (open, close), 3 connections × (open, close, 50 exchanges, 100 messages, 2 raw) + an LSP one (open, close, 6 messages, 6 exchanges): %v", total, want)
	}
	if want["message 5 request 38"] != 6 {
		t.Errorf("the LSP frames were not decoded as requests: %v", want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%q: show has %d, live had %d", k, got[k], n)
		}
	}
	for k, n := range got {
		if want[k] == 0 {
			t.Errorf("%q: show has %d, live had none", k, n)
		}
	}
}

// `sockscope demo --dump | head`: when the dump's reader goes away,
// sockscope stops cleanly (its demo directory removed) instead of dying of
// SIGPIPE or running on.
func TestDumpReaderGoesAway(t *testing.T) {
	tmp := shortDir(t)
	cmd := exec.Command(binary, "demo", "--dump")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	out.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running 30 s after its dump's reader went away\n%s", stderr.String())
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "sockscope-demo-*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	if !strings.Contains(stderr.String(), "broken pipe") {
		t.Errorf("stderr does not say why it stopped: %q", stderr.String())
	}
}
