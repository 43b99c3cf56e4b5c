//go:build unix

package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// RESP2's pub/sub, then SYNC, through the real binary and the real
// redis-server, on one connection (no HELLO 3): SUBSCRIBE a b gets two
// confirmations, a message comes that no command asked for, and
// UNSUBSCRIBE two more; with GET k (its value starts as a snapshot does),
// SYNC (refused: a reply is still to go out) and PING pipelined after
// them. Each command pairs with its reply (SUBSCRIBE and UNSUBSCRIBE with
// their first confirmations), the other confirmations and the message
// are notifications, the GET's value is a value, not a snapshot; the
// commands after still pair, and so does a SYNC after them, with its
// snapshot, the master's commands after it being notifications. The
// replies owed before SYNC were counted one a command: the decoder took
// the reply to the GET after them for SYNC's answer and made every
// message after a notification, and the framer took the GET's value for
// SYNC's snapshot, without its CRLF. The recording, shown, decodes alike.
func TestRedisPubSubThenSync(t *testing.T) {
	need(t, "redis-server", "redis-cli")
	dir := shortDir(t)
	up, front := startRedis(t, dir), filepath.Join(dir, "f.sock")
	rec := filepath.Join(dir, "s.jsonl")
	stop := sockscope(t, "--dump", "--lossless", "--record", rec, "--listen", front, up)
	dialWait(t, front)
	const v = "REDIS0009 is a value, not a snapshot"
	if out, err := exec.Command("redis-cli", "-s", up, "set", "k", v).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli set: %v\n%s", err, out)
	}
	bulk := fmt.Sprintf("$%d\r\n%s\r\n", len(v), v)

	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	say := func(text string, n int) string {
		t.Helper()
		io.WriteString(c, text)
		var replies string
		for range n {
			replies += readRESP(t, br)
		}
		return replies
	}
	redis := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("redis-cli", append([]string{"-s", up}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
		}
	}
	say(respCmd([]string{"SUBSCRIBE", "a", "b"}), 2)
	redis("publish", "a", "hi")
	if got := readRESP(t, br); !strings.Contains(got, "message") {
		t.Fatalf("the message: %q", got)
	}
	got := say(respCmd([]string{"UNSUBSCRIBE"}, []string{"GET", "k"}, []string{"SYNC"}, []string{"PING"}), 5)
	if !strings.Contains(got, bulk+"-ERR ") || !strings.HasSuffix(got, "+PONG\r\n") {
		t.Fatalf("redis replied %q", got)
	}
	if got := say(respCmd([]string{"GET", "k"}, []string{"PING"}), 2); got != bulk+"+PONG\r\n" {
		t.Fatalf("redis replied %q", got)
	}
	// A SYNC the master answers: the snapshot ($<size> and its bytes, no
	// CRLF, perhaps after newlines while it is made), then the stream.
	io.WriteString(c, respCmd([]string{"SYNC"}))
	line, err := br.ReadString('$')
	if err != nil || strings.Trim(line, "\n") != "$" {
		t.Fatalf("SYNC: %q %v", line, err)
	}
	if line, err = br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	size, _ := strconv.Atoi(strings.TrimSpace(line))
	if _, err := io.CopyN(io.Discard, br, int64(size)); err != nil || size == 0 {
		t.Fatalf("the snapshot (%d bytes): %v", size, err)
	}
	redis("set", "k2", "v2")
	for !strings.Contains(readRESP(t, br), "k2") {
	}
	c.Close()
	lines := dumpLines(t, stop())
	shown, err := exec.Command(binary, "show", "--dump", rec).Output()
	if err != nil {
		t.Fatalf("show: %v", err)
	}

	// Connection 1 was dialWait's; 2 is the one above.
	for from, lines := range map[string][]map[string]any{"live": lines, "show": dumpLines(t, shown)} {
		ex, notes := byConn(lines)
		if g, want := strings.Join(ex[2], ", "), "SUBSCRIBE ok, UNSUBSCRIBE ok, GET ok, SYNC error, PING ok, GET ok, PING ok, SYNC ok"; g != want {
			t.Errorf("%s: exchanges %q, want %q", from, g, want)
		}
		if g := strings.Join(notes[2], ", "); !strings.HasPrefix(g, "subscribe, subscribe, message, unsubscribe, unsubscribe, SELECT, SET") {
			t.Errorf("%s: notifications %q, want the confirmations, the message, then the stream's SELECT and SET", from, g)
		}
		values, snapshots := 0, 0
		for _, m := range ofType(lines, "message") {
			if m["conn"] != 2.0 {
				continue
			}
			if m["kind"] == "raw" || m["status"] == "orphan" {
				t.Errorf("%s: %v", from, m)
			}
			if m["frame"] == v && m["size"] == float64(len(bulk)) {
				values++
			}
			if f, _ := m["frame"].(map[string]any); f["rdb"] != nil {
				snapshots++
			}
		}
		if values != 2 || snapshots != 1 {
			t.Errorf("%s: %d replies shown as the value (of %d bytes, its CRLF too), %d as a snapshot; want the 2 GETs', and SYNC's", from, values, len(bulk), snapshots)
		}
	}
}
