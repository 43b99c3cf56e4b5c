package store

import "sockscope/protocol"

// Gap is bytes of one direction of a connection that no stored message
// holds: the observer dropped its copy of them (they were forwarded), and
// with them what it had of the frame they cut. On the wire they came after
// the connection's messages of that direction stored before seq Before,
// and before those from Before on: an export puts them there (a pcapng's
// stream skips them).
type Gap struct {
	Conn   uint64
	Dir    protocol.Dir
	Before uint64 // the seq of the first message stored after them
	Bytes  int64
}

// maxGaps bounds the gaps a Store keeps (2 MiB of them): past it the
// oldest half go. A gap goes anyway with the messages before it.
const maxGaps = 1 << 16

// gaps holds the Store's gaps, oldest first, from head on.
type gaps struct {
	list []Gap
	head int
}

// AddGap records n bytes of connection conn's direction dir that no
// message holds, before the next message stored, and returns them as a
// Gap (n bytes, whatever the Store joined them to).
func (tx *Tx) AddGap(conn uint64, dir protocol.Dir, n int64) Gap {
	s, g := tx.s, &tx.s.gaps
	before := s.msgs.next
	added := Gap{Conn: conn, Dir: dir, Before: before, Bytes: n}
	if k := len(g.list); k > g.head {
		if last := &g.list[k-1]; last.Conn == conn && last.Dir == dir && last.Before == before {
			last.Bytes += n
			return added
		}
	}
	for g.head < len(g.list) && g.list[g.head].Before < s.msgs.first {
		g.head++
	}
	if len(g.list)-g.head >= maxGaps {
		g.head += maxGaps / 2
	}
	if g.head > len(g.list)/2 {
		g.list = g.list[:copy(g.list, g.list[g.head:])]
		g.head = 0
	}
	g.list = append(g.list, added)
	tx.changed = true
	return added
}

// Gaps calls fn with the gaps of the messages stored, oldest first, while
// fn returns true. fn runs under the read lock: it must not call back into
// the Store.
func (s *Store) Gaps(fn func(Gap) bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, g := range s.gaps.list[s.gaps.head:] {
		if g.Before >= s.msgs.first && !fn(g) {
			return
		}
	}
}
