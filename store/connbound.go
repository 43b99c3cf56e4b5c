package store

import "slices"

// connBound bounds the connections a Store keeps (Config.MaxConns): once
// it holds twice the bound, or twice what it kept at its last compaction
// if that is more, compact forgets the closed connections none of whose
// rows are stored any more, with their per-connection statistics. Each
// compaction reads the stored rows once, so over the connections added
// since the last one it costs next to nothing.
type connBound struct {
	max  int // 0: no bound
	next int // the len(Store.accs) at which to compact next
}

// compact forgets, when it is time, the closed connections none of whose
// rows are stored: their accumulators, their per-connection method
// statistics and their places in Store.accs and Store.cms, which the
// stored rows are renumbered to.
func (s *Store) compact() {
	b := &s.bound
	if b.max <= 0 || len(s.accs) < max(b.next, 2*b.max) {
		return
	}
	used := make([]bool, len(s.accs))
	for seq := s.rows.first; seq < s.rows.next; seq++ {
		used[s.rows.at(seq).conn] = true
	}
	accIdx := make([]uint32, len(s.accs))
	cmIdx := make([]uint32, len(s.cms))
	accs, cms := s.accs[:0:0], []*methodAcc{nil}
	for i, a := range s.accs {
		if !used[i] && a.c.State != ConnOpen && a != s.last {
			delete(s.byID, a.c.ID)
			continue
		}
		accIdx[i], a.idx = uint32(len(accs)), uint32(len(accs))
		accs = append(accs, a)
		for _, m := range a.methods {
			cmIdx[m.idx], m.idx = uint32(len(cms)), uint32(len(cms))
			cms = append(cms, m)
		}
	}
	for seq := s.rows.first; seq < s.rows.next; seq++ {
		r := s.rows.at(seq)
		r.conn, r.cm = accIdx[r.conn], cmIdx[r.cm]
	}
	s.accs, s.cms = accs, cms
	s.conns = slices.DeleteFunc(s.conns, func(a *connAcc) bool { return s.byID[a.c.ID] != a })
	b.next = 2 * len(accs)
}
