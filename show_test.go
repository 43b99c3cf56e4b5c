//go:build unix

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sockscope/internal/sessiongen"
	"sockscope/session"
)

// dialListening connects to the Unix socket at path once something listens
// there: connecting is how to know.
func dialListening(t *testing.T, path string) net.Conn {
	t.Helper()
	var c net.Conn
	eventually(t, path+" to accept connections", func() bool {
		var err error
		c, err = net.Dial("unix", path)
		return err == nil
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// call writes a JSON-RPC request with id on c and reads one line back.
func call(t *testing.T, c net.Conn, r *bufio.Reader, id int) {
	t.Helper()
	fmt.Fprintf(c, `{"jsonrpc":"2.0","id":%d,"method":"echo"}`+"\n", id)
	c.SetReadDeadline(time.Now().Add(time.Minute))
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatalf("call %d: %v", id, err)
	}
}

// showRun runs the real binary on a session file and returns its stdout and
// stderr; it fails the test if the command fails.
func showRun(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("sockscope %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), errb.String()
}

// A run that crashed in the middle of writing a record, then a new run
// appending to the same file: show reads both segments (7 connections,
// not the first run's 4), the connections the crash left open end with
// an error at its last record, and the record cut short is skipped.
func TestShowReadsPastACrash(t *testing.T) {
	svc, front := paths(t)
	file := filepath.Join(filepath.Dir(svc), "s.jsonl")
	echoServer(t, svc)

	crashed := startSS(t, nil, "--headless", "--record", file, "--listen", front, svc)
	for i := 0; i < 4; i++ { // left open: the crash ends them
		c := dialListening(t, front)
		r := bufio.NewReader(c)
		for id := 1; id <= 3; id++ {
			call(t, c, r, id)
		}
	}
	eventually(t, "the first run's 24 frames in the file", func() bool {
		recs, _ := session.ReadFile(file)
		n := 0
		for _, r := range recs {
			if r.Type == session.TypeFrame {
				n++
			}
		}
		return n == 24
	})
	// The recorder is the decoder's process; the relay's, killed first,
	// would let it end the file cleanly (TestRelayKilledEndsTheRecording).
	syscall.Kill(decoderOf(t, crashed), syscall.SIGKILL)
	crashed.cmd.Process.Signal(syscall.SIGKILL)
	crashed.wait()
	os.Remove(front)

	// The crash cut the last record in half: a frame of the last
	// exchange (its request or its reply: the two directions are read in
	// parallel, so either may be recorded last).
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	last := b[bytes.LastIndexByte(b[:len(b)-1], '\n')+1:]
	if !bytes.Contains(last, []byte(`"type":"frame","conn":4,`)) {
		t.Fatalf("last record %q: want a frame of the last exchange", last)
	}
	if err := os.Truncate(file, int64(len(b)-len(last)/2)); err != nil {
		t.Fatal(err)
	}

	second := startSS(t, nil, "--headless", "--record", file, "--listen", front, svc)
	for i := 0; i < 3; i++ {
		c := dialListening(t, front)
		r := bufio.NewReader(c)
		for id := 1; id <= 3; id++ {
			call(t, c, r, id)
		}
		c.(*net.UnixConn).CloseWrite()
		io.Copy(io.Discard, r)
		c.Close()
	}
	eventually(t, "the second run's 3 closes in the file", func() bool {
		recs, _ := session.ReadFile(file)
		n := 0
		for _, r := range recs {
			if r.Type == session.TypeClose {
				n++
			}
		}
		return n == 3
	})
	if code := second.stop(os.Interrupt); code != 0 {
		t.Fatalf("second run exited %d: %s", code, second.err.String())
	}

	out, summary := showRun(t, "show", "--dump", file)
	opens, failed := map[float64]bool{}, 0
	status := map[string]int{}
	for _, l := range dumpLines(t, []byte(out)) {
		switch l["type"] {
		case "open":
			opens[l["conn"].(float64)] = true
		case "error":
			failed++
			if !strings.Contains(l["error"].(string), "the recording ends here") {
				t.Errorf("connection %v ended with %q", l["conn"], l["error"])
			}
		case "exchange":
			status[l["status"].(string)]++
		}
	}
	if len(opens) != 7 || !opens[1] || !opens[7] {
		t.Errorf("connections %v, want 1 to 7", opens)
	}
	if failed != 4 {
		t.Errorf("%d connections ended with an error, want the crashed run's 4", failed)
	}
	// 4×3 + 3×3 calls, less the one cut short: a request without its
	// reply (no-reply), or a reply without its request (orphan).
	if status["ok"] != 20 || status["no-reply"]+status["orphan"] != 1 || len(status) != 2 {
		t.Errorf("exchanges by status %v, want 20 ok and 1 no-reply or orphan", status)
	}
	if !strings.Contains(summary, "2 segments") || !strings.Contains(summary, "7 connections (4 failed)") ||
		!strings.Contains(summary, "1 record cut short") {
		t.Errorf("summary %q", summary)
	}
}

// xidServer answers each JSON line {"xid":N,...} with {"xid":N,"result":"ok"}.
func xidServer(c net.Conn) {
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		var m struct {
			XID json.RawMessage `json:"xid"`
		}
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			return
		}
		fmt.Fprintf(c, `{"xid":%s,"result":"ok"}`+"\n", m.XID)
	}
}

// A session recorded with --id xid pairs its calls when shown (show reads
// the recorded id fields), and --id overrides them; view is show.
func TestShowRecordedIDFields(t *testing.T) {
	svc, front := paths(t)
	file := filepath.Join(filepath.Dir(svc), "s.jsonl")
	startUpstream(t, svc, xidServer)
	p := startSS(t, nil, "--headless", "--id", "xid", "--record", file, "--listen", front, svc)
	c := dialListening(t, front)
	r := bufio.NewReader(c)
	for id := 1; id <= 5; id++ {
		fmt.Fprintf(c, `{"xid":%d,"method":"ping"}`+"\n", id)
		c.SetReadDeadline(time.Now().Add(time.Minute))
		if _, err := r.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	if code := p.stop(os.Interrupt); code != 0 {
		t.Fatalf("exit %d: %s", code, p.err.String())
	}
	if !strings.Contains(p.out.String(), "5 requests: 5 ok") {
		t.Fatalf("live summary %q", p.out.String())
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"show", "--headless", file}, "5 requests: 5 ok"},
		{[]string{"view", "--headless", file}, "5 requests: 5 ok"},
		{[]string{"show", "--headless", "--id", "rid,id", file}, "0 requests"},
		{[]string{"show", "--headless", "--id", "xid", file}, "5 requests: 5 ok"},
	} {
		if _, summary := showRun(t, c.args...); !strings.Contains(summary, c.want) {
			t.Errorf("%v: %q, want %q", c.args, summary, c.want)
		}
	}
}

// show takes no flag that means nothing for a file.
func TestShowFlags(t *testing.T) {
	file := filepath.Join(shortDir(t), "s.jsonl")
	rec, err := session.Create(file, session.Header{Started: time.Now(), Framing: "auto"})
	if err != nil {
		t.Fatal(err)
	}
	rec.End(time.Now(), 0, 0)
	for _, flag := range []string{"--lossless", "--record=x", "--listen=x", "--mode=0600"} {
		out, err := exec.Command(binary, "show", "--headless", flag, file).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "unknown flag") {
			t.Errorf("show %s: %v, %q; want an unknown flag", flag, err, out)
		}
	}
	help, _ := showRun(t, "show", "--help")
	if strings.Contains(help, "forwarded") || !strings.Contains(help, "--id") {
		t.Errorf("show --help:\n%s", help)
	}
}

// show --dump whose reader goes away (| head) stops there: no summary for
// no one, and not the rest of the file decoded first.
func TestShowDumpStopsWhenItsReaderGoes(t *testing.T) {
	path := filepath.Join(shortDir(t), "big.jsonl")
	if err := sessiongen.Write(path, sessiongen.Config{Size: 16 << 20, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "show", "--dump", path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	out.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("show --dump | head: %v: %s", err, errOut.String())
	}
	if strings.Contains(errOut.String(), "messages") {
		t.Errorf("a summary after its reader went away: %s", errOut.String())
	}
}

// A damaged line in the middle of a file (not a crash's: records follow
// it) is skipped and named: show reads the rest (the reply after it pairs,
// the connection closes), says so in its summary, and exits 1.
func TestShowSkipsADamagedLine(t *testing.T) {
	path := filepath.Join(shortDir(t), "s.jsonl")
	file := `{"type":"header","format":"sockscope-session","version":1,"started":"2026-01-02T03:04:05Z","framing":"lines"}
{"type":"open","conn":1,"at":"2026-01-02T03:04:05Z"}
{"type":"frame","conn":1,"dir":"c2s","at":"2026-01-02T03:04:05Z","size":21,"text":"{\"id\":1,\"method\":\"a\"}"}
this line is damaged
{"type":"frame","conn":1,"dir":"s2c","at":"2026-01-02T03:04:06Z","size":19,"text":"{\"id\":1,\"result\":2}"}
{"type":"close","conn":1,"at":"2026-01-02T03:04:07Z"}
`
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "show", "--dump", path)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("exit: %v, want status 1\n%s", err, errOut.String())
	}
	var ok, closed bool
	for _, l := range dumpLines(t, out) {
		ok = ok || l["type"] == "exchange" && l["status"] == "ok"
		closed = closed || l["type"] == "close"
	}
	if !ok || !closed {
		t.Errorf("the exchange's ok %v, the close %v, in:\n%s", ok, closed, out)
	}
	if !strings.Contains(errOut.String(), "1 request: 1 ok") || !strings.Contains(errOut.String(), "1 unreadable line skipped (session: line 4: not valid JSON)") {
		t.Errorf("stderr %q", errOut.String())
	}
}

// A recording with gaps (the decoder fell behind and dropped its copy of
// bytes it forwarded) says so in show's summary: a wrapped run, which
// prints no summary of its own, leaves only the recording to tell.
func TestShowSaysTheRecordingsGaps(t *testing.T) {
	path := filepath.Join(shortDir(t), "s.jsonl")
	file := `{"type":"header","format":"sockscope-session","version":1,"started":"2026-01-02T03:04:05Z","framing":"lines"}
{"type":"open","conn":1,"at":"2026-01-02T03:04:05Z"}
{"type":"frame","conn":1,"dir":"c2s","at":"2026-01-02T03:04:05Z","size":21,"text":"{\"id\":1,\"method\":\"a\"}"}
{"type":"gap","conn":1,"dir":"s2c","at":"2026-01-02T03:04:06Z","bytes":917504}
{"type":"gap","conn":1,"dir":"c2s","at":"2026-01-02T03:04:07Z","bytes":1944099}
{"type":"close","conn":1,"at":"2026-01-02T03:04:07Z"}
{"type":"end","at":"2026-01-02T03:04:08Z","dropped_events":91,"dropped_bytes":2861603}
`
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	_, summary := showRun(t, "show", "--headless", path)
	if !strings.Contains(summary, "; 2 gaps (2861603 bytes never seen: sockscope's decoder fell behind while recording") {
		t.Errorf("summary %q does not say the gaps", summary)
	}
}

// export's line says its counts as the UI's E does: 1 exchange, 1 message.
func TestExportSaysSingularCounts(t *testing.T) {
	path := filepath.Join(shortDir(t), "s.jsonl")
	file := `{"type":"header","format":"sockscope-session","version":1,"started":"2026-01-02T03:04:05Z","framing":"lines"}
{"type":"open","conn":1,"at":"2026-01-02T03:04:05Z"}
{"type":"frame","conn":1,"dir":"c2s","at":"2026-01-02T03:04:05Z","size":19,"text":"{\"method\":\"hello\"}"}
{"type":"close","conn":1,"at":"2026-01-02T03:04:07Z"}
`
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr := showRun(t, "export", path, "-o", filepath.Join(filepath.Dir(path), "x.pcapng"))
	if !strings.Contains(stderr, "exported 1 exchange (1 message, ") {
		t.Errorf("stderr %q", stderr)
	}
}
