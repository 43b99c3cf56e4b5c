package cpuload

import "time"

// A Share paces a process that must take no more than a share of the CPU
// another process takes: the decoder's process, of the relay's, while the
// decoder drops on a busy machine (issue 16: sockscope's CPU a request
// within 1.5× a bare relay's whenever the decoder drops). Its zero value
// is not usable: see NewShare. A Share is not safe for concurrent use.
type Share struct {
	share float64
	read  func() (self, other time.Duration, err error)
	last  cpuSample
}

// cpuSample is the two processes' CPU time at a moment.
type cpuSample struct {
	self, other time.Duration
	at          time.Time
}

// maxWindow is the longest time Owed counts back over: a window longer than
// that holds more than the last batch and its rest (the decoder's rests are
// shorter: observe's maxOwed), and what this process took then need not be
// paid for now.
const maxWindow = 10 * time.Second

// NewShare returns a Share of share (say 0.2) of the CPU of process pid.
func NewShare(pid int, share float64) *Share {
	return &Share{share: share, read: func() (time.Duration, time.Duration, error) { return readCPU(pid) }}
}

// Owed returns how long this process should rest for what it took since
// the last call to be within its share of what the other took over the
// same time and the rest, the other taking the CPU at the rate it did: 0 if
// it is within, at the first call, after a long pause (maxWindow) and where
// the kernel does not say.
func (s *Share) Owed() time.Duration {
	self, other, err := s.read()
	if err != nil {
		return 0
	}
	now := time.Now()
	last := s.last
	s.last = cpuSample{self, other, now}
	window := now.Sub(last.at)
	if last.at.IsZero() || window > maxWindow || window <= 0 {
		return 0
	}
	took, gave := float64(self-last.self), float64(other-last.other)
	owed := took/s.share - gave // the other's CPU time this one's would be a share of
	if owed <= 0 {
		return 0
	}
	// The other's rate, in CPUs; a process that barely ran is no reason to
	// rest for ever: at least a hundredth of a CPU.
	rate := max(gave/float64(window), 0.01)
	return time.Duration(owed / rate)
}
