//go:build !linux

package observe

import "errors"

// lowerThreadPriority is not done outside Linux: the decoder runs at the
// relay's priority there.
func lowerThreadPriority() error { return errors.ErrUnsupported }

const threadPriority = "normal"
