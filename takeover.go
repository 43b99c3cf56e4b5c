package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

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
	defer func() {
		err := t.Restore()
		switch did := t.Did(); {
		case did != "": // all there is to say, ErrServerGone's too
			fmt.Fprintln(os.Stderr, "sockscope:", did)
		case err != nil:
			fmt.Fprintln(os.Stderr, "sockscope:", err) // it says "restore PATH: "
		}
	}()
	defer func() {
		if r := recover(); r != nil {
			t.Restore()
			panic(r)
		}
	}()
	for _, n := range t.Notes {
		fmt.Fprintln(os.Stderr, "sockscope:", n)
	}
	fmt.Fprintf(os.Stderr, "sockscope: took over %s (server moved to %s until exit)\n", t.Path, t.Moved)
	run, err := startCapture(ctx, o, restoring{t}, proxy.Addr{Network: "unix", Address: t.Moved}, t.Path+" (taken over)")
	if err != nil {
		return err
	}
	return run()
}

// restoring is the taken-over path's listener as the relay gets it: its
// Close, the relay's as soon as it stops, puts the server's socket back
// first (Takeover.Restore, which then closes it). The path pointed at a
// socket nobody accepted on while sockscope finished: while its decoder
// drained, seconds if it was behind, and 7.5 s if it was stopped.
type restoring struct{ t *takeover.Takeover }

func (l restoring) Accept() (net.Conn, error) { return l.t.Listener.Accept() }
func (l restoring) Addr() net.Addr            { return l.t.Listener.Addr() }
func (l restoring) Close() error              { return l.t.Restore() }

// restoreTakeover is `sockscope restore PATH`: it prints what it did.
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
