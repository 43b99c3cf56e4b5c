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
	syscall.Setpriority(syscall.PRIO_PROCESS, cmd.Process.Pid, 19)
	return nil
}

// growPipe: only Linux sizes its pipes.
func growPipe(*os.File) {}
