package proxy

import (
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// PeerCred returns the pid and uid of the process at the other end of a
// Unix socket, from SO_PEERCRED: one system call, cheap enough for the
// accept path. Its name is left to ProcessName, off that path.
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
	var cred *unix.Ucred
	raw.Control(func(fd uintptr) {
		cred, err = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	})
	if err != nil || cred == nil {
		return
	}
	return int(cred.Pid), int(cred.Uid)
}

// ProcessName returns the name of process pid, from /proc/<pid>/comm, or ""
// when it is unknown (or already gone).
func ProcessName(pid int) string {
	if pid <= 0 {
		return ""
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return ""
	}
	// comm ends with a newline; the name itself may hold any byte but NUL
	// (prctl PR_SET_NAME), spaces and U+0085 too, which TrimSpace took.
	return strings.TrimSuffix(string(b), "\n")
}

// acceptName: a process is named off the accept path here (ProcessName,
// by the observer).
func acceptName(int) string { return "" }
