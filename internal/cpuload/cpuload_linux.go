package cpuload

import (
	"os"
	"syscall"
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
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return stat{}, err
	}
	s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return s, nil
}

// readCPU reads this process's CPU time and process pid's (the kernel's
// process CPU clocks, in nanoseconds).
func readCPU(pid int) (self, other time.Duration, err error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		return 0, 0, err
	}
	self = time.Duration(ts.Nano())
	// pid's process CPU clock: clock_getcpuclockid(3), which any process
	// may read.
	if err := unix.ClockGettime(int32(^pid<<3|2), &ts); err != nil {
		return 0, 0, err
	}
	return self, time.Duration(ts.Nano()), nil
}
