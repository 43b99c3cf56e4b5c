package cpuload

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

func readStat() (stat, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return stat{}, err
	}
	s, err := parseStat(b)
	if err != nil {
		return stat{}, err
	}
	if s.self, err = cpuClock(unix.CLOCK_PROCESS_CPUTIME_ID); err != nil {
		return stat{}, err
	}
	return s, nil
}

// readCPU reads this process's CPU time and process pid's.
func readCPU(pid int) (self, other time.Duration, err error) {
	if self, err = cpuClock(unix.CLOCK_PROCESS_CPUTIME_ID); err != nil {
		return 0, 0, err
	}
	// pid's process CPU clock (clock_getcpuclockid(3)), which any process
	// may read.
	if other, err = cpuClock(int32(^pid<<3 | 2)); err != nil {
		return 0, 0, err
	}
	return self, other, nil
}

// cpuClock reads a process CPU clock: the CPU time of all its threads,
// in nanoseconds.
func cpuClock(id int32) (time.Duration, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(id, &ts); err != nil {
		return 0, err
	}
	return time.Duration(ts.Nano()), nil
}
