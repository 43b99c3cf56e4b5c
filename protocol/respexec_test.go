package protocol

import (
	"encoding/json"
	"strings"
	"testing"
)

// An EXEC's array that CLIENT REPLY cut short is framed as short as it
// is (what redis-server 7.0.15 answered each of these commands), whatever
// the chunking of either direction; the values after it are frames of
// their own. Arrays that answer other commands, and EXECs that ran
// nothing or whose header was not sent, are framed as their header says.
func TestRESPExecShort(t *testing.T) {
	for _, tc := range []struct{ name, cmds, replies, want string }{
		{"off", "MULTI\r\nCLIENT REPLY OFF\r\nEXEC\r\nSET q 2\r\nCLIENT REPLY ON\r\n",
			"+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n", "+OK\r\n|+QUEUED\r\n|*1\r\n|+OK\r\n"},
		{"off as arrays", respCmds2("MULTI", "CLIENT REPLY OFF", "EXEC", "SET q 2", "client reply on"),
			"+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n", "+OK\r\n|+QUEUED\r\n|*1\r\n|+OK\r\n"},
		{"skip", "MULTI\r\nCLIENT REPLY SKIP\r\nGET a\r\nEXEC\r\nPING\r\nPING\r\n",
			"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n$-1\r\n+PONG\r\n", "+OK\r\n|+QUEUED\r\n|+QUEUED\r\n|*2\r\n$-1\r\n|+PONG\r\n"},
		{"off then on", "MULTI\r\nCLIENT REPLY OFF\r\nGET a\r\nCLIENT REPLY ON\r\nGET b\r\nEXEC\r\nPING\r\n",
			"+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*4\r\n+OK\r\n$-1\r\n+PONG\r\n",
			"+OK\r\n|+QUEUED\r\n|+QUEUED\r\n|+QUEUED\r\n|+QUEUED\r\n|*4\r\n+OK\r\n$-1\r\n|+PONG\r\n"},
		{"watch refused inside", "MULTI\r\nCLIENT REPLY OFF\r\nWATCH x\r\nGET a\r\nEXEC\r\nCLIENT REPLY ON\r\n",
			"+OK\r\n+QUEUED\r\n-ERR WATCH inside MULTI is not allowed\r\n+QUEUED\r\n*2\r\n+OK\r\n",
			"+OK\r\n|+QUEUED\r\n|-ERR WATCH inside MULTI is not allowed\r\n|+QUEUED\r\n|*2\r\n|+OK\r\n"},
		{"an array as long before", "LRANGE l 0 0\r\nMULTI\r\nCLIENT REPLY OFF\r\nEXEC\r\nCLIENT REPLY ON\r\n",
			"*1\r\n$1\r\nx\r\n+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n", "*1\r\n$1\r\nx\r\n|+OK\r\n|+QUEUED\r\n|*1\r\n|+OK\r\n"},
		{"pipelined, the first not silenced", "MULTI\r\nGET a\r\nEXEC\r\nMULTI\r\nCLIENT REPLY OFF\r\nEXEC\r\nCLIENT REPLY ON\r\n",
			"+OK\r\n+QUEUED\r\n*1\r\n$-1\r\n+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n", "+OK\r\n|+QUEUED\r\n|*1\r\n$-1\r\n|+OK\r\n|+QUEUED\r\n|*1\r\n|+OK\r\n"},
		{"after a WATCHed key changed", "WATCH k\r\nMULTI\r\nCLIENT REPLY SKIP\r\nEXEC\r\nMULTI\r\nGET a\r\nEXEC\r\n",
			"+OK\r\n+OK\r\n+QUEUED\r\n*-1\r\n+OK\r\n+QUEUED\r\n*1\r\n$-1\r\n", "+OK\r\n|+OK\r\n|+QUEUED\r\n|*-1\r\n|+OK\r\n|+QUEUED\r\n|*1\r\n$-1\r\n"},
		{"discarded", "MULTI\r\nCLIENT REPLY OFF\r\nDISCARD\r\nLRANGE l 0 0\r\n",
			"+OK\r\n+QUEUED\r\n+OK\r\n*1\r\n$1\r\nx\r\n", "+OK\r\n|+QUEUED\r\n|+OK\r\n|*1\r\n$1\r\nx\r\n"},
		// Replies off before MULTI: no +QUEUED, no header; ON's +OK and
		// GET's reply come bare.
		{"off before", "CLIENT REPLY OFF\r\nMULTI\r\nCLIENT REPLY ON\r\nGET b\r\nEXEC\r\nLRANGE l 0 0\r\n",
			"+OK\r\n$-1\r\n*1\r\n$1\r\nx\r\n", "+OK\r\n|$-1\r\n|*1\r\n$1\r\nx\r\n"},
	} {
		for _, size := range []int{1000, 1, 3} {
			mk := func() Framer {
				p := NewFramerPair(FramingRESP, 1000, DefaultIDFields...)
				for c := tc.cmds; len(c) > 0; c = c[min(size, len(c)):] {
					p[C2S].Feed([]byte(c[:min(size, len(c))]), func(*Frame) {})
				}
				return p[S2C]
			}
			if got := strings.Join(datas(checkChunkingWith(t, mk, 1000, tc.replies)), "|"); got != tc.want {
				t.Errorf("%s (commands in chunks of %d): frames %q\nwant %q", tc.name, size, got, tc.want)
			}
		}
	}
	// After an EXEC that ran nothing, its CLIENT REPLY OFF unrun, once
	// its reply came before the next EXEC: replies are still on, and the
	// next EXEC's header is sent. (Sent before that reply came, the next
	// EXEC is taken as one whose header OFF kept back: its array is
	// framed as the header says.)
	for _, fail := range []struct{ cmds, replies string }{
		{"MULTI\r\nCLIENT REPLY OFF\r\nNOSUCH\r\nEXEC\r\n", "+OK\r\n+QUEUED\r\n-ERR unknown command 'NOSUCH'\r\n-EXECABORT Transaction discarded\r\n"},
		{"WATCH k\r\nMULTI\r\nCLIENT REPLY OFF\r\nEXEC\r\n", "+OK\r\n+OK\r\n+QUEUED\r\n*-1\r\n"},
		{"WATCH k\r\nMULTI\r\nCLIENT REPLY OFF\r\nEXEC\r\n", "+OK\r\n+OK\r\n+QUEUED\r\n_\r\n"},
	} {
		p := NewFramerPair(FramingRESP, 1000, DefaultIDFields...)
		var got []string
		emit := func(f *Frame) { got = append(got, string(f.Data)) }
		p[C2S].Feed([]byte(fail.cmds), func(*Frame) {})
		p[S2C].Feed([]byte(fail.replies), emit)
		p[C2S].Feed([]byte("MULTI\r\nCLIENT REPLY SKIP\r\nEXEC\r\nPING\r\nPING\r\n"), func(*Frame) {})
		p[S2C].Feed([]byte("+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n"), emit)
		if g := strings.Join(got[len(got)-4:], "|"); g != "+OK\r\n|+QUEUED\r\n|*1\r\n|+PONG\r\n" {
			t.Errorf("after %q: frames %q", fail.replies, got)
		}
	}

	// The short array's view: the elements it has.
	for in, want := range map[string]string{"*1\r\n": "[]", "*4\r\n+OK\r\n$-1\r\n": `["OK",null]`} {
		if v, err := viewRESP(nil, []byte(in)); err != nil || string(v) != want {
			t.Errorf("view of %q: %s, %v; want %s", in, v, err, want)
		}
	}
}

// respCmds2 writes each command, words split by spaces, as a RESP array.
func respCmds2(cmds ...string) string {
	var b strings.Builder
	for _, c := range cmds {
		w := strings.Fields(c)
		b.WriteString("*" + itoa(len(w)) + "\r\n")
		for _, a := range w {
			b.WriteString("$" + itoa(len(a)) + "\r\n" + a + "\r\n")
		}
	}
	return b.String()
}

// FuzzRESPLinked feeds a connection's two RESP framers, commands one way
// and replies the other, in turns of cut bytes: whatever the commands
// say of EXEC, every byte of the replies is framed once or pending, and
// every frame's view is JSON.
func FuzzRESPLinked(f *testing.F) {
	f.Add([]byte("MULTI\r\nCLIENT REPLY OFF\r\nEXEC\r\nCLIENT REPLY ON\r\n"), []byte("+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n"), uint16(5))
	f.Add([]byte("MULTI\r\nCLIENT REPLY SKIP\r\nGET a\r\nEXEC\r\nPING\r\nPING\r\n"), []byte("+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n$-1\r\n+PONG\r\n"), uint16(3))
	f.Add([]byte("MULTI\r\nCLIENT REPLY OFF\r\nX\r\nEXEC\r\nMULTI\r\nCLIENT REPLY OFF\r\nEXEC\r\n"), []byte("+OK\r\n+QUEUED\r\n-EXECABORT x\r\n+OK\r\n+QUEUED\r\n*1\r\n"), uint16(7))
	f.Fuzz(func(t *testing.T, cmds, replies []byte, cut uint16) {
		p := NewFramerPair(FramingRESP, 64, DefaultIDFields...)
		step := int(cut%64) + 1
		wire := 0
		emit := func(x *Frame) {
			wire += x.Wire
			if x.Err == "" && !x.Truncated {
				if v, err := viewRESP(nil, x.Data); err == nil && !json.Valid(v) {
					t.Fatalf("view of %q is not JSON: %s", x.Data, v)
				}
			}
		}
		for len(cmds) > 0 || len(replies) > 0 {
			n := min(step, len(cmds))
			p[C2S].Feed(append([]byte(nil), cmds[:n]...), func(*Frame) {})
			cmds = cmds[n:]
			k := min(step, len(replies))
			p[S2C].Feed(append([]byte(nil), replies[:k]...), emit)
			wire, replies = wire-k, replies[k:]
		}
		if pend := p[S2C].(pender).pending(); wire+pend != 0 {
			t.Fatalf("replies: %d bytes framed more than fed, %d pending", wire, pend)
		}
	})
}
