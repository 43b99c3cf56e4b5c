package wrap

import "syscall"

// setDeathSignal makes the child get SIGKILL when sockscope dies.
func setDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
