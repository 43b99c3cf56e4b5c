package cpuload

import (
	"errors"
	"os"
	"runtime"
	"testing"
	"time"
)

// A Share owes the rest in which the other process, at the rate it took
// the CPU, takes enough for this one's to be its share, counting from the
// first counted call: what a rest left owed is owed next time, what it took
// under its share is not banked; nothing when not counting, which starts
// the count anew, nor on an error.
func TestShareOwed(t *testing.T) {
	var self, other time.Duration
	var fail error
	s := &Share{share: 0.25, read: func() (time.Duration, time.Duration, error) { return self, other, fail }}
	s.sample() // the start
	// step lets window go by, in which this process took took and the
	// other gave, and counts it.
	count := true
	step := func(window, took, gave time.Duration) time.Duration {
		s.last.at = s.last.at.Add(-window)
		self += took
		other += gave
		return s.Owed(count)
	}
	near := func(d, want time.Duration) bool { return d > want-time.Millisecond && d < want+time.Millisecond }
	if d := step(100*time.Millisecond, 10*time.Millisecond, 40*time.Millisecond); d != 0 {
		t.Errorf("owed %v when it took its share", d)
	}
	// 20 ms against 40: it would be a share of 80, which the other, at 0.4
	// CPUs, takes in 100 ms more.
	if d := step(100*time.Millisecond, 20*time.Millisecond, 40*time.Millisecond); !near(d, 100*time.Millisecond) {
		t.Errorf("owed %v, want 100ms", d)
	}
	// It rested half as long: the other took 20 of the 40 ms owed.
	if d := step(50*time.Millisecond, 0, 20*time.Millisecond); !near(d, 50*time.Millisecond) {
		t.Errorf("owed %v after half the rest, want 50ms", d)
	}
	// The other took far more than owed: nothing banked for later.
	if d := step(500*time.Millisecond, 0, 200*time.Millisecond); d != 0 {
		t.Errorf("owed %v once paid", d)
	}
	if d := step(100*time.Millisecond, 20*time.Millisecond, 40*time.Millisecond); !near(d, 100*time.Millisecond) {
		t.Errorf("owed %v after paying more than owed, want 100ms (nothing banked)", d)
	}
	// The other barely ran: at a hundredth of a CPU. Owed: 40 ms from
	// before, 4 more.
	if d := step(100*time.Millisecond, time.Millisecond, 0); !near(d, 4400*time.Millisecond) {
		t.Errorf("owed %v with the other idle, want 4.4s", d)
	}
	count = false
	if d := step(100*time.Millisecond, 100*time.Millisecond, 0); d != 0 {
		t.Errorf("owed %v not counting", d)
	}
	count = true
	if d := step(100*time.Millisecond, 10*time.Millisecond, 40*time.Millisecond); d != 0 {
		t.Errorf("owed %v counting anew: the debt from before stands", d)
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
	// Work until this process's clock passes 10 ms: a clock that does not
	// move fails here.
	var self, other time.Duration
	for end := time.Now().Add(10 * time.Second); self < 10*time.Millisecond; {
		var err error
		if self, other, err = readCPU(os.Getpid()); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(end) {
			t.Fatalf("this process's CPU clock stands at %v after 10 s of work", self)
		}
	}
	if other < self {
		t.Errorf("readCPU = %v, %v: want this process's CPU time twice, the second read later", self, other)
	}
	if _, _, err := readCPU(os.Getppid()); err != nil {
		t.Errorf("the parent's clock: %v", err)
	}
}
