//go:build unix

package takeover

import (
	"errors"
	"os"
	"strings"
	"syscall"
)

// holder says whether pid, recorded in a marker, still holds the take-over:
// it must be alive (not a zombie) and be a sockscope, so a pid reused by an
// unrelated process after a crash does not lock the path forever. Where the
// program name cannot be read, a live pid counts as a holder: refusing is
// safer than moving a socket someone else is using.
func holder(pid int) bool {
	if pid == os.Getpid() {
		return true
	}
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	name, zombie, ok := processName(pid)
	if !ok {
		return true
	}
	return !zombie && strings.Contains(name, "sockscope")
}
