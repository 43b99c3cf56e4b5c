package event

import "sockscope/protocol"

// Gaps counts the bytes dropped of each connection and direction until an
// event of it that is kept carries them: the next Data in its Gap, or the
// connection's Close in its TailGaps. The zero value is ready to use; it is
// not safe for concurrent use.
type Gaps struct {
	m map[gapKey]int64
}

type gapKey struct {
	conn uint64
	dir  protocol.Dir
}

// Add counts n bytes dropped of direction dir of conn.
func (g *Gaps) Add(conn uint64, dir protocol.Dir, n int64) {
	if g.m == nil {
		g.m = map[gapKey]int64{}
	}
	g.m[gapKey{conn, dir}] += n
}

// Carry adds to ev, an event that is kept, the bytes dropped before it: a
// Data's direction's in Gap, a Close's both in TailGaps.
func (g *Gaps) Carry(ev *Event) {
	if len(g.m) == 0 {
		return
	}
	switch ev.Type {
	case Data:
		k := gapKey{ev.Conn, ev.Dir}
		if n, ok := g.m[k]; ok {
			ev.Gap += n
			delete(g.m, k)
		}
	case Close:
		for d := range ev.TailGaps {
			k := gapKey{ev.Conn, protocol.Dir(d)}
			ev.TailGaps[d] += g.m[k]
			delete(g.m, k)
		}
	}
}
