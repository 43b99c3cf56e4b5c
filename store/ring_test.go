package store

import (
	"math/rand/v2"
	"testing"
)

// TestRing pushes and pops at random against a plain slice model, across
// growth and wrap-around.
func TestRing(t *testing.T) {
	r := newRing[*int]()
	var model []int
	next := uint64(1)
	rnd := rand.New(rand.NewPCG(5, 6))
	for step := range 20_000 {
		if len(model) > 0 && (rnd.IntN(3) == 0 || len(model) >= 300) {
			r.pop()
			model = model[1:]
		} else {
			p, seq := r.push()
			if seq != next {
				t.Fatalf("step %d: push seq %d, want %d", step, seq, next)
			}
			v := int(seq)
			*p = &v
			model = append(model, v)
			next++
		}
		if r.len() != len(model) || r.next != next {
			t.Fatalf("step %d: len %d next %d, want %d %d", step, r.len(), r.next, len(model), next)
		}
		if len(model) > 0 {
			for _, seq := range []uint64{r.first, r.next - 1, r.first + uint64(len(model))/2} {
				if got := *r.at(seq); got == nil || *got != int(seq) {
					t.Fatalf("step %d: at(%d) = %v", step, seq, got)
				}
			}
		}
	}
	if len(r.buf) != 512 {
		t.Errorf("buffer grew to %d for at most 300 values, want 512", len(r.buf))
	}
	for _, p := range r.buf {
		if p != nil && !r.has(uint64(*p)) {
			t.Fatalf("popped slot %d still references its value", *p)
		}
	}
	r.reset()
	if r.len() != 0 || r.buf != nil || r.first != next {
		t.Errorf("after reset: len %d first %d, want 0 %d", r.len(), r.first, next)
	}
}
