package store

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unsafe"

	"sockscope/protocol"
)

// methodLine renders one MethodStats for comparison.
func methodLine(m MethodStats) string {
	return fmt.Sprintf("%s n=%d err=%d pend=%d lat=%d/%v", m.Method, m.Count, m.Errors, m.Pending, m.Latency.Count, m.Latency.Max)
}

func methodLines(ms []MethodStats) string {
	var out []string
	for _, m := range ms {
		out = append(out, methodLine(m))
	}
	return strings.Join(out, "; ")
}

func TestAnswerAndStatusStats(t *testing.T) {
	s := New(Config{})
	s.Update(func(tx *Tx) { tx.OpenConn(Conn{ID: 1, PID: 42, UID: 7}) })
	add1 := request(s, 1, "add", ms(0))
	add2 := request(s, 1, "add", ms(1))
	add3 := request(s, 1, "add", ms(2))
	tm := request(s, 1, "time", ms(3))
	s.Update(func(tx *Tx) {
		seq := tx.AddMessage(newMsg(1, protocol.C2S, ms(4), `{"method":"note"}`))
		tx.AddRow(&Row{Conn: 1, Kind: protocol.KindNotification, Method: "note", Req: seq})
	})
	if c, _ := s.Conn(1); c.InFlight != 4 || c.Errors != 0 || c.Messages != 5 || c.PID != 42 {
		t.Fatalf("before answers: %+v", c)
	}
	answer(s, 1, add2, ms(21), false) // 20ms
	answer(s, 1, add1, ms(10), false) // 10ms
	answer(s, 1, add3, ms(32), true)  // 30ms, error
	setStatus(s, tm, protocol.StatusNoReply)
	s.Update(func(tx *Tx) {
		m := newMsg(1, protocol.S2C, ms(40), `{"id":99}`)
		m.Seq = tx.AddMessage(m)
		tx.AddRow(&Row{Conn: 1, Dir: protocol.S2C, Kind: protocol.KindResponse, ID: "99",
			Status: protocol.StatusOrphan, Resp: m.Seq, RespAt: m.At})
	})

	c, _ := s.Conn(1)
	if c.InFlight != 0 || c.Errors != 3 || c.Latency.Count != 3 || c.Latency.Max != 30*time.Millisecond ||
		!within(c.Latency.P50, 20*time.Millisecond, 0.016) || !within(c.Latency.P99, 30*time.Millisecond, 0.016) {
		t.Errorf("conn = %+v", c)
	}
	if r, _ := s.Row(add3); r.Status != protocol.StatusError || r.Latency != 30*time.Millisecond ||
		r.Resp == 0 || r.RespSize != len(`{"result":1}`) || !r.RespAt.Equal(ms(32)) {
		t.Errorf("add3 = %+v", r)
	}
	want := "add n=3 err=1 pend=0 lat=3/30ms; note n=1 err=0 pend=0 lat=0/0s; time n=1 err=1 pend=0 lat=0/0s"
	if got := methodLines(s.Methods(0)); got != want {
		t.Errorf("Methods(0) = %s\nwant %s", got, want)
	}
	if got := methodLines(s.Methods(1)); got != want {
		t.Errorf("Methods(1) = %s\nwant %s", got, want)
	}
	if tot := s.Totals(); tot.Latency.Count != 3 || tot.Latency.Max != 30*time.Millisecond {
		t.Errorf("Totals.Latency = %+v", tot.Latency)
	}
	if got := fmt.Sprint(s.RecentLatencies(nil)); got != "[20ms 10ms 30ms]" {
		t.Errorf("RecentLatencies = %s", got)
	}
}

func TestAddRowAnswered(t *testing.T) {
	s := New(Config{})
	s.Update(func(tx *Tx) {
		// An early reply: the response was stored first.
		resp := tx.AddMessage(newMsg(2, protocol.S2C, ms(15), `{"id":1,"result":2}`))
		req := tx.AddMessage(newMsg(2, protocol.C2S, ms(5), `{"id":1,"method":"m"}`))
		tx.AddRow(&Row{Conn: 2, Kind: protocol.KindRequest, Method: "m", Status: protocol.StatusOK,
			Req: req, Resp: resp, ReqAt: ms(5), RespAt: ms(15)})
	})
	r, _ := s.Row(1)
	c, _ := s.Conn(2)
	if r.Latency != 10*time.Millisecond || c.Latency.Count != 1 || c.InFlight != 0 || c.PID != -1 {
		t.Errorf("row %+v conn %+v", r, c)
	}
	// Its oldest message is the response: evicting that evicts the row.
	s2 := New(Config{MaxMessages: 2})
	s2.Update(func(tx *Tx) {
		resp := tx.AddMessage(newMsg(2, protocol.S2C, ms(15), "r"))
		req := tx.AddMessage(newMsg(2, protocol.C2S, ms(5), "q"))
		tx.AddRow(&Row{Conn: 2, Status: protocol.StatusOK, Req: req, Resp: resp, ReqAt: ms(5), RespAt: ms(15)})
		tx.AddMessage(newMsg(2, protocol.C2S, ms(20), "x"))
	})
	if _, ok := s2.Row(1); ok {
		t.Error("row outlived its response")
	}
}

func TestEvictedPendingRowsStillCount(t *testing.T) {
	s := New(Config{MaxMessages: 2})
	a := request(s, 1, "a", ms(0))
	b := request(s, 1, "b", ms(1))
	addLone(s, newMsg(1, protocol.C2S, ms(2), "x"))
	addLone(s, newMsg(1, protocol.C2S, ms(3), "y"))
	if _, ok := s.Row(a); ok {
		t.Fatal("row a still stored")
	}
	if _, ok := s.Row(b); ok {
		t.Fatal("row b still stored")
	}
	if c, _ := s.Conn(1); c.InFlight != 2 {
		t.Fatalf("in flight %d, want 2", c.InFlight)
	}
	answer(s, 1, a, ms(50), false)
	setStatus(s, b, protocol.StatusNoReply)
	c, _ := s.Conn(1)
	if c.InFlight != 0 || c.Errors != 1 || c.Latency.Count != 1 || c.Latency.Max != 50*time.Millisecond {
		t.Errorf("conn = %+v", c)
	}
	want := "a n=1 err=0 pend=0 lat=1/50ms; b n=1 err=1 pend=0 lat=0/0s"
	if got := methodLines(s.Methods(0)); got != want {
		t.Errorf("Methods(0) = %s\nwant %s", got, want)
	}
	// A second answer for the same gone row changes nothing.
	g := s.Gen()
	answer(s, 1, a, ms(60), false)
	if c2, _ := s.Conn(1); c2.Latency.Count != 1 || c2.Errors != 1 || s.Gen() != g+1 {
		t.Errorf("second answer counted: %+v", c2)
	}
}

// A no-reply or orphan marked Gap is sockscope's blind spot: it is not
// counted as an error, whether its row is stored, was marked before or
// after it was given up, or already left the ring while pending.
func TestGapRowsAreNoErrors(t *testing.T) {
	s := New(Config{MaxMessages: 4})
	gone := request(s, 1, "gone", ms(0))
	before := request(s, 1, "before", ms(1))
	after := request(s, 1, "after", ms(2))
	plain := request(s, 1, "plain", ms(3))
	addLone(s, newMsg(1, protocol.C2S, ms(4), "x")) // pushes gone's row out
	if _, ok := s.Row(gone); ok {
		t.Fatal("row gone is still stored")
	}
	s.Update(func(tx *Tx) {
		tx.SetGap(gone)
		tx.SetStatus(gone, protocol.StatusNoReply)
		tx.SetGap(before)
		tx.SetStatus(before, protocol.StatusNoReply)
		tx.SetStatus(after, protocol.StatusNoReply)
		tx.SetGap(after)
		tx.SetStatus(plain, protocol.StatusNoReply)
	})
	for _, row := range []uint64{before, after} {
		if r, _ := s.Row(row); !r.Gap || r.Status != protocol.StatusNoReply {
			t.Errorf("row %d = %+v, want a no-reply marked Gap", row, r)
		}
	}
	s.Update(func(tx *Tx) {
		orphan := tx.AddRow(&Row{Conn: 1, Dir: protocol.S2C, Kind: protocol.KindResponse, ID: "9", Status: protocol.StatusOrphan})
		tx.SetGap(orphan)
		tx.SetGap(orphan) // twice: still uncounted once
	})
	if c, _ := s.Conn(1); c.InFlight != 0 || c.Errors != 1 {
		t.Errorf("conn in flight %d, errors %d; want 0 and 1 (plain's)", c.InFlight, c.Errors)
	}
	want := "after n=1 err=0 pend=0 lat=0/0s; before n=1 err=0 pend=0 lat=0/0s; gone n=1 err=0 pend=0 lat=0/0s; plain n=1 err=1 pend=0 lat=0/0s"
	if got := methodLines(s.Methods(0)); got != want {
		t.Errorf("Methods(0) = %s\nwant %s", got, want)
	}
}

func TestPerConnStats(t *testing.T) {
	s := New(Config{})
	s.Update(func(tx *Tx) {
		tx.OpenConn(Conn{ID: 3, Client: "c3"})
		tx.OpenConn(Conn{ID: 1, Client: "c1"})
		tx.OpenConn(Conn{ID: 2, Client: "c2"})
	})
	r1 := request(s, 1, "get", ms(0))
	r2 := request(s, 2, "get", ms(0))
	request(s, 2, "put", ms(0))
	request(s, 2, "put", ms(1))
	answer(s, 1, r1, ms(5), false)
	answer(s, 2, r2, ms(7), true)
	s.Update(func(tx *Tx) {
		tx.CloseConn(1, ms(8), "")
		tx.CloseConn(2, ms(9), "connection reset by peer")
	})
	var ids []string
	for _, c := range s.Conns() {
		ids = append(ids, fmt.Sprintf("%d:%s:%s:%s", c.ID, c.Client, c.State, c.Err))
	}
	if got := strings.Join(ids, " "); got != "1:c1:closed: 2:c2:error:connection reset by peer 3:c3:open:" {
		t.Errorf("Conns = %s", got)
	}
	if tot := s.Totals(); tot.Conns != 3 || tot.OpenConns != 1 {
		t.Errorf("Totals conns %d open %d, want 3 1", tot.Conns, tot.OpenConns)
	}
	for _, tt := range []struct {
		conn uint64
		want string
	}{
		{0, "get n=2 err=1 pend=0 lat=2/7ms; put n=2 err=0 pend=2 lat=0/0s"},
		{1, "get n=1 err=0 pend=0 lat=1/5ms"},
		{2, "put n=2 err=0 pend=2 lat=0/0s; get n=1 err=1 pend=0 lat=1/7ms"},
		{3, ""},
		{9, ""},
	} {
		if got := methodLines(s.Methods(tt.conn)); got != tt.want {
			t.Errorf("Methods(%d) = %s\nwant %s", tt.conn, got, tt.want)
		}
	}
	if c, _ := s.Conn(2); c.InFlight != 2 || c.Errors != 1 || c.Closed != ms(9) || c.Latency.Count != 1 {
		t.Errorf("Conn(2) = %+v", c)
	}
	if _, ok := s.Conn(9); ok {
		t.Error("Conn(9) exists")
	}
}

func TestMethodBound(t *testing.T) {
	s := New(Config{})
	s.Update(func(tx *Tx) {
		for i := range MaxMethods + 5 {
			tx.AddRow(&Row{Conn: 1, Method: fmt.Sprintf("m%05d", i)})
		}
		tx.AddRow(&Row{Conn: 1, Method: "m00001"})
	})
	ms := s.Methods(0)
	if len(ms) != MaxMethods+1 || methodLine(ms[0]) != "(other) n=5 err=0 pend=0 lat=0/0s" ||
		methodLine(ms[1]) != "m00001 n=2 err=0 pend=0 lat=0/0s" {
		t.Errorf("%d methods, first %v %v", len(ms), ms[0], ms[1])
	}
	if r, _ := s.Row(MaxMethods + 3); r.Method != fmt.Sprintf("m%05d", MaxMethods+2) {
		t.Errorf("a row beyond the bound lost its method: %q", r.Method)
	}
	long := strings.Repeat("x", maxMethodLen+1)
	s2 := New(Config{})
	s2.Update(func(tx *Tx) { tx.AddRow(&Row{Conn: 1, Method: long}) })
	if got := methodLines(s2.Methods(1)); got != "(other) n=1 err=0 pend=0 lat=0/0s" {
		t.Errorf("long method: %s", got)
	}
}

func TestIntern(t *testing.T) {
	s := New(Config{})
	s.Update(func(tx *Tx) {
		a := tx.Intern([]byte("textDocument/hover"))
		b := tx.Intern([]byte("textDocument/hover"))
		if a != "textDocument/hover" || unsafe.StringData(a) != unsafe.StringData(b) {
			t.Errorf("Intern gave two copies: %q %q", a, b)
		}
		buf := []byte("textDocument/hover")
		if n := testing.AllocsPerRun(100, func() { tx.Intern(buf) }); n != 0 {
			t.Errorf("Intern of a known name allocates %v times", n)
		}
		row := tx.AddRow(&Row{Conn: 1, Method: string(buf)})
		if r, ok := tx.Row(row); !ok || unsafe.StringData(r.Method) != unsafe.StringData(a) {
			t.Error("AddRow kept its own copy of an interned method")
		}
		if _, ok := tx.Row(row + 1); ok {
			t.Error("tx.Row of a row not yet added")
		}
	})
}

func TestRecentLatenciesRing(t *testing.T) {
	s := New(Config{})
	for i := range RecentLatencies + 10 {
		r := request(s, 1, "m", ms(0))
		answer(s, 1, r, t0.Add(time.Duration(i+1)*time.Microsecond), false)
	}
	got := s.RecentLatencies(make([]time.Duration, 0, RecentLatencies))
	if len(got) != RecentLatencies || got[0] != 11*time.Microsecond || got[len(got)-1] != (RecentLatencies+10)*time.Microsecond {
		t.Errorf("%d latencies, first %v last %v", len(got), got[0], got[len(got)-1])
	}
}
