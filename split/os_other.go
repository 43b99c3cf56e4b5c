//go:build unix && !linux

package split

import (
	"os"
	"os/exec"
	"syscall"
)

// startLowered starts cmd at the lowest priority (nice 19: the
// process's threads take its first's).
func startLowered(cmd *exec.Cmd) (grouped bool, err error) {
	if err := cmd.Start(); err != nil {
		return false, err
	}
	return false, syscall.Setpriority(syscall.PRIO_PROCESS, cmd.Process.Pid, lowNice)
}

// lowerThreads sets this process to the lowest priority (its threads
// share it).
func lowerThreads() error { return syscall.Setpriority(syscall.PRIO_PROCESS, 0, lowNice) }

// startBoostable starts cmd for --lossless, at normal priority: only
// Linux's scheduling groups can be lowered and raised again.
func startBoostable(cmd *exec.Cmd) (bool, error) { return false, cmd.Start() }

// startRaised starts cmd at this process's priority (Config.showsFirst).
func startRaised(cmd *exec.Cmd) (bool, error) { return false, cmd.Start() }

// setGroupNice: only Linux has scheduling groups by session.
func setGroupNice(pid, nice int) error { return nil }

// newShared makes the ring's shared memory: a file removed at once, which
// the decoder's process gets as a descriptor.
func newShared(size int) (*os.File, error) {
	f, err := os.CreateTemp("", "sockscope-events-*")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
	if err := f.Truncate(int64(size)); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
