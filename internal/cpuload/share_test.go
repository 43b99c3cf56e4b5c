package cpuload

import (
	"errors"
	"os"
	"runtime"
	"testing"
	"time"
)

// A Share owes the rest in which the other process, at the rate it took
// the CPU, takes enough for this one's to be its share; nothing when it is
// within, at the first call, after a long pause or an error.
func TestShareOwed(t *testing.T) {
	var self, other time.Duration
	var fail error
	s := &Share{share: 0.25, read: func() (time.Duration, time.Duration, error) { return self, other, fail }}
	// step lets window go by, in which this process took took and the
	// other gave.
	step := func(window, took, gave time.Duration) time.Duration {
		s.last.at = s.last.at.Add(-window)
		self += took
		other += gave
		return s.Owed()
	}
	if d := s.Owed(); d != 0 {
		t.Errorf("owed %v at the first call", d)
	}
	if d := step(100*time.Millisecond, 10*time.Millisecond, 40*time.Millisecond); d != 0 {
		t.Errorf("owed %v when it took its share", d)
	}
	// 20 ms against 40: it would be a share of 80, which the other, at 0.4
	// CPUs, takes in 100 ms more.
	if d := step(100*time.Millisecond, 20*time.Millisecond, 40*time.Millisecond); d < 99*time.Millisecond || d > 101*time.Millisecond {
		t.Errorf("owed %v, want 100ms", d)
	}
	// The other barely ran: at a hundredth of a CPU.
	if d := step(100*time.Millisecond, time.Millisecond, 0); d < 399*time.Millisecond || d > 401*time.Millisecond {
		t.Errorf("owed %v with the other idle, want 400ms", d)
	}
	if d := step(2*maxWindow, 100*time.Millisecond, 0); d != 0 {
		t.Errorf("owed %v for what it took long ago", d)
	}
	fail = errors.New("gone")
	if d := step(100*time.Millisecond, 100*time.Millisecond, 0); d != 0 {
		t.Errorf("owed %v when the kernel does not say", d)
	}
}

// On Linux both processes' clocks are read: this one's own, twice, runs
// alike.
func TestReadCPU(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the process CPU clocks are read on Linux only")
	}
	for end := time.Now().Add(20 * time.Millisecond); time.Now().Before(end); {
	}
	self, other, err := readCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if self < 10*time.Millisecond || other < self {
		t.Errorf("readCPU = %v, %v: want this process's CPU time, 10ms or more, twice", self, other)
	}
	if _, _, err := readCPU(os.Getppid()); err != nil {
		t.Errorf("the parent's clock: %v", err)
	}
}
