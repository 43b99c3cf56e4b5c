//go:build !linux

package observe

// lowerThreadPriority is not done outside Linux: the decoder runs at the
// relay's priority there.
func lowerThreadPriority() (string, error) { return "normal", nil }

// onMainThread is false: no thread is lowered outside Linux.
func onMainThread() bool { return false }
