package takeover

import (
	"time"

	"golang.org/x/sys/unix"
)

// processName returns the program name of pid and whether it is a zombie,
// with ok false when the system does not say.
func processName(pid int) (name string, zombie, ok bool) {
	kp, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	if err != nil || kp.Proc.P_pid != int32(pid) {
		return "", false, false
	}
	const szomb = 5 // SZOMB in <sys/proc.h>
	return unix.ByteSliceToString(kp.Proc.P_comm[:]), kp.Proc.P_stat == szomb, true
}

// processStart returns when pid started, with ok false when the system
// does not say.
func processStart(pid int) (time.Time, bool) {
	kp, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	if err != nil || kp.Proc.P_pid != int32(pid) {
		return time.Time{}, false
	}
	return time.Unix(kp.Proc.P_starttime.Sec, int64(kp.Proc.P_starttime.Usec)*1000), true
}
