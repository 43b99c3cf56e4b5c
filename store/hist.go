package store

import (
	"math/bits"
	"time"
)

// The latency histogram is log-linear: each power of two of nanoseconds from
// 2^10 (about 1 µs) to 2^37 (about 137 s) is cut into histSub equal buckets,
// so a bucket's midpoint is within 1/(2*histSub) ≈ 1.6% of any value in it.
// Below 2^10 ns the buckets are linear, 32 ns wide. Longer latencies land in
// the last bucket (Max still records them exactly).
const (
	histSubBits = 5
	histSub     = 1 << histSubBits
	histMinBits = 10
	histOctaves = 28
)

// hist counts latencies without allocating per sample: an octave's buckets
// are allocated the first time a latency falls in it, so a histogram that
// saw a narrow range costs a few hundred bytes.
type hist struct {
	n        uint64
	min, max time.Duration
	oct      [histOctaves]*[histSub]uint64
	k        uint8 // octaves allocated
	// dropped is set once a budget refused the histogram an octave: it
	// keeps only its count and maximum (see histBudget).
	dropped bool
}

// octBytes is what one octave of buckets costs.
const octBytes = histSub * 8

// ConnHistBytes is the budget of the octaves of the per-connection and
// per-connection-method latency histograms of a store or of a session
// file's statistics (histBudget), whatever the number of connections. The
// all-connections and per-method histograms are not counted in it: they
// stay exact.
const ConnHistBytes = 4 << 20

// histBudget bounds the bytes of the octaves of a set of histograms. A
// histogram gets its first octave only while used is under max, so the
// connections that came first keep theirs; one that has octaves may grow
// while used stays within 2*max. A histogram refused an octave gives its
// octaves back and is dropped: it counts, keeps its maximum, and says it
// has no percentiles (Latency.NoPercentiles).
type histBudget struct{ used, max int64 }

// addIn counts one latency in h, whose octaves come out of budget b.
func (h *hist) addIn(d time.Duration, b *histBudget) {
	if !h.dropped {
		o, _ := histIndex(d)
		if h.oct[o] != nil {
			h.add(d)
			return
		}
		limit := 2 * b.max
		if h.k == 0 {
			limit = b.max
		}
		if b.used+octBytes <= limit {
			b.used += octBytes
			h.add(d)
			return
		}
		b.used -= int64(h.k) * octBytes
		h.oct, h.k, h.dropped = [histOctaves]*[histSub]uint64{}, 0, true
	}
	h.n++
	if h.n == 1 || d < h.min {
		h.min = d
	}
	h.max = max(h.max, d)
}

// histIndex returns the octave and bucket of d.
func histIndex(d time.Duration) (o, b int) {
	v := uint64(max(d, 0))
	if v < 1<<histMinBits {
		return 0, int(v >> (histMinBits - histSubBits))
	}
	e := bits.Len64(v) - 1
	o = e - histMinBits + 1
	if o >= histOctaves {
		return histOctaves - 1, histSub - 1
	}
	return o, int(v>>(e-histSubBits)) & (histSub - 1)
}

// histMid returns the midpoint of a bucket.
func histMid(o, b int) time.Duration {
	if o == 0 {
		const w = 1 << (histMinBits - histSubBits)
		return time.Duration(b*w + w/2)
	}
	shift := o + histMinBits - 1 - histSubBits
	lo := uint64(histSub+b) << shift
	return time.Duration(lo + (uint64(1)<<shift)/2)
}

// add counts one latency.
func (h *hist) add(d time.Duration) {
	o, b := histIndex(d)
	h.addAt(d, o, b)
}

// addAt counts one latency d, whose octave and bucket are o and b.
func (h *hist) addAt(d time.Duration, o, b int) {
	h.n++
	if h.n == 1 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	p := h.oct[o]
	if p == nil {
		p = new([histSub]uint64)
		h.oct[o] = p
		h.k++
	}
	p[b&(histSub-1)]++
}

// summary returns the count, percentiles (bucket midpoints, kept within the
// minimum and maximum seen, so 1,000 calls of 1.0 s never read as 998 ms)
// and maximum.
func (h *hist) summary() Latency {
	l := Latency{Count: int(h.n), Max: h.max, NoPercentiles: h.dropped}
	if h.n == 0 || h.dropped {
		return l
	}
	rank := func(pct uint64) uint64 { return max((h.n*pct+99)/100, 1) }
	targets := [3]uint64{rank(50), rank(90), rank(99)}
	var out [3]time.Duration
	i, cum := 0, uint64(0)
	for o := range h.oct {
		if h.oct[o] == nil {
			continue
		}
		for b, c := range h.oct[o] {
			if c == 0 {
				continue
			}
			cum += c
			for i < len(targets) && cum >= targets[i] {
				out[i] = min(max(histMid(o, b), h.min), h.max)
				i++
			}
			if i == len(targets) {
				l.P50, l.P90, l.P99 = out[0], out[1], out[2]
				return l
			}
		}
	}
	l.P50, l.P90, l.P99 = out[0], out[1], out[2]
	return l
}

// reset forgets every sample, keeping the allocated octaves (a dropped
// histogram stays dropped).
func (h *hist) reset() {
	h.n, h.min, h.max = 0, 0, 0
	for _, b := range h.oct {
		if b != nil {
			*b = [histSub]uint64{}
		}
	}
}
