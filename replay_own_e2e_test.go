//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sockscope/internal/nodetest"
	"sockscope/protocol"
	"sockscope/session"
)

// A recording made through the real binary with the seed server, holding
// a client's connection, a connection sockscope opened itself (the feed's
// send_new, as N sends: its request marked injected) and a notification
// sockscope injected toward the client (send to s2c, as n with ctrl+t),
// replayed against the same server: sockscope's connection is replayed
// as any client's (its request sent, the reply compared, the greeting read,
// no pipe error), and the injected notification, which the server never
// sent, is not counted as the server's: every request matches, and
// --notifications finds no difference.
func TestReplayOwnConnectionAndInjected(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	dir := shortDir(t)
	svc, front, feed := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock"), filepath.Join(dir, "feed.sock")
	seedServerAt(t, svc)
	file := filepath.Join(dir, "own.jsonl")
	stop := started(t, "listening on", "--headless", "--feed="+feed, "-w", file, "--listen", front, svc)

	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	cr := bufio.NewReader(c)
	line := func(r *bufio.Reader, what string) string {
		t.Helper()
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading %s: %v", what, err)
		}
		return l
	}
	if l := line(cr, "the greeting"); !strings.Contains(l, `"register"`) {
		t.Fatalf("greeting: %s", l)
	}
	call := func(rid int, method, args, want string) {
		t.Helper()
		fmt.Fprintf(c, `{"rid":%d,"method":%q,"args":%s}`+"\n", rid, method, args)
		if l := line(cr, method+"'s reply"); !strings.Contains(l, want) {
			t.Fatalf("%s: %s", method, l)
		}
	}
	call(1, "add", "[1,2]", `"data":3`)
	call(2, "echo", `["x"]`, `"data":"x"`)

	f, err := net.Dial("unix", feed)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.SetDeadline(time.Now().Add(30 * time.Second))
	fr := bufio.NewReader(f)
	line(fr, "the feed's hello")
	fmt.Fprintln(f, `{"op":"send_new","req":1,"conn":1,"msg":{"rid":7,"method":"add","args":[3,4]}}`)
	if l := line(fr, "send_new's result"); !strings.Contains(l, `"conn":2`) || strings.Contains(l, `"error"`) {
		t.Fatalf("send_new: %s", l)
	}
	fmt.Fprintln(f, `{"op":"send","req":2,"conn":1,"dir":"s2c","msg":{"action":"notice","text":"from sockscope"}}`)
	if l := line(fr, "send's result"); strings.Contains(l, `"error"`) {
		t.Fatalf("send to the client: %s", l)
	}
	if l := line(cr, "the injected notice"); !strings.Contains(l, `"notice"`) {
		t.Fatalf("the client got %s, not the notice", l)
	}
	call(3, "echo", `["y"]`, `"data":"y"`)
	// The reply on sockscope's connection is in before the recording stops.
	fmt.Fprintln(f, `{"op":"attach"}`)
	for {
		l := line(fr, "the reply on sockscope's connection")
		if strings.Contains(l, `"conn":2,"dir":"s2c"`) && strings.Contains(l, `\"rid\":7`) {
			break
		}
	}
	c.Close()
	stop()

	// What the recording says: conn 2 is sockscope's, its request
	// injected; conn 1 got a notice the server never sent.
	var ownReq, note bool
	for _, r := range recordedFrames(t, file) {
		ownReq = ownReq || r.Conn == 2 && r.Dir == protocol.C2S && r.Injected && strings.Contains(string(r.Data), `"rid":7`)
		note = note || r.Conn == 1 && r.Dir == protocol.S2C && r.Injected && strings.Contains(string(r.Data), `"notice"`)
	}
	if !ownReq || !note {
		t.Fatalf("the recording lacks the injected request on conn 2 (%v) or the injected notice on conn 1 (%v)", ownReq, note)
	}

	replayed := filepath.Join(dir, "replayed.jsonl")
	out, errOut, status := runStatus(t, "replay", "--dump", "--notifications", "-w", replayed, file, svc)
	lines := dumpLines(t, []byte(out))
	ex := ofType(lines, "exchange")
	own := false
	for _, x := range ex {
		if x["status"] != "match" {
			t.Errorf("exchange: %v", x)
		}
		own = own || x["recorded_conn"] == 2.0 && x["id"] == 7.0 && x["method"] == "add"
	}
	if status != 0 || len(ex) != 4 || !own {
		t.Errorf("replay: status %d, %d exchanges (want 4, the add on sockscope's connection among them: %v); stderr %s", status, len(ex), own, errOut)
	}
	for _, u := range ofType(lines, "unpaired") {
		switch u["method"] {
		case "register": // the greeting, on both connections, then and now
			if u["then"] != 2.0 || u["now"] != 2.0 {
				t.Errorf("greetings: %v", u)
			}
		default:
			t.Errorf("unpaired: %v", u)
		}
	}
	if !strings.Contains(errOut, "2 connections, 4 requests: 4 match") || strings.Contains(errOut, "notice") {
		t.Errorf("summary: %s", errOut)
	}
	recs, err := session.ReadFile(replayed)
	if err != nil {
		t.Fatal(err)
	}
	closes := 0
	for _, r := range recs {
		if r.Type == session.TypeClose {
			closes++
			if r.Err != "" {
				t.Errorf("replayed conn %d ended with %q", r.Conn, r.Err)
			}
		}
	}
	if closes != 2 {
		t.Errorf("the replay's recording has %d connections' ends, want 2", closes)
	}

	// serve plays the client's connection to every client (round robin
	// over the played ones), never sockscope's, which has no client's
	// request: the second client is not sent its reply as a greeting.
	sock := filepath.Join(dir, "serve.sock")
	stopServe := started(t, "listening on", "serve", "--match", "sequential", file, "--listen", sock)
	for k := range 2 {
		s, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		s.SetDeadline(time.Now().Add(30 * time.Second))
		sr := bufio.NewReader(s)
		if l := line(sr, "serve's greeting"); !strings.Contains(l, `"register"`) {
			t.Fatalf("client %d of serve: greeting %s", k, l)
		}
		fmt.Fprintln(s, `{"rid":1,"method":"add","args":[1,2]}`)
		if l := line(sr, "serve's reply"); !strings.Contains(l, `"rid":1,"data":3`) {
			t.Fatalf("client %d of serve got %s, want the reply to add", k, l)
		}
		s.Close()
	}
	if log := stopServe(); !strings.Contains(log, "2 connections, 2 requests answered from the recording, 0 misses") {
		t.Errorf("serve's summary: %s", log)
	}
}

// A recording made through the real binary with fault rules acting on the
// traffic, replayed against the same server: the replay sends what the
// server received and compares with what it sent, so a reply a rule edited
// is compared as the server sent it, one a rule dropped as the server sent
// it too, a request a rule answered in the server's place is not sent (the
// server never got it), and a notification a rule doubled counts once:
// everything matches.
func TestReplayRuleActedRecording(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	dir := shortDir(t)
	svc := filepath.Join(dir, "svc.sock")
	nodetest.Start(t, "jsonrpc-echo.js", svc).Expect(t, "listening")
	file := recordEcho(t, dir, svc, []string{
		"--rule", "dir:s2c kind:response id:2 set:$.result=99",
		"--rule", "method:pong duplicate",
		"--rule", "method:fail error:-1:nope",
		"--rule", "dir:s2c kind:response id:4 drop",
	}, func(exchange func(string, ...string)) {
		exchange(`{"jsonrpc":"2.0","id":1,"method":"echo","params":[1]}`, `"result":[1]`)
		exchange(`{"jsonrpc":"2.0","id":2,"method":"echo","params":[2]}`, `"result":99`)
		exchange(`{"jsonrpc":"2.0","method":"ping","params":[0]}`, `"pong"`, `"pong"`)
		exchange(`{"jsonrpc":"2.0","id":3,"method":"fail"}`, `"message":"nope"`)
		exchange(`{"jsonrpc":"2.0","id":4,"method":"echo","params":[4]}`) // its reply dropped
		exchange(`{"jsonrpc":"2.0","id":5,"method":"echo","params":[5]}`, `"id":5`)
	})

	out, errOut, status := runStatus(t, "replay", "--dump", "--notifications", file, svc)
	lines := dumpLines(t, []byte(out))
	var ids []string
	for _, x := range ofType(lines, "exchange") {
		ids = append(ids, fmt.Sprint(x["id"]))
		if x["status"] != "match" {
			t.Errorf("exchange: %v", x)
		}
	}
	if status != 0 || strings.Join(ids, ",") != "1,2,4,5" {
		t.Errorf("replay: status %d, requests compared %v, want 1,2,4,5; stderr %s", status, ids, errOut)
	}
	if u := ofType(lines, "unpaired"); len(u) != 1 || u[0]["method"] != "pong" || u[0]["then"] != 1.0 || u[0]["now"] != 1.0 {
		t.Errorf("unpaired: %v", u)
	}
}

// recordEcho records, through the real binary (with flags) in front of
// the JSON-RPC echo service at svc, one connection on which exchange
// writes its lines and reads the lines it expects back; it returns the
// recording.
func recordEcho(t *testing.T, dir, svc string, flags []string, exchange func(send func(line string, want ...string))) string {
	t.Helper()
	front, file := filepath.Join(dir, "front.sock"), filepath.Join(dir, "echo.jsonl")
	stop := started(t, "listening on", append(append([]string{"--headless", "-w", file, "--listen", front}, flags...), svc)...)
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	cr := bufio.NewReader(c)
	exchange(func(line string, want ...string) {
		t.Helper()
		fmt.Fprintln(c, line)
		for _, w := range want {
			if l, err := cr.ReadString('\n'); err != nil || !strings.Contains(l, w) {
				t.Fatalf("after %s: %q %v, want %s", line, l, err, w)
			}
		}
	})
	c.Close()
	waitRecorded(t, file, session.TypeClose, 1)
	stop()
	return file
}

// Requests cancelled in the recording, replayed at the default pace
// (each request waits for the previous reply): the replay does not wait
// for a cancelled one, whose cancellation follows it, so the server gets
// the cancellation in time, as it did then. The service holds `wait`
// for 2 s: LSP's $/cancelRequest has it answer with its cancelled error,
// MCP's notifications/cancelled leaves it unanswered. Both match.
func TestReplayCancelledRequests(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	dir := shortDir(t)
	svc := filepath.Join(dir, "svc.sock")
	nodetest.Start(t, "jsonrpc-echo.js", svc).Expect(t, "listening")
	file := recordEcho(t, dir, svc, nil, func(send func(string, ...string)) {
		send(`{"jsonrpc":"2.0","id":1,"method":"wait"}`)
		send(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1}}`, `"code":-32800`)
		send(`{"jsonrpc":"2.0","id":2,"method":"wait"}`)
		send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":2,"reason":"user"}}`)
		send(`{"jsonrpc":"2.0","id":3,"method":"echo","params":[3]}`, `"id":3`) // nothing came for 2
	})

	out, errOut, status := runStatus(t, "replay", "--dump", "--timeout", "3s", file, svc)
	got := map[string]string{}
	for _, x := range ofType(dumpLines(t, []byte(out)), "exchange") {
		got[fmt.Sprint(x["id"])] = fmt.Sprintf("%v: then %v, now %v", x["status"], x["then"], x["now"])
	}
	want := map[string]string{"1": "match: then error, now error", "2": "match: then no-reply, now no-reply (timed out after 3s)", "3": "match: then ok, now ok"}
	if status != 0 || !maps.Equal(got, want) {
		t.Errorf("replay: status %d, %v, want %v; stderr %s", status, got, want, errOut)
	}
}

// With --pace none, every request goes out without waiting for any
// reply, and still in the recorded order: the server gets them as the
// replay's own recording shows.
func TestReplayPaceNoneKeepsTheOrder(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	dir := shortDir(t)
	svc := filepath.Join(dir, "svc.sock")
	nodetest.Start(t, "jsonrpc-echo.js", svc).Expect(t, "listening")
	const n = 300
	file := recordEcho(t, dir, svc, nil, func(send func(string, ...string)) {
		for i := 1; i <= n; i++ {
			send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"echo","params":[%d]}`, i, i), fmt.Sprintf(`"id":%d`, i))
		}
	})
	replayed := filepath.Join(dir, "replayed.jsonl")
	if _, errOut, status := runStatus(t, "replay", "--headless", "--pace", "none", "-w", replayed, file, svc); status != 0 {
		t.Fatalf("replay: status %d, %s", status, errOut)
	}
	var ids []int
	for _, f := range recordedFrames(t, replayed) {
		var m struct{ ID int }
		if f.Dir == protocol.C2S && json.Unmarshal(f.Data, &m) == nil {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) != n || !slices.IsSorted(ids) {
		t.Errorf("the server got %d requests, in this order: %v", len(ids), ids)
	}
}
