//go:build unix

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sockscope/internal/goplstest"
	"sockscope/protocol"
	"sockscope/session"
)

// runSend runs `sockscope send args...` with stdin and returns its stdout,
// stderr and exit status.
func runSendCmd(t *testing.T, stdin string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"send"}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		status = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errb.String(), status
}

// `sockscope send` against the seed Node server: 0 for a success reply, 1
// for an error reply, 2 for no reply or bad input (a --timeout not above
// 0 too, before anything is sent); a message without an id
// gets one; stdin sends one message per line on one connection; the
// server's greeting is never taken for the reply, and -v shows it.
func TestSendExitStatus(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	svc := filepath.Join(shortDir(t), "svc.sock")
	seedServer(t, svc)
	for _, c := range []struct {
		name, stdin string
		args        []string
		out, errOut string
		status      int
	}{
		{"success", "", []string{svc, `{"method":"add","args":[1,2]}`}, `{"success":true,"rid":1,"data":3}` + "\n", "", 0},
		{"error reply", "", []string{svc, `{"rid":7,"method":"nosuch","args":[]}`}, `{"success":false,"rid":7}` + "\n", "", 1},
		{"no reply", "", []string{"--timeout", "300ms", svc, `{"method":"never","args":[]}`}, "", "no reply within 300ms", 2},
		{"not JSON", "", []string{svc, `{"rid":1,`}, "", "not JSON", 2},
		{"nobody listening", "", []string{svc + ".none", `{}`}, "", "connect", 2},
		{"a framing not for JSON", "", []string{"--framing", "raw", svc, `{}`}, "", "--framing raw: send frames JSON messages", 2},
		// Refused before the message goes: add would be sent and its
		// reply not waited for.
		{"no time to wait", "", []string{"--timeout", "0", svc, `{"method":"add","args":[1,2]}`}, "", "--timeout 0s: want a duration above 0", 2},
		{"a negative timeout", "", []string{"--timeout", "-1s", svc, `{"method":"add","args":[1,2]}`}, "", "--timeout -1s: want a duration above 0", 2},
		{"stdin, verbose", "{\"method\":\"add\",\"args\":[1,2]}\n\n{\"method\":\"echo\",\"args\":[\"hé\"]}\n", []string{"-v", svc, "-"},
			`{"success":true,"rid":1,"data":3}` + "\n" + `{"success":true,"rid":2,"data":"hé"}` + "\n", `sockscope send: the server sent: {"action":"register"`, 0},
	} {
		out, errOut, status := runSendCmd(t, c.stdin, c.args...)
		if out != c.out || status != c.status || !strings.Contains(errOut, c.errOut) {
			t.Errorf("%s: stdout %q, stderr %q, status %d; want %q, stderr with %q, status %d",
				c.name, out, errOut, status, c.out, c.errOut, c.status)
		}
	}
}

// `sockscope send --framing content-length` against gopls: an initialize,
// then a request on the same connection, from stdin, each paired with its
// reply (the second gets an id of its own; gopls answers shutdown with a
// result only on the connection it was initialized on).
func TestSendToGopls(t *testing.T) {
	gopls := goplstest.Path(t)
	dir := shortDir(t)
	ws, sock := filepath.Join(dir, "ws"), filepath.Join(dir, "gopls.sock")
	os.MkdirAll(ws, 0o755)
	os.WriteFile(filepath.Join(ws, "go.mod"), []byte("module example.com/ws\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(ws, "main.go"), []byte("package main\n\nfunc Greet() {}\n\nfunc main() { Greet() }\n"), 0o644)
	cmd := exec.Command(gopls, "serve", "-listen", "unix;"+sock)
	cmd.Dir = ws
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitListening(t, sock)
	stdin := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":"file://%s","capabilities":{}}}`+"\n"+
		`{"jsonrpc":"2.0","method":"shutdown"}`+"\n", ws)
	out, errOut, status := runSendCmd(t, stdin, "--framing", "content-length", sock, "-")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if status != 0 || len(lines) != 2 || !strings.Contains(lines[0], `"id":1`) || !strings.Contains(lines[0], `"capabilities"`) ||
		!strings.Contains(lines[1], `"id":2`) || !strings.Contains(lines[1], `"result":null`) {
		t.Fatalf("status %d, stderr %q, stdout:\n%s", status, errOut, out)
	}
}

// A message without an id gets the next number, in the field its protocol
// takes, past every integer id a message gave itself (a second message
// numbered 1 after the user's id 1 took the first one's reply); a batch
// with no id in it has each of its objects numbered (one numbered alone
// got a reply for it alone), one with an id goes as it is.
func TestWithID(t *testing.T) {
	next := 1
	for _, c := range []struct{ in, field, want string }{
		{`{"method":"add","args":[1,2]}`, "", `{"rid":1,"method":"add","args":[1,2]}`},
		{`{"jsonrpc":"2.0","id":9,"method":"a"}`, "", `{"jsonrpc":"2.0","id":9,"method":"a"}`},
		{`{"command":["get_property","volume"]}`, "", `{"request_id":10,"command":["get_property","volume"]}`},
		{`[{"jsonrpc":"2.0","method":"a"}, {"jsonrpc":"2.0","method":"b"}]`, "",
			`[{"id":11,"jsonrpc":"2.0","method":"a"},{"id":12,"jsonrpc":"2.0","method":"b"}]`},
		{`[{"jsonrpc":"2.0","method":"log"},{"jsonrpc":"2.0","method":"a","id":17}]`, "",
			`[{"jsonrpc":"2.0","method":"log"},{"jsonrpc":"2.0","method":"a","id":17}]`},
		{`{"jsonrpc":"2.0","id":"x","method":"a"}`, "", `{"jsonrpc":"2.0","id":"x","method":"a"}`},
		{`{"method":"x"}`, "seq", `{"seq":18,"method":"x"}`},
		// Notifications by name get none; in a batch too.
		{`{"jsonrpc":"2.0","method":"initialized","params":{}}`, "", `{"jsonrpc":"2.0","method":"initialized","params":{}}`},
		{`{"jsonrpc":"2.0","method":"textDocument/didChange"}`, "", `{"jsonrpc":"2.0","method":"textDocument/didChange"}`},
		{`[{"jsonrpc":"2.0","method":"notifications/x"},{"jsonrpc":"2.0","method":"tools/list"}]`, "",
			`[{"jsonrpc":"2.0","method":"notifications/x"},{"id":19,"jsonrpc":"2.0","method":"tools/list"}]`},
		{`{"jsonrpc":"2.0","method":"shutdown"}`, "", `{"id":20,"jsonrpc":"2.0","method":"shutdown"}`},
		{`{"jsonrpc":"2.0","method":"didnt"}`, "", `{"id":21,"jsonrpc":"2.0","method":"didnt"}`},
	} {
		got, err := withID([]byte(c.in), c.field, &next)
		if err != nil || string(got) != c.want {
			t.Errorf("%s: %s, %v; want %s", c.in, got, err, c.want)
		}
	}
}

// send --id FIELD puts a message's id in FIELD and pairs the reply by it:
// serve, standing in for a service whose ids are in "tag" (a recording
// made with --id tag), answers it (send gave up, saying the request had
// no id in rid, id or request_id).
func TestSendIDField(t *testing.T) {
	dir := shortDir(t)
	file, mock := filepath.Join(dir, "tag.jsonl"), filepath.Join(dir, "mock.sock")
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	rec, err := session.Create(file, session.Header{Started: at, Upstream: "unix:/tmp/up.sock", Listen: "/tmp/front.sock", IDFields: []string{"tag"}})
	if err != nil {
		t.Fatal(err)
	}
	rec.Open(1, at, "pid 1", "/tmp/front.sock", "unix:/tmp/up.sock", 1, 0, "client", false)
	for i, data := range []string{`{"tag":7,"method":"add","args":[1,2]}`, `{"tag":7,"result":3}`} {
		rec.Frame(1, protocol.Dir(i), at.Add(time.Duration(i)*time.Millisecond),
			protocol.Frame{Data: []byte(data), Size: len(data), Wire: len(data) + 1}, protocol.FramingLines, session.Marks{})
	}
	rec.Close(1, at.Add(time.Second), "")
	if err := rec.End(at.Add(time.Second), 0, 0); err != nil {
		t.Fatal(err)
	}
	started(t, "listening on", "serve", file, "--listen", mock)
	out, errOut, status := runSendCmd(t, "", "--id", "tag", mock, `{"method":"add","args":[1,2]}`)
	if status != 0 || out != `{"tag":1,"result":3}`+"\n" {
		t.Errorf("send --id tag: stdout %q, stderr %q, status %d", out, errOut, status)
	}
}

// peer is a server for send to talk to: it frames what it reads as it
// comes (lines or Content-Length), hands each message to answer, and
// writes back what answer returns, framed as the message was; hangUp
// closes the connection instead.
type peer struct {
	path  string
	got   chan string // each message read, in order
	conns atomic.Int64
}

func startPeer(t *testing.T, answer func(p []byte) (reply []byte, hangUp bool)) *peer {
	t.Helper()
	return startPeerFramed(t, protocol.FramingAuto, answer)
}

// startPeerFramed is startPeer for a server that reads only framing f
// (FramingAuto: either).
func startPeerFramed(t *testing.T, framing protocol.Framing, answer func(p []byte) (reply []byte, hangUp bool)) *peer {
	t.Helper()
	p := &peer{path: filepath.Join(shortDir(t), "peer.sock"), got: make(chan string, 100)}
	ln, err := net.Listen("unix", p.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			p.conns.Add(1)
			go func() {
				defer nc.Close()
				f := protocol.NewFramer(framing, protocol.DefaultMaxFrame)
				buf := make([]byte, 64<<10)
				for hung := false; !hung; {
					n, err := nc.Read(buf)
					f.Feed(buf[:n], func(fr *protocol.Frame) {
						data := append([]byte(nil), fr.Data...)
						p.got <- string(data)
						reply, hangUp := answer(data)
						if hangUp {
							hung = true
							nc.Close()
						} else if reply != nil {
							nc.Write(protocol.Encoder{Framing: f.Framing()}.Append(nil, reply))
						}
					})
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return p
}

// echoResult answers a JSON-RPC request with its method as the result, a
// DAP request as DAP does, and a message without an id with nothing.
func echoResult(p []byte) ([]byte, bool) {
	info := protocol.Classify(p, nil)
	switch {
	case info.ID == nil:
		return nil, false
	case strings.Contains(string(p), `"type":"request"`):
		return []byte(`{"seq":1,"type":"response","request_seq":` + string(info.ID) + `,"success":true,"command":"` + string(info.Method) + `"}`), false
	}
	return []byte(`{"jsonrpc":"2.0","id":` + string(info.ID) + `,"result":"` + string(info.Method) + `"}`), false
}

// With --framing auto and a server that does not speak first, an LSP or
// DAP message goes framed with Content-Length, as their servers read it
// (it went as a line, which an LSP server never takes for a message: send
// waited out its timeout); an MCP initialize, which says its
// protocolVersion, goes as a line. Getting no reply, and nothing from the
// server, send says the framing it guessed may be why and names the flag.
func TestSendFramesLikeTheMessage(t *testing.T) {
	peers := map[string]*peer{
		"content-length": startPeerFramed(t, protocol.FramingContentLength, echoResult),
		"lines":          startPeerFramed(t, protocol.FramingLines, echoResult),
	}
	for _, c := range []struct{ msg, out, framed string }{
		{`{"jsonrpc":"2.0","method":"initialize","params":{"processId":null,"capabilities":{}}}`,
			`{"jsonrpc":"2.0","id":1,"result":"initialize"}`, "content-length"},
		{`{"jsonrpc":"2.0","id":5,"method":"textDocument/hover","params":{}}`,
			`{"jsonrpc":"2.0","id":5,"result":"textDocument/hover"}`, "content-length"},
		{`{"type":"request","command":"initialize","arguments":{"adapterID":"go"}}`,
			`{"seq":1,"type":"response","request_seq":1,"success":true,"command":"initialize"}`, "content-length"},
		{`{"jsonrpc":"2.0","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{}}}`,
			`{"jsonrpc":"2.0","id":1,"result":"initialize"}`, "lines"},
		{`{"jsonrpc":"2.0","method":"add","params":[1,2]}`, `{"jsonrpc":"2.0","id":1,"result":"add"}`, "lines"},
	} {
		out, errOut, status := runSendCmd(t, "", "--timeout", "5s", peers[c.framed].path, c.msg)
		if status != 0 || out != c.out+"\n" {
			t.Errorf("%s to a server that reads %s: stdout %q, stderr %q, status %d; want %s", c.msg, c.framed, out, errOut, status, c.out)
		}
	}
	silent := startPeer(t, func([]byte) ([]byte, bool) { return nil, false })
	for _, c := range []struct{ msg, hint string }{
		{`{"jsonrpc":"2.0","method":"add","params":[1,2]}`, "no reply within 300ms: the server said nothing to a message framed as a line; is it framed with Content-Length (LSP, DAP)? try --framing content-length"},
		{`{"jsonrpc":"2.0","method":"initialize","params":{}}`, "no reply within 300ms: the server said nothing to a message framed with Content-Length (as LSP and DAP frame); is it framed with lines? try --framing lines"},
	} {
		_, errOut, status := runSendCmd(t, "", "--timeout", "300ms", silent.path, c.msg)
		if status != 2 || !strings.Contains(errOut, c.hint) {
			t.Errorf("%s to a silent server: stderr %q, status %d; want %q, 2", c.msg, errOut, status, c.hint)
		}
	}
	// Framed as asked, the hint would be wrong: none.
	_, errOut, _ := runSendCmd(t, "", "--timeout", "300ms", "--framing", "lines", silent.path, `{"jsonrpc":"2.0","method":"add"}`)
	if strings.Contains(errOut, "try --framing") {
		t.Errorf("--framing lines, no reply: %q", errOut)
	}
}

// What send cannot pair a reply with is refused, exit 2, before it
// connects: an empty batch (it got "the request has no id"), a batch of
// something but objects, and no message at all (empty stdin exited 0,
// having sent nothing).
func TestSendRefusesNothingToSend(t *testing.T) {
	p := startPeer(t, echoResult)
	file := filepath.Join(shortDir(t), "empty.json")
	os.WriteFile(file, []byte(" \n"), 0o644)
	for _, c := range []struct{ name, stdin, msg, errOut string }{
		{"an empty batch", "", `[]`, "an empty batch ([]): it holds no request to send"},
		{"an empty batch, spaced", "", `[ ]`, "an empty batch ([])"},
		{"a batch of numbers", "", `[1,2]`, "a batch holds JSON objects, requests and notifications: its element 1 is 1"},
		{"a batch with a number", "", `[{"jsonrpc":"2.0","method":"a"},"x"]`, `its element 2 is "x"`},
		{"no object", "", `"{"`, "not a JSON object"},
		{"empty stdin", "", "-", "no message to send: stdin held none"},
		{"blank stdin", "\n  \n", "-", "no message to send: stdin held none"},
		{"an empty file", "", "@" + file, "no message to send: " + file + " held none"},
	} {
		out, errOut, status := runSendCmd(t, c.stdin, p.path, c.msg)
		if status != 2 || out != "" || !strings.Contains(errOut, c.errOut) {
			t.Errorf("%s: stdout %q, stderr %q, status %d; want stderr with %q, 2", c.name, out, errOut, status, c.errOut)
		}
	}
	if n := p.conns.Load(); n != 0 {
		t.Errorf("send connected %d times for nothing to send", n)
	}
}

// A JSON-RPC server that cannot read a request answers with an error whose
// id is null (it could not read the id): that is the answer, printed, exit
// 1 (send took it for a notification and waited out its timeout).
func TestSendNullIDErrorIsTheReply(t *testing.T) {
	const parseError = `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}`
	p := startPeer(t, func([]byte) ([]byte, bool) { return []byte(parseError), false })
	out, errOut, status := runSendCmd(t, "", "--timeout", "10s", p.path, `{"jsonrpc":"2.0","method":"a"}`)
	if status != 1 || out != parseError+"\n" {
		t.Errorf("stdout %q, stderr %q, status %d; want the parse error, 1", out, errOut, status)
	}
}

// A server that hangs up on the request: send says so, exit 1 (it said
// "the connection closed", exit 2, as for a broken transport).
func TestSendServerClosesBeforeReplying(t *testing.T) {
	p := startPeer(t, func([]byte) ([]byte, bool) { return nil, true })
	out, errOut, status := runSendCmd(t, "", "--timeout", "10s", p.path, `{"jsonrpc":"2.0","method":"a"}`)
	if status != 1 || out != "" || !strings.Contains(errOut, "sockscope send: the server closed the connection before replying") {
		t.Errorf("stdout %q, stderr %q, status %d; want the server closed, 1", out, errOut, status)
	}
}

// SIGINT while send waits, for a reply or for a line of stdin, ends it
// saying "interrupted", exit 2 (it said "context canceled"; waiting on
// stdin, it did not end until stdin did).
func TestSendInterrupted(t *testing.T) {
	silent := startPeer(t, func([]byte) ([]byte, bool) { return nil, false })
	answers := startPeer(t, echoResult)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"waiting for the reply", []string{silent.path, `{"jsonrpc":"2.0","method":"a"}`}},
		{"waiting for stdin", []string{answers.path, "-"}},
	} {
		cmd := exec.Command(binary, append([]string{"send", "--timeout", "1m"}, c.args...)...)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var errb strings.Builder
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Signalled once it waits where the case says: the silent server
		// has the message; the first line's reply is out, and send
		// reads stdin for the next.
		if c.args[1] == "-" {
			io.WriteString(stdin, `{"jsonrpc":"2.0","method":"a"}`+"\n")
			line, err := bufio.NewReader(stdout).ReadString('\n')
			if err != nil || line != `{"jsonrpc":"2.0","id":1,"result":"a"}`+"\n" {
				t.Fatalf("%s: first reply %q, %v", c.name, line, err)
			}
		} else {
			select {
			case <-silent.got:
			case <-time.After(20 * time.Second):
				t.Fatalf("%s: the server never got the message", c.name)
			}
		}
		cmd.Process.Signal(os.Interrupt)
		exited := make(chan error, 1)
		go func() {
			io.Copy(io.Discard, stdout) // until it exits
			exited <- cmd.Wait()
		}()
		select {
		case err = <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("%s: still running 20 s after SIGINT", c.name)
			continue
		}
		stdin.Close()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || strings.TrimSpace(errb.String()) != "sockscope send: interrupted" {
			t.Errorf("%s: %v, stderr %q; want exit status 2, interrupted", c.name, err, errb.String())
		}
	}
}

// @FILE holding several messages, one after another (one per line, or
// spread over lines as an editor writes them), sends each and waits for
// its reply, as stdin's lines do (it sent nothing: "not JSON", the file
// being taken for one message).
func TestSendFileOfMessages(t *testing.T) {
	p := startPeer(t, echoResult)
	file := filepath.Join(shortDir(t), "msgs.json")
	os.WriteFile(file, []byte(`{"jsonrpc":"2.0","method":"a"}
{"jsonrpc":"2.0","id":7,"method":"b"}
{
  "jsonrpc": "2.0",
  "method": "c",
  "params": {"x": [1, 2]}
}
`), 0o644)
	out, errOut, status := runSendCmd(t, "", "--framing", "lines", p.path, "@"+file)
	want := `{"jsonrpc":"2.0","id":1,"result":"a"}` + "\n" + `{"jsonrpc":"2.0","id":7,"result":"b"}` + "\n" + `{"jsonrpc":"2.0","id":8,"result":"c"}` + "\n"
	if status != 0 || out != want {
		t.Errorf("stdout %q, stderr %q, status %d; want %q", out, errOut, status, want)
	}
	// One that is not JSON is refused before anything is sent.
	os.WriteFile(file, []byte(`{"jsonrpc":"2.0","method":"a"}`+"\n"+`{"jsonrpc":`), 0o644)
	before := p.conns.Load()
	_, errOut, status = runSendCmd(t, "", p.path, "@"+file)
	if status != 2 || !strings.Contains(errOut, "not JSON") || p.conns.Load() != before {
		t.Errorf("a file with a broken message: stderr %q, status %d, connected %d times", errOut, status, p.conns.Load()-before)
	}
}

// A notification given by name goes without an id and is not waited for:
// LSP's initialized, exit, $/cancelRequest, textDocument/didOpen, MCP's
// notifications/… (each got id 1, 2, …, which made it a request the
// server never answers: send waited out its timeout, exit 2). LSP's
// shutdown is a request: it gets one.
func TestSendNotificationsGetNoID(t *testing.T) {
	p := startPeer(t, echoResult)
	stdin := `{"jsonrpc":"2.0","method":"initialized","params":{}}
{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":3}}
{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{}}
{"jsonrpc":"2.0","method":"notifications/initialized"}
{"jsonrpc":"2.0","method":"shutdown"}
{"jsonrpc":"2.0","method":"exit"}
`
	out, errOut, status := runSendCmd(t, stdin, "--framing", "lines", "--timeout", "10s", p.path, "-")
	if status != 0 || out != `{"jsonrpc":"2.0","id":1,"result":"shutdown"}`+"\n" {
		t.Errorf("stdout %q, stderr %q, status %d; want shutdown's reply alone, 0", out, errOut, status)
	}
	var got []string
	for range 6 {
		select {
		case m := <-p.got:
			got = append(got, m)
		case <-time.After(20 * time.Second):
			t.Fatalf("the server got only %q", got)
		}
	}
	for i, m := range got {
		if hasID := strings.Contains(m, `"id":1`); hasID != (i == 4) {
			t.Errorf("the server got %s", m)
		}
	}
}

// --notify sends each message as it is and waits for no reply: a
// notification send does not know by name got an id, and was a request.
func TestSendNotify(t *testing.T) {
	p := startPeer(t, echoResult)
	stdin := `{"jsonrpc":"2.0","method":"custom/progress","params":{"done":1}}
{"jsonrpc":"2.0","method":"custom/progress","params":{"done":2}}
`
	out, errOut, status := runSendCmd(t, stdin, "--notify", "--framing", "lines", p.path, "-")
	if status != 0 || out != "" {
		t.Errorf("stdout %q, stderr %q, status %d; want nothing printed, 0", out, errOut, status)
	}
	for i := range 2 {
		select {
		case m := <-p.got:
			if strings.Contains(m, `"id"`) || !strings.Contains(m, fmt.Sprintf(`"done":%d`, i+1)) {
				t.Errorf("the server got %s", m)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("the server got %d of the 2 notifications", i)
		}
	}
}

// A reply longer than the 1 MiB the decoder keeps of a frame is printed
// whole (send printed nothing and waited out its timeout), and a line of
// stdin longer than that is sent (send said "bufio.Scanner: token too
// long").
func TestSendBigMessages(t *testing.T) {
	path := filepath.Join(shortDir(t), "big.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	big := strings.Repeat("x", 3<<20)
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				r := bufio.NewReader(nc)
				for {
					line, err := r.ReadBytes('\n')
					if err != nil {
						return
					}
					info := protocol.Classify(line, nil)
					fmt.Fprintf(nc, `{"jsonrpc":"2.0","id":%s,"result":"%d %s"}`+"\n", info.ID, len(line), big)
				}
			}()
		}
	}()
	want := func(n int) string { return fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"result":"%d %s"}`+"\n", n, big) }
	out, errOut, status := runSendCmd(t, "", path, `{"jsonrpc":"2.0","id":1,"method":"m"}`)
	if status != 0 || out != want(len(`{"jsonrpc":"2.0","id":1,"method":"m"}`)+1) {
		t.Errorf("a 3 MiB reply: status %d, %d bytes out, stderr %q", status, len(out), errOut)
	}
	msg := `{"jsonrpc":"2.0","id":1,"method":"m","params":["` + big + `"]}`
	out, errOut, status = runSendCmd(t, msg+"\n", path, "-")
	if status != 0 || out != want(len(msg)+1) {
		t.Errorf("a 3 MiB line of stdin: status %d, %d bytes out, stderr %q", status, len(out), errOut)
	}
}
