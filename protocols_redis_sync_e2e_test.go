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

// Pub/sub, then SYNC, through the real binary and the real redis-server.
// On a RESP2 connection (no HELLO 3): SUBSCRIBE a b gets two
// confirmations, a message comes that no command asked for, and
// UNSUBSCRIBE two more; with GET k (its value starts as a snapshot does),
// SYNC (refused: a reply is still to go out) and PING pipelined after
// them. Each command pairs with its reply (SUBSCRIBE and UNSUBSCRIBE with
// their first confirmations), the other confirmations and the message
// are notifications, the GET's value is a value, not a snapshot; the
// commands after still pair, and so does a SYNC after them, with its
// snapshot, the master's commands after it being notifications. On a
// RESP3 connection, whose confirmations are pushes, a SYNC after
// SUBSCRIBE and UNSUBSCRIBE gets its snapshot. The replies owed before
// SYNC were counted one a command: the decoder took the RESP2 reply to
// the GET after them for SYNC's answer and made every message after a
// notification; the framer took the GET's value for SYNC's snapshot,
// without its CRLF, and RESP3's snapshot for a bulk string, with the
// stream's first bytes for its CRLF. The recording, shown, decodes alike.
func TestRedisPubSubThenSync(t *testing.T) {
	need(t, "redis-server", "redis-cli")
	dir := shortDir(t)
	up, front := startRedis(t, dir), filepath.Join(dir, "f.sock")
	rec := filepath.Join(dir, "s.jsonl")
	stop := sockscope(t, "--dump", "--lossless", "--record", rec, "--listen", front, up)
	dialWait(t, front)
	redis := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("redis-cli", append([]string{"-s", up}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
		}
	}
	const v = "REDIS0009 is a value, not a snapshot"
	redis("set", "k", v)
	bulk := fmt.Sprintf("$%d\r\n%s\r\n", len(v), v)

	// dial connects through sockscope; say writes text (if any) and
	// reads n replies; sync sends SYNC, reads the snapshot ($<size> and its
	// bytes, no CRLF, perhaps after newlines while it is made), then has
	// the master run SET key and reads the stream up to it.
	dial := func() (say func(text string, n int) string, sync func(key string)) {
		c, err := net.Dial("unix", front)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		br := bufio.NewReader(c)
		say = func(text string, n int) string {
			t.Helper()
			if text != "" {
				io.WriteString(c, text)
			}
			var replies string
			for range n {
				replies += readRESP(t, br)
			}
			return replies
		}
		sync = func(key string) {
			t.Helper()
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
			redis("set", key, "v")
			for !strings.Contains(readRESP(t, br), key) {
			}
			c.Close()
		}
		return say, sync
	}

	say, sync := dial() // RESP2
	say(respCmd([]string{"SUBSCRIBE", "a", "b"}), 2)
	redis("publish", "a", "hi")
	if got := say("", 1); !strings.Contains(got, "message") {
		t.Fatalf("the message: %q", got)
	}
	got := say(respCmd([]string{"UNSUBSCRIBE"}, []string{"GET", "k"}, []string{"SYNC"}, []string{"PING"}), 5)
	if !strings.Contains(got, bulk+"-ERR ") || !strings.HasSuffix(got, "+PONG\r\n") {
		t.Fatalf("redis replied %q", got)
	}
	if got := say(respCmd([]string{"GET", "k"}, []string{"PING"}), 2); got != bulk+"+PONG\r\n" {
		t.Fatalf("redis replied %q", got)
	}
	sync("k2")
	say, sync = dial() // RESP3
	say(respCmd([]string{"HELLO", "3"}, []string{"SUBSCRIBE", "x"}), 2)
	say(respCmd([]string{"UNSUBSCRIBE", "x"}), 1)
	sync("k3")
	lines := dumpLines(t, stop())
	shown, err := exec.Command(binary, "show", "--dump", rec).Output()
	if err != nil {
		t.Fatalf("show: %v", err)
	}

	// Connection 1 was dialWait's, 2 and 3 the two above.
	want := map[float64][3]string{
		2: {"SUBSCRIBE ok, UNSUBSCRIBE ok, GET ok, SYNC error, PING ok, GET ok, PING ok, SYNC ok",
			"subscribe, subscribe, message, unsubscribe, unsubscribe, SELECT, SET", "2 values, 1 snapshot"},
		3: {"HELLO ok, SUBSCRIBE ok, UNSUBSCRIBE ok, SYNC ok", "subscribe, unsubscribe, SELECT, SET", "0 values, 1 snapshot"},
	}
	for from, lines := range map[string][]map[string]any{"live": lines, "show": dumpLines(t, shown)} {
		ex, notes := byConn(lines)
		for conn, w := range want {
			if g := strings.Join(ex[conn], ", "); g != w[0] {
				t.Errorf("%s, connection %v: exchanges %q, want %q", from, conn, g, w[0])
			}
			if g := strings.Join(notes[conn], ", "); !strings.HasPrefix(g, w[1]) {
				t.Errorf("%s, connection %v: notifications %q, want the confirmations, the messages, then the stream: %q", from, conn, g, w[1])
			}
			values, snapshots := 0, 0
			for _, m := range ofType(lines, "message") {
				if m["conn"] != conn {
					continue
				}
				if m["kind"] == "raw" || m["status"] == "orphan" {
					t.Errorf("%s: %v", from, m)
				}
				if m["frame"] == v && m["size"] == float64(len(bulk)) {
					values++ // with its CRLF
				}
				if f, _ := m["frame"].(map[string]any); f["rdb"] != nil {
					snapshots++
				}
			}
			if g := fmt.Sprintf("%d values, %d snapshot", values, snapshots); g != w[2] {
				t.Errorf("%s, connection %v: %s shown, want %s (the GETs' and SYNC's)", from, conn, g, w[2])
			}
		}
	}
}
