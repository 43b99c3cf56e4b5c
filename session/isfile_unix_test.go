//go:build unix

package session

import (
	"path/filepath"
	"syscall"
	"testing"
)

// A named pipe is no session file, and IsFile does not wait on it for a
// writer (export -o FIFO, --junit FIFO hung).
func TestIsFileOnANamedPipe(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skip(err)
	}
	done := make(chan bool)
	go func() {
		is, err := IsFile(p)
		done <- is || err != nil
	}()
	if bad := <-done; bad {
		t.Error("a named pipe: a session file, or an error")
	}
}
