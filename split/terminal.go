//go:build unix

package split

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/charmbracelet/x/term"
)

// envTTY tells the decoder's process that fd 5 is the UI's terminal
// (Config.TTY).
const envTTY = "SOCKSCOPE_DECODER_TTY"

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
// leaves the alternate screen, shows the cursor and restores the modes.
func (t *terminal) ended(st *os.ProcessState) {
	close(t.stop)
	if t.state == nil || st == nil || st.Exited() {
		return
	}
	t.out.WriteString("\x1b[?1049l\x1b[?25h\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l\r\n")
	term.Restore(t.in.Fd(), t.state)
	os.Stderr.WriteString("sockscope: the UI's process ended (" + st.String() + "): relaying without it; Ctrl-C stops\n")
}
