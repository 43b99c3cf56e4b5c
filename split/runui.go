//go:build unix

package split

import (
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// RunUI runs cmd, a UI of its own (the running binary again: an attached
// view), in a session and so a scheduling group of its own, at this
// process's priority: a UI lowered from its start took seconds to show its
// first screen on a busy machine, and lowers itself (Lower) once it has.
// Its UI is on this process's terminal: stdin and stdout, or, when stdin
// is not one, the terminal stdout or stderr is, which the process finds
// with TakeTTY. This process passes it the terminal's resizes and the
// signals that would end it (SIGINT, SIGTERM, SIGHUP: in a session of its
// own, it gets none of the terminal's), and puts the terminal back as it
// was should it die without a word. RunUI returns once the process ended,
// with how (an *exec.ExitError for a status other than 0).
func RunUI(cmd *exec.Cmd) error {
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	tty := controllingTTY()
	if tty != nil {
		defer tty.Close() // the process's copy is its own
		cmd.ExtraFiles = append(cmd.ExtraFiles, tty)
		cmd.Env = append(cmd.Environ(), envTTY+"="+strconv.Itoa(2+len(cmd.ExtraFiles)))
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	t := openTerminal(Config{TTY: tty}) // before the process changes it
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return err
	}
	t.forward(cmd.Process)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	t.ended(cmd.ProcessState, "")
	return err
}

// Lower lowers this process to the lowest priority, as the decoder's
// process runs (it gets the CPU the programs it shows leave): every thread
// of it, and its scheduling group when it leads a session of its own
// (RunUI's process). A UI calls it once its first screen is drawn
// (ui.Options.Drawn).
func Lower() error {
	if err := lowerThreads(); err != nil {
		return err
	}
	if sid, err := unix.Getsid(0); err == nil && sid == os.Getpid() {
		setGroupNice(sid, lowNice) // best effort, as startLowered's
	}
	return nil
}
