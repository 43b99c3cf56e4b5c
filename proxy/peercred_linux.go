package proxy

import (
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// peerCred returns the pid, uid and process name of the process at the
// other end of a Unix socket, from SO_PEERCRED and /proc/<pid>/comm.
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
	var cred *unix.Ucred
	raw.Control(func(fd uintptr) {
		cred, err = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	})
	if err != nil || cred == nil {
		return
	}
	pid, uid = int(cred.Pid), int(cred.Uid)
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm"); err == nil {
		process = strings.TrimSpace(string(b))
	}
	return
}
