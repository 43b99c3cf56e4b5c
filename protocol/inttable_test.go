package protocol

import (
	"math/rand/v2"
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
			got := tab.removeIf(nil, odd)
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
