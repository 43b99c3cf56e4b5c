package proxy

import (
	"net"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// PeerCred returns the pid of the process at the other end of a named pipe
// connection, from GetNamedPipeClientProcessId: one call. A Windows user
// is a SID, not a number: uid is -1. Its name is acceptName's. Anything
// but a pipe (TCP) tells nothing.
func PeerCred(c net.Conn) (pid, uid int) {
	pid, uid = -1, -1
	f, ok := c.(interface{ Fd() uintptr }) // go-winio's pipe connections
	if !ok {
		return
	}
	var p uint32
	if err := windows.GetNamedPipeClientProcessId(windows.Handle(f.Fd()), &p); err != nil {
		return
	}
	return int(p), uid
}

// ProcessName returns the file name of process pid's image ("client.exe"),
// or "" when it is unknown (or already gone).
func ProcessName(pid int) string {
	if pid <= 0 {
		return ""
	}
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return ""
	}
	defer windows.CloseHandle(h)
	buf := make([]uint16, windows.MAX_LONG_PATH)
	n := uint32(len(buf))
	if err := windows.QueryFullProcessImageName(h, 0, &buf[0], &n); err != nil {
		return ""
	}
	return filepath.Base(windows.UTF16ToString(buf[:n]))
}

// acceptName names process pid on the accept path: a pipe client that
// connects, asks and exits at once is gone by the time the observer, off
// that path and maybe behind, would ask (OpenProcess fails for a process
// that ended), and next to creating the next pipe instance, which
// accepting a client costs on Windows, its three calls are little; once a
// second per pid (cachedName).
func acceptName(pid int) string { return cachedName(pid) }
