package ui

import (
	"strings"
	"testing"

	"sockscope/protocol"
	"sockscope/store"
)

// A selected request that stops waiting without a reply (its connection
// closed: no-reply, and maybe in a gap) has its detail say so at the next
// tick, not "waiting for the reply…" until the selection moves.
func TestDetailFollowsTheSelectedRowsStatus(t *testing.T) {
	st := demoStore(t)
	m := newTestModel(t, st, 80, 40)
	m = press(t, m, "G") // the newest row: rid 9's add, pending
	_, next := st.RowBounds()
	row := next - 1
	if v := view(m); !strings.Contains(v, "waiting for the reply") {
		t.Fatalf("the pending request's detail does not say it waits:\n%s", v)
	}
	st.Update(func(tx *store.Tx) { tx.SetStatus(row, protocol.StatusNoReply) })
	m = update(t, m, tickMsg(t0))
	if v := view(m); strings.Contains(v, "waiting for the reply") || !strings.Contains(v, "no reply: the connection ended") {
		t.Fatalf("the detail did not follow the row's no-reply:\n%s", v)
	}
	st.Update(func(tx *store.Tx) { tx.SetGap(row) })
	m = update(t, m, tickMsg(t0))
	if v := view(m); !strings.Contains(v, "the server may have answered") {
		t.Fatalf("the detail did not follow the row's gap:\n%s", v)
	}
}
