package index

import "time"

// maxBuckets bounds a timeline: when the file's span outgrows it, buckets
// double in width and merge pairwise.
const maxBuckets = 2048

// Bucket is a span of a file's time: the frames in it, the exchanges that
// ended (answered or failed) among the rows begun in it, how many of them
// failed, and their slowest latency.
type Bucket struct {
	Frames, Exchanges, Errors int64
	MaxLatency                time.Duration
	latSum                    time.Duration
}

// MeanLatency is the mean latency of the bucket's answered exchanges.
func (b Bucket) MeanLatency() time.Duration {
	if b.Exchanges == 0 {
		return 0
	}
	return b.latSum / time.Duration(b.Exchanges)
}

// timeline counts frames and exchanges in buckets of time from the first.
type timeline struct {
	start int64 // unix nanoseconds of bucket 0's beginning
	width time.Duration
	b     []Bucket
}

// add counts a frame (ex false) or an exchange at t.
func (l *timeline) add(t int64, failed bool, lat time.Duration, ex bool) {
	if t == noTime || t == 0 {
		return
	}
	if l.width == 0 {
		l.start, l.width = t-t%int64(time.Second), time.Second
	}
	if t < l.start {
		return // before the first frame: not in the file's span
	}
	i := int((t - l.start) / int64(l.width))
	for i >= maxBuckets {
		for j := 0; j < len(l.b); j += 2 {
			m := l.b[j]
			if j+1 < len(l.b) {
				n := l.b[j+1]
				m.Frames += n.Frames
				m.Exchanges += n.Exchanges
				m.Errors += n.Errors
				m.latSum += n.latSum
				m.MaxLatency = max(m.MaxLatency, n.MaxLatency)
			}
			l.b[j/2] = m
		}
		l.b = l.b[:(len(l.b)+1)/2]
		l.width *= 2
		i = int((t - l.start) / int64(l.width))
	}
	for len(l.b) <= i {
		l.b = append(l.b, Bucket{})
	}
	b := &l.b[i]
	if !ex {
		b.Frames++
		return
	}
	if failed {
		b.Errors++
		return
	}
	b.Exchanges++
	b.latSum += lat
	b.MaxLatency = max(b.MaxLatency, lat)
}

// Timeline returns the file's buckets from start, each width long (at
// most 2048 of them, whatever the file's span).
func (s *Stats) Timeline() (start time.Time, width time.Duration, b []Bucket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.line.width == 0 {
		return time.Time{}, 0, nil
	}
	return unstamp(s.line.start), s.line.width, append([]Bucket(nil), s.line.b...)
}
