package index

import (
	"cmp"
	"slices"
	"sync"
	"time"
	"unsafe"

	"sockscope/protocol"
	"sockscope/store"
)

// Bounds of Stats, whatever the file's size.
const (
	// MaxStatConns is how many connections Stats keeps one by one (the
	// totals count every one).
	MaxStatConns = 1 << 16
	// maxConnMethods bounds the per-connection method statistics, over all
	// connections; beyond it a connection's rows count under OtherMethod.
	maxConnMethods = 1 << 16
	// MaxConnBytes bounds the bytes of the connections Stats keeps one by
	// one and of their method statistics, histograms aside (those have a
	// budget of their own, store.ConnHistBytes): beyond it a new
	// connection counts in the totals only, and a new method of a kept
	// connection under OtherMethod.
	MaxConnBytes = 8 << 20
)

// What Stats accounts for a kept connection and a method's statistics
// (their strings aside): the structures and a map entry.
const (
	connCost   = int64(unsafe.Sizeof(connStat{})) + mapCost
	methodCost = int64(unsafe.Sizeof(methodStat{})) + mapCost
	mapCost    = 64
)

// Stats are a session file's statistics computed from its index: totals,
// per connection, per method (over all connections and per connection),
// latency percentiles, and a timeline (Timeline). They are fed as the
// index is written (Writer.SetStats) or by scanning an index (Scan), and
// are bounded in memory whatever the file's size. Safe for concurrent use.
type Stats struct {
	mu      sync.Mutex
	gen     uint64
	tot     store.Totals
	all     latSum
	conns   map[uint64]*connStat
	methods map[string]*methodStat
	nCM     int
	// recBytes is what the kept connections and their method statistics
	// take (connCost, methodCost and their strings), bounded by
	// MaxConnBytes; hists is the budget of their histograms' octaves.
	recBytes int64
	hists    *store.HistBudget
	recent   [store.RecentLatencies]time.Duration
	nrecent  int
	line     timeline
	// long is the whole name of each method too long for a row record,
	// by the part the record keeps (bounded as the method table).
	long map[string]string
}

// latSum is a histogram and its summary, recomputed when read after a
// change.
type latSum struct {
	h     store.Hist
	sum   store.Latency
	dirty bool
}

func (l *latSum) add(d time.Duration) { l.h.Add(d); l.dirty = true }

// addIn adds d with the histogram's octaves out of budget b.
func (l *latSum) addIn(d time.Duration, b *store.HistBudget) { l.h.AddIn(d, b); l.dirty = true }

func (l *latSum) summary() store.Latency {
	if l.dirty {
		l.sum, l.dirty = l.h.Summary(), false
	}
	return l.sum
}

type connStat struct {
	c       store.Conn
	lat     latSum
	methods map[string]*methodStat
}

type methodStat struct {
	st  store.MethodStats
	lat latSum
}

// NewStats returns empty statistics.
func NewStats() *Stats {
	return &Stats{conns: map[uint64]*connStat{}, methods: map[string]*methodStat{}, long: map[string]string{},
		hists: store.NewHistBudget(store.ConnHistBytes)}
}

// fullMethod gives row r, read from a record with flags f, its whole
// method name if the record cut it and the name was seen before. It
// reports false when the name is still cut.
func (s *Stats) fullMethod(r *store.Row, f uint8) bool {
	if f&rLongMethod == 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	full, ok := s.long[r.Method]
	if ok {
		r.Method = full
	}
	return ok
}

// conn returns connection id's statistics, nil for a connection not kept
// (beyond MaxStatConns or MaxConnBytes). A connection it keeps is counted
// in the totals; one it does not is counted by setConn.
func (s *Stats) conn(id uint64) *connStat {
	c := s.conns[id]
	if c == nil {
		if s.full() {
			return nil
		}
		s.tot.Conns++
		s.tot.OpenConns++
		c = &connStat{c: store.Conn{ID: id, PID: -1, UID: -1, State: store.ConnOpen}, methods: map[string]*methodStat{}}
		s.conns[id] = c
		s.recBytes += connCost
	}
	return c
}

// full reports whether Stats keeps no more connections one by one.
func (s *Stats) full() bool {
	return len(s.conns) >= MaxStatConns || s.recBytes+connCost > MaxConnBytes
}

func (s *Stats) method(m string) *methodStat {
	if len(m) > 256 {
		m = store.OtherMethod
	}
	g := s.methods[m]
	if g == nil {
		if len(s.methods) >= store.MaxMethods && m != store.OtherMethod {
			return s.method(store.OtherMethod)
		}
		g = &methodStat{st: store.MethodStats{Method: m}}
		s.methods[m] = g
	}
	return g
}

func (s *Stats) connMethod(c *connStat, m string) *methodStat {
	if c == nil {
		return nil
	}
	if len(m) > 256 {
		m = store.OtherMethod
	}
	cm := c.methods[m]
	if cm == nil {
		cost := methodCost + int64(len(m))
		if (s.nCM >= maxConnMethods || s.recBytes+cost > MaxConnBytes) && m != store.OtherMethod {
			return s.connMethod(c, store.OtherMethod)
		}
		cm = &methodStat{st: store.MethodStats{Method: m}}
		c.methods[m] = cm
		s.nCM++
		s.recBytes += cost
	}
	return cm
}

// setConn records a connection's description and state; again says a
// setConn described it before (the index writer closing a connection it
// opened), so that a connection not kept is counted once.
func (s *Stats) setConn(d store.Conn, again bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	c := s.conn(d.ID)
	if c == nil {
		if !again {
			s.tot.Conns++
			s.tot.OpenConns++
		}
		if d.State != store.ConnOpen {
			s.tot.OpenConns--
		}
		return
	}
	if c.c.State == store.ConnOpen && d.State != store.ConnOpen {
		s.tot.OpenConns--
	}
	keep := c.c
	s.recBytes += connStrings(d) - connStrings(keep)
	c.c = d
	c.c.Messages, c.c.Bytes, c.c.Wire, c.c.Errors, c.c.InFlight = keep.Messages, keep.Bytes, keep.Wire, keep.Errors, keep.InFlight
}

// frame counts one frame.
func (s *Stats) frame(r *msgRec) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	s.tot.Messages++
	s.tot.Bytes += int64(r.size)
	if c := s.conn(r.conn); c != nil {
		c.c.Messages++
		c.c.Bytes[r.dir&1] += int64(r.size)
		c.c.Wire[r.dir&1] += int64(r.wire)
	}
	s.line.add(r.at, false, 0, false)
}

func answered(r *store.Row) bool {
	return r.Resp != 0 && (r.Status == protocol.StatusOK || r.Status == protocol.StatusError)
}

// row counts row r, which was old before (nil: a new row).
func (s *Stats) row(old, r *store.Row) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	if len(r.Method) > methodInline && len(s.long) < store.MaxMethods {
		s.long[r.Method[:methodInline]] = r.Method
	}
	c := s.conn(r.Conn)
	var g, cm *methodStat
	if r.Method != "" {
		g, cm = s.method(r.Method), s.connMethod(c, r.Method)
	}
	from := protocol.StatusNone
	if old == nil {
		s.tot.Rows++
		if g != nil {
			g.st.Count++
		}
		if cm != nil {
			cm.st.Count++
		}
	} else {
		from = store.Counted(old.Status, old.Gap)
	}
	to := store.Counted(r.Status, r.Gap)
	pend := func(st protocol.Status) int {
		if st == protocol.StatusPending {
			return 1
		}
		return 0
	}
	if c != nil {
		c.c.InFlight += pend(to) - pend(from)
		c.c.Errors += store.ConnError(to) - store.ConnError(from)
	}
	for _, m := range []*methodStat{g, cm} {
		if m != nil {
			m.st.Pending += pend(to) - pend(from)
			m.st.Errors += store.MethodError(to) - store.MethodError(from)
		}
	}
	if answered(r) && (old == nil || !answered(old)) {
		d := r.Latency
		s.all.add(d)
		if c != nil {
			c.lat.addIn(d, s.hists)
		}
		if g != nil {
			g.lat.add(d)
		}
		if cm != nil {
			cm.lat.addIn(d, s.hists)
		}
		s.recent[s.nrecent%len(s.recent)] = d
		s.nrecent++
	}
	if store.ConnError(to) != 0 && (old == nil || store.ConnError(from) == 0) || answered(r) && (old == nil || !answered(old)) {
		s.line.add(stamp(r.ReqAt), store.ConnError(to) != 0, r.Latency, true)
	}
}

// connStrings is what the strings of connection c take.
func connStrings(c store.Conn) int64 {
	return int64(len(c.Client) + len(c.Listen) + len(c.Upstream) + len(c.Process) + len(c.Err))
}

// Bytes returns about how many bytes the statistics take: the kept
// connections and their methods (at most MaxConnBytes), their
// histograms' octaves (at most twice store.ConnHistBytes), the
// per-method statistics and the timeline, whatever the file's size.
func (s *Stats) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.recBytes + s.hists.Used() + int64(unsafe.Sizeof(*s))
	for m, g := range s.methods {
		n += methodCost + int64(len(m)) + g.lat.h.Bytes()
	}
	for k, v := range s.long {
		n += mapCost + int64(len(k)+len(v))
	}
	return n + int64(cap(s.line.b))*int64(unsafe.Sizeof(Bucket{}))
}

// Gen moves whenever the statistics change.
func (s *Stats) Gen() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen
}

// Totals returns the totals (StoredMessages and StoredBytes are left to
// the caller).
func (s *Stats) Totals() store.Totals {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tot
	t.Latency = s.all.summary()
	return t
}

// Conns returns the connections kept, by ID.
func (s *Stats) Conns() []store.Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]store.Conn, 0, len(s.conns))
	for _, c := range s.conns {
		v := c.c
		v.Latency = c.lat.summary()
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b store.Conn) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Conn returns connection id.
func (s *Stats) Conn(id uint64) (store.Conn, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conns[id]
	if c == nil {
		return store.Conn{}, false
	}
	v := c.c
	v.Latency = c.lat.summary()
	return v, true
}

// Methods returns the method statistics of connection conn (0: all), by
// Count descending then name, as store.Store.Methods.
func (s *Stats) Methods(conn uint64) []store.MethodStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.methods
	if conn != 0 {
		c := s.conns[conn]
		if c == nil {
			return nil
		}
		m = c.methods
	}
	out := make([]store.MethodStats, 0, len(m))
	for _, a := range m {
		if a.st.Count == 0 {
			continue
		}
		st := a.st
		st.Latency = a.lat.summary()
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b store.MethodStats) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Method, b.Method)
	})
	return out
}

// RecentLatencies appends the latest latencies, oldest first, to dst.
func (s *Stats) RecentLatencies(dst []time.Duration) []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := min(s.nrecent, len(s.recent))
	for i := s.nrecent - n; i < s.nrecent; i++ {
		dst = append(dst, s.recent[i%len(s.recent)])
	}
	return dst
}
