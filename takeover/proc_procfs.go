//go:build unix && !darwin

package takeover

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// processName returns the program name of pid and whether it is a zombie,
// with ok false when the system does not say (no /proc, as on most BSDs).
func processName(pid int) (name string, zombie, ok bool) {
	dir := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return "", false, false
	}
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		zombie = stat[i+2] == 'Z' || stat[i+2] == 'X'
	}
	comm, _ := os.ReadFile(dir + "/comm")
	name = string(bytes.TrimSpace(comm))
	if cmd, err := os.ReadFile(dir + "/cmdline"); err == nil {
		argv0, _, _ := bytes.Cut(cmd, []byte{0})
		name += " " + filepath.Base(string(argv0))
	}
	return name, zombie, true
}

// processStart returns when pid started, to the second (the boot time's
// precision) or better, with ok false when the system does not say.
func processStart(pid int) (time.Time, bool) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return time.Time{}, false
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return time.Time{}, false
	}
	f := bytes.Fields(stat[i+1:]) // from the state, field 3: the start time is field 22
	if len(f) < 20 {
		return time.Time{}, false
	}
	ticks, err := strconv.ParseInt(string(f[19]), 10, 64)
	boot, ok := bootTime()
	if err != nil || !ok {
		return time.Time{}, false
	}
	const hz = 100 // USER_HZ, what /proc counts in on Linux
	return boot.Add(time.Duration(ticks) * (time.Second / hz)), true
}

// bootTime is when the system booted (/proc/stat's btime).
func bootTime() (time.Time, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}, false
	}
	for _, l := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(l, []byte("btime ")); ok {
			n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
			return time.Unix(n, 0), err == nil
		}
	}
	return time.Time{}, false
}
