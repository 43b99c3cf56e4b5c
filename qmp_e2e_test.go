//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startQEMU runs the real QEMU with no guest (-machine none) and its QMP
// server on a Unix socket in dir, and returns the socket's path once it
// accepts connections. extra goes before -qmp (-S: paused).
func startQEMU(t *testing.T, dir, name string, extra ...string) string {
	t.Helper()
	need(t, "qemu-system-x86_64")
	sock := filepath.Join(dir, name)
	args := append([]string{"-machine", "none", "-nodefaults", "-nographic", "-display", "none"}, extra...)
	startProc(t, "qemu-system-x86_64", append(args, "-qmp", "unix:"+sock+",server=on,wait=off")...)
	dialWait(t, sock)
	return sock
}

// qmpSession is a QMP client's connection: its greeting read, each command
// waits for its reply, the events that came before it kept.
type qmpSession struct {
	t      *testing.T
	c      net.Conn
	sc     *bufio.Scanner
	events []string
}

// qmpDial connects to a QMP server at path and reads its greeting.
func qmpDial(t *testing.T, path string) *qmpSession {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	s := &qmpSession{t: t, c: c, sc: bufio.NewScanner(c)}
	if g := s.read(); g["QMP"] == nil {
		t.Fatalf("greeting %v", g)
	}
	return s
}

func (s *qmpSession) read() map[string]any {
	s.t.Helper()
	if !s.sc.Scan() {
		s.t.Fatalf("QMP server closed: %v", s.sc.Err())
	}
	var m map[string]any
	if err := json.Unmarshal(s.sc.Bytes(), &m); err != nil {
		s.t.Fatalf("%q: %v", s.sc.Text(), err)
	}
	return m
}

// do sends cmd and returns its reply (a return or an error), keeping the
// events that come before it.
func (s *qmpSession) do(cmd string) map[string]any {
	s.t.Helper()
	if _, err := fmt.Fprintln(s.c, cmd); err != nil {
		s.t.Fatal(err)
	}
	for {
		m := s.read()
		if e, ok := m["event"].(string); ok {
			s.events = append(s.events, e)
			continue
		}
		return m
	}
}

// describeQMP is an exchange of the dump as "method id status".
func describeQMP(e map[string]any) string {
	return fmt.Sprint(e["method"], " ", e["id"], " ", e["status"])
}

// wantQMPExchanges is wantExchanges for QMP, where the greeting and the
// events are notifications, never paired: every other message is.
func wantQMPExchanges(t *testing.T, lines []map[string]any, want map[float64]string) {
	t.Helper()
	var rest []map[string]any
	for _, l := range lines {
		if l["type"] != "message" || l["kind"] != "notification" {
			rest = append(rest, l)
		} else if m := l["method"]; m != "QMP" && m != "STOP" && m != "RESUME" {
			t.Errorf("a notification: %v", l)
		}
	}
	wantExchanges(t, rest, describeQMP, want)
}

// QEMU's QMP behind the real binary: the greeting and the events (STOP,
// RESUME) are notifications; commands pair with their replies by id when
// they have one (a number, a string, an object QEMU writes back its own
// way) and by order when they have none, as QEMU answers them, an unknown
// command's CommandNotFound an error; each exchange has its latency. Then
// `sockscope send` through it negotiates the capabilities QMP needs first.
func TestQMPPairing(t *testing.T) {
	dir := shortDir(t)
	up := startQEMU(t, dir, "q.sock")
	front := filepath.Join(dir, "f.sock")
	stop := sockscope(t, "--dump", "--lossless", "--listen", front, up)
	dialWait(t, front) // connection 1

	s := qmpDial(t, front) // connection 2
	for _, c := range []struct{ cmd, want string }{
		{`{"execute":"qmp_capabilities"}`, `{"return":{}}`},
		{`{"execute":"query-status"}`, `"status":"running"`},
		{`{"execute":"stop"}`, `{"return":{}}`},
		{`{"execute":"cont","id":7}`, `"id":7`},
		{`{"execute":"nope"}`, `"class":"CommandNotFound"`},
		{`{"execute":"query-status","id":"abc"}`, `"id":"abc"`},
		{`{"execute":"query-status","id":{"a":[1,2]}}`, `"id":{"a":[1,2]}`},
	} {
		b, _ := json.Marshal(s.do(c.cmd))
		if !strings.Contains(string(b), c.want) {
			t.Errorf("%s: QEMU answered %s, want %s in it", c.cmd, b, c.want)
		}
	}
	if got := strings.Join(s.events, ","); got != "STOP,RESUME" {
		t.Errorf("events %s, want STOP,RESUME", got)
	}
	s.c.Close()

	// connection 3: send without qmp_capabilities, which it sends first.
	out, errOut, status := runSendCmd(t, "", "-v", front, `{"execute":"query-status"}`)
	if status != 0 || !strings.Contains(out, `"running": true`) || !strings.Contains(out, `"id": 1`) ||
		!strings.Contains(errOut, `qmp_capabilities first`) {
		t.Errorf("send: status %d, stdout %q, stderr %q", status, out, errOut)
	}

	lines := dumpLines(t, stop())
	wantQMPExchanges(t, lines, map[float64]string{
		2: "qmp_capabilities <nil> ok, query-status <nil> ok, stop <nil> ok, cont 7 ok, nope <nil> error, " +
			"query-status abc ok, query-status map[a:[1 2]] ok",
		3: "qmp_capabilities sockscope-handshake ok, query-status 1 ok",
	})
	for _, e := range ofType(lines, "exchange") {
		if lat, _ := e["latency_us"].(float64); lat <= 0 {
			t.Errorf("no latency: %v", e)
		}
	}
	var notes []string
	for _, m := range ofType(lines, "message") {
		if m["kind"] == "notification" && m["conn"] != 1.0 { // dialWait's, whose greeting may come or not
			notes = append(notes, fmt.Sprint(m["conn"], ":", m["method"]))
		}
	}
	if got := strings.Join(notes, ","); got != "2:QMP,2:STOP,2:RESUME,3:QMP" {
		t.Errorf("notifications %s, want the greetings and the events", got)
	}
}

// A QMP session recorded through the real binary (commands with and
// without ids, an event, an unknown command) is shown paired again,
// replayed against a fresh QEMU with every reply compared, those of the
// commands without an id too, and all match (the events' timestamps are
// counted, not compared); against a paused QEMU (-S) the query-status
// replies differ, at $.return.status. serve then stands in for QEMU: a
// client without ids gets the recorded replies, without an id those
// recorded with one too, `sockscope send` too.
func TestQMPRecordReplayServe(t *testing.T) {
	dir := shortDir(t)
	up := startQEMU(t, dir, "q.sock")
	front, rec := filepath.Join(dir, "f.sock"), filepath.Join(dir, "qmp.jsonl")
	stop := started(t, "listening on", "--headless", "--record", rec, "--listen", front, up)
	s := qmpDial(t, front)
	cmds := []string{
		`{"execute":"qmp_capabilities"}`, `{"execute":"query-status"}`, `{"execute":"stop"}`,
		`{"execute":"query-status","id":"s2"}`, `{"execute":"cont"}`, `{"execute":"nope"}`,
	}
	for _, c := range cmds {
		s.do(c)
	}
	s.c.Close()
	stop()

	out, errOut, status := runStatus(t, "show", "--dump", rec)
	if status != 0 {
		t.Fatalf("show: %d: %s", status, errOut)
	}
	wantQMPExchanges(t, dumpLines(t, []byte(out)), map[float64]string{
		1: "qmp_capabilities <nil> ok, query-status <nil> ok, stop <nil> ok, query-status s2 ok, cont <nil> ok, nope <nil> error",
	})

	fresh := startQEMU(t, dir, "fresh.sock")
	if _, errOut, status := runStatus(t, "replay", rec, fresh); status != 0 || !strings.Contains(errOut, "6 requests: 6 match") {
		t.Errorf("replay against a fresh QEMU: status %d: %s", status, errOut)
	}
	paused := startQEMU(t, dir, "paused.sock", "-S")
	out, errOut, status = runStatus(t, "replay", "--dump", rec, paused)
	if status != 1 || !strings.Contains(errOut, "6 requests: 4 match, 2 differ") {
		t.Errorf("replay against a paused QEMU: status %d: %s", status, errOut)
	}
	var differs []string
	for _, e := range ofType(dumpLines(t, []byte(out)), "exchange") {
		if e["status"] == "differs" {
			differs = append(differs, fmt.Sprintf("%v %q %v", e["method"], e["id"], e["paths"]))
		}
	}
	if got, want := strings.Join(differs, ", "), `query-status "sockscope-replay-2" [$.return.running $.return.status], query-status "s2" [$.return.status]`; got != want {
		t.Errorf("differs: %s, want %s", got, want)
	}

	mock := filepath.Join(dir, "mock.sock")
	started(t, "listening on", "serve", rec, "--listen", mock)
	m := qmpDial(t, mock)
	for _, c := range []struct{ cmd, want string }{
		{`{"execute":"qmp_capabilities"}`, `{"return":{}}`},
		{`{"execute":"query-status"}`, `{"return":{"running":true,"singlestep":false,"status":"running"}}`},
		// Recorded with an id ("s2"): asked without one, its reply has
		// none (it had "id": with no value, no JSON).
		{`{"execute":"query-status"}`, `{"return":{"running":false,"singlestep":false,"status":"paused"}}`},
		{`{"execute":"nope"}`, `{"error":{"class":"CommandNotFound","desc":"The command nope has not been found"}}`},
		{`{"execute":"query-commands"}`, `no recorded reply to query-commands`},
	} {
		b, _ := json.Marshal(m.do(c.cmd))
		if !strings.Contains(string(b), c.want) || strings.Contains(string(b), `"id"`) {
			t.Errorf("serve: %s: %s, want %s in it and no id", c.cmd, b, c.want)
		}
	}
	out, errOut, status = runSendCmd(t, "", mock, `{"execute":"query-status"}`)
	if status != 0 || !strings.Contains(out, `"id":1`) || !strings.Contains(out, `"status": "running"`) {
		t.Errorf("send to serve: status %d, stdout %q, stderr %q", status, out, errOut)
	}
}
