package observe

import (
	"fmt"
	"strings"
	"testing"

	"sockscope/protocol"
)

// The commands sent after an EXEC whose failure would leave a queued
// CLIENT REPLY OFF unrun wait for its reply: a failed EXEC leaves them
// answered. More than an EXEC's wait holds are taken as after an EXEC
// that ran, as is what comes after an EXEC that gets no reply.
func TestExecWait(t *testing.T) {
	sets := func(n int) string { return strings.Repeat("SET k 1\r\n", n) }
	oks := func(n int) string { return strings.Repeat("+OK\r\n", n) }
	for _, tc := range []struct {
		name     string
		after    int    // SETs sent after EXEC, before its reply
		reply    string // EXEC's
		silenced int    // of those SETs, the notifications (no row)
	}{
		{"aborted", 3, "-EXECABORT Transaction discarded because of previous errors.\r\n", 0},
		{"watched key changed", 3, "*-1\r\n", 0},
		{"ran", 3, "*1\r\n+OK\r\n", 3},
		{"more than it holds", maxHeld + 5, "-EXECABORT x\r\n", maxHeld + 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newScript().
				data(1, protocol.C2S, "MULTI\r\nCLIENT REPLY OFF\r\nNOSUCH\r\nEXEC\r\n"+sets(tc.after)).
				data(2, protocol.S2C, "+OK\r\n+QUEUED\r\n-ERR unknown command 'NOSUCH'\r\n"+tc.reply)
			if tc.silenced == 0 {
				s.data(3, protocol.S2C, oks(tc.after))
			}
			_, lines, _ := s.close(4, nil).run(t)
			got := exchanges(lines)
			want := []string{"MULTI:ok", "CLIENT:ok", "NOSUCH:error", "EXEC:" + map[bool]string{true: "error", false: "ok"}[strings.HasPrefix(tc.reply, "-")]}
			for range tc.after - tc.silenced {
				want = append(want, "SET:ok")
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("exchanges %v, want %v", got, want)
			}
		})
	}
	// No reply to EXEC before the connection ends: what it held is taken
	// as after an EXEC that ran (silenced), not lost.
	_, lines, _ := newScript().
		data(1, protocol.C2S, "MULTI\r\nCLIENT REPLY OFF\r\nEXEC\r\nSET k 1\r\n").
		data(2, protocol.S2C, "+OK\r\n+QUEUED\r\n").
		close(3, nil).run(t)
	notes := 0
	for _, l := range lines {
		if l["type"] == "message" && l["method"] == "SET" && l["kind"] == "notification" {
			notes++
		}
	}
	if got := exchanges(lines); fmt.Sprint(got) != "[MULTI:ok CLIENT:ok EXEC:no-reply]" || notes != 1 {
		t.Errorf("exchanges %v, %d SET notifications; want MULTI and CLIENT ok, EXEC without reply, SET silenced", got, notes)
	}
}
