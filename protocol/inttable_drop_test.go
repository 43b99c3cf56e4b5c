package protocol

import (
	"strconv"
	"testing"
)

// TestIntTableDroppedReplies fills the table as a decoder dropping one read
// of replies in 16 does (reads of 512 calls): runs of 512 consecutive ids,
// one every 8,192, up to the Pairer's default bound, and checks that no
// entry lies far from its home (24 slots at worst, 5 on average, where
// homes from the hash's middle bits put one 89 past, 35 on average). Homes
// that spread the groups of 16 ids unevenly merged them into runs of
// hundreds of slots, which each request and reply landing among them then
// shifted or walked.
func TestIntTableDroppedReplies(t *testing.T) {
	p := NewPairer(0)
	var id []byte
	for i := 0; p.Len() < DefaultMaxPending-512; i += 16 * 512 {
		for j := range 512 {
			id = strconv.AppendInt(id[:0], int64(i+j), 10)
			p.Request(C2S, id, int64(i+j), 1)
		}
	}
	tab := &p.pending.ints
	worst, sum := 0, 0
	for i := range tab.slots {
		if s := &tab.slots[i]; s.used {
			d := (i - int(s.home)) & (len(tab.slots) - 1)
			worst, sum = max(worst, d), sum+d
		}
	}
	if mean := float64(sum) / float64(tab.n); worst > 48 || mean > 10 {
		t.Errorf("%d entries in %d slots: one lies %d slots past its home, %.1f on average", tab.n, len(tab.slots), worst, mean)
	}
}
