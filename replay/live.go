package replay

import (
	"strconv"
	"sync"

	"sockscope/protocol"
	"sockscope/query"
	"sockscope/store"
)

// MaxLive bounds the comparisons a Live keeps (the oldest go first); the
// Result keeps them all.
const MaxLive = 1 << 20

// liveKey names a replayed request in the replay's own capture: its
// connection there and its id (raw JSON, as the store's rows hold it).
type liveKey struct {
	conn uint64
	id   string
}

// Live is a replay's comparisons as they are made, for a UI that shows the
// replay's own capture: each replayed request (a row of that capture) is
// looked up by its connection and id. It is safe for concurrent use.
type Live struct {
	// File and Upstream name the recording and the server, for a status
	// bar.
	File, Upstream string
	// Ignore is what the comparison leaves out, to dim it in a diff view.
	Ignore Ignore
	// Skip are the top-level members the comparison skips (the id fields).
	Skip []string

	mu    sync.Mutex
	byKey map[liveKey]*liveEntry
	// The places of the capture's requests without an id (nthOf): by
	// row seq, the rows scanned up to, and the requests so far by
	// connection.
	nth      map[uint64]int
	nthNext  uint64
	nthConns map[uint64]int
	order    []liveKey
	expected int
	total    int // Plan's
	compared int
	differ   int
	races    int
	done     bool
}

type liveEntry struct {
	c    Compared
	done bool
}

// NewLive returns an empty Live.
func NewLive(file, upstream string, ig Ignore, skip []string) *Live {
	return &Live{File: file, Upstream: upstream, Ignore: ig, Skip: skip, byKey: map[liveKey]*liveEntry{},
		nth: map[uint64]int{}, nthConns: map[uint64]int{}}
}

// Expect says request id on the replay's connection conn will be compared:
// until Record, Lookup says it is pending.
func (l *Live) Expect(conn uint64, id string) {
	if l == nil || conn == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	k := liveKey{conn, id}
	if _, ok := l.byKey[k]; !ok {
		l.add(k, &liveEntry{})
	}
	l.expected++
}

// Plan says how many requests the replay is to compare: until they are all
// expected, Status counts that many.
func (l *Live) Plan(total int) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.total = total
	l.mu.Unlock()
}

// add keeps e under k, dropping the oldest past MaxLive.
func (l *Live) add(k liveKey, e *liveEntry) {
	l.byKey[k] = e
	l.order = append(l.order, k)
	if len(l.order) > MaxLive {
		delete(l.byKey, l.order[0])
		l.order = l.order[1:]
	}
}

// Record stores a finished comparison.
func (l *Live) Record(c Compared) {
	if l == nil || c.Conn == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	k := liveKey{c.Conn, c.liveID()}
	e := l.byKey[k]
	if e == nil {
		e = &liveEntry{}
		l.add(k, e)
		l.expected++
	}
	if e.done {
		l.uncount(&e.c)
	}
	e.c, e.done = c, true
	l.compared++
	switch verdictCompare(c.Verdict) {
	case query.CompareDiffers:
		l.differ++
	case query.CompareRace:
		l.races++
	}
}

// NotSent counts n requests that could not be sent (their connection
// could not be made): compared, as errors, with no row of the capture.
func (l *Live) NotSent(n int) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.compared += n
	l.differ += n // an error counts as a difference (verdictCompare)
}

func (l *Live) uncount(c *Compared) {
	l.compared--
	switch verdictCompare(c.Verdict) {
	case query.CompareDiffers:
		l.differ--
	case query.CompareRace:
		l.races--
	}
}

// Finish says the replay is over: what is still pending never will be
// compared.
func (l *Live) Finish() {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.done = true
	l.mu.Unlock()
}

// Lookup returns the comparison of request id on connection conn of the
// replay's capture, and its verdict in the filter language's terms
// (query.CompareNone when it is not a replayed request).
func (l *Live) Lookup(conn uint64, id string) (Compared, query.Compare) {
	if l == nil || id == "" {
		return Compared{}, query.CompareNone
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.byKey[liveKey{conn, id}]
	switch {
	case e == nil:
		return Compared{}, query.CompareNone
	case !e.done && l.done:
		return Compared{}, query.CompareNone
	case !e.done:
		return Compared{}, query.ComparePending
	}
	return e.c, verdictCompare(e.c.Verdict)
}

// LookupRow returns the comparison of row r of the replay's capture, st,
// as Lookup does: a request with an id is looked up by it, one without
// (HTTP/1.1, RESP, varlink: paired by order) by its place among the requests of its
// connection, which the replay sent in the recorded order (Compared.Nth).
func (l *Live) LookupRow(st store.View, r *store.Row) (Compared, query.Compare) {
	if l == nil || r.Kind != protocol.KindRequest || r.Dir != protocol.C2S {
		return Compared{}, query.CompareNone
	}
	if r.ID != "" {
		return l.Lookup(r.Conn, r.ID)
	}
	n := l.nthOf(st, r)
	if n == 0 {
		return Compared{}, query.CompareNone
	}
	return l.Lookup(r.Conn, "#"+strconv.Itoa(n))
}

// nthOf returns the place of r, a request without an id, among those of
// its connection in st (1 for the first), counting the rows not counted
// yet up to it; 0 when it cannot tell (the row was evicted unseen).
func (l *Live) nthOf(st store.View, r *store.Row) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n, ok := l.nth[r.Seq]; ok || r.Seq < l.nthNext {
		return n
	}
	st.Rows(l.nthNext, func(row store.Row) bool {
		if row.Seq > r.Seq {
			return false
		}
		l.nthNext = row.Seq + 1
		if row.Kind == protocol.KindRequest && row.Dir == protocol.C2S && row.ID == "" {
			l.nthConns[row.Conn]++
			if len(l.nth) < MaxLive {
				l.nth[row.Seq] = l.nthConns[row.Conn]
			}
		}
		return true
	})
	return l.nth[r.Seq]
}

// verdictCompare is a verdict in the filter language's terms: an error
// fails as a difference does; a request unanswered when recorded is
// reported, not failed, as a race is.
func verdictCompare(v Verdict) query.Compare {
	switch v {
	case Differs, Error:
		return query.CompareDiffers
	case Race, Unanswered:
		return query.CompareRace
	}
	return query.CompareMatch
}

// LiveStatus is how far a replay is.
type LiveStatus struct {
	// Expected requests will be compared (all the replay is to compare,
	// once it said: see Plan); Compared of them are.
	Expected, Compared int
	Differ, Races      int
	Done               bool
}

// Status returns how far the replay is.
func (l *Live) Status() LiveStatus {
	if l == nil {
		return LiveStatus{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return LiveStatus{Expected: max(l.expected, l.total), Compared: l.compared, Differ: l.differ, Races: l.races, Done: l.done}
}
