package observe

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"sockscope/event"
	"sockscope/protocol"
	"sockscope/store"
)

// Data events move before those read later, past data of another
// direction or connection only: not past data of their own direction,
// whatever their times say, nor past an Open or a Close.
func TestInReadOrder(t *testing.T) {
	t0 := time.Now() // with a monotonic reading, as a relay stamps its reads
	at := func(us int) time.Time { return t0.Add(time.Duration(us) * time.Microsecond) }
	data := func(name string, conn uint64, d protocol.Dir, us int) event.Event {
		return event.Event{Type: event.Data, Conn: conn, Dir: d, At: at(us), Data: []byte(name)}
	}
	evs := []event.Event{
		{Type: event.Open, Conn: 2, At: at(0)},
		data("reply1", 1, protocol.S2C, 40),
		data("other", 2, protocol.C2S, 30),
		data("req1", 1, protocol.C2S, 10), // read first, queued last: moves to the front, not past the Open
		data("req2", 1, protocol.C2S, 50),
		data("reply2", 1, protocol.S2C, 35), // its clock went back: never before reply1
		{Type: event.Close, Conn: 2, At: at(60)},
		data("late", 3, protocol.C2S, 5), // not past the Close
	}
	inReadOrder(evs)
	var got []string
	for _, ev := range evs {
		switch ev.Type {
		case event.Data:
			got = append(got, string(ev.Data))
		case event.Open:
			got = append(got, "open")
		case event.Close:
			got = append(got, "close")
		}
	}
	want := "open req1 other reply1 reply2 req2 close late"
	if strings.Join(got, " ") != want {
		t.Errorf("order %q\nwant  %q", strings.Join(got, " "), want)
	}
}

// Replies queued before the requests they answer (as a relay's two
// directions queue them) are stored after them, and paired without being
// held as early.
func TestRunReadOrder(t *testing.T) {
	const calls = 200
	q := event.NewQueue(1<<20, false)
	t0 := time.Now()
	q.Put(event.Event{Type: event.Open, Conn: 1, At: t0, Peer: &event.Peer{PID: -1, UID: -1}})
	for k := 0; k < calls; k += 10 {
		var reqs, resps []byte
		for i := k; i < k+10; i++ {
			reqs = fmt.Appendf(reqs, `{"jsonrpc":"2.0","id":%d,"method":"m"}`+"\n", i)
			resps = fmt.Appendf(resps, `{"jsonrpc":"2.0","id":%d,"result":%d}`+"\n", i, i)
		}
		read := t0.Add(time.Duration(k+1) * time.Millisecond)
		q.Put(event.Event{Type: event.Data, Conn: 1, Dir: protocol.S2C, At: read.Add(time.Microsecond), Data: resps})
		q.Put(event.Event{Type: event.Data, Conn: 1, Dir: protocol.C2S, At: read, Data: reqs})
	}
	q.Put(event.Event{Type: event.Close, Conn: 1, At: t0.Add(time.Second)})
	q.Close()
	st := store.New(store.Config{})
	o := New(Config{Store: st})
	o.Run(q)
	if c := o.Counts(); c.OK != calls || c.NoReply+c.Orphan != 0 {
		t.Fatalf("counts %+v, want %d ok calls", c, calls)
	}
	var dirs []protocol.Dir
	st.Messages(0, func(m *protocol.Message) bool {
		dirs = append(dirs, m.Dir)
		return true
	})
	for i := 0; i+9 < len(dirs); i += 20 {
		if dirs[i] != protocol.C2S || dirs[i+10] != protocol.S2C {
			t.Fatalf("messages %d and %d stored from %v and %v: want each read's requests before its replies", i, i+10, dirs[i], dirs[i+10])
		}
	}
}

// Putting a batch in read order costs at most readOrderBudget passes an
// event, however far from it the queue's order is (a batch of a session
// file whose clock went back, a relay whose writes to a slow peer delay its
// queueing), and never moves data past data of its own direction.
func TestInReadOrderBounded(t *testing.T) {
	const n, streams = 4096, 64
	t0 := time.Now() // with a monotonic reading, as a relay stamps its reads
	evs := make([]event.Event, n)
	for i := range evs {
		s := i % streams
		evs[i] = event.Event{Type: event.Data, Conn: uint64(s / 2), Dir: protocol.Dir(s % 2),
			At: t0.Add(time.Duration(n-i) * time.Microsecond), Data: []byte{byte(i / streams)}}
	}
	passed := inReadOrder(evs)
	if passed > readOrderBudget*n {
		t.Errorf("%d events passed %d others: more than %d each", n, passed, readOrderBudget)
	}
	next := map[[2]uint64]byte{}
	for _, ev := range evs {
		k := [2]uint64{ev.Conn, uint64(ev.Dir)}
		if ev.Data[0] != next[k] {
			t.Fatalf("conn %d %v: read %d came before %d", ev.Conn, ev.Dir, ev.Data[0], next[k])
		}
		next[k]++
	}
}

// Times without a monotonic reading (a session file's, the decoder's
// process's: the wall clock) may step back. A reply read after the step
// must not move before a request read before it: that request's direction
// is then seen past the reply, which is orphaned before its own request,
// read after the step, comes.
func TestRunReadOrderClockStepsBack(t *testing.T) {
	q := event.NewQueue(1<<20, false)
	wall := func(ms int) time.Time { return time.Unix(1700000000, int64(ms)*int64(time.Millisecond)) }
	data := func(d protocol.Dir, ms int, s string) event.Event {
		return event.Event{Type: event.Data, Conn: 1, Dir: d, At: wall(ms), Data: []byte(s + "\n")}
	}
	q.Put(event.Event{Type: event.Open, Conn: 1, At: wall(0), Peer: &event.Peer{PID: -1, UID: -1}})
	q.Put(data(protocol.C2S, 100, `{"jsonrpc":"2.0","id":1,"method":"a"}`))
	// The clock steps back 10 ms. Request 2 is read at 96 and forwarded;
	// its reply, read at 97, is queued before it.
	q.Put(data(protocol.S2C, 97, `{"jsonrpc":"2.0","id":2,"result":2}`))
	q.Put(data(protocol.C2S, 96, `{"jsonrpc":"2.0","id":2,"method":"b"}`))
	q.Put(data(protocol.S2C, 98, `{"jsonrpc":"2.0","id":1,"result":1}`))
	q.Put(event.Event{Type: event.Close, Conn: 1, At: wall(200)})
	q.Close()
	o := New(Config{Store: store.New(store.Config{})})
	o.Run(q)
	if c := o.Counts(); c.OK != 2 || c.NoReply+c.Orphan != 0 {
		t.Fatalf("counts %+v, want 2 ok calls", c)
	}
}
