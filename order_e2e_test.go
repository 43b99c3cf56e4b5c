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
	"slices"
	"strings"
	"testing"

	"sockscope/internal/nodetest"
)

// replyFirst writes to out the session file in with each reply recorded
// before its request, as a busy machine may record it: the relay forwards
// a read first and reports it to the observer after, each direction on
// its own, and the observer records in the order reported. The frame
// records toward the client that follow one toward the server, of the
// same connection, move before it; their times stay the times they were
// read. It returns how many requests are then recorded right after their
// replies (some may have been so recorded live).
func replyFirst(t *testing.T, in, out string) int {
	t.Helper()
	b, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	type rec struct {
		Type, Dir string
		Conn      uint64
	}
	lines := strings.SplitAfter(string(b), "\n")
	recs := make([]rec, len(lines))
	for i, l := range lines {
		json.Unmarshal([]byte(l), &recs[i])
	}
	var moved []string
	asked := map[uint64]int{} // by connection, where in moved its request is, if its records since are replies
	for i, r := range recs {
		k, ok := asked[r.Conn]
		switch {
		case r.Type == "frame" && r.Dir == "c2s":
			asked[r.Conn] = len(moved)
		case r.Type == "frame" && r.Dir == "s2c" && ok:
			moved = slices.Insert(moved, k, lines[i])
			for c, at := range asked {
				if at >= k {
					asked[c] = at + 1
				}
			}
			continue
		default:
			delete(asked, r.Conn)
		}
		moved = append(moved, lines[i])
	}
	// The replies recorded first: those whose connection's next record
	// is a request.
	n := 0
	reply := map[uint64]bool{}
	for _, l := range moved {
		var r rec
		json.Unmarshal([]byte(l), &r)
		if reply[r.Conn] && r.Type == "frame" && r.Dir == "c2s" {
			n++
		}
		reply[r.Conn] = r.Type == "frame" && r.Dir == "s2c"
	}
	if err := os.WriteFile(out, []byte(strings.Join(moved, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	return n
}

// shownExchanges runs show --dump on file and returns its exchanges, each
// "METHOD status code latency".
func shownExchanges(t *testing.T, file string) []string {
	t.Helper()
	out, _ := showRun(t, "show", "--dump", file)
	var ex []string
	for _, e := range ofType(dumpLines(t, []byte(out)), "exchange") {
		ex = append(ex, fmt.Sprint(e["method"], " ", e["status"], " ", e["code"], " ", e["latency_us"], "µs"))
	}
	return ex
}

// nginx's answers through the real binary, recorded, then each recorded
// before its request: show pairs them alike, with the same latencies (the
// answer to a HEAD, read alone, was timed by the next answer's read, or
// by the connection's end), the HAR export is the same, and serve answers
// curl as nginx did.
func TestHTTPRepliesRecordedFirst(t *testing.T) {
	need(t, "curl")
	dir := shortDir(t)
	up := startNginx(t, dir)
	front, rec := filepath.Join(dir, "front.sock"), filepath.Join(dir, "s.jsonl")
	stop := sockscope(t, "--headless", "--lossless", "-w", rec, "--listen", front, up)
	dialWait(t, front)
	// One connection: curl reuses it across --next.
	curl := func(sock string) string {
		t.Helper()
		args := []string{"-sS", "-i", "--unix-socket", sock, "http://x/json"}
		for _, u := range []string{"-I http://x/data.json", "http://x/fail", "-I http://x/nothing", "-I http://x/json", "http://x/data.json"} {
			args = append(append(args, "--next", "-i", "--unix-socket", sock), strings.Fields(u)...)
		}
		out, err := exec.Command("curl", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl: %v\n%s", err, out)
		}
		return string(out)
	}
	want := curl(front)
	stop()

	swapped := filepath.Join(dir, "swapped.jsonl")
	if n := replyFirst(t, rec, swapped); n != 6 {
		t.Fatalf("%d replies recorded first, want 6", n)
	}
	wantEx, gotEx := shownExchanges(t, rec), shownExchanges(t, swapped)
	if len(wantEx) != 6 || strings.Join(gotEx, "\n") != strings.Join(wantEx, "\n") {
		t.Errorf("show, the replies recorded first:\n%s\nwant, as recorded in order:\n%s", strings.Join(gotEx, "\n"), strings.Join(wantEx, "\n"))
	}
	var har struct {
		Log struct{ Entries []json.RawMessage }
	}
	wantHAR, gotHAR := exportTo(t, rec, filepath.Join(dir, "s.har")), exportTo(t, swapped, filepath.Join(dir, "swapped.har"))
	if err := json.Unmarshal(gotHAR, &har); err != nil || len(har.Log.Entries) != 6 || string(gotHAR) != string(wantHAR) {
		t.Errorf("HAR of the replies recorded first (%v, %d entries):\n%s\nwant, as recorded in order:\n%s", err, len(har.Log.Entries), gotHAR, wantHAR)
	}

	mock := filepath.Join(dir, "mock.sock")
	stopServe := started(t, "listening on", "serve", swapped, "--listen", mock)
	if got := curl(mock); got != want {
		t.Errorf("curl against serve:\n%s\nwant, as from nginx:\n%s", got, want)
	}
	if log := stopServe(); !strings.Contains(log, "6 requests answered from the recording, 0 misses") {
		t.Errorf("serve: %s", log)
	}
}

// RESP2's pub/sub with the real redis-server through the real binary, each
// command's replies recorded before it (a SUBSCRIBE's two confirmations,
// and a message after PSUBSCRIBE's): show pairs each command with its
// reply or first confirmation, at the same latency, and shows the other
// confirmations and the message as notifications, as it shows the
// recording in order; serve answers each command with what redis-server
// sent, the message after PSUBSCRIBE's confirmation, as redis sent it.
func TestRedisPubSubRecordedFirst(t *testing.T) {
	need(t, "redis-server", "redis-cli")
	dir := shortDir(t)
	up, front := startRedis(t, dir), filepath.Join(dir, "f.sock")
	rec := filepath.Join(dir, "s.jsonl")
	stop := sockscope(t, "--headless", "--lossless", "-w", rec, "--listen", front, up)
	dialWait(t, front)
	// talk sends each command and reads its replies (a nil command: a
	// message published meanwhile), and returns them all.
	talk := func(sock string, publish func()) string {
		t.Helper()
		c, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		br := bufio.NewReader(c)
		var got string
		for _, s := range []struct {
			cmd []string
			n   int
		}{
			{[]string{"SUBSCRIBE", "a", "b"}, 2}, {[]string{"PSUBSCRIBE", "p*"}, 1}, {nil, 1}, {[]string{"PING"}, 1},
			{[]string{"UNSUBSCRIBE"}, 2}, {[]string{"PUNSUBSCRIBE"}, 1}, {[]string{"GET", "k"}, 1},
		} {
			if s.cmd != nil {
				io.WriteString(c, respCmd(s.cmd))
			} else if publish != nil {
				publish()
			}
			for range s.n {
				got += readRESP(t, br)
			}
		}
		return got
	}
	want := talk(front, func() {
		if out, err := exec.Command("redis-cli", "-s", up, "publish", "pa", "hi").CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "1" {
			t.Fatalf("publish: %v %q", err, out)
		}
	})
	stop()
	swapped := filepath.Join(dir, "swapped.jsonl")
	if n := replyFirst(t, rec, swapped); n != 6 {
		t.Fatalf("%d commands recorded after their replies, want 6", n)
	}

	wantEx, gotEx := shownExchanges(t, rec), shownExchanges(t, swapped)
	if len(wantEx) != 6 || strings.Join(gotEx, "\n") != strings.Join(wantEx, "\n") {
		t.Errorf("show, the replies recorded first:\n%s\nwant, as recorded in order:\n%s", strings.Join(gotEx, "\n"), strings.Join(wantEx, "\n"))
	}
	notes := func(file string) string {
		out, _ := showRun(t, "show", "--dump", file)
		lines := dumpLines(t, []byte(out))
		_, n := byConn(lines)
		for _, m := range ofType(lines, "exchange") {
			if m["status"] == "orphan" {
				t.Errorf("%s: an orphan: %v", file, m)
			}
		}
		slices.Sort(n[2])
		return strings.Join(n[2], ", ")
	}
	if g, w := notes(swapped), notes(rec); g != w || g != "pmessage, psubscribe, punsubscribe, subscribe, subscribe, unsubscribe, unsubscribe" {
		t.Errorf("notifications of the replies recorded first: %s\nwant, as recorded in order: %s", g, w)
	}

	mock := filepath.Join(dir, "mock.sock")
	stopServe := started(t, "listening on", "serve", swapped, "--listen", mock)
	if got := talk(mock, nil); got != want {
		t.Errorf("serve answered %q\nwant, as redis-server did: %q", got, want)
	}
	stopServe()
}

// A JSON-RPC recording (the Node echo service) with each reply recorded
// before its request, replayed against the service: every request
// compares as it does from the recording in order, its latency then the
// same, and the notification's pong is counted once, then and now.
func TestReplayRepliesRecordedFirst(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	dir := shortDir(t)
	svc := filepath.Join(dir, "svc.sock")
	nodetest.Start(t, "jsonrpc-echo.js", svc).Expect(t, "listening")
	file := recordEcho(t, dir, svc, nil, func(exchange func(string, ...string)) {
		exchange(`{"jsonrpc":"2.0","id":1,"method":"echo","params":[1]}`, `"result":[1]`)
		exchange(`{"jsonrpc":"2.0","method":"ping","params":[0]}`, `"pong"`)
		exchange(`{"jsonrpc":"2.0","id":2,"method":"echo","params":[2]}`, `"result":[2]`)
		exchange(`{"jsonrpc":"2.0","id":3,"method":"fail"}`, `"error"`)
	})
	swapped := filepath.Join(dir, "swapped.jsonl")
	if n := replyFirst(t, file, swapped); n != 4 {
		t.Fatalf("%d requests recorded after their replies, want 4", n)
	}
	replayed := func(file string) string {
		t.Helper()
		out, errOut, status := runStatus(t, "replay", "--dump", "--notifications", file, svc)
		if status != 0 {
			t.Fatalf("replay %s: status %d\n%s", file, status, errOut)
		}
		var got []string
		for _, l := range dumpLines(t, []byte(out)) {
			got = append(got, fmt.Sprint(l["type"], " ", l["id"], " ", l["method"], " ", l["status"], " ", l["then"], " ", l["latency_then_us"]))
		}
		return strings.Join(got, "\n")
	}
	if got, want := replayed(swapped), replayed(file); got != want || !strings.Contains(got, "unpaired <nil> pong") {
		t.Errorf("replay of the replies recorded first:\n%s\nwant, as of the recording in order:\n%s", got, want)
	}
}

// varlink (github.com/varlink/go's service and client) through the real
// binary, each call's replies recorded before it, the three of a "more"
// call too: show pairs each call with its reply, the "more" call with its
// last, its two "continues" as its streamed replies, at the latencies of
// the recording in order (the call was answered by its first reply, the
// two others orphans, and the next call's reply waited behind them, no
// reply).
func TestVarlinkRepliesRecordedFirst(t *testing.T) {
	dir := shortDir(t)
	peer := filepath.Join(dir, "varlinkpeer")
	if out, err := exec.Command("go", "build", "-o", peer, "./internal/varlinkpeer").CombinedOutput(); err != nil {
		t.Fatalf("building varlinkpeer: %v\n%s", err, out)
	}
	up, front := filepath.Join(dir, "v.sock"), filepath.Join(dir, "f.sock")
	startProc(t, peer, "serve", "unix:"+up)
	dialWait(t, up)
	rec := filepath.Join(dir, "s.jsonl")
	stop := sockscope(t, "--headless", "--lossless", "-w", rec, "--listen", front, up)
	dialWait(t, front)
	if out, err := exec.Command(peer, "call", "unix:"+front).CombinedOutput(); err != nil {
		t.Fatalf("varlinkpeer call: %v\n%s", err, out)
	}
	stop()
	swapped := filepath.Join(dir, "swapped.jsonl")
	if n := replyFirst(t, rec, swapped); n < 4 {
		t.Fatalf("%d calls recorded after their replies, want 4 or more", n)
	}
	wantEx, gotEx := shownExchanges(t, rec), shownExchanges(t, swapped)
	if len(wantEx) != 4 || strings.Join(gotEx, "\n") != strings.Join(wantEx, "\n") {
		t.Errorf("show, the replies recorded first:\n%s\nwant, as recorded in order:\n%s", strings.Join(gotEx, "\n"), strings.Join(wantEx, "\n"))
	}
	_, errOut := showRun(t, "show", "--dump", swapped)
	if !strings.Contains(errOut, "2 streamed replies") || !strings.Contains(errOut, " 0 no-reply, 0 orphan") {
		t.Errorf("show's summary: %s", errOut)
	}
}
