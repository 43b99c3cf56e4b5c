package store

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestArena allocates and frees in order at random, against a model of what
// is live, across standard chunks, chunks of their own and empty
// allocations.
func TestArena(t *testing.T) {
	a := newArena(64 * 256) // 256-byte chunks
	type alloc struct {
		chunk uint64
		off   uint32
		data  []byte
	}
	var live []alloc
	rnd := rand.New(rand.NewPCG(1, 2))
	for step := range 20_000 {
		if len(live) > 0 && (rnd.IntN(2) == 0 || len(live) > 40) {
			a.free(len(live[0].data))
			live = live[1:]
			oldest := a.chunks.next
			if len(live) > 0 {
				oldest = live[0].chunk
			}
			a.release(oldest)
		} else {
			n := rnd.IntN(120)
			if rnd.IntN(20) == 0 {
				n = 300 + rnd.IntN(300)
			}
			data := make([]byte, n)
			for i := range data {
				data[i] = byte(rnd.Uint32())
			}
			cut := rnd.IntN(n + 1)
			c, off := a.put(data[:cut], data[cut:])
			if len(live) > 0 && c < live[len(live)-1].chunk {
				t.Fatalf("step %d: location went back to chunk %d", step, c)
			}
			live = append(live, alloc{c, off, data})
		}
		var sum int64
		for _, l := range live {
			if got := a.bytes(l.chunk, l.off, len(l.data)); !bytes.Equal(got, l.data) {
				t.Fatalf("step %d: allocation at %d/%d changed", step, l.chunk, l.off)
			}
			sum += int64(len(l.data))
		}
		var held int64
		for seq := a.chunks.first; seq < a.chunks.next; seq++ {
			held += int64(len(*a.chunks.at(seq)))
		}
		if a.live != sum || a.alloc != held+int64(len(a.spare)) || a.slack() < 0 {
			t.Fatalf("step %d: live %d (want %d), alloc %d (want %d+%d)", step, a.live, sum, a.alloc, held, len(a.spare))
		}
		if len(live) > 0 && a.chunks.first != live[0].chunk {
			t.Fatalf("step %d: first chunk %d, oldest allocation in %d", step, a.chunks.first, live[0].chunk)
		}
	}
	a.reset()
	if a.chunks.len() != 0 || a.live != 0 || a.alloc != int64(len(a.spare)) || len(a.spare) != a.size {
		t.Errorf("after reset: %d chunks, live %d, alloc %d, spare %d", a.chunks.len(), a.live, a.alloc, len(a.spare))
	}
}
