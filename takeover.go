package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"sockscope/proxy"
	"sockscope/takeover"
)

// runTakeover inspects a Unix socket in place: its server's socket is moved
// aside, sockscope listens at its path, and it is put back on exit, on a
// signal and on a panic.
func runTakeover(ctx context.Context, o options, up proxy.Addr) error {
	if up.Network == "pipe" {
		name := up.Address[strings.LastIndex(up.Address, `\`)+1:]
		return fmt.Errorf("a named pipe can't be taken over (it can't be renamed, as a socket file is moved aside): keep the server on %s, run sockscope --listen pipe:%s-debug %s and point the clients at %s-debug", up, name, up, up)
	}
	if up.Network != "unix" {
		return fmt.Errorf("take-over needs a Unix socket, and %s is %s: name where clients should connect with --listen", up, up.Network)
	}
	t, err := takeover.Take(up.Address)
	if err != nil {
		return err
	}
	// The UI's status bar and attached viewers' say it; a run without a
	// UI says it on stderr too (there, it would break the UI's screen).
	w := new(uiWarning)
	o.warning = w
	replaced := func() {
		if o.headless || o.dump {
			fmt.Fprintf(os.Stderr, "sockscope: warning: another socket replaced sockscope's at %s (the server restarted?): new clients reach the server directly, not through sockscope; at exit sockscope leaves it there\n", t.Path)
		}
		w.set("new clients bypass sockscope: another socket replaced it at " + t.Path + " (the server restarted?); at exit sockscope leaves that one there")
	}
	stopWatching := watchPath(t, time.Second, replaced)
	giveBack := func() error {
		stopWatching() // the path stops being sockscope's now: no warning
		return t.Restore()
	}
	defer func() {
		err := giveBack()
		switch did := t.Did(); {
		case did != "": // all there is to say, ErrServerGone's too
			fmt.Fprintln(os.Stderr, "sockscope:", did)
		case err != nil:
			fmt.Fprintln(os.Stderr, "sockscope:", err) // it says "restore PATH: "
		}
	}()
	defer func() {
		if r := recover(); r != nil {
			giveBack()
			panic(r)
		}
	}()
	for _, n := range t.Notes {
		fmt.Fprintln(os.Stderr, "sockscope:", n)
	}
	fmt.Fprintf(os.Stderr, "sockscope: took over %s (server moved to %s until exit)\n", t.Path, t.Moved)
	o.takenOver = t.Path
	run, err := startCapture(ctx, o, restoring{t, giveBack}, proxy.Addr{Network: "unix", Address: t.Moved}, t.Path+" (taken over)")
	if err != nil {
		return err
	}
	return run()
}

// restoring is the taken-over path's listener as the relay gets it: its
// Close, the relay's as soon as it stops, puts the server's socket back
// first (giveBack: Takeover.Restore, which then closes it). The path
// pointed at a socket nobody accepted on while sockscope finished: while
// its decoder drained, seconds if it was behind, and 7.5 s if it was
// stopped.
type restoring struct {
	t        *takeover.Takeover
	giveBack func() error
}

func (l restoring) Accept() (net.Conn, error) { return l.t.Listener.Accept() }
func (l restoring) Addr() net.Addr            { return l.t.Listener.Addr() }
func (l restoring) Close() error              { return l.giveBack() }

// watchPath looks every so often whether the socket at t's path is still
// sockscope's, and calls replaced, once, when another one replaced it (a
// restarted server listening there anew): new clients then reach the
// server directly, past sockscope, and at exit sockscope leaves that
// socket where it is (Takeover.Restore). The returned stop ends the
// watch, and returns once replaced can no longer be called.
func watchPath(t *takeover.Takeover, every time.Duration, replaced func()) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
			}
			if _, err := os.Lstat(t.Path); err == nil && !t.Held() {
				replaced()
				return
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(quit); <-done }) }
}

// uiWarning is what the UI must warn of for as long as the run lasts, in
// its status bar (ui.Options.Warning), and the feed's attached viewers in
// theirs (feed.Config.Warning): a taken-over path another socket
// replaced. The run's wiring sets it; the UI and the feed read it, in
// this process, or in the decoder's process, where they are when the
// decoder runs apart: passTo hands it on there (split.Decoder.Warn).
type uiWarning struct {
	mu   sync.Mutex
	text string
	pass func(string)
}

// set makes text the warning, and hands it on.
func (w *uiWarning) set(text string) {
	w.mu.Lock()
	w.text = text
	pass := w.pass
	w.mu.Unlock()
	if pass != nil {
		pass(text)
	}
}

// get is the warning, "" while there is none.
func (w *uiWarning) get() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.text
}

// passTo hands the warning to pass from now on, and now if there is one
// already. pass must not wait: set's caller may not.
func (w *uiWarning) passTo(pass func(string)) {
	w.mu.Lock()
	w.pass = pass
	text := w.text
	w.mu.Unlock()
	if text != "" {
		pass(text)
	}
}

// restoreTakeover is `sockscope restore PATH`: it prints what it did. It
// exits 1 when no server is left to answer at the path (ErrServerGone),
// and 0 when the path is the server's, put back or its own again (a
// restarted server's, the old socket gone: nothing to give back).
func restoreTakeover(path string) error {
	did, err := takeover.Restore(path)
	switch {
	case errors.Is(err, takeover.ErrServerGone):
		fmt.Fprintln(os.Stderr, "sockscope:", did) // no server: exit 1
		return exitError(1)
	case err != nil:
		return err
	}
	fmt.Println(did)
	return nil
}
