//go:build unix

package proxy

import (
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
)

// listenBacklog is passed to listen(2). The kernel silently caps it at its
// own limit (net.core.somaxconn on Linux: 4096 by default since 5.4, see
// /proc/sys/net/core/somaxconn; kern.ipc.somaxconn on macOS), which is what
// Go's own net.Listen asks for too. A burst of connects beyond the backlog
// would be refused (EAGAIN) on a Unix socket.
const listenBacklog = 1<<16 - 1

// listenUnix creates a listening Unix socket at path with permissions mode.
//
// The socket is bound, chmod'ed, and only then made to listen: a connect(2)
// before listen(2) is refused, so no one can connect while the socket still
// has the umask's permissions. Changing the process-wide umask instead would
// race with every other goroutine that creates files.
func listenUnix(path string, mode os.FileMode) (net.Listener, error) {
	fail := func(step string, err error) (net.Listener, error) {
		return nil, fmt.Errorf("listen unix %s: %s: %w", path, step, err)
	}
	syscall.ForkLock.RLock() // as net does where there is no SOCK_CLOEXEC
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return fail("socket", err)
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close() // FileListener holds its own duplicate
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		return fail("bind", err)
	}
	abstract := strings.HasPrefix(path, "@")
	if !abstract {
		if err := os.Chmod(path, mode); err != nil {
			os.Remove(path)
			return fail("chmod", err)
		}
	}
	if err := syscall.Listen(fd, listenBacklog); err != nil {
		if !abstract {
			os.Remove(path)
		}
		return fail("listen", err)
	}
	ln, err := net.FileListener(f)
	if err != nil {
		if !abstract {
			os.Remove(path)
		}
		return fail("listener", err)
	}
	// Listeners made from files leave their socket behind; this one is ours.
	ln.(*net.UnixListener).SetUnlinkOnClose(true)
	return ln, nil
}
