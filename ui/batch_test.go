package ui

import (
	"strings"
	"testing"
	"time"

	"sockscope/protocol"
	"sockscope/store"
)

// A JSON-RPC batch is one row (its method the list of its elements', its
// id the set of its requests'), failed when one reply did; the detail's
// section titles say what the batch and its reply hold.
func TestBatchDetail(t *testing.T) {
	st := store.New(store.Config{})
	st.Update(func(tx *store.Tx) {
		f := &filler{st: st, tx: tx}
		tx.OpenConn(store.Conn{ID: 1, Client: "unix:@", PID: 7, Process: "node", Opened: t0})
		row := f.request(1, protocol.C2S, t0, `[{"jsonrpc":"2.0","id":1,"method":"echo","params":[1]},{"jsonrpc":"2.0","method":"log"},{"jsonrpc":"2.0","id":2,"method":"fail"}]`)
		f.answer(row, 1, protocol.S2C, t0.Add(3*time.Millisecond), `[{"jsonrpc":"2.0","id":2,"error":{"code":-32000,"message":"fail"}},{"jsonrpc":"2.0","id":1,"result":[1]}]`)
	})
	m := newTestModel(t, st, 240, 40)
	v := view(m)
	for _, want := range []string{
		"batch(echo,log,fail)", "id [1,2]", "error",
		"request → c2s · 129B · batch: 2 requests, 1 notification",
		"response ← s2c · 105B · batch: 2 responses, 1 error",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("the view lacks %q:\n%s", want, v)
		}
	}
}
