//go:build unix

package wrap

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
)

// sysChild is nothing on Unix: the process group and the parent-death
// signal are set when the child starts.
type sysChild struct{}

// start starts the child in a process group of its own, on Linux with a
// parent-death signal. That signal is sent when the thread that started the
// child ends, so the thread stays locked until the child is reaped.
func (ch *Child) start() error {
	attr := &syscall.SysProcAttr{Setpgid: true}
	setDeathSignal(attr)
	ch.cmd.SysProcAttr = attr
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the child
		if err := ch.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		ch.setStatus(ch.cmd.Wait())
	}()
	return <-started
}

// signalOf returns the signal that killed the process, if one did.
func signalOf(ps *os.ProcessState) os.Signal {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ws.Signal()
	}
	return nil
}

// Forwarded are the signals ForwardSignals passes on to the child: those a
// parent sends the program it started, and the terminal sends its
// foreground group, which the child (in a process group of its own) would
// not get otherwise. Without sockscope they would be the child's: SIGUSR1
// and SIGUSR2 (reload, dump state), SIGWINCH (a resize), SIGQUIT (Ctrl-\,
// a stack dump), SIGCONT. Not SIGTSTP, SIGTTIN and SIGTTOU, which stop
// sockscope itself as they would any program; nor SIGPIPE and SIGALRM,
// which are about sockscope's own writes and timers. (To stop the child
// with sockscope, sockscope would catch SIGTSTP; once a Go program has
// asked for it, its runtime drops a SIGTSTP even after signal.Reset, so
// sockscope could stop itself only with SIGSTOP, which a process group
// orphaned of its shell does not discard, leaving both stopped for good.)
var Forwarded = []os.Signal{
	syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH, syscall.SIGCONT,
}

// ForwardSignals passes the signals sent to sockscope that are Forwarded
// on to the child until it exits, and takes them, passing nothing on, from
// then until ctx is done: sockscope, finishing after its child (the last
// of its output, the recording), is not ended by their default action
// (its caller may ask for them too, to cut that short). It takes the
// signals before it returns (a goroutine passes them on), so that one
// sent as soon as the child has said something through sockscope reaches
// the child, not sockscope's default action. Others who asked for a
// signal still get it (the relay passes SIGWINCH on to a UI's process
// too: split).
func (ch *Child) ForwardSignals(ctx context.Context) {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, Forwarded...)
	go func() {
		defer signal.Stop(sigs)
		exited := ch.exited
		for {
			select {
			case s := <-sigs:
				if exited != nil {
					ch.cmd.Process.Signal(s)
				}
			case <-exited:
				exited = nil
			case <-ctx.Done():
				return
			}
		}
	}()
}

// Kill kills the child's process group, if the child still runs.
func (ch *Child) Kill() {
	select {
	case <-ch.exited:
		return
	default:
	}
	syscall.Kill(-ch.cmd.Process.Pid, syscall.SIGKILL)
}

// Exit ends sockscope as the child ended: with its exit code, or by the
// signal that killed it. A signal whose default action Go's runtime takes
// over (SIGQUIT, SIGABRT and the synchronous ones, which would print a
// stack dump; SIGPIPE, which it drops when kill sends it) ends it with
// status 128+n instead, as a shell reports it.
func Exit(st Status) {
	if s, ok := st.Signal.(syscall.Signal); ok {
		switch s {
		case syscall.SIGPIPE, syscall.SIGQUIT, syscall.SIGABRT, syscall.SIGSEGV, syscall.SIGBUS,
			syscall.SIGFPE, syscall.SIGILL, syscall.SIGTRAP, syscall.SIGSYS:
		default:
			signal.Reset(s)
			syscall.Kill(os.Getpid(), s)
			// A stopped or ignored signal (inherited as ignored) returns:
			// wait a moment for the signal to land, then say it as a shell
			// would.
			time.Sleep(100 * time.Millisecond)
		}
		os.Exit(128 + int(s))
	}
	if st.Err != nil || st.Code < 0 {
		os.Exit(1)
	}
	os.Exit(st.Code)
}

// isErrClosed reports a read from a closed file.
func isErrClosed(err error) bool { return errors.Is(err, os.ErrClosed) }
