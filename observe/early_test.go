package observe

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"sockscope/protocol"
)

// earlyMsg is a reply of seq, its frame in buf, its id and method sliced
// from the frame, or (outside) copies of their own.
func earlyMsg(buf []byte, seq uint64, outside bool) protocol.Message {
	frame := fmt.Appendf(buf[:0], `{"id":%d,"method":"m%d","result":%d}`, seq, seq, seq)
	m := protocol.Message{Seq: seq, Dir: protocol.S2C, Frame: protocol.Frame{Data: frame, Size: len(frame)}}
	m.Info.Kind = protocol.KindResponse
	m.Info.ID = frame[len(`{"id":`) : len(`{"id":`)+len(fmt.Sprint(seq))]
	if outside {
		m.Info.ID = append([]byte(nil), m.Info.ID...)
		m.Info.Method = fmt.Appendf(nil, "m%d", seq)
	} else {
		i := len(`{"id":`) + len(fmt.Sprint(seq)) + len(`,"method":"`)
		m.Info.Method = frame[i : i+len(fmt.Sprint(seq))+1]
	}
	return m
}

// checkEarly checks that the reply held with seq is the message earlyMsg
// made for it.
func checkEarly(t *testing.T, q *earlyReplies, seq uint64) int {
	t.Helper()
	i := q.find(seq)
	if i < 0 {
		t.Fatalf("reply %d not found", seq)
	}
	m := q.at(i)
	want := earlyMsg(make([]byte, 0, 64), seq, false)
	if m.Seq != seq || string(m.Frame.Data) != string(want.Frame.Data) ||
		string(m.Info.ID) != string(want.Info.ID) || string(m.Info.Method) != string(want.Info.Method) {
		t.Fatalf("reply %d: seq %d, %q id %q method %q; want %q id %q method %q", seq, m.Seq,
			m.Frame.Data, m.Info.ID, m.Info.Method, want.Frame.Data, want.Info.ID, want.Info.Method)
	}
	return i
}

// Replies held early keep their bytes when the read buffer they came in is
// reused, whether their id and method lie in their frame or not, and are
// found by seq as others leave in any order (taken from the middle, popped
// at the front, compacted).
func TestEarlyRepliesKeepTheirBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var q earlyReplies
	read := make([]byte, 0, 64) // the relay's buffer, reused
	var held []uint64
	seq := uint64(100)
	for range 5000 {
		if len(held) == 0 || rng.IntN(2) == 0 {
			seq += uint64(1 + rng.IntN(3))
			m := earlyMsg(read, seq, rng.IntN(4) == 0)
			q.push(&m)
			held = append(held, seq)
			continue
		}
		k := 0 // nearly always the first, sometimes another
		if rng.IntN(4) == 0 {
			k = rng.IntN(len(held))
		}
		i := checkEarly(t, &q, held[k])
		q.done(i)
		held = append(held[:k], held[k+1:]...)
		if q.find(seq+1) >= 0 {
			t.Fatalf("found %d, never held", seq+1)
		}
	}
	for _, s := range held {
		checkEarly(t, &q, s)
	}
	if q.len() != len(held) {
		t.Fatalf("len %d, want %d", q.len(), len(held))
	}
}

// A reply taken is not found again, though it stays in the list until it
// reaches the front.
func TestEarlyRepliesTaken(t *testing.T) {
	var q earlyReplies
	for s := uint64(1); s <= 3; s++ {
		m := earlyMsg(nil, s, false)
		q.push(&m)
	}
	q.done(q.find(2))
	if q.find(2) >= 0 || q.len() != 2 {
		t.Fatalf("2 found after it was taken (len %d)", q.len())
	}
	checkEarly(t, &q, 3)
	q.done(q.find(1))
	q.done(q.find(3))
	if len(q.list) != 0 || len(q.buf) != 0 {
		t.Fatalf("emptied, it keeps %d replies, %d bytes", len(q.list), len(q.buf))
	}
}

// Holding replies early and letting them go allocates nothing once the
// list and its buffer have grown.
func TestEarlyRepliesAllocs(t *testing.T) {
	var q earlyReplies
	var msgs [64]protocol.Message
	for i := range msgs {
		msgs[i] = earlyMsg(nil, uint64(i+1), i%8 == 0)
	}
	seq := uint64(0)
	round := func() {
		for i := range msgs {
			msgs[i].Seq = seq + uint64(i) + 1
			q.push(&msgs[i])
		}
		for i := 0; i < len(msgs); i += 3 { // some from the middle first
			q.done(q.find(seq + uint64(i) + 1))
		}
		for i := range msgs {
			if j := q.find(seq + uint64(i) + 1); j >= 0 {
				_ = q.at(j)
				q.done(j)
			}
		}
		seq += uint64(len(msgs))
	}
	round()
	if n := testing.AllocsPerRun(100, round); n != 0 {
		t.Fatalf("%v allocations per round", n)
	}
	if len(q.list) != 0 {
		t.Fatalf("%d left", len(q.list))
	}
}

// len is how many replies are held (for tests).
func (q *earlyReplies) len() int {
	n := 0
	for _, r := range q.list[q.head:] {
		if !r.gone {
			n++
		}
	}
	return n
}

// A burst of early replies does not keep its memory once all but a few
// have left: the list and its buffer shrink when compacted to a quarter.
func TestEarlyRepliesShrink(t *testing.T) {
	var q earlyReplies
	read := make([]byte, 0, 64)
	const burst = 8 * keepEarlyList
	for seq := uint64(1); seq <= burst; seq++ {
		m := earlyMsg(read, seq, false)
		q.push(&m)
	}
	if cap(q.list) <= keepEarlyList || cap(q.buf) <= keepEarlyBuf {
		t.Fatalf("a burst of %d: list %d, buf %d bytes; the test needs more than the keeps", burst, cap(q.list), cap(q.buf))
	}
	for seq := uint64(1); seq <= burst-10; seq++ { // all but the last ten leave
		q.done(q.find(seq))
	}
	if cap(q.list) > keepEarlyList || cap(q.buf) > keepEarlyBuf {
		t.Errorf("ten held after a burst of %d: list %d, buf %d bytes kept", burst, cap(q.list), cap(q.buf))
	}
	for seq := uint64(burst - 9); seq <= burst; seq++ {
		checkEarly(t, &q, seq)
	}
}

// Bursts of early replies larger than a connection keeps, on one
// connection and then another, allocate nothing once the first has grown
// the observer's memory for bursts; and that memory stays within its
// bound.
func TestEarlyBurstsShareMemory(t *testing.T) {
	var spare earlyMem
	conns := [2]earlyReplies{{spare: &spare}, {spare: &spare}}
	const burst = 4 * keepEarlyList
	msgs := make([]protocol.Message, burst)
	for i := range msgs {
		msgs[i] = earlyMsg(nil, uint64(i+1), false)
	}
	seq := uint64(0)
	turn := 0
	round := func() {
		q := &conns[turn%2]
		turn++
		for i := range msgs {
			msgs[i].Seq = seq + uint64(i) + 1
			q.push(&msgs[i])
		}
		for i := range msgs {
			q.done(q.find(seq + uint64(i) + 1))
		}
		seq += burst
	}
	round()
	if cap(spare.list) <= keepEarlyList || cap(spare.buf) <= keepEarlyBuf {
		t.Fatalf("after a burst of %d, the spare memory holds %d replies and %d bytes", burst, cap(spare.list), cap(spare.buf))
	}
	if n := testing.AllocsPerRun(20, round); n != 0 {
		t.Errorf("%v allocations per burst", n)
	}
	if cap(spare.list) > maxEarlyList || cap(spare.buf) > maxEarlyBuf {
		t.Errorf("the spare memory holds %d replies and %d bytes: more than its bound", cap(spare.list), cap(spare.buf))
	}
}

// A list or buffer taken from the observer's memory for bursts that then
// grows past it is no longer that memory: it shrinks as its replies leave,
// as any list past its keep does, rather than staying as large as the
// burst grew it while a reply is held.
func TestEarlyGrownPastSpareShrinks(t *testing.T) {
	spare := earlyMem{list: make([]earlyReply, 0, 2*keepEarlyList), buf: make([]byte, 0, 2*keepEarlyBuf)}
	q := earlyReplies{spare: &spare}
	const burst = 16 * keepEarlyList
	var buf []byte
	for i := uint64(1); i <= burst; i++ {
		m := earlyMsg(buf, i, false)
		q.push(&m)
	}
	if cap(q.list) <= 2*keepEarlyList || cap(q.buf) <= 2*keepEarlyBuf {
		t.Fatalf("a burst of %d holds %d replies and %d bytes: it should have grown past the spare memory", burst, cap(q.list), cap(q.buf))
	}
	for i := uint64(1); i < burst; i++ {
		q.done(q.find(i))
	}
	checkEarly(t, &q, burst)
	if cap(q.list) > keepEarlyList || cap(q.buf) > keepEarlyBuf {
		t.Errorf("with 1 reply held, the list keeps %d replies and %d bytes (keeps at most %d and %d)", cap(q.list), cap(q.buf), keepEarlyList, keepEarlyBuf)
	}
}

// Two connections with bursts at once, the observer's memory for bursts
// given by one and taken by the other, each keep their own replies' bytes.
func TestEarlyBurstsAtOnceKeepTheirBytes(t *testing.T) {
	var spare earlyMem
	conns := [2]earlyReplies{{spare: &spare}, {spare: &spare}}
	const burst = 4 * keepEarlyList
	seq := uint64(0)
	for round := 0; round < 3; round++ {
		var buf []byte
		from := seq
		for i := 0; i < 2*burst; i++ {
			seq++
			m := earlyMsg(buf, seq, i%3 == 0)
			conns[seq%2].push(&m)
		}
		for s := from + 1; s <= seq; s++ {
			checkEarly(t, &conns[s%2], s)
		}
		// The first connection empties (its memory kept for bursts) while
		// the second holds its replies, then takes more.
		for s := from + 1; s <= seq; s++ {
			if s%2 == 0 {
				conns[0].done(conns[0].find(s))
			}
		}
		for s := from + 1; s <= seq; s++ {
			if s%2 == 1 {
				checkEarly(t, &conns[1], s)
				conns[1].done(conns[1].find(s))
			}
		}
	}
	if cap(spare.list) <= keepEarlyList {
		t.Errorf("the spare memory holds %d replies: no connection gave its burst's", cap(spare.list))
	}
}
