package store

import (
	"fmt"
	"testing"

	"sockscope/protocol"
)

func gapsOf(s *Store) []string {
	var out []string
	s.Gaps(func(g Gap) bool {
		out = append(out, fmt.Sprintf("%d/%s<%d:%d", g.Conn, g.Dir, g.Before, g.Bytes))
		return true
	})
	return out
}

// A gap is placed before the next message stored; gaps of the same
// connection and direction in the same place add up; a gap goes with the
// messages before it, and with Clear.
func TestGaps(t *testing.T) {
	s := New(Config{MaxMessages: 3})
	addGap := func(conn uint64, d protocol.Dir, n int64) {
		s.Update(func(tx *Tx) { tx.AddGap(conn, d, n) })
	}
	addGap(1, protocol.C2S, 10)
	addGap(1, protocol.C2S, 5)
	addGap(1, protocol.S2C, 7)
	addLone(s, newMsg(1, protocol.C2S, ms(1), "a"))
	addGap(2, protocol.C2S, 3)
	if got, want := fmt.Sprint(gapsOf(s)), "[1/c2s<1:15 1/s2c<1:7 2/c2s<2:3]"; got != want {
		t.Errorf("gaps %s, want %s", got, want)
	}
	for i := range 3 { // message 1 is evicted
		addLone(s, newMsg(1, protocol.C2S, ms(2+i), "b"))
	}
	if got, want := fmt.Sprint(gapsOf(s)), "[2/c2s<2:3]"; got != want {
		t.Errorf("after eviction, gaps %s, want %s", got, want)
	}
	s.Clear()
	if got := gapsOf(s); len(got) != 0 {
		t.Errorf("after Clear, gaps %s", got)
	}
}

// The gaps kept are bounded, the oldest going first.
func TestGapsBound(t *testing.T) {
	s := New(Config{})
	s.Update(func(tx *Tx) {
		for i := range 3 * maxGaps {
			tx.AddGap(uint64(i), protocol.C2S, 1)
		}
	})
	n, first := 0, uint64(0)
	s.Gaps(func(g Gap) bool {
		if n == 0 {
			first = g.Conn
		}
		n++
		return true
	})
	if n > maxGaps || n < maxGaps/2 || first+uint64(n) != 3*maxGaps {
		t.Errorf("%d gaps kept, the first of connection %d", n, first)
	}
	if c := cap(s.gaps.list); c > 4*maxGaps {
		t.Errorf("the gaps' list holds %d", c)
	}
}
