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

// startBoostable starts cmd for --lossless, at normal priority: only
// Linux's scheduling groups can be lowered and raised again.
func startBoostable(cmd *exec.Cmd) (bool, error) { return false, cmd.Start() }

// setGroupNice: only Linux has scheduling groups by session.
func setGroupNice(pid, nice int) error { return nil }

// growPipe: only Linux sizes its pipes.
func growPipe(*os.File) {}

// writev writes vec to f one piece at a time, waiting for room.
func writev(f *os.File, vec [][]byte, _ bool) (int64, error) { return writePieces(f, vec) }
