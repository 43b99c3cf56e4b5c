//go:build !unix

package proxy

import (
	"net"
	"os"
)

// listenUnix creates a listening Unix socket at path. Where there is no
// bind-then-listen through package syscall (Windows), the socket is chmod'ed
// right after net.Listen; Windows does not enforce the Unix permissions
// anyway.
func listenUnix(path string, mode os.FileMode) (net.Listener, error) {
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	os.Chmod(path, mode)
	return ln, nil
}
