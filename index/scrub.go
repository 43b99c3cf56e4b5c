package index

import (
	"sort"
	"time"

	"sockscope/protocol"
	"sockscope/store"
)

// maxScrub bounds the rows NextError and NextSlow read in one call.
const maxScrub = 1 << 22

// RowAt returns the first row begun at or after t (the rows of a session
// are in the order they began, so a binary search finds it), or the end.
func (v *View) RowAt(t time.Time) uint64 {
	_, next := v.RowBounds()
	n := int(next - 1)
	i := sort.Search(n, func(i int) bool {
		r, _, ok := v.x.row(uint64(i + 1))
		return !ok || !r.ReqAt.Before(t)
	})
	return uint64(min(i+1, n))
}

// NextError returns the first row after seq (before it, back) that failed
// (an error reply, no reply, a reply to nothing), if any.
func (v *View) NextError(seq uint64, back bool) (uint64, bool) {
	return v.nextRow(seq, back, func(r *store.Row) bool {
		return store.ConnError(store.Counted(r.Status, r.Gap)) != 0
	})
}

// NextSlow returns the first row after seq (before it, back) answered in
// SlowLatency or more, if any.
func (v *View) NextSlow(seq uint64, back bool) (uint64, bool) {
	slow := v.SlowLatency()
	return v.nextRow(seq, back, func(r *store.Row) bool {
		return (r.Status == protocol.StatusOK || r.Status == protocol.StatusError) && r.Resp != 0 && r.Latency >= slow
	})
}

// SlowLatency is what a slow exchange takes: the 99th percentile of the
// file's latencies (a second while none is known).
func (v *View) SlowLatency() time.Duration {
	if p := v.d.Stats().Totals().Latency.P99; p > 0 {
		return p
	}
	return time.Second
}

func (v *View) nextRow(seq uint64, back bool, ok func(*store.Row) bool) (uint64, bool) {
	_, next := v.RowBounds()
	seq = min(seq, next)
	for i := 0; i < maxScrub; i++ {
		if back {
			seq--
		} else {
			seq++
		}
		if seq < 1 || seq >= next {
			return 0, false
		}
		r, _, found := v.x.row(seq)
		if !found {
			return 0, false
		}
		if ok(&r) {
			return seq, true
		}
	}
	return 0, false
}

// Timeline returns the file's frames and exchanges by time (Stats.Timeline).
func (v *View) Timeline() (start time.Time, width time.Duration, b []Bucket) {
	return v.d.Stats().Timeline()
}
