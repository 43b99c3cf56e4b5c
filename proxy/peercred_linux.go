package proxy

import (
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// PeerCred returns the pid and uid of the process at the other end of a
// Unix socket, from SO_PEERCRED: one system call. Its name is
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

// acceptName names the process that connected, as the connection is
// accepted, before its upstream is dialled: the client waits for its first
// reply then, and a short-lived one (redis-cli, curl, nc) is still there.
// Named by the observer, after the event had crossed to the decoder's
// process (which naps up to 20 ms when idle), four redis-cli PINGs in five
// had exited and went unnamed. Once a second per pid (cachedName): a
// burst of connections from one process reads its name once.
func acceptName(pid int) string { return cachedName(pid) }
