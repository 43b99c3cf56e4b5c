package protocol

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestIntTable swaps, takes and removes at random against a map, with keys
// crowded into few home slots so that probe runs wrap and deletions shift.
func TestIntTable(t *testing.T) {
	var tab intTable
	model := map[uint64]uint64{}
	rnd := rand.New(rand.NewPCG(1, 2))
	for step := range 200_000 {
		k := uint64(rnd.IntN(300))
		if rnd.IntN(2) == 0 {
			k <<= 40 // same low bits: collisions
		}
		switch rnd.IntN(5) {
		case 0, 1:
			old, had := tab.swap(k, Pending{Token: uint64(step)})
			want, wantHad := model[k]
			if had != wantHad || (had && old.Token != want) {
				t.Fatalf("step %d: swap(%d) = %d %v, want %d %v", step, k, old.Token, had, want, wantHad)
			}
			model[k] = uint64(step)
		case 2, 3:
			v, ok := tab.take(k)
			want, wantOK := model[k]
			if ok != wantOK || (ok && v.Token != want) {
				t.Fatalf("step %d: take(%d) = %d %v, want %d %v", step, k, v.Token, ok, want, wantOK)
			}
			delete(model, k)
		case 4:
			if step%1000 != 0 {
				continue
			}
			odd := func(p Pending) bool { return p.Token%2 == 1 }
			got := tab.removeIf(nil, func(_ uint64, p Pending) bool { return odd(p) })
			n := 0
			for k, v := range model {
				if v%2 == 1 {
					delete(model, k)
					n++
				}
			}
			if len(got) != n {
				t.Fatalf("step %d: removeIf took %d, want %d", step, len(got), n)
			}
		}
		if tab.n != len(model) {
			t.Fatalf("step %d: %d entries, want %d", step, tab.n, len(model))
		}
	}
	for k, v := range model {
		if got, ok := tab.get(k); !ok || got.Token != v {
			t.Fatalf("get(%d) = %d %v, want %d", k, got.Token, ok, v)
		}
	}
}

// TestIntTableStrided fills the table with ids that share their low bits
// (multiples of 1024, of 65536, of the table's size, of a power of ten),
// in both directions and negative, as a peer may send them, and checks
// that they pair and that no entry lies far from its home: home hashes
// all but an id's lowest bits, so strided ids still spread.
func TestIntTableStrided(t *testing.T) {
	const n = 20_000 // a table of 64K slots
	for _, stride := range []int64{1, 3, 1000, 1024, 1 << 16, 1 << 17, 1 << 20, 1 << 32, 1_000_000, -1024} {
		p := NewPairer(0)
		var id []byte
		for i := range int64(n) {
			id = strconv.AppendInt(id[:0], i*stride, 10)
			p.Request(Dir(i%2), id, i, uint64(i)+1)
		}
		tab := &p.pending.ints
		if tab.n != n {
			t.Fatalf("stride %d: %d ints pending, want %d", stride, tab.n, n)
		}
		worst := 0
		for i := range tab.slots {
			if s := &tab.slots[i]; s.used {
				if s.home != tab.home(s.key) {
					t.Fatalf("stride %d: slot %d holds home %d, not %d", stride, i, s.home, tab.home(s.key))
				}
				worst = max(worst, (i-int(s.home))&(len(tab.slots)-1))
			}
		}
		if worst > 64 {
			t.Errorf("stride %d: an entry lies %d slots past its home", stride, worst)
		}
		for i := range int64(n) {
			id = strconv.AppendInt(id[:0], i*stride, 10)
			req, ok := p.Response(Dir(i%2).Opposite(), id, i, 0)
			if !ok || req.Token != uint64(i)+1 {
				t.Fatalf("stride %d: reply %d paired %v with %d", stride, i, ok, req.Token)
			}
		}
		if tab.n != 0 {
			t.Fatalf("stride %d: %d left", stride, tab.n)
		}
	}
}

// A table drained at its connection's end leaves its slots to the next
// table that grows to its size: the same memory, and empty.
func TestDrainedSlotsAreReused(t *testing.T) {
	var a intTable
	for k := range uint64(1000) {
		s, _ := a.slot(k)
		s.val = Pending{Token: k}
	}
	size, first := len(a.slots), &a.slots[0]
	got := a.values(nil)
	a.release()
	if len(got) != 1000 || a.n != 0 || a.slots != nil {
		t.Fatalf("drained %d entries, leaving %d in %d slots", len(got), a.n, len(a.slots))
	}
	var b intTable
	for k := range uint64(1000) {
		if _, had := b.slot(5000 + k); had {
			t.Fatalf("key %d found in a new table", 5000+k)
		}
	}
	if len(b.slots) != size || &b.slots[0] != first {
		t.Errorf("the new table has %d new slots, not the %d drained", len(b.slots), size)
	}
	for k := range uint64(1000) {
		if _, ok := b.find(k); ok {
			t.Fatalf("key %d of the drained table is in the new one", k)
		}
		if _, ok := b.find(5000 + k); !ok {
			t.Fatalf("key %d lost", 5000+k)
		}
	}
}
