package index

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"sockscope/protocol"
	"sockscope/store"
)

// statsLoad feeds s the rows of conns connections × methods methods, each
// answered with latencies over twelve octaves (the per-connection
// histograms grow as far as they can), and returns how many rows.
func statsLoad(s *Stats, conns, methods int) (rows uint64) {
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for c := 1; c <= conns; c++ {
		s.setConn(store.Conn{ID: uint64(c), Client: "pid=1234", Listen: "unix:/tmp/s.sock", PID: 1234, UID: 1000, State: store.ConnOpen, Opened: at}, false)
		for m := range methods {
			for o := range 12 {
				lat := time.Duration(1<<(10+o)) * time.Nanosecond * time.Duration(1+m%3)
				s.row(nil, &store.Row{Conn: uint64(c), Method: fmt.Sprintf("method/%d", m), Status: protocol.StatusOK,
					Req: 1, Resp: 2, ReqAt: at, RespAt: at.Add(lat), Latency: lat})
				rows++
			}
		}
	}
	return rows
}

// TestStatsBounded: whatever the number of connections, Stats accounts
// and holds a bounded number of bytes; the totals and the all-connections
// statistics count every row, and the first connections keep their exact
// statistics.
func TestStatsBounded(t *testing.T) {
	const conns, methods = 4000, 8
	// bound is what Stats may take, whatever the number of connections:
	// its kept connections (MaxConnBytes), their histograms (up to twice
	// store.ConnHistBytes), and a little for the rest. Without bounds, the
	// load below takes about 125 MiB.
	const bound = 21 << 20

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := NewStats()
	rows := statsLoad(s, conns, methods)
	runtime.GC()
	runtime.ReadMemStats(&after)

	if n := s.Bytes(); n > bound {
		t.Errorf("Stats accounts %d bytes for %d connections, over the bound %d", n, conns, bound)
	}
	if heap := int64(after.HeapAlloc) - int64(before.HeapAlloc); heap > bound+4<<20 {
		t.Errorf("the heap grew by %d MiB for %d connections' statistics (accounted %d MiB), over the bound %d MiB",
			heap>>20, conns, s.Bytes()>>20, bound>>20)
	}

	tot := s.Totals()
	if tot.Rows != rows || tot.Conns != conns || tot.Latency.Count != int(rows) || tot.Latency.NoPercentiles {
		t.Errorf("totals %+v, want %d rows, %d connections, %d latencies with percentiles", tot, rows, conns, rows)
	}
	all := s.Methods(0)
	if len(all) != methods {
		t.Fatalf("%d methods over all connections, want %d", len(all), methods)
	}
	for _, m := range all {
		if m.Count != int64(rows)/methods || m.Latency.Count != int(m.Count) || m.Latency.NoPercentiles || m.Latency.P99 == 0 {
			t.Errorf("method %+v: not counted whole and exact", m)
		}
	}

	// The first connection's statistics are exactly those of a Stats
	// that saw it alone.
	one := NewStats()
	statsLoad(one, 1, methods)
	got, _ := s.Conn(1)
	want, _ := one.Conn(1)
	if got.Latency != want.Latency || got.Latency.NoPercentiles || got.Messages != want.Messages || got.Errors != want.Errors {
		t.Errorf("connection 1: %+v, alone %+v", got.Latency, want.Latency)
	}
	gm, wm := s.Methods(1), one.Methods(1)
	if fmt.Sprint(gm) != fmt.Sprint(wm) {
		t.Errorf("connection 1's methods:\n %+v\nalone:\n %+v", gm, wm)
	}

	// The last connections are beyond the budgets: not kept one by one, or
	// kept without percentiles, and said so.
	if c, ok := s.Conn(conns); ok && !c.Latency.NoPercentiles {
		t.Errorf("connection %d kept with percentiles %+v: the budget never ran out", conns, c.Latency)
	}
	runtime.KeepAlive(s)
}

// More methods than Stats keeps by name (a path per request, as an HTTP
// client that fetches /item/1, /item/2, … sends): the rest are counted
// under store.OtherMethod (show's statistics of such a file recursed until
// the stack overflowed).
func TestStatsMethodsPastBound(t *testing.T) {
	s := NewStats()
	statsLoad(s, 1, store.MaxMethods+10)
	for _, m := range s.Methods(0) {
		if m.Method == store.OtherMethod {
			if m.Count != 12*10 {
				t.Errorf("%s counts %d rows, want %d", m.Method, m.Count, 12*10)
			}
			return
		}
	}
	t.Errorf("no %s among the methods", store.OtherMethod)
}
