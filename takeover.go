package main

import (
	"context"
	"fmt"
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
		if err := t.Restore(); err != nil {
			fmt.Fprintf(os.Stderr, "sockscope: restoring %s: %v\n", t.Path, err)
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
	run, err := startCapture(ctx, o, t.Listener, proxy.Addr{Network: "unix", Address: t.Moved}, t.Path+" (taken over)")
	if err != nil {
		return err
	}
	return run()
}

// restoreTakeover is `sockscope restore PATH`.
func restoreTakeover(path string) error {
	if err := takeover.Restore(path); err != nil {
		return err
	}
	fmt.Printf("restored %s\n", path)
	return nil
}
