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
	// debt is the other's CPU time this process's, over its share since
	// Owed began to count, would be a share of: what Owed's rests wait for
	// the other to take. Never below 0: a process under its share banks
	// nothing for later.
	debt float64
}

// cpuSample is the two processes' CPU time at a moment.
type cpuSample struct {
	self, other time.Duration
	at          time.Time
}

// NewShare returns a Share of share (say 0.2) of the CPU of process pid.
func NewShare(pid int, share float64) *Share {
	return &Share{share: share, read: func() (time.Duration, time.Duration, error) { return readCPU(pid) }}
}

// sample reads the two processes' CPU time and returns what each took
// since the last sample, and over how long; ok is false at the first
// sample, and where the kernel does not say.
func (s *Share) sample() (took, gave float64, window time.Duration, ok bool) {
	self, other, err := s.read()
	if err != nil {
		return 0, 0, 0, false
	}
	now := time.Now()
	last := s.last
	s.last = cpuSample{self, other, now}
	if last.at.IsZero() {
		return 0, 0, 0, false
	}
	return float64(self - last.self), float64(other - last.other), now.Sub(last.at), true
}

// Owed returns how long this process should rest for what it took to be
// within its share of what the other took, the other taking the CPU at the
// rate it did since the last call; what a rest shorter than that leaves
// owed is owed at the next call. Unless count (the process should keep to
// its share: the decoder rests for a busy machine), it starts the count
// anew and returns 0; and 0 where the kernel does not say.
func (s *Share) Owed(count bool) time.Duration {
	took, gave, window, ok := s.sample()
	if !count || !ok || window <= 0 {
		s.debt = 0
		return 0
	}
	s.debt = max(s.debt+took/s.share-gave, 0)
	if s.debt == 0 {
		return 0
	}
	// The other's rate, in CPUs; a process that barely ran is no reason to
	// rest for ever: at least a hundredth of a CPU.
	rate := max(gave/float64(window), 0.01)
	return time.Duration(s.debt / rate)
}
