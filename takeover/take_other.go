//go:build !unix

package takeover

import (
	"fmt"
	"runtime"
)

// unsupported says why take-over does not work on this system: on
// Windows, named pipes cannot be renamed.
func unsupported() error {
	if runtime.GOOS == "windows" {
		return fmt.Errorf("%w: take-over needs a Unix socket; named pipes can't be renamed: use --listen", ErrUnsupported)
	}
	return fmt.Errorf("%w on %s: use --listen", ErrUnsupported, runtime.GOOS)
}

// Take would take over the socket at path; here it returns the error from
// unsupported.
func Take(path string) (*Takeover, error) {
	return nil, fmt.Errorf("take over %s: %w", path, unsupported())
}

// Restore undoes a take-over; here there can be none, so it returns the
// error from unsupported.
func (t *Takeover) Restore() error { return unsupported() }

// Restore would undo a take-over of path left behind; here there can be
// none, so it returns the error from unsupported.
func Restore(path string) (string, error) {
	return "", fmt.Errorf("restore %s: %w", path, unsupported())
}

// Held reports whether sockscope's socket is at the path; here there is
// none.
func (t *Takeover) Held() bool { return false }

// Left reports whether a take-over of path is left to undo; here there can
// be none.
func Left(path string, pid int) bool { return false }
