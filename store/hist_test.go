package store

import (
	"math/rand/v2"
	"testing"
	"time"
)

// within reports whether got is within rel (relative) of want.
func within(got, want time.Duration, rel float64) bool {
	d := float64(got - want)
	return d <= rel*float64(want) && -d <= rel*float64(want)
}

func TestHistBucketPrecision(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	check := func(v time.Duration) {
		o, b := histIndex(v)
		mid := histMid(o, b)
		if v < 1<<histMinBits {
			if d := mid - v; d > 16 || d < -16 {
				t.Fatalf("%v: bucket (%d,%d) midpoint %v more than 16ns away", v, o, b, mid)
			}
			return
		}
		if !within(mid, v, 1.0/64) {
			t.Fatalf("%v: bucket (%d,%d) midpoint %v more than 1/64 away", v, o, b, mid)
		}
	}
	for v := time.Duration(0); v < 5000; v++ {
		check(v)
	}
	for v := time.Microsecond; v <= 100*time.Second; v = v*17/16 + 1 {
		check(v)
		check(v - 1)
	}
	for range 100_000 {
		check(time.Duration(r.Int64N(int64(100 * time.Second))))
	}
}

func TestHistBucketsAscend(t *testing.T) {
	prevO, prevB := 0, 0
	for v := time.Duration(0); v <= 200*time.Second; v = v*33/32 + 1 {
		o, b := histIndex(v)
		if o < prevO || (o == prevO && b < prevB) {
			t.Fatalf("%v: bucket (%d,%d) before (%d,%d)", v, o, b, prevO, prevB)
		}
		prevO, prevB = o, b
	}
	if o, b := histIndex(time.Hour); o != histOctaves-1 || b != histSub-1 {
		t.Errorf("an hour lands in (%d,%d), want the last bucket", o, b)
	}
	if o, b := histIndex(-time.Second); o != 0 || b != 0 {
		t.Errorf("a negative latency lands in (%d,%d), want the first bucket", o, b)
	}
}

func TestHistSummary(t *testing.T) {
	tests := []struct {
		name          string
		samples       []time.Duration
		p50, p90, p99 time.Duration
		max           time.Duration
	}{
		{name: "empty"},
		{name: "one", samples: []time.Duration{3 * time.Millisecond},
			p50: 3 * time.Millisecond, p90: 3 * time.Millisecond, p99: 3 * time.Millisecond, max: 3 * time.Millisecond},
		{name: "uniform 1..1000ms", samples: spread(time.Millisecond, 1000),
			p50: 500 * time.Millisecond, p90: 900 * time.Millisecond, p99: 990 * time.Millisecond, max: time.Second},
		{name: "uniform 1..1000µs", samples: spread(time.Microsecond, 1000),
			p50: 500 * time.Microsecond, p90: 900 * time.Microsecond, p99: 990 * time.Microsecond, max: time.Millisecond},
		{name: "long tail", samples: append(spread(0, 0), tail()...),
			p50: time.Millisecond, p90: time.Millisecond, p99: 2 * time.Minute, max: 5 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h hist
			for _, s := range tt.samples {
				h.add(s)
			}
			l := h.summary()
			if l.Count != len(tt.samples) || l.Max != tt.max {
				t.Fatalf("count %d max %v, want %d %v", l.Count, l.Max, len(tt.samples), tt.max)
			}
			for _, c := range []struct {
				name      string
				got, want time.Duration
			}{{"p50", l.P50, tt.p50}, {"p90", l.P90, tt.p90}, {"p99", l.P99, tt.p99}} {
				// The last bucket holds anything above ~137 s: only the
				// clamp to Max bounds it.
				if c.got > l.Max || (c.want < 100*time.Second && !within(c.got, c.want, 0.025)) {
					t.Errorf("%s = %v, want %v within 2.5%% (max %v)", c.name, c.got, c.want, l.Max)
				}
			}
		})
	}
}

// spread returns n latencies unit, 2*unit, ... n*unit, shuffled.
func spread(unit time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(i+1) * unit
	}
	rand.New(rand.NewPCG(3, 4)).Shuffle(n, func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// tail returns 98 latencies of 1ms and two of 5 minutes.
func tail() []time.Duration {
	out := make([]time.Duration, 100)
	for i := range out {
		out[i] = time.Millisecond
	}
	out[10], out[70] = 5*time.Minute, 5*time.Minute
	return out
}

func TestHistAddDoesNotAllocate(t *testing.T) {
	var h hist
	h.add(time.Millisecond)
	if n := testing.AllocsPerRun(1000, func() { h.add(time.Millisecond + 7*time.Microsecond) }); n != 0 {
		t.Errorf("add allocates %v times per sample", n)
	}
	h.reset()
	if l := h.summary(); l != (Latency{}) {
		t.Errorf("after reset: %+v", l)
	}
}

// Percentiles stay within what was seen: a thousand calls of at least
// 1.000 s never read 998 ms.
func TestHistPercentilesWithinMinMax(t *testing.T) {
	var h hist
	for i := range 1000 {
		h.add(time.Second + time.Duration(i)*time.Microsecond)
	}
	l := h.summary()
	for _, p := range []time.Duration{l.P50, l.P90, l.P99} {
		if p < time.Second || p > l.Max {
			t.Errorf("percentile %v outside [1s, %v]", p, l.Max)
		}
	}
}
