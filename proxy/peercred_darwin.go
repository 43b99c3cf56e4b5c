package proxy

import (
	"net"

	"golang.org/x/sys/unix"
)

// peerCred returns the pid, uid and process name of the process at the
// other end of a Unix socket, from LOCAL_PEERCRED, LOCAL_PEERPID and the
// kern.proc.pid sysctl.
func peerCred(c net.Conn) (pid, uid int, process string) {
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
	if pid > 0 {
		if k, err := unix.SysctlKinfoProc("kern.proc.pid", pid); err == nil {
			process = unix.ByteSliceToString(k.Proc.P_comm[:])
		}
	}
	return
}
