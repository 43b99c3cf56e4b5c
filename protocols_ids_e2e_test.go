//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sockscope/internal/missing"
)

// dlvPath finds Delve (.ci/run installs it into GOPATH/bin).
func dlvPath(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("dlv"); err == nil {
		return p
	}
	out, _ := exec.Command("go", "env", "GOPATH").Output()
	p := filepath.Join(strings.TrimSpace(string(out)), "bin", "dlv")
	if _, err := os.Stat(p); err != nil {
		missing.Peer(t, "dlv is not installed: go install github.com/go-delve/delve/cmd/dlv@v1.27.2")
	}
	return p
}

// Delve's DAP server (dlv dap) behind the real binary with no --id: its
// responses pair with their requests by request_seq/seq, a failing
// request is an error.
func TestDAPDelve(t *testing.T) {
	dlv := dlvPath(t)
	dir := shortDir(t)
	up, front := filepath.Join(dir, "d.sock"), filepath.Join(dir, "f.sock")
	// dlv dap serves one client, then exits: no connection may reach it
	// before the test's own. It says when it listens; sockscope dials it
	// only for a client, and a connection to sockscope that is refused
	// never reaches it, so the first accepted one is the test's.
	cmd := exec.Command(dlv, "dap", "--listen", "unix:"+up)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || !strings.Contains(line, "listening") {
		t.Fatalf("dlv dap said %q, %v", line, err)
	}
	stop := sockscope(t, "--dump", "--lossless", "--listen", front, up)
	var c net.Conn
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var err error
		if c, err = net.Dial("unix", front); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sockscope never listened: %v", err)
		}
	}
	send := func(seq int, cmd string, args any) {
		b, _ := json.Marshal(map[string]any{"seq": seq, "type": "request", "command": cmd, "arguments": args})
		fmt.Fprintf(c, "Content-Length: %d\r\n\r\n%s", len(b), b)
	}
	send(1, "initialize", map[string]any{"adapterID": "go", "clientID": "sockscope", "linesStartAt1": true})
	br := bufio.NewReader(c)
	if m, err := readDAP(br); err != nil || m["command"] != "initialize" || m["success"] != true {
		t.Fatalf("initialize: %v, %v", m, err)
	}
	send(2, "evaluate", map[string]any{"expression": "1+1"}) // no program: fails
	send(3, "disconnect", map[string]any{})
	for {
		m, err := readDAP(br)
		if err != nil {
			t.Fatalf("reading dlv: %v", err)
		}
		if m["command"] == "disconnect" {
			break
		}
	}
	c.Close()
	lines := dumpLines(t, stop())
	var got []string
	for _, e := range ofType(lines, "exchange") {
		got = append(got, fmt.Sprint(e["method"], " ", e["id"], " ", e["status"]))
	}
	if want := "initialize 1 ok,evaluate 2 error,disconnect 3 ok"; strings.Join(got, ",") != want {
		t.Errorf("exchanges %v, want %s", got, want)
	}
}

// readDAP reads one Content-Length framed DAP message.
func readDAP(br *bufio.Reader) (map[string]any, error) {
	n := -1
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimSpace(line)
		if line == "" {
			break
		}
		if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
			n, _ = strconv.Atoi(v)
		}
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(br, body); err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(body, &m)
}

// mpvBehind starts an idle mpv and, in front of it at front,
// sockscope --dump --lossless, whose dump stop returns; c is a client's
// connection to front (its second: dialWait made the first).
func mpvBehind(t *testing.T) (front string, stop func() []byte, c net.Conn) {
	t.Helper()
	need(t, "mpv")
	dir := shortDir(t)
	up, front := filepath.Join(dir, "m.sock"), filepath.Join(dir, "f.sock")
	startProc(t, "mpv", "--idle=yes", "--no-config", "--no-video", "--ao=null", "--no-terminal", "--input-ipc-server="+up)
	dialWait(t, up)
	mpvIdle(t, up)
	stop = sockscope(t, "--dump", "--lossless", "--listen", front, up)
	dialWait(t, front)
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	return front, stop, c
}

// mpvIdle waits, on a connection of its own, until mpv has entered its
// idle mode: it tells every client then with an "idle" event, which on a
// busy machine came after its socket was up, to the tests' connections.
func mpvIdle(t *testing.T, up string) {
	t.Helper()
	c, err := net.Dial("unix", up)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Connected before it asks, it sees the event if the answer is no.
	fmt.Fprintln(c, `{"command":["get_property","idle-active"],"request_id":1}`)
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		var m struct {
			Event     string
			RequestID *int `json:"request_id"`
			Data      any
		}
		json.Unmarshal(sc.Bytes(), &m)
		if m.Event == "idle" || m.RequestID != nil && m.Data == true {
			return
		}
	}
	t.Fatalf("mpv closed before it was idle: %v", sc.Err())
}

// mpv's JSON IPC behind the real binary with no --id: commands pair with
// their replies by request_id, "error":"success" is a success and any
// other error an error, property-change events are notifications.
func TestMpvIPC(t *testing.T) {
	_, stop, c := mpvBehind(t)
	sc := bufio.NewScanner(c)
	cmds := []string{
		`{"command":["get_property","volume"],"request_id":1}`,
		`{"command":["get_property","no-such-property"],"request_id":2}`,
		`{"command":["observe_property",7,"volume"],"request_id":3}`,
		`{"command":["set_property","volume",42],"request_id":4}`,
	}
	for _, cmd := range cmds {
		fmt.Fprintln(c, cmd)
	}
	replies, changed := 0, false
	for replies < len(cmds) || !changed {
		if !sc.Scan() {
			t.Fatalf("mpv closed: %v (%d replies)", sc.Err(), replies)
		}
		var m map[string]any
		json.Unmarshal(sc.Bytes(), &m)
		if _, ok := m["request_id"]; ok {
			replies++
		}
		if m["event"] == "property-change" && m["data"] == 42.0 {
			changed = true
		}
	}
	c.Close()
	lines := dumpLines(t, stop())
	var got []string
	for _, e := range ofType(lines, "exchange") {
		got = append(got, fmt.Sprint(e["method"], " ", e["id"], " ", e["status"]))
	}
	want := "get_property 1 ok,get_property 2 error,observe_property 3 ok,set_property 4 ok"
	if strings.Join(got, ",") != want {
		t.Errorf("exchanges %v, want %s", got, want)
	}
	events := 0
	for _, m := range ofType(lines, "message") {
		if m["kind"] == "notification" && m["method"] == "property-change" {
			events++
		}
	}
	if events == 0 {
		t.Error("no property-change notification")
	}
}

// mpv's commands in its documented form, without request_id: mpv answers
// each with request_id 0, in order, and they pair by order (an explicit
// request_id still by id); `sockscope send` gives such a command a
// request_id, which mpv echoes, and prints the reply paired with it.
func TestMpvIPCWithoutID(t *testing.T) {
	front, stop, c := mpvBehind(t)
	sc := bufio.NewScanner(c)
	cmds := []string{
		`{ "command": ["get_property", "volume"] }`,
		`{"command":["get_property","no-such-property"]}`,
		`{"command":["set_property","volume",42]}`,
		`{"command":["get_property","volume"],"request_id":9}`,
		`{"command":["get_property","volume"]}`,
	}
	for _, cmd := range cmds {
		fmt.Fprintln(c, cmd)
	}
	var last map[string]any
	for replies := 0; replies < len(cmds); {
		if !sc.Scan() {
			t.Fatalf("mpv closed: %v (%d replies)", sc.Err(), replies)
		}
		var m map[string]any
		json.Unmarshal(sc.Bytes(), &m)
		if _, ok := m["request_id"]; ok {
			replies++
			last = m
		}
	}
	c.Close()
	if last["data"] != 42.0 || last["request_id"] != 0.0 {
		t.Fatalf("mpv's last reply %v: want the volume set, request_id 0", last)
	}
	out, errOut, status := runSendCmd(t, "", front, `{"command":["get_property","volume"]}`)
	if status != 0 || !strings.Contains(out, `"request_id":1`) || !strings.Contains(out, `"data":42`) {
		t.Errorf("send: stdout %q, stderr %q, status %d", out, errOut, status)
	}
	// Connection 1 was dialWait's.
	wantExchanges(t, dumpLines(t, stop()), func(e map[string]any) string { return fmt.Sprint(e["method"], " ", e["id"], " ", e["status"]) },
		map[float64]string{
			2: "get_property <nil> ok, get_property <nil> error, set_property <nil> ok, get_property 9 ok, get_property <nil> ok",
			3: "get_property 1 ok",
		})
}

// `sockscope send` speaks DAP to Delve: a request without a seq gets one
// (it got a rid, which DAP does not know, and send said the request had
// no id), and each reply pairs by its request_seq: initialize succeeds,
// an evaluate without a program fails (exit 1).
func TestSendDAPDelve(t *testing.T) {
	dlv := dlvPath(t)
	up := filepath.Join(shortDir(t), "d.sock")
	cmd := exec.Command(dlv, "dap", "--listen", "unix:"+up)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || !strings.Contains(line, "listening") {
		t.Fatalf("dlv dap said %q, %v", line, err)
	}
	stdin := `{"type":"request","command":"initialize","arguments":{"adapterID":"go","clientID":"sockscope"}}` + "\n" +
		`{"type":"request","command":"evaluate","arguments":{"expression":"1+1"}}` + "\n"
	got, errOut, status := runSendCmd(t, stdin, "--framing", "content-length", up, "-")
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if status != 1 || len(lines) != 2 ||
		!strings.Contains(lines[0], `"request_seq":1,"success":true,"command":"initialize"`) ||
		!strings.Contains(lines[1], `"request_seq":2,"success":false,"command":"evaluate"`) {
		t.Fatalf("send to dlv dap: status %d, stderr %q, stdout:\n%s", status, errOut, got)
	}
}

// serve stands in for Delve's DAP server, recorded through the real binary
// as send spoke to it: a request gets the recorded reply to the same
// command and arguments whatever its seq, DAP's id, which the reply's
// request_seq carries (the seq was matched as part of the request, so a
// client that numbered its requests otherwise missed every one).
func TestServeDAPDelve(t *testing.T) {
	dlv := dlvPath(t)
	dir := shortDir(t)
	up, front, mock := filepath.Join(dir, "d.sock"), filepath.Join(dir, "f.sock"), filepath.Join(dir, "m.sock")
	cmd := exec.Command(dlv, "dap", "--listen", "unix:"+up)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || !strings.Contains(line, "listening") {
		t.Fatalf("dlv dap said %q, %v", line, err)
	}
	file := filepath.Join(dir, "dap.jsonl")
	stop := started(t, "listening on", "--headless", "-w", file, "--listen", front, up)
	initialize := `{"type":"request","command":"initialize","arguments":{"adapterID":"go","clientID":"sockscope"}}`
	evaluate := `{"type":"request","command":"evaluate","arguments":{"expression":"1+1"}}`
	if got, errOut, status := runSendCmd(t, initialize+"\n"+evaluate+"\n", "--framing", "content-length", front, "-"); status != 1 {
		t.Fatalf("send to dlv dap: status %d, stderr %q, stdout:\n%s", status, errOut, got)
	}
	stop()

	started(t, "listening on", "serve", file, "--listen", mock)
	got, errOut, status := runSendCmd(t, `{"seq":5,`+initialize[1:]+"\n"+evaluate+"\n", "--framing", "content-length", mock, "-")
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if status != 1 || len(lines) != 2 ||
		!strings.Contains(lines[0], `"request_seq":5,"success":true,"command":"initialize"`) ||
		!strings.Contains(lines[1], `"request_seq":6,"success":false,"command":"evaluate","message":"No debug session started"`) {
		t.Errorf("send to serve: status %d, stderr %q, stdout:\n%s", status, errOut, got)
	}
}
