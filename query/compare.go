package query

import "sockscope/store"

// Compare is a replay's verdict on a row of its own capture: how the
// response to a replayed request compares with the recorded one.
type Compare uint8

const (
	// CompareNone: the row is no replayed request (or nothing replays).
	CompareNone Compare = iota
	// ComparePending: it will be compared once its reply (or timeout) is
	// in.
	ComparePending
	// CompareMatch: the responses match (no reply then and now included).
	CompareMatch
	// CompareDiffers: they differ, or only one came.
	CompareDiffers
	// CompareRace: they differ, but the request was cancelled in the
	// recording.
	CompareRace
)

var compareNames = [...]string{"none", "pending", "matches", "differs", "race"}

// String returns the verdict as status: words say it.
func (c Compare) String() string {
	if int(c) < len(compareNames) {
		return compareNames[c]
	}
	return "compare?"
}

// Comparer says a replay's verdict on a row.
type Comparer func(r *store.Row) Compare

// compareBits are a status term's verdict bits, above the statuses'.
const compareShift = 24

var compareWords = map[string]Compare{
	"differs": CompareDiffers, "differ": CompareDiffers, "diff": CompareDiffers,
	"matches": CompareMatch, "match": CompareMatch, "same": CompareMatch,
	"race": CompareRace, "compared": 0, // 0: any finished verdict
}

// compareSet is the status-term bits of word w, a verdict; ok is false for
// other words.
func compareSet(w string) (uint32, bool) {
	c, ok := compareWords[w]
	if !ok {
		return 0, false
	}
	if c == 0 {
		return 1<<(compareShift+CompareMatch) | 1<<(compareShift+CompareDiffers) | 1<<(compareShift+CompareRace), true
	}
	return 1 << (compareShift + c), true
}

// NeedsCompare reports whether q has verdict terms (status:differs), which
// match nothing until BindCompare.
func (q *Query) NeedsCompare() bool {
	if q == nil {
		return false
	}
	for _, t := range q.terms {
		if t.kind == termStatus && t.set>>compareShift&0x7f != 0 {
			return true
		}
	}
	return false
}

// BindCompare gives q the replay whose verdicts status:differs,
// status:matches and status:race test. WithConn's copies keep it.
func (q *Query) BindCompare(f Comparer) {
	if q != nil {
		q.cmp = f
	}
}

// compare is r's verdict, CompareNone when q has no Comparer.
func (q *Query) compare(r *store.Row) Compare {
	if q.cmp == nil {
		return CompareNone
	}
	return q.cmp(r)
}

// Undecided reports whether whether r passes q may change once its
// comparison is in: q has verdict terms and r's verdict is pending. A
// filtered list examines such a row again later, as it does pending rows.
func (q *Query) Undecided(r *store.Row) bool {
	return q.NeedsCompare() && q.compare(r) == ComparePending
}

// matchCompare tests a status term's verdict bits against r.
func (q *Query) matchCompare(t *term, r *store.Row) bool {
	if t.set>>compareShift&0x7f == 0 {
		return false
	}
	c := q.compare(r)
	return c >= CompareMatch && t.set&(1<<(compareShift+c)) != 0
}
