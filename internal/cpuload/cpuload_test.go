package cpuload

import (
	"errors"
	"runtime"
	"testing"
	"time"
)

const sample = `cpu  4705 356 584 3699176 23 0 36 7 0 0
cpu0 1393 280 284 1849593 14 0 28 4 0 0
cpu1 3312 76 300 1849583 9 0 8 3 0 0
intr 1462898 0 0
ctxt 1176522
`

func TestParseStat(t *testing.T) {
	s, err := parseStat([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	want := stat{idle: 3699176 + 23, total: 4705 + 356 + 584 + 3699176 + 23 + 0 + 36 + 7, cpus: 2}
	if s != want {
		t.Errorf("parseStat = %+v, want %+v", s, want)
	}
	for _, bad := range []string{"", "intr 1 2\n", "cpu  1 2 x 4 5\ncpu0 1 2 3 4 5\n", "cpu  1 2 3 4 5\n"} {
		if _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q) took it", bad)
		}
	}
}

// A Meter is busy when less than a CPU was idle or this process's between
// two samples at least an interval apart, and answers from its last sample
// in between.
func TestMeterBusy(t *testing.T) {
	var next stat
	var fail error
	m := &Meter{read: func() (stat, error) { return next, fail }}
	// step adds to the next sample the ticks idle and in all, and the
	// process's CPUs over an interval, and lets an interval go by.
	step := func(idle, total uint64, self float64) {
		next.idle += idle
		next.total += total
		next.self += time.Duration(self * float64(interval))
		m.at = m.at.Add(-interval)
	}
	next = stat{idle: 1000, total: 2000, cpus: 2}
	if !m.Busy() {
		t.Error("not busy at the first sample, before any interval")
	}
	step(10, 100, 0) // 0.2 CPUs idle
	if !m.Busy() {
		t.Error("not busy with 0.2 of 2 CPUs idle")
	}
	next.idle += 100 // all idle since, but too recent to sample again
	next.total += 100
	if !m.Busy() {
		t.Error("sampled again within the interval")
	}
	step(0, 0, 0) // 2 of 2 CPUs idle since the last sample
	if m.Busy() {
		t.Error("busy with 2 of 2 CPUs idle")
	}
	step(45, 100, 0)
	if !m.Busy() {
		t.Error("not busy with 0.9 of 2 CPUs idle")
	}
	step(50, 100, 0)
	if m.Busy() {
		t.Error("busy with 1 of 2 CPUs idle")
	}
	step(25, 100, 0.6) // what this process takes would be idle without it
	if m.Busy() {
		t.Error("busy with 0.5 CPUs idle and 0.6 this process's")
	}
	step(25, 100, 0.3)
	if !m.Busy() {
		t.Error("not busy with 0.5 CPUs idle and 0.3 this process's")
	}
	m.at = m.at.Add(-stale) // a pause: the time since is not the load now
	next.idle += 1000
	if !m.Busy() {
		t.Error("not busy after a stale sample")
	}
	step(0, 0, 0)
	if m.Busy() {
		t.Error("busy with 2 of 2 CPUs idle after a stale sample")
	}
	fail = errors.New("gone")
	step(0, 100, 0)
	if m.Busy() {
		t.Error("busy when the kernel does not say")
	}
}

// On Linux the machine's own counters are read.
func TestReadStat(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the idle time is read on Linux only")
	}
	s, err := readStat()
	if err != nil {
		t.Fatal(err)
	}
	if s.cpus < 1 || s.idle > s.total || s.total == 0 || s.self <= 0 {
		t.Errorf("readStat = %+v", s)
	}
}
