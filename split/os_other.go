//go:build unix && !linux

package split

import (
	"os"
	"os/exec"
	"syscall"
)

// startLowered starts cmd, at the lowest priority if lower (nice 19: the
// process's threads take its first's).
func startLowered(cmd *exec.Cmd, lower bool) error {
	if err := cmd.Start(); err != nil || !lower {
		return err
	}
	syscall.Setpriority(syscall.PRIO_PROCESS, cmd.Process.Pid, lowNice)
	return nil
}

// startBoostable starts cmd for --lossless, at normal priority: only
// Linux's scheduling groups can be lowered and raised again.
func startBoostable(cmd *exec.Cmd) (bool, error) { return false, cmd.Start() }

// setGroupNice: only Linux has scheduling groups by session.
func setGroupNice(pid, nice int) error { return nil }

// growPipe: only Linux sizes its pipes.
func growPipe(*os.File) {}
