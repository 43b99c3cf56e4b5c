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
func BenchmarkObserve64B(b *testing.B) { benchObserve64B(b, 0) }

// BenchmarkObserve64BInFlight16K is BenchmarkObserve64B with the requests
// 16,384 calls ahead of their replies, as a client pipelining many
// thousands of calls sends them (sockbench's 64b load): the Pairer holds
// 16K calls, not 512, and its table no longer stays in the first cache
// levels. The ids grow without end; each round's are written into the same
// buffers. One op is one call.
func BenchmarkObserve64BInFlight16K(b *testing.B) { benchObserve64B(b, 1<<14) }

// benchObserve64B runs pipelined 64-byte calls through an observer whose
// store is full, the requests ahead calls before their replies: with none
// ahead, the same ids every read, each answered in its round.
func benchObserve64B(b *testing.B, ahead int) {
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
	batch := make([]event.Event, 1, 2)
	calls := 0 // requests sent
	run := func(n int) {
		for ; n > 0; n -= perRead {
			at := t0.Add(time.Duration(calls) * time.Microsecond)
			if ahead > 0 {
				number(reqs, calls)
			}
			batch = batch[:1]
			batch[0] = event.Event{Type: event.Data, Conn: 1, Dir: protocol.C2S, At: at, Data: reqs}
			if calls >= ahead {
				if ahead > 0 {
					number(resps, calls-ahead)
				}
				batch = append(batch, event.Event{Type: event.Data, Conn: 1, Dir: protocol.S2C, At: at.Add(time.Microsecond), Data: resps})
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
	if c := o.Counts(); c.OK < int64(calls-ahead) || c.Orphan+c.NoReply > 0 {
		b.Fatalf("counts %+v after %d calls", c, calls)
	}
}

// warm reports whether a store has evicted at least an eighth of what it
// holds.
func warm(t store.Totals) bool {
	return t.Evicted > 0 && t.Evicted >= uint64(t.StoredMessages)/8
}
