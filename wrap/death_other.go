//go:build unix && !linux

package wrap

import "syscall"

// setDeathSignal does nothing: only Linux has a parent-death signal. The
// process group is killed when sockscope ends by itself.
func setDeathSignal(*syscall.SysProcAttr) {}
