package observe

import (
	"fmt"
	"testing"
	"time"

	"sockscope/event"

	"sockscope/protocol"
	"sockscope/store"
)

// BenchmarkObserve64B decodes, pairs and stores pipelined 64-byte JSON-RPC
// calls as the relay hands them over: 32 KiB reads, requests and replies
// alternating. One op is one call (a request and its reply).
//
// It measures the steady state of a session: the store (at its default
// bound) is filled before the timer starts, so that every op evicts as
// much as it adds, as in any session past its first few hundred thousand
// calls. Filling a fresh store instead touches hundreds of MiB for the
// first time, whose page faults (1-2 µs a call in this machine's VM) would
// swamp the decoder's cost and vary with b.N.
func BenchmarkObserve64B(b *testing.B) { benchObserve64B(b, 0, 0) }

// BenchmarkObserve64BInFlight16K is BenchmarkObserve64B with the requests
// 16,384 calls ahead of their replies, as a client pipelining many
// thousands of calls sends them (sockbench's 64b load): the Pairer holds
// 16K calls, not 512, and its table no longer stays in the first cache
// levels. The ids grow without end; each round's are written into the same
// buffers. One op is one call.
func BenchmarkObserve64BInFlight16K(b *testing.B) { benchObserve64B(b, 1<<14, 0) }

// BenchmarkObserve64BDropping is BenchmarkObserve64B for a decoder that is
// behind and drops, as under sockbench's pipelined loads: one read of
// requests in 16 is dropped, its replies answering nothing seen (early
// replies, then orphans), and one read of replies in 16, its requests
// waiting for nothing (given up when the Pairer's bound is reached). The
// ids grow without end. One op is one call sent, dropped or not.
func BenchmarkObserve64BDropping(b *testing.B) { benchObserve64B(b, 0, 16) }

// benchObserve64B runs pipelined 64-byte calls through an observer whose
// store is full (pipelined64B), with the requests ahead calls before their
// replies and, with dropEvery, reads dropped.
func benchObserve64B(b *testing.B, ahead, dropEvery int) {
	p := newPipelined64B(store.Config{}, Config{}, ahead, dropEvery)
	p.warmUp()
	b.SetBytes(2 * 64)
	b.ReportAllocs()
	b.ResetTimer()
	p.run(b.N)
	b.StopTimer()
	if err := p.check(); err != nil {
		b.Fatal(err)
	}
}

// TestDroppingMakesNoGarbage: a decoder that is behind and drops (one read
// of requests in 16 and one of replies), with its store full and its
// Pairer at its pending bound, allocates nothing: on this project's VM a
// page of fresh memory costs about 13.6 µs to fault in, more than a
// hundred calls' decoding. A smaller store and bound than the defaults,
// to reach that state in a test's time. (A store of 8 MiB still allocates
// two of its arena's 128 KiB chunks a cycle: its one spare chunk is too
// few for the swings these drops make in chunks that small.)
func TestDroppingMakesNoGarbage(t *testing.T) {
	p := newPipelined64B(store.Config{MaxBytes: 32 << 20}, Config{MaxPending: 2000}, 0, 16)
	p.warmUp()
	// Runs of five cycles each: AllocsPerRun divides by its runs, rounding
	// down, which would hide an allocation every other cycle. The least of
	// three such runs: an allocation of the decoder's repeats every cycle,
	// while the runtime's own, counted in the same statistics, come once
	// (a new thread's M when a loaded machine wakes one, a type
	// assertion's cache growing), and under go test ./... they did, about
	// one run in 160.
	least := -1.0
	for range 3 {
		n := testing.AllocsPerRun(1, func() { p.run(5 * 16 * perRead) })
		if least < 0 || n < least {
			least = n
		}
	}
	if least != 0 {
		t.Errorf("%.0f allocations in each of three runs of five cycles of 16 reads of calls, two of each dropped; want 0", least)
	}
	if err := p.check(); err != nil {
		t.Fatal(err)
	}
	if c := p.o.Counts(); c.NoReply == 0 || c.Orphan == 0 {
		t.Fatalf("counts %+v: the drops made no no-reply or no orphan", c)
	}
}

// perRead is how many calls pipelined64B's reads carry.
const perRead = 512

// pipelined64B feeds pipelined 64-byte calls to an observer, reads of
// perRead requests and replies alternating, the requests ahead calls before
// their replies: with none ahead, the same ids every read, each answered
// in its round. With dropEvery, ids grow without end, and one read of
// requests in dropEvery is dropped, and one of replies, half a cycle apart.
type pipelined64B struct {
	st               *store.Store
	o                *Observer
	ahead, dropEvery int
	t0               time.Time
	reqs, resps      []byte
	batch            []event.Event
	calls            int      // requests sent
	gaps             [2]int64 // bytes dropped before the next read, by direction
	dropped          [2]int   // calls whose request, reply was dropped
}

func newPipelined64B(sc store.Config, oc Config, ahead, dropEvery int) *pipelined64B {
	// The params and the result differ from call to call, as a real
	// service's do: only what a real stream repeats repeats here.
	const reqFmt = `{"jsonrpc":"2.0","id":%8d,"method":"echo","params":"%s"}` + "\n"
	const respFmt = `{"jsonrpc":"2.0","id":%8d,"result":"%[2]s%[2]s%[2]s"}` + "\n"
	mk := func(format string) []byte {
		var buf []byte
		for i := range perRead {
			var word [7]byte // a multiple of i in base 26, as letters
			for j, v := 0, i*7919; j < len(word); j, v = j+1, v/26 {
				word[j] = byte('a' + v%26)
			}
			buf = fmt.Appendf(buf, format, i, word[:])
		}
		return buf
	}
	p := &pipelined64B{ahead: ahead, dropEvery: dropEvery, t0: time.Now(), reqs: mk(reqFmt), resps: mk(respFmt)}
	p.st = store.New(sc)
	oc.Store = p.st
	p.o = New(oc)
	p.o.Handle([]event.Event{{Type: event.Open, Conn: 1, At: p.t0, Peer: &event.Peer{PID: -1, UID: -1}}})
	p.batch = make([]event.Event, 0, 2)
	return p
}

// number writes the ids from, from+1, ... into buf's frames (all of one
// size).
func number(buf []byte, from int) {
	const idAt = len(`{"jsonrpc":"2.0","id":`)
	size := len(buf) / perRead
	for i := range perRead {
		f := buf[i*size+idAt : i*size+idAt+8]
		for j, v := 7, from+i; j >= 0; j-- {
			f[j] = byte('0' + v%10)
			if v /= 10; v == 0 {
				for j--; j >= 0; j-- {
					f[j] = ' '
				}
			}
		}
	}
}

// run sends n calls (rounded up to reads of perRead).
func (p *pipelined64B) run(n int) {
	for ; n > 0; n -= perRead {
		round := p.calls / perRead
		at := p.t0.Add(time.Duration(p.calls) * time.Microsecond)
		if p.ahead > 0 || p.dropEvery > 0 {
			number(p.reqs, p.calls)
		}
		p.batch = p.batch[:0]
		if p.dropEvery > 0 && round%p.dropEvery == 0 {
			p.gaps[protocol.C2S] += int64(len(p.reqs))
			p.dropped[protocol.C2S] += perRead
		} else {
			p.batch = append(p.batch, event.Event{Type: event.Data, Conn: 1, Dir: protocol.C2S, At: at, Data: p.reqs, Gap: p.gaps[protocol.C2S]})
			p.gaps[protocol.C2S] = 0
		}
		if p.calls >= p.ahead {
			if p.ahead > 0 || p.dropEvery > 0 {
				number(p.resps, p.calls-p.ahead)
			}
			if p.dropEvery > 0 && round%p.dropEvery == p.dropEvery/2 {
				p.gaps[protocol.S2C] += int64(len(p.resps))
				p.dropped[protocol.S2C] += perRead
			} else {
				p.batch = append(p.batch, event.Event{Type: event.Data, Conn: 1, Dir: protocol.S2C, At: at.Add(time.Microsecond), Data: p.resps, Gap: p.gaps[protocol.S2C]})
				p.gaps[protocol.S2C] = 0
			}
		}
		p.o.Handle(p.batch)
		p.calls += perRead
	}
}

// warmUp runs calls until the store is full and has evicted an eighth of
// itself: by then its arena has every chunk it will hold and reuses the
// ones it frees. The calls right after the first eviction touch a new
// chunk's pages for the first time, a fault each (about 1,500 faults and
// 25 ms once, on this project's VM), which is the store's start, not a
// call's cost. With drops, it also runs until the Pairer's pending bound
// was reached, where it gives up the oldest tenth of the requests whose
// replies were dropped, as in any session dropping for long.
func (p *pipelined64B) warmUp() {
	for p.calls < p.ahead || !warm(p.st.Totals()) || (p.dropEvery > 0 && p.o.Counts().NoReply == 0) {
		p.run(perRead)
	}
}

// warm reports whether a store has evicted at least an eighth of what it
// holds.
func warm(t store.Totals) bool {
	return t.Evicted > 0 && t.Evicted >= uint64(t.StoredMessages)/8
}

// check says whether the observer's counts are what the calls sent make.
// Every call whose request and reply were both seen is paired. With drops,
// the first frame read after a gap is lost too (the framing resynchronises
// at the next line); the replies of lost requests are orphans once the
// requests read after them are seen, and the requests of lost replies go
// unanswered (given up by the Pairer's bound, or pending still).
func (p *pipelined64B) check() error {
	c := p.o.Counts()
	// The calls of the reads dropped: no more, since a read begins with a
	// whole line, which the lines framer keeps after a gap.
	lost := func(d protocol.Dir) int64 { return int64(p.dropped[d]) }
	want := int64(p.calls-p.ahead) - lost(protocol.C2S) - lost(protocol.S2C)
	if c.OK != want || c.Orphan < lost(protocol.C2S)-perRead || c.Orphan > lost(protocol.C2S) ||
		(p.dropEvery == 0 && c.NoReply > 0) {
		return fmt.Errorf("counts %+v after %d calls, %v dropped", c, p.calls, p.dropped)
	}
	return nil
}
