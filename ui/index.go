package ui

import (
	"slices"
	"sort"
	"time"

	"sockscope/protocol"
	"sockscope/query"
	"sockscope/store"
)

// Scanning budgets: how long one step of building a filtered index may take,
// so a key press or a tick never waits on a scan of a million rows.
const (
	scanBudget    = 3 * time.Millisecond
	recheckBudget = 4096 // pending rows re-examined per tick
)

// seqIndex is the list's view of the store: every row (or message) seq in
// [first, next) when nothing filters, else the ascending seqs that matched.
// The filtered index grows incrementally: each sync scans only what was
// added since the last one, and a new filter rebuilds it in budgeted steps.
type seqIndex struct {
	raw         bool         // messages instead of rows
	q           *query.Query // nil: no filter
	first, next uint64       // the store's bounds at the last sync
	seqs        []uint64
	scanned     uint64   // next seq to examine
	recheck     []uint64 // pending rows that did not match (yet)
}

// reset drops everything and starts over with q (nil for no filter).
func (x *seqIndex) reset(raw bool, q *query.Query) {
	if q.Empty() {
		q = nil
	}
	*x = seqIndex{raw: raw, q: q}
}

func (x *seqIndex) all() bool { return x.q == nil }

// len returns how many entries the index holds.
func (x *seqIndex) len() int {
	if x.all() {
		return int(x.next - x.first)
	}
	return len(x.seqs)
}

// at returns the i-th seq.
func (x *seqIndex) at(i int) uint64 {
	if x.all() {
		return x.first + uint64(i)
	}
	return x.seqs[i]
}

// find returns the position of the first entry >= seq (len when none).
func (x *seqIndex) find(seq uint64) int {
	if x.all() {
		if seq < x.first {
			return 0
		}
		return int(min(seq, x.next) - x.first)
	}
	i, _ := slices.BinarySearch(x.seqs, seq)
	return i
}

// scanning reports whether part of the store is not examined yet.
func (x *seqIndex) scanning() bool { return !x.all() && x.scanned < x.next }

// progress is the examined fraction of the store, for the list title.
func (x *seqIndex) progress() float64 {
	if x.next <= x.first {
		return 1
	}
	return float64(max(x.scanned, x.first)-x.first) / float64(x.next-x.first)
}

// sync follows the store's new bounds: evicted entries leave, and new ones
// are examined for at most scanBudget. It reports whether entries remain
// to be examined.
func (x *seqIndex) sync(st store.View, now func() time.Time) bool {
	first, next := st.RowBounds()
	if x.raw {
		first, next = st.MessageBounds()
	}
	if next < x.next || first > x.next {
		// The store was cleared or restarted: examine everything again.
		x.reset(x.raw, x.q)
	}
	x.first, x.next = first, next
	if x.all() {
		return false
	}
	if i := x.find(first); i > 0 {
		x.seqs = x.seqs[i:]
		if cap(x.seqs) > 1024 && len(x.seqs) < cap(x.seqs)/4 {
			x.seqs = slices.Clone(x.seqs)
		}
	}
	x.scanned = max(x.scanned, first)
	x.recheckPending(st, now())
	return x.scan(st, now)
}

// scanBatch is how many entries are copied out of the store per read lock:
// the store's iterators run their callback under the lock, so matching
// (which may read frames) happens outside it, batch by batch.
const scanBatch = 512

// scan examines entries from x.scanned for at most scanBudget.
func (x *seqIndex) scan(st store.View, now func() time.Time) bool {
	start := now()
	var rows []store.Row
	var msgs []uint64
	for x.scanned < x.next {
		if x.raw {
			msgs = msgs[:0]
			n := 0
			st.Messages(x.scanned, func(m *protocol.Message) bool {
				if m.Seq >= x.next {
					return false
				}
				n++
				if x.q.MatchMsg(m) {
					msgs = append(msgs, m.Seq)
				}
				x.scanned = m.Seq + 1
				return n < scanBatch*4
			})
			x.seqs = append(x.seqs, msgs...)
			if n == 0 {
				x.scanned = x.next // evicted meanwhile
			}
		} else {
			rows = rows[:0]
			st.Rows(x.scanned, func(r store.Row) bool {
				if r.Seq >= x.next {
					return false
				}
				rows = append(rows, r)
				return len(rows) < scanBatch
			})
			t := now()
			for i := range rows {
				r := &rows[i]
				if x.q.MatchRow(st, r, t) {
					x.seqs = append(x.seqs, r.Seq)
				} else if r.Status == protocol.StatusPending || x.q.Undecided(r) {
					x.recheck = append(x.recheck, r.Seq)
				}
				x.scanned = r.Seq + 1
			}
			if len(rows) == 0 {
				x.scanned = x.next // evicted meanwhile
			}
		}
		x.scanned = max(x.scanned, x.first)
		if now().Sub(start) >= scanBudget {
			break
		}
	}
	return x.scanned < x.next
}

// recheckPending re-examines rows that were pending (or awaiting a replay's
// verdict) and did not match when scanned: an answer (or a long wait, or
// the verdict) may make them match now.
func (x *seqIndex) recheckPending(st store.View, now time.Time) {
	if len(x.recheck) == 0 || x.raw {
		return
	}
	// Examine at most recheckBudget rows, then rotate, so that every
	// pending row gets its turn.
	n := min(len(x.recheck), recheckBudget)
	rest := x.recheck[n:]
	var kept []uint64
	for _, seq := range x.recheck[:n] {
		r, ok := st.Row(seq)
		if !ok || seq < x.first {
			continue
		}
		if x.q.MatchRow(st, &r, now) {
			x.insert(seq)
			continue
		}
		if r.Status == protocol.StatusPending || x.q.Undecided(&r) {
			kept = append(kept, seq)
		}
	}
	x.recheck = append(slices.Clone(rest), kept...)
}

// insert adds seq in order.
func (x *seqIndex) insert(seq uint64) {
	i := sort.Search(len(x.seqs), func(i int) bool { return x.seqs[i] >= seq })
	if i < len(x.seqs) && x.seqs[i] == seq {
		return
	}
	x.seqs = slices.Insert(x.seqs, i, seq)
}
