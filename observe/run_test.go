package observe

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"sockscope/event"

	"sockscope/protocol"
	"sockscope/store"
)

// TestRun drives Run through a real Queue. Lossless and too small for
// more than a few chunks, parse works a batch ahead of commit (two
// stages); not lossless and large enough for everything, Run takes it all
// at once and parses it in many batches. Requests and replies are cut at
// random points, so most frames span two chunks and are gathered in a
// framer buffer that the next batch's parse overwrites, with two stages
// while commit still has the frame: every stored frame must still be
// exactly what was sent, and every call paired.
func TestRun(t *testing.T) {
	for _, lossless := range []bool{true, false} {
		t.Run(fmt.Sprint("lossless=", lossless), func(t *testing.T) { testRun(t, lossless) })
	}
}

func testRun(t *testing.T, lossless bool) {
	const calls = 3000
	var wire [2][]byte
	var want [2][]string
	for i := range calls {
		req := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"m%d","params":"%s"}`, i, i%7, pad(i))
		resp := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"result":"%s"}`, i, pad(i*3))
		wire[protocol.C2S] = append(wire[protocol.C2S], req+"\n"...)
		wire[protocol.S2C] = append(wire[protocol.S2C], resp+"\n"...)
		want[protocol.C2S] = append(want[protocol.C2S], req)
		want[protocol.S2C] = append(want[protocol.S2C], resp)
	}
	q := event.NewQueue(512, true)
	if !lossless {
		q = event.NewQueue(int64(2*(len(wire[0])+len(wire[1]))), false)
	}
	st := store.New(store.Config{})
	o := New(Config{Store: st})
	done := startRun(o, q)

	t0 := time.Now()
	q.Put(event.Event{Type: event.Open, Conn: 1, At: t0, Peer: &event.Peer{PID: -1, UID: -1}})
	// All requests first, then all replies, each in reads of 1-300 bytes.
	at := t0
	for _, d := range []protocol.Dir{protocol.C2S, protocol.S2C} {
		for b := wire[d]; len(b) > 0; {
			n := min(len(b), 1+rand.IntN(300))
			at = at.Add(time.Microsecond)
			q.Put(event.Event{Type: event.Data, Conn: 1, Dir: d, At: at, Data: b[:n:n]})
			b = b[n:]
		}
	}
	q.Put(event.Event{Type: event.Close, Conn: 1, At: at.Add(time.Microsecond)})
	if d, _ := q.Dropped(); d > 0 {
		t.Fatalf("the queue dropped %d events", d)
	}
	q.Close()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("Run did not return after the queue closed")
	}

	if c := o.Counts(); c.OK != calls || c.Messages != 2*calls || c.NoReply+c.Orphan+c.Raw+c.Panics != 0 {
		t.Fatalf("counts %+v, want %d ok calls and nothing else", c, calls)
	}
	var got [2][]string
	st.Messages(0, func(m *protocol.Message) bool {
		got[m.Dir] = append(got[m.Dir], string(m.Frame.Data))
		return true
	})
	for d := range got {
		if len(got[d]) != calls {
			t.Fatalf("%v: %d messages stored, want %d", protocol.Dir(d), len(got[d]), calls)
		}
		for i := range got[d] {
			if got[d][i] != want[d][i] {
				t.Fatalf("%v message %d:\n got %q\nwant %q", protocol.Dir(d), i, got[d][i], want[d][i])
			}
		}
	}
}

// startRun runs o.Run(q) on a goroutine of its own; the channel it
// returns is closed when Run returns.
func startRun(o *Observer, q *event.Queue) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		o.Run(q)
		close(done)
	}()
	return done
}

// pad is a filler of a length that varies with i.
func pad(i int) string {
	const s = "abcdefghijklmnopqrstuvwxyz0123456789"
	return s[:i%len(s)]
}

// TestRunStoresWhatTheRelayWaitedFor: a lossless queue far too small for
// the traffic, so that the relay waits for the observer all along: every
// frame is stored while the queue is still open, with no close to flush it.
func TestRunStoresWhatTheRelayWaitedFor(t *testing.T) {
	q := event.NewQueue(512, true)
	st := store.New(store.Config{})
	o := New(Config{Store: st})
	done := startRun(o, q)
	t0 := time.Now()
	q.Put(event.Event{Type: event.Open, Conn: 1, At: t0, Peer: &event.Peer{PID: -1, UID: -1}})
	const frames = 3000
	for i := range frames {
		b := fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%d,"method":"m","params":"%0100d"}`+"\n", i, i)
		q.Put(event.Event{Type: event.Data, Conn: 1, Dir: protocol.C2S, At: t0, Data: b})
	}
	if q.Waits() == 0 {
		t.Fatal("the relay never waited")
	}
	deadline := time.Now().Add(time.Minute)
	for st.Totals().Messages < frames {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d frames stored after a minute", st.Totals().Messages, frames)
		}
		time.Sleep(time.Millisecond)
	}
	q.Close()
	<-done
}

// While the traffic is heavy or the relay drops events, on a busy machine,
// the observer rests after each batch yieldRatio times as long as it took, and
// at most maxYield; not after light traffic with nothing dropped since the
// last batch, nor when the CPUs have time to spare, nor without Busy; and
// as long as Owed says, if longer.
func TestYield(t *testing.T) {
	var dropped uint64
	busy := false
	o := New(Config{Store: store.New(store.Config{}),
		Dropped: func() (uint64, uint64) { return dropped, 0 },
		Busy:    func() bool { return busy },
	})
	const ms = time.Millisecond
	var seen uint64
	for i, c := range []struct {
		drop        uint64
		heavy, busy bool
		took, want  time.Duration
	}{
		{0, false, true, ms, 0},               // light, nothing dropped
		{5, false, true, ms, yieldRatio * ms}, // dropping, busy
		{0, false, true, ms, 0},               // nothing dropped since
		{0, true, true, ms, yieldRatio * ms},  // heavy, busy
		{0, true, false, ms, 0},               // heavy, CPU to spare
		{1, false, false, ms, 0},              // dropping, CPU to spare
		{1, true, true, 200 * ms, maxYield},   // bounded
	} {
		dropped += c.drop
		busy = c.busy
		if got, _ := o.yield(c.took, &seen, c.heavy); got != c.want {
			t.Errorf("%d: rest %v, want %v", i, got, c.want)
		}
	}
	if got, _ := New(Config{Store: store.New(store.Config{})}).yield(ms, &seen, true); got != 0 {
		t.Errorf("rest %v with no Busy (--lossless)", got)
	}
	if got, _ := New(Config{Store: store.New(store.Config{}), Busy: func() bool { return true }}).yield(ms, &seen, true); got != yieldRatio*ms {
		t.Errorf("rest %v after heavy traffic with no drop counter, want %v", got, yieldRatio*ms)
	}
	// Owed, where longer, and only while dropping on a busy machine; it
	// counts whenever Run rests for Busy (and returns 0 else).
	owed := 100 * ms
	var counted bool
	o = New(Config{Store: store.New(store.Config{}),
		Dropped: func() (uint64, uint64) { return dropped, 0 },
		Busy:    func() bool { return busy },
		Owed: func(count bool) time.Duration {
			if counted = count; !count {
				return 0
			}
			return owed
		}})
	for _, c := range []struct {
		busy, drop bool
		owed, want time.Duration
		owing      bool
	}{
		{true, true, 100 * ms, 100 * ms, true},
		{true, true, ms, yieldRatio * ms, false},
		{true, true, time.Hour, maxOwed, true},
		{true, false, time.Hour, yieldRatio * ms, false}, // heavy, counted, but nothing dropped
		{false, true, time.Hour, 0, false},
	} {
		busy, owed = c.busy, c.owed
		if c.drop {
			dropped++
		}
		if got, owing := o.yield(ms, &seen, true); got != c.want || owing != c.owing || counted != c.busy {
			t.Errorf("busy %v, owed %v: rest %v, owing %v, want %v, %v (Owed counted: %v)", c.busy, c.owed, got, owing, c.want, c.owing, counted)
		}
	}
}

// Run rests where yield says, after decoding a batch.
func TestRunYields(t *testing.T) {
	for _, busy := range []bool{false, true} {
		var dropped uint64
		st := store.New(store.Config{})
		o := New(Config{Store: st,
			Dropped: func() (uint64, uint64) { dropped++; return dropped, 0 },
			Busy:    func() bool { return busy },
		})
		var rests []time.Duration
		o.rest = func(d time.Duration, _ <-chan struct{}) { rests = append(rests, d) }
		q := event.NewQueue(1<<20, false)
		t0 := time.Now()
		q.Put(event.Event{Type: event.Open, Conn: 1, At: t0, Peer: &event.Peer{PID: -1, UID: -1}})
		q.Put(event.Event{Type: event.Data, Conn: 1, Dir: protocol.C2S, At: t0, Data: []byte(`{"jsonrpc":"2.0","id":1,"method":"m"}` + "\n")})
		q.Close()
		o.Run(q)
		if st.Totals().Messages != 1 {
			t.Fatalf("busy=%v: %d messages stored, want the batch decoded", busy, st.Totals().Messages)
		}
		if busy && len(rests) != 1 || !busy && len(rests) != 0 {
			t.Errorf("busy=%v: rests %v", busy, rests)
		}
	}
}

// The Data queued while Run rested for Owed is dropped, not decoded,
// unless the relay stopped meanwhile (then Run takes all it left); what
// queued during a rest of yieldRatio's is decoded. Shed is told of each
// rest for Owed, at its start and once its Data is dropped.
func TestRunDropsWhatCameDuringARest(t *testing.T) {
	for _, owes := range []bool{false, true} {
		st := store.New(store.Config{})
		var dropped uint64
		var sheds []bool // Shed's calls
		o := New(Config{Store: st,
			Shed:    func(on bool) { sheds = append(sheds, on) },
			Dropped: func() (uint64, uint64) { dropped++; return dropped, 0 }, // grows: a rest after each batch
			Busy:    func() bool { return true },
			Owed: func(bool) time.Duration {
				if owes {
					return time.Hour
				}
				return 0
			},
		})
		q := event.NewQueue(1<<20, false)
		t0 := time.Now()
		call := func(conn uint64, id int) event.Event {
			return event.Event{Type: event.Data, Conn: conn, Dir: protocol.C2S, At: t0,
				Data: fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%d,"method":"m"}`+"\n", id)}
		}
		rests := 0
		o.rest = func(time.Duration, <-chan struct{}) {
			rests++
			if owes && (len(sheds) != 2*rests-1 || !sheds[len(sheds)-1]) {
				t.Errorf("rest %d for Owed: Shed's calls before it %v; want it on", rests, sheds)
			}
			switch rests {
			case 1:
				q.Put(call(1, 2))
				q.Put(event.Event{Type: event.Open, Conn: 2, At: t0, Peer: &event.Peer{PID: -1, UID: -1}})
			case 2:
				q.Put(call(2, 3)) // on the other connection: the gap is the first's
				q.Close()
			}
		}
		q.Put(event.Event{Type: event.Open, Conn: 1, At: t0, Peer: &event.Peer{PID: -1, UID: -1}})
		q.Put(call(1, 1))
		o.Run(q)
		wantMessages, wantDropped := uint64(3), uint64(0)
		if owes {
			wantMessages, wantDropped = 2, 1
		}
		if n := st.Totals().Messages; n != wantMessages || o.Counts().Conns != 2 {
			t.Errorf("owing %v: %d messages, %d connections stored; want %d, and both connections", owes, n, o.Counts().Conns, wantMessages)
		}
		if e, _ := q.Dropped(); e != wantDropped {
			t.Errorf("owing %v: the queue dropped %d events, want %d", owes, e, wantDropped)
		}
		var want []bool // on and off around each rest
		for range rests {
			want = append(want, true, false)
		}
		if owes && !slices.Equal(sheds, want) || !owes && len(sheds) != 0 {
			t.Errorf("owing %v: Shed's calls %v; want on and off around each rest for Owed, and none for a rest of yieldRatio's", owes, sheds)
		}
	}
}

// Where it may rest, Run takes at most takeBytes from the queue at a time
// and weighs a rest after each take: a full queue is not decoded whole
// before the decoder's share of the CPU is counted. Here each take rests
// for Owed, and the Data queued meanwhile is dropped: only the first
// take's reads are decoded.
func TestRunWeighsARestAfterEachTake(t *testing.T) {
	st := store.New(store.Config{})
	q := event.NewQueue(1<<30, false)
	var drops uint64
	rested := false
	o := New(Config{Store: st,
		Dropped: func() (uint64, uint64) {
			if rested {
				q.Close() // after the first take's rest: the end
			}
			drops++ // grows: a rest after each batch
			return drops, 0
		},
		Busy: func() bool { return true },
		Owed: func(bool) time.Duration { return time.Hour },
	})
	o.rest = func(time.Duration, <-chan struct{}) { rested = true }
	t0 := time.Now()
	q.Put(event.Event{Type: event.Open, Conn: 1, At: t0, Peer: &event.Peer{PID: -1, UID: -1}})
	line := func(id int) []byte {
		return fmt.Appendf(nil, `{"jsonrpc":"2.0","id":"%08d","method":"m","params":[1,2,3,4,5,6,7]}`+"\n", id)
	}
	const reads, lines = 10, 1000 // reads of 72 KB each
	for r := range reads {
		var b []byte
		for i := range lines {
			b = append(b, line(r*lines+i)...)
		}
		q.Put(event.Event{Type: event.Data, Conn: 1, Dir: protocol.C2S, At: t0, Data: b})
	}
	perTake := takeBytes / (int64(len(line(0))) * lines) // whole reads a take holds: 3
	o.Run(q)
	if n, want := st.Totals().Messages, uint64(perTake*lines); n != want {
		t.Errorf("%d messages decoded; want %d, the first take's %d reads of %d", n, want, perTake, reads)
	}
	if e, _ := q.Dropped(); e != uint64(reads-perTake) {
		t.Errorf("the queue dropped %d reads; want the %d after the first take", e, reads-perTake)
	}
}

// The drops of what came during a rest, Run's own and the relay's while
// it rested, are no reason to rest again after the light batch that
// follows.
func TestRunDoesNotRestForItsOwnDrops(t *testing.T) {
	q := event.NewQueue(1<<20, false)
	relayDrops, rested := uint64(1), false
	o := New(Config{Store: store.New(store.Config{}),
		Dropped: func() (uint64, uint64) {
			if rested {
				q.Close() // the batch after the rest is the last
			}
			e, b := q.Dropped()
			return e + relayDrops, b
		},
		Busy: func() bool { return true },
		Owed: func(bool) time.Duration { return time.Hour },
	})
	t0 := time.Now()
	rests := 0
	o.rest = func(time.Duration, <-chan struct{}) {
		rested = true
		if rests++; rests == 1 {
			relayDrops++ // the ring was full meanwhile
			q.Put(event.Event{Type: event.Data, Conn: 1, Dir: protocol.C2S, At: t0, Data: []byte("{}\n")})
			q.Put(event.Event{Type: event.Open, Conn: 2, At: t0, Peer: &event.Peer{PID: -1, UID: -1}})
		}
	}
	q.Put(event.Event{Type: event.Open, Conn: 1, At: t0, Peer: &event.Peer{PID: -1, UID: -1}})
	o.Run(q)
	if e, _ := q.Dropped(); e != 1 || rests != 1 {
		t.Errorf("dropped %d, rested %d times; want the Data of the rest dropped, and one rest", e, rests)
	}
}

// On a busy machine Run rests after a heavy batch (64 reads, here) even
// though nothing was dropped, and not after a light one (a single read):
// Run hands yield the batch's weight.
func TestRunRestsAfterHeavyTraffic(t *testing.T) {
	for _, reads := range []int{1, 64} {
		st := store.New(store.Config{})
		o := New(Config{Store: st, Busy: func() bool { return true }})
		var rests []time.Duration
		o.rest = func(d time.Duration, _ <-chan struct{}) { rests = append(rests, d) }
		q := event.NewQueue(1<<20, false)
		t0 := time.Now()
		q.Put(event.Event{Type: event.Open, Conn: 1, At: t0, Peer: &event.Peer{PID: -1, UID: -1}})
		for i := range reads {
			b := fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%d,"method":"m"}`+"\n", i)
			q.Put(event.Event{Type: event.Data, Conn: 1, Dir: protocol.C2S, At: t0, Data: b})
		}
		q.Close()
		o.Run(q)
		if n := st.Totals().Messages; n != uint64(reads) {
			t.Fatalf("%d reads: %d messages stored", reads, n)
		}
		if heavy := reads >= 64; heavy && len(rests) != 1 || !heavy && len(rests) != 0 {
			t.Errorf("%d reads, nothing dropped: rests %v", reads, rests)
		}
	}
}

// A rest ends when the queue closes: the relay stopped, and the observer
// finishes without waiting.
func TestRestEndsAtClose(t *testing.T) {
	done := make(chan struct{})
	close(done)
	sleep(time.Hour, done) // the test's deadline if it waits
	New(Config{Store: store.New(store.Config{})}).restShowingDrops(time.Hour, done)
}

// While Run rests, the store's drop counts keep up with Config.Dropped's,
// every dropsEvery: the UI's header reads them.
func TestRestShowsTheDrops(t *testing.T) {
	st := store.New(store.Config{})
	var calls uint64
	o := New(Config{Store: st, Dropped: func() (uint64, uint64) {
		if got := st.Totals().DroppedEvents; got != calls {
			t.Errorf("at the rest's call %d of Dropped, the store shows %d dropped; want %d", calls+1, got, calls)
		}
		calls++
		return calls, 10 * calls
	}})
	o.rest(3*dropsEvery, make(chan struct{}))
	if tot := st.Totals(); calls != 3 || tot.DroppedEvents != 3 || tot.DroppedBytes != 30 {
		t.Errorf("after a rest of 3 × dropsEvery: Dropped called %d times, the store shows %d dropped (%d bytes); want 3, 3 (30)", calls, tot.DroppedEvents, tot.DroppedBytes)
	}
}
