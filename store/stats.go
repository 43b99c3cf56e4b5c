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

// connError reports whether a row with status s counts as a connection error.
func connError(s protocol.Status) int64 {
	switch s {
	case protocol.StatusError, protocol.StatusOrphan, protocol.StatusNoReply:
		return 1
	}
	return 0
}

// methodError reports whether a row with status s counts as a method error.
func methodError(s protocol.Status) int64 {
	switch s {
	case protocol.StatusError, protocol.StatusNoReply:
		return 1
	}
	return 0
}

func pending(s protocol.Status) int {
	if s == protocol.StatusPending {
		return 1
	}
	return 0
}

// move accounts a row of the method going from status from to status to.
func (m *methodAcc) move(from, to protocol.Status) {
	if m == nil {
		return
	}
	m.st.Pending += pending(to) - pending(from)
	m.st.Errors += methodError(to) - methodError(from)
}

// move accounts a row of the connection going from status from to status to.
func (a *connAcc) move(from, to protocol.Status) {
	a.c.InFlight += pending(to) - pending(from)
	a.c.Errors += connError(to) - connError(from)
}

// transition accounts a row going from status from to status to.
func transition(c *connAcc, gm, cm *methodAcc, from, to protocol.Status) {
	if from == to {
		return
	}
	c.move(from, to)
	gm.move(from, to)
	cm.move(from, to)
}

// sample adds one latency to a histogram and queues its summary; a
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
	if !l.dirty {
		l.dirty = true
		s.dirty = append(s.dirty, l)
	}
}

// addLatency counts one answered row's latency everywhere it belongs.
func (s *Store) addLatency(c *connAcc, gm, cm *methodAcc, d time.Duration) {
	s.sample(&c.lat, d, true)
	if gm != nil {
		s.sample(&gm.lat, d, false)
	}
	if cm != nil {
		s.sample(&cm.lat, d, true)
	}
	s.sample(&s.all, d, false)
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
