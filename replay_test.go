//go:build unix

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"sockscope/internal/lsptest"
	"sockscope/internal/nodetest"
	"sockscope/session"
)

// goplsSession serves gopls on a workspace of its own (ws, in dir) at svc
// and records in file, through the real binary, an editor's session with
// it (lsptest.Client.Session).
func goplsSession(t *testing.T) (dir, ws, svc, file string) {
	t.Helper()
	dir = shortDir(t)
	ws = lsptest.Workspace(t, dir)
	svc, front := filepath.Join(dir, "gopls.sock"), filepath.Join(dir, "front.sock")
	lsptest.Serve(t, ws, svc)
	file = filepath.Join(dir, "lsp.jsonl")
	stop := started(t, "listening on", "--headless", "-w", file, "--listen", front, svc)
	editor := lsptest.NewClient(lsptest.Dial(t, front))
	editor.Session(t, ws)
	editor.Close()
	stop()
	return dir, ws, svc, file
}

// runStatus runs the real binary to its end and returns its stdout, stderr
// and exit status.
func runStatus(t *testing.T, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	var out bytes.Buffer
	stderr, status = runStatusTo(t, &out, args...)
	return out.String(), stderr, status
}

// runStatusTo is runStatus with stdout going to out (an *os.File itself:
// the child gets its descriptor, as a shell's redirection gives it).
func runStatusTo(t *testing.T, out io.Writer, args ...string) (stderr string, status int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		status = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return errb.String(), status
}

// started runs the real binary until the test ends (or stop) and returns
// once it said on stderr the line holding ready; stop sends SIGINT and
// returns what it wrote to stderr. A binary that exits before it said
// ready fails the test at once, with what it wrote.
func started(t *testing.T, ready string, args ...string) (stop func() string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Stdout = io.Discard
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Its end closes the pipe, which ends the lines.
	var waitErr error
	exited := make(chan struct{})
	go func() {
		waitErr = cmd.Wait()
		pw.Close()
		close(exited)
	}()
	var errb bytes.Buffer
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	said := false
	for line := range lines {
		errb.WriteString(line + "\n")
		if strings.Contains(line, ready) {
			said = true
			break
		}
	}
	if !said {
		<-exited
		t.Fatalf("sockscope %s exited (%v) before it said %q:\n%s", strings.Join(args, " "), waitErr, ready, errb.String())
	}
	stopped := false
	stop = func() string {
		if stopped {
			return errb.String()
		}
		stopped = true
		cmd.Process.Signal(syscall.SIGINT)
		for line := range lines {
			errb.WriteString(line + "\n")
		}
		<-exited
		if waitErr != nil {
			t.Errorf("sockscope %s: %v\n%s", strings.Join(args, " "), waitErr, errb.String())
		}
		return errb.String()
	}
	t.Cleanup(func() { stop() })
	return stop
}

// runNode runs a Node peer of testdata/node to its end and fails the test
// if it fails.
func runNode(t *testing.T, script string, args ...string) string {
	t.Helper()
	cmd := exec.Command("node", append([]string{filepath.Join("testdata", "node", script)}, args...)...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s%s", script, err, out, errb.String())
	}
	return string(out)
}

// strictCalls runs strict-client.js on sock: n pipelined add calls, 4 in
// flight, each reply checked.
func strictCalls(t *testing.T, sock string, n string) {
	t.Helper()
	c := nodetest.Start(t, "strict-client.js", sock)
	c.Expect(t, "registered")
	c.Say("calls " + n + " 4")
	c.Expect(t, "ok "+n)
	c.Say("quit")
	if err := c.Wait(); err != nil {
		t.Fatalf("strict-client: %v", err)
	}
}

// recordSeed records, through the real binary, seed-client.js's session
// and 20 of strict-client.js's calls with the seed server at svc.
func recordSeed(t *testing.T, dir, svc string) string {
	t.Helper()
	file, front := filepath.Join(dir, "seed.jsonl"), filepath.Join(dir, "front.sock")
	stop := started(t, "listening on", "--headless", "-w", file, "--listen", front, svc)
	runNode(t, "seed-client.js", front)
	strictCalls(t, front, "20")
	stop()
	return file
}

// seedServerAt runs a seed server script on path until the test ends.
func seedServerAt(t *testing.T, path string, args ...string) {
	t.Helper()
	p := nodetest.Start(t, "seed-server.js", append([]string{path}, args...)...)
	p.Expect(t, "listening")
}

// The seed Node service recorded through the real binary, replayed: against
// the same server everything matches (the {} without id, the unknown
// method's error and the method that never answers included), in every
// pace; against a copy whose add answers one more, every add differs at
// $.data (exit 1) unless --ignore leaves it out; --update makes the new
// answers the recording; the replay's recording links each new response
// to the recorded one; an unreachable server is exit 2.
func TestReplaySeedService(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	dir := shortDir(t)
	svc, plus := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "plus.sock")
	seedServerAt(t, svc)
	seedServerAt(t, plus, "--plus1")
	file := recordSeed(t, dir, svc)

	fast := []string{"--pace", "none", "--timeout", "1500ms"}
	replayed := filepath.Join(dir, "replayed.jsonl")
	out, errOut, status := runStatus(t, append([]string{"replay", "--dump", "-w", replayed, file, svc}, fast...)...)
	lines := dumpLines(t, []byte(out))
	statuses := map[string]string{}
	n := 0
	for _, l := range lines {
		if l["type"] != "exchange" {
			continue
		}
		n++
		statuses[l["method"].(string)+" "+l["then"].(string)+" "+l["now"].(string)] = l["status"].(string)
		if _, ok := l["id"].(float64); !ok {
			t.Errorf("the id is not the recorded number: %v", l)
		}
		if l["status"] != "match" {
			t.Errorf("against the same server: %v", l)
		}
	}
	if status != 0 || n != 26 || !strings.Contains(errOut, "26 requests: 26 match, 0 differ") {
		t.Fatalf("against the same server: status %d, %d exchanges; stderr %s", status, n, errOut)
	}
	for _, want := range []string{"boom no-reply no-reply (timed out after 1.5s)", "never no-reply no-reply (timed out after 1.5s)", "nosuchmethod error error", "time ok ok"} {
		if statuses[want] != "match" {
			t.Errorf("%s: %q; got %v", want, statuses[want], statuses)
		}
	}
	if !strings.Contains(errOut, "(reply without id) 1→1") || !strings.Contains(errOut, "register 2→2") {
		t.Errorf("the unpaired messages are not counted: %s", errOut)
	}
	links := 0
	raw, _ := os.ReadFile(replayed)
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, `{"type":"compare"`) && strings.Contains(line, `"recorded":"`+file+`"`) {
			links++
		}
	}
	if recs, err := session.ReadFile(replayed); err != nil || links != 26 || len(recs) == 0 {
		t.Errorf("the replay's recording: %d links, %d records, %v", links, len(recs), err)
	}

	// The default pace (each request after the previous reply) and the
	// recorded one, four times as fast.
	for _, pace := range [][]string{{"--timeout", "1500ms"}, {"--pace", "recorded", "--speed", "4", "--timeout", "1500ms"}} {
		if _, errOut, status := runStatus(t, append([]string{"replay", file, svc}, pace...)...); status != 0 {
			t.Errorf("replay %v: status %d: %s", pace, status, errOut)
		}
	}

	junit := filepath.Join(dir, "replay.xml")
	out, errOut, status = runStatus(t, append([]string{"replay", "--dump", "--junit", junit, file, plus}, fast...)...)
	adds := 0
	for _, l := range dumpLines(t, []byte(out)) {
		if l["type"] != "exchange" {
			continue
		}
		paths, _ := l["paths"].([]any)
		switch {
		case l["method"] == "add":
			adds++
			if l["status"] != "differs" || len(paths) != 1 || paths[0] != "$.data" {
				t.Errorf("add against the changed server: %v", l)
			}
		case l["status"] != "match":
			t.Errorf("%v against the changed server: %v", l["method"], l)
		}
	}
	if status != 1 || adds != 21 || !strings.Contains(errOut, "5 match, 21 differ") {
		t.Errorf("against the changed server: status %d, %d adds; stderr %s", status, adds, errOut)
	}
	if x, _ := os.ReadFile(junit); !bytes.Contains(x, []byte(`tests="26" failures="21"`)) || !bytes.Contains(x, []byte(`message="differs at $.data"`)) {
		t.Errorf("junit:\n%s", x)
	}
	if _, errOut, status := runStatus(t, append([]string{"replay", "--ignore", "$.data", file, plus}, fast...)...); status != 0 {
		t.Errorf("--ignore $.data: status %d: %s", status, errOut)
	}

	golden := filepath.Join(dir, "golden.jsonl")
	copyFile(file, golden)
	os.Chmod(golden, 0o644)
	if _, errOut, status := runStatus(t, append([]string{"replay", "--update", golden, plus}, fast...)...); status != 0 {
		t.Fatalf("--update: status %d: %s", status, errOut)
	}
	// The file keeps its mode, and the replay's recording and index leave
	// nothing behind: the index is the new file's.
	if fi, err := os.Stat(golden); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("after --update: %v, mode %v, want 0644", err, fi.Mode())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".golden.jsonl*")); len(left) > 0 {
		t.Errorf("--update left %v", left)
	}
	if _, errOut, status := runStatus(t, append([]string{"replay", golden, plus}, fast...)...); status != 0 {
		t.Errorf("after --update, against the changed server: status %d: %s", status, errOut)
	}

	if _, errOut, status := runStatus(t, "replay", file, filepath.Join(dir, "nobody.sock")); status != 2 || !strings.Contains(errOut, "unreachable") {
		t.Errorf("nobody listening: status %d: %s", status, errOut)
	}
	if _, errOut, status := runStatus(t, "replay", filepath.Join(dir, "none.jsonl"), svc); status != 2 {
		t.Errorf("no such file: status %d: %s", status, errOut)
	}
}

// serve stands in for the seed Node service: the seed client and the strict
// client pass against it as against the real server; a request it has no
// recorded reply for gets an error naming the closest recorded request, a
// closed connection, or the real server's reply, per --miss.
func TestServeSeedService(t *testing.T) {
	dir, svc, file := seedSession(t, recordSeed)

	mock := filepath.Join(dir, "mock.sock")
	stop := started(t, "listening on", "serve", file, "--listen", mock)
	out := runNode(t, "seed-client.js", mock)
	for _, want := range []string{`{"action":"register"`, `{"success":true,"rid":1,"data":15}`, `{"success":true,"rid":2,"data":120}`,
		`{"success":true,"rid":3,"data":"héllo→世界"}`, `{"success":false,"rid":4}`, "\n{}\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("seed-client against serve: no %s in\n%s", want, out)
		}
	}
	strictCalls(t, mock, "20")
	out, _, status := runStatus(t, "send", mock, `{"rid":7,"method":"add","args":[9,9]}`)
	if status != 1 || !strings.Contains(out, `"rid":7`) || !strings.Contains(out, `no recorded reply to add {\"args\":[9,9]}; the closest recorded request is add {\"args\":[`) {
		t.Errorf("a miss: status %d: %s", status, out)
	}
	if log := stop(); !strings.Contains(log, "3 connections, 26 requests answered from the recording, 1 miss") {
		t.Errorf("serve's summary: %s", log)
	}

	seq := filepath.Join(dir, "seq.sock")
	started(t, "listening on", "serve", "--match", "sequential", file, "--listen", seq)
	runNode(t, "seed-client.js", seq) // the first connection plays the first recorded one

	closing := filepath.Join(dir, "close.sock")
	started(t, "listening on", "serve", "--miss", "close", file, "--listen", closing)
	// The server's answer is the closed connection: send says so, 1.
	if _, errOut, status := runStatus(t, "send", closing, `{"rid":7,"method":"add","args":[9,9]}`); status != 1 ||
		!strings.Contains(errOut, "the server closed the connection before replying") {
		t.Errorf("--miss close: status %d: %s", status, errOut)
	}

	fwd := filepath.Join(dir, "fwd.sock")
	started(t, "listening on", "serve", "--miss", "forward:"+svc, file, "--listen", fwd)
	in := `{"rid":1,"method":"add","args":[1,2,3,4,5]}` + "\n" + `{"rid":2,"method":"add","args":[9,9]}` + "\n"
	cmd := exec.Command(binary, "send", fwd, "-")
	cmd.Stdin = strings.NewReader(in)
	got, err := cmd.Output()
	if err != nil || string(got) != `{"success":true,"rid":1,"data":15}`+"\n"+`{"success":true,"rid":2,"data":18}`+"\n" {
		t.Errorf("--miss forward: %v: %s", err, got)
	}
}

// An LSP session with gopls recorded through the real binary, replayed
// against gopls: gopls' own requests (workspace/configuration and the
// like) are answered from the recording with its new ids, and every
// response matches; then serve stands in for gopls and the same LSP client
// runs its session against it (initialize, the hover, gopls' requests
// after initialized, shutdown).
func TestReplayAndServeGopls(t *testing.T) {
	dir, ws, svc, file := goplsSession(t)
	if os.Getenv("KEEP") != "" {
		copyFile(file, "/tmp/lsp-rec.jsonl")
	}

	out, errOut, status := runStatus(t, "replay", "--dump", file, svc)
	methods := map[string]string{}
	for _, l := range dumpLines(t, []byte(out)) {
		if l["type"] == "exchange" {
			methods[l["method"].(string)] = l["status"].(string)
		}
	}
	if status != 0 || methods["initialize"] != "match" || methods["textDocument/hover"] != "match" || methods["shutdown"] != "match" {
		t.Fatalf("replay against gopls: status %d, %v\nstdout %s\nstderr %s", status, methods, out, errOut)
	}
	t.Log(strings.TrimSpace(errOut))
	if strings.Contains(errOut, " 0 server requests answered") || !strings.Contains(errOut, ", 0 with a default)") {
		t.Errorf("gopls' own requests were not answered from the recording: %s", errOut)
	}

	mock := filepath.Join(dir, "mock.sock")
	stopServe := started(t, "listening on", "serve", file, "--listen", mock)
	lsp := lsptest.NewClient(lsptest.Dial(t, mock))
	lsp.Session(t, ws) // checks the hover
	// exit ends the connection, as gopls' exit does: Neovim waits for
	// that end when it stops its client.
	lsp.Send([]byte(`{"jsonrpc":"2.0","method":"exit"}`))
	select {
	case <-lsp.Done():
	case <-time.After(30 * time.Second):
		t.Errorf("serve kept the connection open after exit")
	}
	lsp.Close()
	log := stopServe()
	t.Logf("%s; the client was asked %v", strings.TrimSpace(log), lsp.Asked)
	if !strings.Contains(log, "3 requests answered from the recording, 0 misses") {
		t.Errorf("serve's summary: %s", log)
	}
	lsp.Mu.Lock()
	defer lsp.Mu.Unlock()
	if len(lsp.Asked) == 0 {
		t.Errorf("serve sent none of gopls' requests after initialized")
	}
}

// A session of `gopls -remote` (its gopls/handshake first) with gopls'
// daemon, replayed against the same daemon, matches: the handshake's
// sessionID, which the daemon numbers anew for every session, is left out
// of the comparison (every such replay differed there, and exited 1).
func TestReplayGoplsRemoteHandshake(t *testing.T) {
	dir := shortDir(t)
	ws := lsptest.Workspace(t, dir)
	svc, front := filepath.Join(dir, "gopls.sock"), filepath.Join(dir, "front.sock")
	lsptest.Serve(t, ws, svc)
	file := filepath.Join(dir, "lsp.jsonl")
	stop := started(t, "listening on", "--headless", "-w", file, "--listen", front, svc)
	editor := lsptest.NewClient(lsptest.Dial(t, front))
	editor.Call(t, 0, "gopls/handshake", `{"serverID":"","logfile":"","debugAddr":"","goplsPath":""}`)
	editor.Session(t, ws)
	editor.Close()
	stop()

	out, errOut, status := runStatus(t, "replay", "--dump", file, svc)
	var handshake map[string]any
	for _, l := range dumpLines(t, []byte(out)) {
		if l["type"] == "exchange" && l["method"] == "gopls/handshake" {
			handshake = l
		}
	}
	if status != 0 || handshake == nil || handshake["status"] != "match" {
		t.Fatalf("replay of gopls -remote's session: status %d, handshake %v\nstdout %s\nstderr %s", status, handshake, out, errOut)
	}
}

// A session recorded with --max-frame 64, so that a request and two
// replies are kept truncated, the replies' ids after the bytes kept (as a
// server that writes the result first sends them). The recording says what
// each truncated frame was, so show pairs them as the live run did (they
// were orphans, their requests without a reply). replay sends the server
// no request it kept only the start of (which the server would fail to
// read): that request is an error that says why (exit 2), the others are
// sent; a reply kept truncated compares by status alone, said so. serve
// answers a request whose reply was kept truncated as a miss that says
// why, not with the reply's start.
func TestReplayAndServeTruncated(t *testing.T) {
	dir := shortDir(t)
	svc, front, file := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock"), filepath.Join(dir, "cut.jsonl")
	ln, err := net.Listen("unix", svc)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	bad := make(chan string, 16) // lines the server could not read
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				sc.Buffer(nil, 1<<20)
				for sc.Scan() {
					var m struct {
						ID     json.RawMessage `json:"id"`
						Params any             `json:"params"`
					}
					if json.Unmarshal(sc.Bytes(), &m) != nil {
						bad <- sc.Text()
						return
					}
					result := m.Params
					if result == nil {
						result = strings.Repeat("z", 3000)
					}
					r, _ := json.Marshal(result)
					fmt.Fprintf(c, `{"jsonrpc":"2.0","result":%s,"id":%s}`+"\n", r, m.ID)
				}
			}()
		}
	}()
	big := `{"jsonrpc":"2.0","id":1,"method":"echo","params":"` + strings.Repeat("y", 3000) + `"}`
	bigReply := len(`{"jsonrpc":"2.0","result":"","id":2}`) + 3000 // to get
	calls := big + "\n" + `{"jsonrpc":"2.0","id":2,"method":"get"}` + "\n" + `{"jsonrpc":"2.0","id":3,"method":"echo","params":"ok"}` + "\n"
	stop := started(t, "listening on", "--headless", "--max-frame", "64", "-w", file, "--listen", front, svc)
	cmd := exec.Command(binary, "send", front, "-")
	cmd.Stdin = strings.NewReader(calls)
	if out, err := cmd.Output(); err != nil || strings.Count(string(out), "\n") != 3 {
		t.Fatalf("recording: send: %v: %s", err, out)
	}
	stop()

	shown, errOut, status := runStatus(t, "show", "--dump", file)
	var rows []string
	for _, l := range strings.Split(strings.TrimSpace(shown), "\n") {
		var x struct{ Type, Status string }
		if json.Unmarshal([]byte(l), &x) == nil && x.Type == "exchange" {
			rows = append(rows, x.Status)
		}
	}
	if status != 0 || !slices.Equal(rows, []string{"ok", "ok", "ok"}) {
		t.Errorf("show: status %d, exchanges %q, want three ok; stderr: %s", status, rows, errOut)
	}

	out, errOut, status := runStatus(t, "replay", "--dump", file, svc)
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var x struct {
			Type, Status, Now string
			ID                json.RawMessage
			Partial           bool
		}
		if json.Unmarshal([]byte(l), &x) == nil && x.Type == "exchange" {
			got = append(got, fmt.Sprintf("%s %s %v %s", x.ID, x.Status, x.Partial, x.Now))
		}
	}
	want := []string{
		fmt.Sprintf("1 error false error: not sent: the recording kept 64 of its %d bytes (it was over --max-frame)", len(big)),
		"2 match true ok",
		"3 match false ok",
	}
	if status != 2 || !slices.Equal(got, want) || !strings.Contains(errOut, "1 message not sent: the recording kept only the start") ||
		!strings.Contains(errOut, "(1 by status alone: the recording kept their responses truncated)") {
		t.Errorf("replay: status %d, exchanges\n%s\nwant\n%s\nstderr: %s", status, strings.Join(got, "\n"), strings.Join(want, "\n"), errOut)
	}
	select {
	case l := <-bad:
		t.Errorf("the server was sent a line it could not read: %.80s…", l)
	default:
	}

	mock := filepath.Join(dir, "mock.sock")
	started(t, "listening on", "serve", file, "--listen", mock)
	cmd = exec.Command(binary, "send", mock, "-")
	cmd.Stdin = strings.NewReader(`{"jsonrpc":"2.0","id":2,"method":"get"}` + "\n" + `{"jsonrpc":"2.0","id":3,"method":"echo","params":"ok"}` + "\n")
	served, _ := cmd.Output()
	if lines := strings.Split(strings.TrimSpace(string(served)), "\n"); len(lines) != 2 ||
		!strings.Contains(lines[0], fmt.Sprintf(`was kept truncated (64 of its %d bytes: it was over --max-frame)`, bigReply)) || lines[1] != `{"jsonrpc":"2.0","result":"ok","id":3}` {
		t.Errorf("serve answered:\n%s", served)
	}
}
