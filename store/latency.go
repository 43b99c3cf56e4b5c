package store

import "time"

// An answered row's latency counts in four histograms: its connection's,
// its method's, its connection's method's and the store's. Counted one at
// a time that is four scattered increments of a count, a minimum, a
// maximum and a bucket, and four summaries marked to recompute. A batch of
// rows mostly answers calls of one method on one connection, so addLatency
// only notes the latency, and flushLatencies (at the end of Update, or
// when latBatch are noted) counts each run of latencies of the same
// histograms together: a bucket increment per histogram and latency, the
// rest once per run. Nothing reads the histograms inside Update.

// latBatch is how many latencies are noted before they are counted.
const latBatch = 256

// latEntry is a latency noted, and the statistics it counts in.
type latEntry struct {
	c      *connAcc
	gm, cm *methodAcc
	d      time.Duration
}

// addLatency notes one answered row's latency, counted by flushLatencies.
func (s *Store) addLatency(c *connAcc, gm, cm *methodAcc, d time.Duration) {
	s.lats[s.nlats] = latEntry{c: c, gm: gm, cm: cm, d: d}
	s.nlats++
	if s.nlats == latBatch {
		s.flushLatencies()
	}
}

// flushLatencies counts the latencies noted, in the order they were noted.
func (s *Store) flushLatencies() {
	es := s.lats[:s.nlats]
	s.nlats = 0
	for i := 0; i < len(es); {
		e := &es[i]
		if e.gm == nil || e.cm == nil {
			s.addLatency1(e.c, e.gm, e.cm, e.d)
			i++
			continue
		}
		ls := [4]*latAcc{&e.c.lat, &e.gm.lat, &e.cm.lat, &s.all}
		mn, mx := e.d, e.d
		j := i
		// A histogram has an octave only while it is not dropped (addIn
		// drops them all): a latency whose octave all four have is
		// counted here; any other goes through addLatency1's slow path.
		// The latencies of a run mostly fall in one octave: its four
		// buckets are looked up again only when the octave changes.
		po := -1
		var p0, p1, p2, p3 *[histSub]uint64
		for ; j < len(es) && es[j].c == e.c && es[j].gm == e.gm && es[j].cm == e.cm; j++ {
			d := es[j].d
			o, b := histIndex(d)
			if o != po {
				p0, p1, p2, p3 = ls[0].h.oct[o], ls[1].h.oct[o], ls[2].h.oct[o], ls[3].h.oct[o]
				if p0 == nil || p1 == nil || p2 == nil || p3 == nil {
					break
				}
				po = o
			}
			b &= histSub - 1
			p0[b]++
			p1[b]++
			p2[b]++
			p3[b]++
			mn, mx = min(mn, d), max(mx, d)
			s.recent[s.nrecent%RecentLatencies] = d
			s.nrecent++
		}
		if j == i {
			s.addLatency1(e.c, e.gm, e.cm, e.d)
			i++
			continue
		}
		for _, l := range ls {
			h := &l.h
			if h.n == 0 || mn < h.min {
				h.min = mn
			}
			h.max = max(h.max, mx)
			h.n += uint64(j - i)
			if !l.dirty {
				l.dirty = true
				s.dirty = append(s.dirty, l)
			}
		}
		i = j
	}
	clear(es) // what they point to may be forgotten (connbound.go)
}
