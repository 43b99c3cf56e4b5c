//go:build unix

package split

import (
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/charmbracelet/x/term"
)

// envTTY tells a UI's process (the decoder's, RunUI's) which of its
// descriptors is the UI's terminal, when not stdin and stdout
// (Config.TTY, controllingTTY).
const envTTY = "SOCKSCOPE_DECODER_TTY"

// TakeTTY returns the terminal the process that started this one gave it
// for its UI (envTTY), or nil: then the UI's terminal is stdin and stdout.
func TakeTTY() *os.File {
	v, ok := os.LookupEnv(envTTY)
	if !ok {
		return nil
	}
	os.Unsetenv(envTTY) // not for the processes this one starts
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil
	}
	syscall.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), "tty")
}

// terminal is, in the relay's process, the terminal the decoder's process
// runs the UI on. That process is in a session of its own, so the
// terminal's resizes reach only this one: it passes them on. And should
// the UI's process die without a word, this one puts the terminal back as
// it was, so that the user can read and type again (the relay goes on, and
// Ctrl-C stops it).
type terminal struct {
	in, out *os.File
	state   *term.State // as it was before the UI's process ran; nil if not a terminal
	stop    chan struct{}
}

// controllingTTY is the terminal the UI runs on when stdin is not one
// (sockscope's input is a pipe or a file), as the UI would find it in this
// process: stdout's or stderr's, opened again for reading and writing; nil
// when stdin is a terminal, or neither is. (The UI's process, in a session
// of its own, can neither open /dev/tty nor read a descriptor of it.)
func controllingTTY() *os.File {
	if term.IsTerminal(os.Stdin.Fd()) {
		return nil
	}
	for _, f := range []*os.File{os.Stdout, os.Stderr} {
		if !term.IsTerminal(f.Fd()) {
			continue
		}
		path, err := os.Readlink("/dev/fd/" + strconv.Itoa(int(f.Fd())))
		if err != nil { // no /dev/fd links: its own, for reading too
			path = "/dev/fd/" + strconv.Itoa(int(f.Fd()))
		}
		if t, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0); err == nil {
			return t
		}
	}
	return nil
}

// openTerminal notes the state of cfg's terminal, before the UI's process
// changes it.
func openTerminal(cfg Config) *terminal {
	t := &terminal{in: os.Stdin, out: os.Stdout, stop: make(chan struct{})}
	if cfg.TTY != nil {
		t.in, t.out = cfg.TTY, cfg.TTY
	}
	t.state, _ = term.GetState(t.in.Fd())
	return t
}

// forward passes the terminal's resizes on to p until the process ends.
func (t *terminal) forward(p *os.Process) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGWINCH)
	go func() {
		defer signal.Stop(sig)
		for {
			select {
			case <-sig:
				p.Signal(syscall.SIGWINCH)
			case <-t.stop:
				return
			}
		}
	}()
}

// ended stops the forwarding; if the UI's process was killed (st), it
// leaves the alternate screen, shows the cursor, restores the modes and
// says so, then what follows (after).
func (t *terminal) ended(st *os.ProcessState, after string) {
	close(t.stop)
	if t.state == nil || st == nil || st.Exited() {
		return
	}
	t.out.WriteString("\x1b[?1049l\x1b[?25h\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l\r\n")
	term.Restore(t.in.Fd(), t.state)
	os.Stderr.WriteString("sockscope: the UI's process ended (" + st.String() + ")" + after + "\n")
}
