package ui

import (
	"strconv"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sockscope/protocol"
	"sockscope/query"
	"sockscope/store"
)

// millionStore holds 1,000,000 messages: 500,000 answered requests.
func millionStore(b *testing.B) *store.Store {
	st := store.New(store.Config{MaxMessages: 1_000_000, MaxBytes: 1 << 30})
	methods := []string{"add", "getUser", "export", "ping", "textDocument/hover"}
	reqs := make([][]byte, len(methods))
	for i, m := range methods {
		reqs[i] = []byte(`{"jsonrpc":"2.0","id":1,"method":"` + m + `","params":{"a":1}}`)
	}
	resp := []byte(`{"jsonrpc":"2.0","id":1,"result":{"ok":true}}`)
	const batch = 10000
	for base := 0; base < 500_000; base += batch {
		st.Update(func(tx *store.Tx) {
			for i := base; i < base+batch; i++ {
				at := t0.Add(time.Duration(i) * time.Microsecond)
				data := reqs[i%len(reqs)]
				req := protocol.Message{Conn: uint64(i%8 + 1), Dir: protocol.C2S, At: at,
					Frame: protocol.Frame{Data: data, Size: len(data)},
					Info:  protocol.Info{Kind: protocol.KindRequest, ID: []byte(strconv.Itoa(i)), Method: []byte(methods[i%len(methods)])}}
				req.Seq = tx.AddMessage(&req)
				row := tx.AddRow(&store.Row{Conn: req.Conn, Dir: protocol.C2S, Kind: protocol.KindRequest,
					ID: string(req.Info.ID), Method: tx.Intern(req.Info.Method), Status: protocol.StatusPending,
					Req: req.Seq, ReqAt: at, ReqSize: len(data)})
				r := protocol.Message{Conn: req.Conn, Dir: protocol.S2C, At: at.Add(time.Duration(i%997) * time.Microsecond),
					Frame: protocol.Frame{Data: resp, Size: len(resp)}, Info: protocol.Info{Kind: protocol.KindResponse, ID: req.Info.ID}}
				r.Seq = tx.AddMessage(&r)
				tx.Answer(row, &r)
			}
		})
	}
	return st
}

// BenchmarkKeyPress1M measures what a key press costs with a million
// messages stored: one Update and one View, unfiltered and filtered.
func BenchmarkKeyPress1M(b *testing.B) {
	st := millionStore(b)
	if _, next := st.MessageBounds(); next < 1_000_000 {
		b.Fatalf("only %d messages", next-1)
	}
	run := func(b *testing.B, m Model) {
		keys := []tea.KeyPressMsg{keyMsg("k"), keyMsg("j"), keyMsg("k")}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			tm, _ := m.Update(keys[i%len(keys)])
			m = tm.(Model)
			_ = m.View()
		}
	}
	setup := func(b *testing.B, filter string) Model {
		m := New(st, Options{Listen: "unix:/tmp/a.sock", Upstream: "unix:/tmp/b.sock"})
		tm, _ := m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
		m = tm.(Model)
		tm, _ = m.Update(tickMsg(time.Now()))
		m = tm.(Model)
		if filter != "" {
			q, err := query.Parse(filter)
			if err != nil {
				b.Fatal(err)
			}
			m.filter.applied = q
			m, _ = m.applyQuery()
			for m.list.idx.scanning() {
				m.list, _ = m.list.scan(scanMsg{m.list.scanID})
			}
		}
		return update(b, m, keyMsg("k"))
	}
	b.Run("all", func(b *testing.B) { run(b, setup(b, "")) })
	b.Run("filtered", func(b *testing.B) { run(b, setup(b, "method:get")) })
	b.Run("raw", func(b *testing.B) { run(b, update(b, setup(b, ""), keyMsg("r"))) })
	b.Run("stats", func(b *testing.B) { run(b, update(b, setup(b, ""), keyMsg("s"))) })
}

// BenchmarkFilterRebuild1M measures a full filtered index build over a
// million messages (done in budgeted steps in the UI).
func BenchmarkFilterRebuild1M(b *testing.B) {
	st := millionStore(b)
	for _, f := range []string{"method:hover", "status:error", "ok"} {
		b.Run(f, func(b *testing.B) {
			q, _ := query.Parse(f)
			for i := 0; i < b.N; i++ {
				var x seqIndex
				x.reset(false, q)
				for x.sync(st, time.Now); x.scanning(); x.scan(st, time.Now) {
				}
			}
		})
	}
}
