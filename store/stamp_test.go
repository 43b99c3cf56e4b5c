package store

import (
	"testing"
	"time"
)

// refStamp is stamp through time's methods alone.
func refStamp(s *Store, t time.Time) (int64, bool) {
	switch {
	case t.IsZero():
		return noTime, false
	case t != t.Round(0): // a monotonic reading
		return int64(t.Sub(s.epoch)), t.Location() == time.UTC
	}
	wall := s.epoch.Round(0)
	if d := t.Unix() - wall.Unix(); d > -1<<32 && d < 1<<32 {
		return d*int64(time.Second) + int64(t.Nanosecond()-wall.Nanosecond()), t.Location() == time.UTC
	}
	return max(int64(t.Sub(s.epoch)), noTime+1), t.Location() == time.UTC
}

// TestStampMatchesTime: stamp, which reads a time's representation, says
// what time's methods say, for times with and without a monotonic
// reading, in every location, near the epoch and far from it.
func TestStampMatchesTime(t *testing.T) {
	s := New(Config{})
	now := time.Now()
	if now == now.Round(0) {
		t.Skip("no monotonic clock")
	}
	zone := time.FixedZone("X", -7*3600)
	var times []time.Time
	for _, base := range []time.Time{now, now.Add(-time.Hour), now.Add(90 * 24 * time.Hour), now.Add(-3 * time.Nanosecond),
		t0, time.Unix(0, 0), time.Unix(1<<33, 999_999_999), time.Unix(-1<<40, 1),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC), time.Date(3000, 5, 6, 7, 8, 9, 10, time.Local),
		now.AddDate(-200, 0, 0), now.AddDate(200, 0, 0), {}} {
		times = append(times, base, base.Round(0), base.UTC(), base.Local(), base.In(zone), base.Round(0).In(zone))
	}
	for _, at := range times {
		got := s.stamp(&at)
		gotUTC := s.lastT.utc
		want, wantUTC := refStamp(s, at)
		if got != want || gotUTC != wantUTC {
			t.Errorf("stamp(%v) = %d, %v; want %d, %v", at, got, gotUTC, want, wantUTC)
		}
		// Again, as the time stamped last (stamp's fast path).
		again := s.stamp(&at)
		if againUTC := s.lastT.utc; again != got || againUTC != gotUTC {
			t.Errorf("stamp(%v) again = %d, %v; first %d, %v", at, again, againUTC, got, gotUTC)
		}
		near := at.Sub(s.epoch).Abs() < 250*365*24*time.Hour // stamps saturate ~292 years away
		if back := s.unstamp(got, gotUTC); near && !back.Equal(at) {
			t.Errorf("unstamp(stamp(%v)) = %v", at, back)
		}
	}
	if got := s.stamp(&now); got != int64(now.Sub(s.epoch)) || got <= 0 {
		t.Errorf("stamp(now) = %d, now-epoch %d", got, now.Sub(s.epoch))
	}
}
