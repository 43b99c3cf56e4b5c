//go:build !linux

package observe

import "errors"

// lowPriority is "": outside Linux the decoder runs at normal priority.
func lowPriority() string { return "" }

func lowerThreadPriority(string) error { return errors.ErrUnsupported }

// onMainThread is false: no thread is lowered outside Linux.
func onMainThread() bool { return false }
