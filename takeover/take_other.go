//go:build !unix

package takeover

import (
	"fmt"
	"runtime"
)

// Supported reports whether take-over works on this system. It does not
// here: on Windows, named pipes cannot be renamed.
func Supported() error {
	if runtime.GOOS == "windows" {
		return fmt.Errorf("%w: take-over needs a Unix socket; named pipes can't be renamed: use --listen", ErrUnsupported)
	}
	return fmt.Errorf("%w on %s: use --listen", ErrUnsupported, runtime.GOOS)
}

// Take would take over the socket at path; here it returns the error from
// Supported.
func Take(path string) (*Takeover, error) {
	return nil, fmt.Errorf("take over %s: %w", path, Supported())
}

// Restore undoes a take-over; here there can be none, so it returns the
// error from Supported.
func (t *Takeover) Restore() error { return Supported() }

// Restore would undo a take-over of path left behind; here there can be
// none, so it returns the error from Supported.
func Restore(path string) (string, error) {
	return "", fmt.Errorf("restore %s: %w", path, Supported())
}

// Held reports whether sockscope's socket is at the path; here there is
// none.
func (t *Takeover) Held() bool { return false }

// Left reports whether a take-over of path is left to undo; here there can
// be none.
func Left(path string, pid int) bool { return false }
