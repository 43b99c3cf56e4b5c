package proxy

import (
	"net"

	"golang.org/x/sys/unix"
)

// PeerCred returns the pid and uid of the process at the other end of a
// Unix socket, from LOCAL_PEERCRED and LOCAL_PEERPID. Its name is
// acceptName's.
func PeerCred(c net.Conn) (pid, uid int) {
	pid, uid = -1, -1
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return
	}
	raw.Control(func(fd uintptr) {
		if x, err := unix.GetsockoptXucred(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERCRED); err == nil {
			uid = int(x.Uid)
		}
		if p, err := unix.GetsockoptInt(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERPID); err == nil {
			pid = p
		}
	})
	return
}

// ProcessName returns the name of process pid, from the kern.proc.pid
// sysctl, or "" when it is unknown.
func ProcessName(pid int) string {
	if pid <= 0 {
		return ""
	}
	k, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	if err != nil {
		return ""
	}
	return unix.ByteSliceToString(k.Proc.P_comm[:])
}

// acceptName names the process that connected as the connection is
// accepted, as on Linux (peercred_linux.go).
func acceptName(pid int) string { return cachedName(pid) }
