package event

import (
	"runtime"
	"testing"
	"time"

	"sockscope/protocol"
)

func TestQueueDropsAndGap(t *testing.T) {
	q := NewQueue(10, false)
	data := func(n int) Event { return Event{Type: Data, Conn: 1, Data: make([]byte, n)} }
	if !q.Put(Event{Type: Open, Conn: 1}) || !q.Put(data(8)) {
		t.Fatal("Put dropped with room to spare")
	}
	if q.Put(data(3)) || q.Put(data(4)) {
		t.Fatal("Put kept data over the bound")
	}
	if !q.Put(Event{Type: Data, Conn: 1, Dir: protocol.S2C, Data: make([]byte, 2)}) {
		t.Fatal("Put dropped data that fits")
	}
	if ev, b := q.Dropped(); ev != 2 || b != 7 {
		t.Errorf("Dropped() = %d, %d; want 2, 7", ev, b)
	}
	evs, ok := q.Take(nil)
	if !ok || len(evs) != 3 {
		t.Fatalf("Take = %d events, %v", len(evs), ok)
	}
	for _, ev := range evs {
		if ev.Gap != 0 {
			t.Errorf("event before the drop has Gap %d", ev.Gap)
		}
	}
	q.Put(data(1))
	q.Put(Event{Type: Close, Conn: 1})
	evs, _ = q.Take(evs[:0])
	if len(evs) != 2 || evs[0].Gap != 7 || evs[1].Type != Close {
		t.Errorf("after the drop: %+v; want Data with Gap 7, then Close", evs)
	}
}

// Bytes dropped after a direction's last kept Data reach the observer in
// the connection's Close, and no later connection inherits them.
func TestQueueTailGapsInClose(t *testing.T) {
	q := NewQueue(10, false)
	q.Put(Event{Type: Data, Conn: 1, Dir: protocol.C2S, Data: make([]byte, 10)})
	q.Put(Event{Type: Data, Conn: 1, Dir: protocol.C2S, Data: make([]byte, 5)})
	q.Put(Event{Type: Data, Conn: 1, Dir: protocol.S2C, Data: make([]byte, 3)})
	q.Put(Event{Type: Data, Conn: 2, Dir: protocol.S2C, Data: make([]byte, 4)})
	q.Put(Event{Type: Close, Conn: 1})
	evs, _ := q.Take(nil)
	if len(evs) != 2 || evs[1].Type != Close || evs[1].TailGaps != [2]int64{5, 3} {
		t.Fatalf("got %+v; want the Data, then Close with TailGaps [5 3]", evs)
	}
	q.Put(Event{Type: Data, Conn: 2, Dir: protocol.S2C, Data: make([]byte, 1)})
	q.Put(Event{Type: Close, Conn: 2})
	evs, _ = q.Take(evs[:0])
	if len(evs) != 2 || evs[0].Gap != 4 || evs[1].TailGaps != [2]int64{} {
		t.Errorf("conn 2: %+v; want Data with Gap 4, then Close without TailGaps", evs)
	}
}

func TestQueueOpenCloseNeverDropped(t *testing.T) {
	q := NewQueue(1, false)
	q.Put(Event{Type: Data, Data: []byte("x")})
	for i := range 1000 {
		if !q.Put(Event{Type: Open, Conn: uint64(i)}) || !q.Put(Event{Type: Close, Conn: uint64(i)}) {
			t.Fatal("Open or Close dropped")
		}
	}
}

func TestQueueCloseWakesTake(t *testing.T) {
	q := NewQueue(0, false)
	q.Put(Event{Type: Open})
	done := make(chan bool)
	go func() {
		evs, ok := q.Take(nil)
		if !ok || len(evs) != 1 {
			t.Errorf("first Take = %d, %v", len(evs), ok)
		}
		_, ok = q.Take(evs[:0])
		done <- ok
	}()
	time.Sleep(10 * time.Millisecond) // let Take block (not needed to pass)
	q.Close()
	select {
	case ok := <-done:
		if ok {
			t.Error("Take on a closed, empty queue returned true")
		}
	case <-time.After(time.Minute):
		t.Fatal("Close did not wake Take")
	}
	if q.Put(Event{Type: Open}) {
		t.Error("Put after Close kept the event")
	}
}

func TestQueueLosslessWaits(t *testing.T) {
	q := NewQueue(4, true)
	q.Put(Event{Type: Data, Data: []byte("abcd")})
	if w := q.Waits(); w != 0 {
		t.Errorf("Waits() = %d before any Put waited", w)
	}
	put := make(chan bool)
	go func() { put <- q.Put(Event{Type: Data, Data: []byte("e")}) }()
	select {
	case <-put:
		t.Fatal("lossless Put did not wait for room")
	case <-time.After(50 * time.Millisecond):
	}
	q.Take(nil)
	if !<-put {
		t.Error("lossless Put dropped")
	}
	if ev, _ := q.Dropped(); ev != 0 {
		t.Errorf("lossless queue dropped %d", ev)
	}
	if w := q.Waits(); w != 1 {
		t.Errorf("Waits() = %d after one Put waited", w)
	}
}

// A lossless queue never drops: an event larger than its bound waits for
// the queue to empty, then is let in alone.
func TestLosslessQueueTakesAnEventOverTheBound(t *testing.T) {
	q := NewQueue(10, true)
	if !q.Put(Event{Type: Data, Conn: 1, Data: make([]byte, 4)}) {
		t.Fatal("Put dropped with room to spare")
	}
	kept := make(chan bool)
	go func() { kept <- q.Put(Event{Type: Data, Conn: 1, Data: make([]byte, 25)}) }()
	if evs, ok := q.Take(nil); !ok || len(evs[0].Data) != 4 {
		t.Fatalf("Take = %+v, %v; want the first event", evs, ok)
	}
	if !<-kept {
		t.Fatal("lossless Put dropped an event larger than the bound")
	}
	if evs, ok := q.Take(nil); !ok || len(evs) != 1 || len(evs[0].Data) != 25 {
		t.Errorf("Take = %d events, %v; want the 25-byte one", len(evs), ok)
	}
	if ev, _ := q.Dropped(); ev != 0 {
		t.Errorf("dropped %d events", ev)
	}
}

// A Direct queue hands the events queued before it first, in order, then
// each Put's at once, keeping nothing (Put returns false: the bytes are the
// caller's again); the gaps of what the queue dropped before go with the
// next event of their direction; Take waits for Close; after Close nothing
// reaches put.
func TestQueueDirect(t *testing.T) {
	q := NewQueue(10, false)
	released := 0
	q.Put(Event{Type: Open, Conn: 1})
	q.Put(Event{Type: Data, Conn: 1, Data: make([]byte, 8), Buf: releaseFunc(func() { released++ })})
	q.Put(Event{Type: Data, Conn: 1, Data: make([]byte, 5)}) // over the bound: dropped
	var got []Event
	q.Direct(func(ev *Event) { got = append(got, *ev) })
	if len(got) != 2 || got[0].Type != Open || len(got[1].Data) != 8 || released != 1 {
		t.Fatalf("Direct handed %+v (%d released); want the queued Open and Data, released", got, released)
	}
	if q.Put(Event{Type: Data, Conn: 1, Data: make([]byte, 20)}) {
		t.Error("a Direct Put kept the event")
	}
	q.Put(Event{Type: Close, Conn: 1})
	if len(got) != 4 || len(got[2].Data) != 20 || got[2].Gap != 5 || got[3].Type != Close {
		t.Fatalf("after Direct: %+v; want the 20 bytes with Gap 5, then Close", got[2:])
	}
	taken := make(chan bool)
	go func() {
		evs, ok := q.Take(nil)
		taken <- ok || len(evs) > 0
	}()
	q.Close()
	if <-taken {
		t.Error("Take returned events of a Direct queue")
	}
	q.Put(Event{Type: Data, Conn: 1, Data: make([]byte, 1)})
	if len(got) != 4 {
		t.Errorf("put was handed %d events after Close", len(got)-4)
	}
}

// releaseFunc is a Buffer that calls itself when released.
type releaseFunc func()

func (f releaseFunc) Release() { f() }

// DropData drops the queued Data, counted and released, keeping the other
// events in order; the gaps go with the next kept event of their direction
// (a Close queued after them, or a later Put's Data), the gaps the dropped
// events carried with them; a lossless Put waiting for room goes on.
func TestQueueDropData(t *testing.T) {
	q := NewQueue(10, true)
	released := 0
	rel := releaseFunc(func() { released++ })
	q.Put(Event{Type: Open, Conn: 1})
	q.Put(Event{Type: Data, Conn: 1, Dir: protocol.C2S, Data: make([]byte, 6), Gap: 2, Buf: rel})
	q.Put(Event{Type: Data, Conn: 2, Dir: protocol.S2C, Data: make([]byte, 4), Buf: rel})
	q.Put(Event{Type: Close, Conn: 2})
	put := make(chan bool)
	go func() { put <- q.Put(Event{Type: Data, Conn: 1, Dir: protocol.C2S, Data: make([]byte, 5)}) }()
	for !q.Blocked() {
		runtime.Gosched()
	}
	q.DropData()
	if !<-put {
		t.Fatal("the waiting Put was dropped")
	}
	if e, b := q.Dropped(); e != 2 || b != 10 || released != 2 {
		t.Errorf("dropped %d events, %d bytes, released %d; want 2, 10, 2", e, b, released)
	}
	evs, _ := q.Take(nil)
	if len(evs) != 3 || evs[0].Type != Open || evs[1].Type != Close || evs[1].TailGaps[protocol.S2C] != 4 ||
		evs[2].Type != Data || evs[2].Gap != 8 {
		t.Errorf("left %+v; want the Open, the Close with 4 bytes of tail gap, the 5 bytes with a gap of 8", evs)
	}
}

// TakeUpTo takes the oldest events, up to its bound of Data bytes (one
// event at least, however large), in order; the rest stay queued, with
// their room counted free: what a Put drops or keeps, and what DropData
// drops, are the events still queued, and Puts after partial takes keep
// the order.
func TestQueueTakeUpTo(t *testing.T) {
	q := NewQueue(20, false)
	data := func(n int) Event { return Event{Type: Data, Conn: 1, Data: make([]byte, n)} }
	for _, n := range []int{6, 4, 3, 5} {
		if !q.Put(data(n)) {
			t.Fatalf("Put(%d bytes) dropped with room", n)
		}
	}
	lens := func(evs []Event) (l []int) {
		for _, ev := range evs {
			l = append(l, len(ev.Data))
		}
		return l
	}
	evs, ok := q.TakeUpTo(nil, 10)
	if got := lens(evs); !ok || len(got) != 2 || got[0] != 6 || got[1] != 4 {
		t.Fatalf("TakeUpTo(10) = %v, %v; want [6 4]", got, ok)
	}
	// 8 bytes queued of 20: 12 fit, 13 do not.
	if q.Put(data(13)) || !q.Put(data(12)) {
		t.Fatal("after the take, Put kept or dropped by the bytes taken, not those still queued")
	}
	evs, _ = q.TakeUpTo(evs[:0], 1)
	if got := lens(evs); len(got) != 1 || got[0] != 3 {
		t.Fatalf("TakeUpTo(1) = %v; want the one oldest, [3]", got)
	}
	q.Put(Event{Type: Close, Conn: 1})
	q.DropData()
	evs, _ = q.Take(evs[:0])
	if len(evs) != 1 || evs[0].Type != Close || evs[0].TailGaps[0] != 13+5+12 {
		t.Errorf("after DropData: %+v; want the Close alone, with the 30 bytes dropped (13 by Put, 5 and 12 by DropData) as its tail gap", evs)
	}
}

// A queue taken from in part, then filled past the room it had, keeps the
// events in the order they were put.
func TestQueueTakeUpToKeepsOrder(t *testing.T) {
	q := NewQueue(1<<20, false)
	next, want := 0, 0
	var evs []Event
	check := func(round int) {
		for _, ev := range evs {
			if ev.Conn != uint64(want) {
				t.Fatalf("round %d: took event %d, want %d", round, ev.Conn, want)
			}
			want++
		}
	}
	for round := range 50 {
		for range round % 7 * 3 {
			q.Put(Event{Type: Data, Conn: uint64(next), Data: make([]byte, 1+next%5)})
			next++
		}
		if next > want { // else Take would wait
			evs, _ = q.TakeUpTo(evs[:0], 4)
			check(round)
		}
	}
	evs, _ = q.Take(evs[:0])
	check(50)
	if want != next {
		t.Errorf("took %d events of %d", want, next)
	}
}
