package protocol

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// An early response that left the table (taken by its request, displaced
// by a newer one with its id) is skipped when its entry reaches the front.
func TestSettleSkipsStaleEntries(t *testing.T) {
	p := NewPairer(0)
	p.Response(S2C, []byte(`1`), 10, 7)
	if old, _ := p.Response(S2C, []byte(`1`), 11, 8); old.Token != 7 {
		t.Fatalf("displaced %v, want 7", old)
	}
	p.Response(S2C, []byte(`2`), 12, 9)
	p.Response(S2C, []byte(`3`), 13, 10)
	if r := p.Request(C2S, []byte(`2`), 5, 1); !r.Answered || r.Reply.Token != 9 {
		t.Fatalf("request 2: %+v", r)
	}
	if got := toks(p.Settle(C2S, 12)); got != "[8]" {
		t.Fatalf("Settle(12) = %s, want [8]", got)
	}
	if got := toks(p.Settle(C2S, 20)); got != "[10]" {
		t.Fatalf("Settle(20) = %s, want [10]", got)
	}
	if p.early.len() != 0 || len(p.fifo[S2C].q) != 0 {
		t.Fatalf("left %d early, %d listed", p.early.len(), len(p.fifo[S2C].q))
	}
}

// Responses held out of read order make Settle scan, as before the FIFO:
// what it returns is all that was read up to upTo, in read order.
func TestSettleOutOfOrder(t *testing.T) {
	p := NewPairer(0)
	p.Response(S2C, []byte(`1`), 20, 7)
	p.Response(S2C, []byte(`2`), 10, 8)
	p.Response(S2C, []byte(`3`), 20, 6) // same time, smaller token
	if got := toks(p.Settle(C2S, 15)); got != "[8]" {
		t.Fatalf("Settle(15) = %s, want [8]", got)
	}
	if got := toks(p.Settle(C2S, 20)); got != "[6 7]" {
		t.Fatalf("Settle(20) = %s, want [6 7]", got)
	}
	// Emptied, the table lists in order again.
	p.Response(S2C, []byte(`4`), 30, 9)
	if p.fifo[S2C].scan || len(p.fifo[S2C].q) != 1 {
		t.Fatalf("after emptying: scan %v, %d listed", p.fifo[S2C].scan, len(p.fifo[S2C].q))
	}
}

// A request whose id is not that of an early response takes the fast path
// while others are early.
func TestTryRequestBesideEarly(t *testing.T) {
	p := NewPairer(0)
	p.Response(S2C, []byte(`1`), 10, 7)
	p.Response(S2C, []byte(`"x"`), 10, 8)
	if !p.TryRequest(C2S, []byte(`2`), 5, 1) {
		t.Fatal("TryRequest(2) declined beside an early reply to 1")
	}
	if p.TryRequest(C2S, []byte(`1`), 5, 2) {
		t.Fatal("TryRequest(1) took the fast path past its early reply")
	}
	if r := p.Request(C2S, []byte(`1`), 5, 2); !r.Answered || r.Reply.Token != 7 {
		t.Fatalf("Request(1) = %+v, want answered by 7", r)
	}
	// Request's own fast path answers too.
	p.Response(S2C, []byte(`3`), 10, 9)
	if r := p.Request(C2S, []byte(`3`), 5, 3); !r.Answered || r.Reply.Token != 9 {
		t.Fatalf("Request(3) = %+v, want answered by 9", r)
	}
}

// Holding early responses and settling them allocates nothing once the
// FIFO and the table have grown.
func TestSettleAllocs(t *testing.T) {
	p := NewPairer(0)
	at := int64(0)
	var ids [64][]byte
	five := []byte(`5`)
	for i := range ids {
		ids[i] = fmt.Appendf(nil, "%d", 1000+i)
	}
	round := func() {
		for i := range 64 {
			at++
			if _, ok := p.Response(S2C, ids[i], at, uint64(at)); ok {
				t.Fatal("paired")
			}
			if i%4 == 0 { // a request takes it, or one comes unanswered
				p.Request(C2S, ids[i], at-1, uint64(at))
			}
		}
		p.Request(C2S, five, at, 1)
		p.Response(S2C, five, at, 2)
		if out := p.Settle(C2S, at); len(out) != 48 {
			t.Fatalf("settled %d, want 48", len(out))
		}
	}
	round()
	if n := testing.AllocsPerRun(100, round); n != 0 {
		t.Fatalf("%v allocations per round", n)
	}
}

// Settle through the FIFO returns what a scan of the table returns, over
// random traffic: early responses taken, displaced, held out of order, with
// ids that are integers or not, in both directions.
func TestSettleSameAsScan(t *testing.T) {
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 1))
		a, b := NewPairer(64), NewPairer(64) // b always scans
		at := int64(1000)
		for i := range 400 {
			b.fifo[C2S].scan, b.fifo[S2C].scan = true, true
			dir := Dir(rng.IntN(2))
			id := fmt.Appendf(nil, "%d", rng.IntN(40))
			switch rng.IntN(5) {
			case 0:
				id = fmt.Appendf(nil, `"%d"`, rng.IntN(40))
			case 1:
				id = fmt.Appendf(nil, "%d.0", rng.IntN(40)) // canonicalised to an integer
			}
			at += int64(rng.IntN(3))
			t0 := at
			if rng.IntN(20) == 0 {
				t0 -= int64(rng.IntN(10)) // out of read order
			}
			tok := uint64(i + 1)
			var ga, gb string
			switch op := rng.IntN(10); {
			case op < 4:
				ga = fmt.Sprint(a.Response(dir, id, t0, tok))
				gb = fmt.Sprint(b.Response(dir, id, t0, tok))
			case op < 7:
				ga = renderRequest(a.Request(dir, id, t0, tok))
				gb = renderRequest(b.Request(dir, id, t0, tok))
			case op < 9:
				upTo := at - int64(rng.IntN(5))
				ga = toks(slices.Clone(a.Settle(dir, upTo)))
				gb = toks(b.Settle(dir, upTo))
			default:
				nra, ora := a.Close()
				nrb, orb := b.Close()
				ga, gb = toks(nra)+toks(ora), toks(nrb)+toks(orb)
			}
			if ga != gb {
				t.Fatalf("seed %d step %d: %s, want %s (as a scan)", seed, i, ga, gb)
			}
		}
	}
}

// Pairers sharing a FIFOSpare hand the memory of a burst of early
// responses on: the next burst, of the same or another connection, lists
// into it rather than grow a list anew from nothing (and shed it again).
func TestFIFOSpareCarriesABurstsMemory(t *testing.T) {
	const n = 4 * keepFIFO
	var spare FIFOSpare
	burst := func(p *Pairer, at int64) {
		t.Helper()
		for i := range n {
			p.Response(S2C, fmt.Appendf(nil, "%d", i), at+int64(i), uint64(i+1))
		}
		for i := range n {
			if r := p.Request(C2S, fmt.Appendf(nil, "%d", i), at+int64(i), uint64(i+1)); !r.Answered {
				t.Fatalf("request %d not answered", i)
			}
		}
		if got := p.Settle(C2S, at+n); len(got) != 0 {
			t.Fatalf("Settle returned %d orphans", len(got))
		}
		if len(p.fifo[S2C].q) != 0 || cap(p.fifo[S2C].q) > keepFIFO {
			t.Fatalf("after the burst the list holds %d, room for %d", len(p.fifo[S2C].q), cap(p.fifo[S2C].q))
		}
	}
	a, b := NewPairer(0), NewPairer(0)
	a.ShareSpare(&spare)
	b.ShareSpare(&spare)
	burst(a, 0)
	if cap(spare.q) < n {
		t.Fatalf("the spare has room for %d after a burst of %d", cap(spare.q), n)
	}
	kept := unsafe.SliceData(spare.q)
	// The last burst leaves an orphan: its list empties by settling.
	for k, p := range []*Pairer{b, a, b} {
		p.Response(S2C, []byte(`999999`), -1, 1<<40) // listed in a list of its own
		for i := range n {
			p.Response(S2C, fmt.Appendf(nil, "%d", i), int64(i), uint64(i+1))
		}
		if got := unsafe.SliceData(p.fifo[S2C].q); got != kept {
			t.Fatalf("burst %d grew a list of its own (room for %d), not the spare's", k, cap(p.fifo[S2C].q))
		}
		orphans := 1
		if k < 2 {
			p.Request(C2S, []byte(`999999`), -2, 1<<41)
			orphans = 0
		}
		for i := range n {
			p.Request(C2S, fmt.Appendf(nil, "%d", i), int64(i), uint64(i+1))
		}
		if got := p.Settle(C2S, n); len(got) != orphans {
			t.Fatalf("burst %d: Settle returned %d orphans, want %d", k, len(got), orphans)
		}
		if unsafe.SliceData(spare.q) != kept || cap(p.fifo[S2C].q) > keepFIFO {
			t.Fatalf("burst %d's list did not go back to the spare: list %d/%d, spare room %d", k, len(p.fifo[S2C].q), cap(p.fifo[S2C].q), cap(spare.q))
		}
	}
}
