package observe

import (
	"strings"
	"testing"

	"sockscope/protocol"
)

// respArray is a Redis command as RESP's array of bulk strings.
func respArray(words ...string) string {
	s := "*" + itoa(len(words)) + "\r\n"
	for _, w := range words {
		s += "$" + itoa(len(w)) + "\r\n" + w + "\r\n"
	}
	return s
}

// notes returns the methods of the dump's notifications.
func notes(lines []map[string]any) string {
	var out []string
	for _, l := range lines {
		if l["type"] == "message" && l["kind"] == "notification" {
			m, _ := l["method"].(string)
			out = append(out, m)
		}
	}
	return strings.Join(out, " ")
}

// SYNC's answer is the reply paired with it. The replies owed to the
// commands before it were counted one a command, but RESP2's pub/sub
// gives a SUBSCRIBE a confirmation a channel, and pushes messages no
// command asked for: counted so, a SYNC refused in subscribe mode
// (pipelined after SUBSCRIBE a b, as redis-server refuses it) left the
// connection waiting for its answer, and the reply to the next command
// after it was taken for it: every message after that was a notification,
// never paired.
func TestRedisSyncRefusedAfterSubscribe(t *testing.T) {
	_, lines, c := newScript().
		data(1, protocol.C2S, respArray("SUBSCRIBE", "a", "b")+respArray("SYNC")+respArray("UNSUBSCRIBE")+respArray("GET", "k")).
		data(2, protocol.S2C, "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n").
		data(2, protocol.S2C, "*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n-ERR Can't execute 'sync': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n").
		data(2, protocol.S2C, "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n$1\r\nv\r\n").
		data(3, protocol.C2S, respArray("GET", "k")).
		data(4, protocol.S2C, "$1\r\nv\r\n").
		data(5, protocol.C2S, respArray("PING")).
		data(6, protocol.S2C, "+PONG\r\n").
		close(7, nil).run(t)
	if got := strings.Join(exchanges(lines), " "); got != "SUBSCRIBE:ok SYNC:error UNSUBSCRIBE:ok GET:ok GET:ok PING:ok" || c.Orphan+c.NoReply != 0 {
		t.Fatalf("exchanges %s, counts %+v", got, c)
	}
	if n := notes(lines); n != "subscribe subscribe unsubscribe unsubscribe" {
		t.Errorf("notifications %q, want the confirmations", n)
	}
}

// A SYNC read after the replies to the commands before it (pub/sub's) but
// reported before them: its answer is still the snapshot, and the
// master's commands after it are notifications (the first was taken for
// the snapshot's, an orphan).
func TestRedisSyncReportedBeforeConfirmations(t *testing.T) {
	_, lines, c := newScript().
		data(1, protocol.C2S, respArray("SUBSCRIBE", "a", "b")).
		data(2, protocol.S2C, "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n").
		data(3, protocol.S2C, "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n").
		data(4, protocol.C2S, respArray("UNSUBSCRIBE")).
		// The SYNC reported before the confirmations read before it.
		data(6, protocol.C2S, respArray("SYNC")).
		data(5, protocol.S2C, "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n").
		data(7, protocol.S2C, "$12\r\nREDIS0011abc"+respArray("PING")).
		data(8, protocol.S2C, respArray("SELECT", "0")+respArray("SET", "k", "v")).
		data(9, protocol.C2S, respArray("REPLCONF", "ACK", "0")).
		close(10, nil).run(t)
	if got := strings.Join(exchanges(lines), " "); got != "SUBSCRIBE:ok UNSUBSCRIBE:ok SYNC:ok" || c.Orphan+c.NoReply+c.Raw != 0 {
		t.Fatalf("exchanges %s, counts %+v", got, c)
	}
	if n := notes(lines); n != "subscribe subscribe message unsubscribe unsubscribe PING SELECT SET REPLCONF" {
		t.Errorf("notifications %q", n)
	}
}
