package store

import "testing"

// TestMaxConnsForgetsClosedConns: with MaxConns, a store that sees
// thousands of short connections keeps about twice the bound, never an
// open one nor one whose rows are stored, and what it keeps reads back
// right (rows, connections and per-connection statistics renumbered).
func TestMaxConnsForgetsClosedConns(t *testing.T) {
	const bound, n = 8, 5000
	s := New(Config{MaxMessages: 40, MaxConns: bound})
	s.Update(func(tx *Tx) { tx.OpenConn(Conn{ID: 1, PID: 1}) }) // stays open
	request(s, 1, "first", ms(0))
	most := 0
	for id := uint64(2); id < n; id++ {
		s.Update(func(tx *Tx) { tx.OpenConn(Conn{ID: id, PID: int(id)}) })
		row := request(s, id, "m", ms(int(id)))
		answer(s, id, row, ms(int(id)+int(id%7)), id%5 == 0)
		s.Update(func(tx *Tx) { tx.CloseConn(id, ms(int(id)+10), "") })
		most = max(most, len(s.accs), len(s.Conns()))
	}
	if most > 2*bound+40 {
		t.Fatalf("the store kept up to %d connections, bound %d", most, bound)
	}
	if tot := s.Totals(); tot.Conns != n-1 || tot.OpenConns != 1 {
		t.Errorf("Totals = %d conns, %d open; want %d, 1", tot.Conns, tot.OpenConns, n-1)
	}
	if c, ok := s.Conn(1); !ok || c.State != ConnOpen || c.InFlight != 1 {
		t.Errorf("the open connection: %+v %v", c, ok)
	}
	first, next := s.RowBounds()
	if next-first != 20 {
		t.Fatalf("%d rows stored", next-first)
	}
	s.Rows(first, func(r Row) bool {
		c, ok := s.Conn(r.Conn)
		if !ok || c.PID != int(r.Conn) || r.Method != "m" {
			t.Errorf("row %d of conn %d (%+v, %v)", r.Seq, r.Conn, c, ok)
		}
		ms := s.Methods(r.Conn)
		if len(ms) != 1 || ms[0].Method != "m" || ms[0].Count != 1 || ms[0].Errors != int64(b2i(r.Conn%5 == 0)) ||
			ms[0].Latency.Count != 1 || ms[0].Latency.Max != r.Latency {
			t.Errorf("conn %d: methods %+v, row %+v", r.Conn, ms, r)
		}
		return true
	})
	for _, c := range s.Conns() {
		if c.ID > 1 && c.ID < uint64(n-bound*2-20) {
			t.Errorf("connection %d kept (closed, no row stored)", c.ID)
		}
	}
	// A connection forgotten and seen again starts afresh.
	row := request(s, 3, "again", ms(n+1))
	if r, _ := s.Row(row); r.Conn != 3 || r.Method != "again" {
		t.Errorf("row of a forgotten connection seen again: %+v", r)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
