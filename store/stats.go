package store

import (
	"time"

	"sockscope/protocol"
)

// maxMethodLen bounds an interned method name; longer names are counted
// under OtherMethod.
const maxMethodLen = 256

// maxGone bounds the pending rows remembered after they left the ring (an
// observer resolves each with Answer or SetStatus; this guards against one
// that doesn't). Beyond it, such a row stays counted as pending.
const maxGone = 1 << 18

// latAcc is a latency histogram and its summary, recomputed once per Update
// batch when samples were added.
type latAcc struct {
	h     hist
	sum   Latency
	dirty bool
	// conns, used on Store.all only, is the budget of the per-connection
	// histograms' octaves (ConnHistBytes; max 0 until the first sample).
	conns histBudget
}

// connAcc is a connection and its per-method statistics.
type connAcc struct {
	idx     uint32 // in Store.accs
	c       Conn
	lat     latAcc
	methods map[string]*methodAcc
	// lastC is methods[lastG.st.Method], the method looked up last.
	lastG, lastC *methodAcc
}

// view returns the connection as readers see it.
func (a *connAcc) view() Conn {
	c := a.c
	c.Latency = a.lat.sum
	return c
}

// methodAcc is one method's statistics, over one connection or all.
type methodAcc struct {
	idx uint32 // in Store.mtab or Store.cms
	st  MethodStats
	lat latAcc
}

// goneRow is what stays of a pending row pushed out of the ring, so that its
// answer or end still counts.
type goneRow struct {
	conn   *connAcc
	gm, cm *methodAcc
	reqAt  int64 // see Store.stamp
	gap    bool  // SetGap was called on it
}

// counted is the status a row is counted under in the statistics: a
// no-reply or orphan marked Gap (sockscope's blind spot, not the peers'
// failure) is counted as no error at all.
func counted(st protocol.Status, gap bool) protocol.Status {
	if gap && (st == protocol.StatusNoReply || st == protocol.StatusOrphan) {
		return protocol.StatusNone
	}
	return st
}

// forget remembers a pending row that leaves the ring, so that its answer
// or end still counts.
func (s *Store) forget(seq uint64, r *rowRec) {
	if r.status == protocol.StatusPending && len(s.gone) < maxGone {
		c, gm, cm := s.accsOf(r)
		s.gone[seq] = goneRow{conn: c, gm: gm, cm: cm, reqAt: r.reqAt}
	}
}

// The statuses a row counts under as a connection error, a method error
// and pending, as bit sets.
const (
	connErrors   = 1<<protocol.StatusError | 1<<protocol.StatusOrphan | 1<<protocol.StatusNoReply
	methodErrors = 1<<protocol.StatusError | 1<<protocol.StatusNoReply
	pendings     = 1 << protocol.StatusPending
)

// in returns 1 if status s is in set, 0 if not.
func in(set uint64, s protocol.Status) int64 { return int64(set >> (s & 63) & 1) }

// transition accounts a row going from status from to status to.
func transition(c *connAcc, gm, cm *methodAcc, from, to protocol.Status) {
	if from == to {
		return
	}
	dp := int(in(pendings, to) - in(pendings, from))
	dm := in(methodErrors, to) - in(methodErrors, from)
	c.c.InFlight += dp
	c.c.Errors += in(connErrors, to) - in(connErrors, from)
	if gm != nil {
		gm.st.Pending += dp
		gm.st.Errors += dm
	}
	if cm != nil {
		cm.st.Pending += dp
		cm.st.Errors += dm
	}
}

// pend accounts a row becoming pending (d 1) or a pending row answered
// without error (d -1): transition's commonest cases, quickly.
func pend(c *connAcc, gm, cm *methodAcc, d int) {
	c.c.InFlight += d
	if gm != nil {
		gm.st.Pending += d
	}
	if cm != nil {
		cm.st.Pending += d
	}
}

// sample adds one latency to a histogram whose octave for it is not
// allocated yet, or that was dropped (addLatency's slow path); a
// per-connection one (conn) takes its octaves out of the store's budget.
func (s *Store) sample(l *latAcc, d time.Duration, conn bool) {
	if conn {
		if s.all.conns.max == 0 {
			s.all.conns.max = ConnHistBytes
		}
		l.h.addIn(d, &s.all.conns)
	} else {
		l.h.add(d)
	}
}

// addLatency1 counts one answered row's latency everywhere it belongs: the
// connection's, the method's, the connection's method's and the store's
// histograms, whose summaries are queued. (addLatency buffers it for
// flushLatencies, which calls this for what its fast path can't count.)
func (s *Store) addLatency1(c *connAcc, gm, cm *methodAcc, d time.Duration) {
	o, b := histIndex(d)
	ls := [4]*latAcc{&c.lat, nil, nil, &s.all}
	if gm != nil {
		ls[1] = &gm.lat
	}
	if cm != nil {
		ls[2] = &cm.lat
	}
	for i, l := range ls {
		if l == nil {
			continue
		}
		if h, p := &l.h, l.h.oct[o]; p != nil && !h.dropped {
			h.n++
			if h.n == 1 || d < h.min {
				h.min = d
			}
			if d > h.max {
				h.max = d
			}
			p[b&(histSub-1)]++
		} else {
			s.sample(l, d, i == 0 || i == 2)
		}
		if !l.dirty {
			l.dirty = true
			s.dirty = append(s.dirty, l)
		}
	}
	s.recent[s.nrecent%RecentLatencies] = d
	s.nrecent++
}

// summarise recomputes the summaries of the histograms that changed.
func (s *Store) summarise() {
	for _, l := range s.dirty {
		l.sum = l.h.summary()
		l.dirty = false
	}
	clear(s.dirty)
	s.dirty = s.dirty[:0]
}

// methodOf returns the interned name of method m and its statistics over
// all connections: its own, or OtherMethod's when the table is full or the
// name too long (then the name returned is m itself).
func (s *Store) methodOf(m string) (string, *methodAcc) {
	if g := s.lastG; g != nil && g.st.Method == m {
		return g.st.Method, g
	}
	if g, ok := s.names[m]; ok {
		s.lastG = g
		return g.st.Method, g
	}
	if len(s.names) >= MaxMethods || len(m) > maxMethodLen {
		return m, s.method(OtherMethod)
	}
	g := s.method(m)
	s.names[m] = g
	s.lastG = g
	return g.st.Method, g
}

// methodAcc returns the all-connections statistics of method m (methodOf's
// second result), quickly when m is the method looked up last.
func (s *Store) methodAcc(m string) *methodAcc {
	if g := s.lastG; g != nil && sameString(g.st.Method, m) {
		return g
	}
	_, g := s.methodOf(m)
	return g
}

// connMethod returns connection a's statistics of the method whose
// all-connections statistics are g.
func (s *Store) connMethod(a *connAcc, g *methodAcc) *methodAcc {
	if a.lastG != g {
		c := a.methods[g.st.Method]
		if c == nil {
			c = &methodAcc{idx: uint32(len(s.cms)), st: MethodStats{Method: g.st.Method}}
			s.cms = append(s.cms, c)
			a.methods[g.st.Method] = c
		}
		a.lastG, a.lastC = g, c
	}
	return a.lastC
}

// method returns the all-connections statistics of method key, creating
// them.
func (s *Store) method(key string) *methodAcc {
	a := s.methods[key]
	if a == nil {
		a = &methodAcc{idx: uint32(len(s.mtab)), st: MethodStats{Method: key}}
		s.mtab = append(s.mtab, a)
		s.methods[key] = a
	}
	return a
}
