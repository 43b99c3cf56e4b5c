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
// store is full, the requests ahead calls before their replies: with none
// ahead, the same ids every read, each answered in its round. With
// dropEvery, ids grow without end, and one read of requests in dropEvery
// is dropped, and one of replies, half a cycle apart.
func benchObserve64B(b *testing.B, ahead, dropEvery int) {
	const perRead = 512
	// The params and the result differ from call to call, as a real
	// service's do: only what a real stream repeats repeats here.
	const reqFmt = `{"jsonrpc":"2.0","id":%8d,"method":"echo","params":"%s"}` + "\n"
	const respFmt = `{"jsonrpc":"2.0","id":%8d,"result":"%[2]s%[2]s%[2]s"}` + "\n"
	const idAt = len(`{"jsonrpc":"2.0","id":`)
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
	// number writes the ids from, from+1, ... into buf's frames (all of
	// one size).
	number := func(buf []byte, from int) {
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
	st := store.New(store.Config{})
	o := New(Config{Store: st})
	t0 := time.Now()
	o.Handle([]event.Event{{Type: event.Open, Conn: 1, At: t0, Peer: &event.Peer{PID: -1, UID: -1}}})
	reqs, resps := mk(reqFmt), mk(respFmt)
	batch := make([]event.Event, 0, 2)
	calls := 0         // requests sent
	var gaps [2]int64  // bytes dropped before the next read, by direction
	var dropped [2]int // calls whose request, reply was dropped
	run := func(n int) {
		for ; n > 0; n -= perRead {
			round := calls / perRead
			at := t0.Add(time.Duration(calls) * time.Microsecond)
			if ahead > 0 || dropEvery > 0 {
				number(reqs, calls)
			}
			batch = batch[:0]
			if dropEvery > 0 && round%dropEvery == 0 {
				gaps[protocol.C2S] += int64(len(reqs))
				dropped[protocol.C2S] += perRead
			} else {
				batch = append(batch, event.Event{Type: event.Data, Conn: 1, Dir: protocol.C2S, At: at, Data: reqs, Gap: gaps[protocol.C2S]})
				gaps[protocol.C2S] = 0
			}
			if calls >= ahead {
				if ahead > 0 || dropEvery > 0 {
					number(resps, calls-ahead)
				}
				if dropEvery > 0 && round%dropEvery == dropEvery/2 {
					gaps[protocol.S2C] += int64(len(resps))
					dropped[protocol.S2C] += perRead
				} else {
					batch = append(batch, event.Event{Type: event.Data, Conn: 1, Dir: protocol.S2C, At: at.Add(time.Microsecond), Data: resps, Gap: gaps[protocol.S2C]})
					gaps[protocol.S2C] = 0
				}
			}
			o.Handle(batch)
			calls += perRead
		}
	}
	// Warm up until the store is full and has evicted an eighth of itself:
	// by then its arena has every chunk it will hold and reuses the ones it
	// frees. The calls right after the first eviction touch a new chunk's
	// pages for the first time, a fault each (about 1,500 faults and 25 ms
	// once, on this project's VM), which is the store's start, not a call's
	// cost.
	for calls < ahead || !warm(st.Totals()) {
		run(perRead)
	}
	b.SetBytes(2 * 64)
	b.ReportAllocs()
	b.ResetTimer()
	run(b.N)
	b.StopTimer()
	// Every call whose request and reply were both seen is paired. With
	// drops, the first frame after a gap is lost too (the framing
	// resynchronises at the next line); the replies of lost requests are
	// orphans once the requests read after them are seen, and the requests
	// of lost replies go unanswered (given up by the Pairer's bound, or
	// pending still).
	c := o.Counts()
	lost := func(d protocol.Dir) int64 { return int64(dropped[d] + dropped[d]/perRead) }
	want := int64(calls-ahead) - lost(protocol.C2S) - lost(protocol.S2C)
	if c.OK != want || c.Orphan < lost(protocol.C2S)-perRead || c.Orphan > lost(protocol.C2S) ||
		(dropEvery == 0 && c.NoReply > 0) {
		b.Fatalf("counts %+v after %d calls, %v dropped", c, calls, dropped)
	}
}

// warm reports whether a store has evicted at least an eighth of what it
// holds.
func warm(t store.Totals) bool {
	return t.Evicted > 0 && t.Evicted >= uint64(t.StoredMessages)/8
}
