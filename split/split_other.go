//go:build !unix

package split

import (
	"os"
	"os/exec"
)

// Supported says whether the decoder can run in a process of its own here.
const Supported = false

// RunUI runs cmd and waits for it: a session of its own is Unix's.
func RunUI(cmd *exec.Cmd) error {
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	return cmd.Run()
}

// Lower: a UI's process here stays at its priority.
func Lower() error { return nil }

// TakeTTY: a UI's process here has its terminal as stdin and stdout.
func TakeTTY() *os.File { return nil }
