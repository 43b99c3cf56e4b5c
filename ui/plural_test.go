package ui

import (
	"strings"
	"testing"

	"sockscope/protocol"
	"sockscope/store"
)

// Counts of one are said in the singular: the status bar's connections,
// the list's rows, the export's notice ("1 rows", "1/1 conns", "exported
// 1 exchanges (1 messages)" were said).
func TestCountsOfOneAreSingular(t *testing.T) {
	st := store.New(store.Config{})
	st.Update(func(tx *store.Tx) {
		f := &filler{st: st, tx: tx}
		tx.OpenConn(store.Conn{ID: 1, Client: "unix:@", PID: -1, UID: -1, Opened: t0})
		f.lone(1, protocol.C2S, t0, `{"method":"hello"}`, protocol.StatusNone)
	})
	m := newTestModel(t, st, 120, 30)
	v := view(m)
	bar := strings.SplitN(v, "\n", 2)[0]
	if !strings.Contains(bar, "1/1 conn │") || !strings.Contains(bar, "1 msg │") {
		t.Errorf("status bar: %q", bar)
	}
	if !strings.Contains(v, "Exchanges  1 row ·") {
		t.Errorf("the list's title does not say 1 row:\n%s", v)
	}
	m = pressRun(t, press(t, m, append([]string{"E"}, typeKeys("one.jsonl")...)...), "enter")
	if !strings.Contains(m.notice, "exported 1 exchange (1 message) as") {
		t.Errorf("export notice %q", m.notice)
	}
}
