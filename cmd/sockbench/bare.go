//go:build unix

package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
)

// The bare relay is what sockscope is compared with (-bare): a plain Go
// io.Copy relay, one goroutine per direction, observing nothing. It is
// this program again, with SOCKBENCH_BARE=1 and sockscope's arguments, in
// a process of its own.

// startBare runs the bare relay from the socket dir/name.sock to upstream.
func startBare(dir, name, upstream string) (*relay, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	addr := filepath.Join(dir, name+".sock")
	return startProcess(pathBare, addr, []string{"SOCKBENCH_BARE=1"}, exe, "--listen", "unix:"+addr, "unix:"+upstream)
}

// bareFromEnv is the bare relay's side of startBare: with SOCKBENCH_BARE=1
// it relays until SIGTERM and reports true.
func bareFromEnv() bool {
	if os.Getenv("SOCKBENCH_BARE") != "1" {
		return false
	}
	bareRelay(os.Args[1:])
	return true
}

// bareRelay relays from --listen unix:PATH to the unix:PATH argument,
// ignoring --headless, and prints how many connections it relayed on
// SIGTERM.
func bareRelay(args []string) {
	var listen, up string
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--listen":
			i++
			listen = strings.TrimPrefix(args[i], "unix:")
		case "--headless":
		default:
			up = strings.TrimPrefix(args[i], "unix:")
		}
	}
	ln, err := net.Listen("unix", listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	n := 0
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	conns := make(chan net.Conn)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
		}
	}()
	for {
		select {
		case <-sig:
			fmt.Printf("io.Copy relay: %d connections\n", n)
			os.Exit(0)
		case c := <-conns:
			n++
			go func() {
				defer c.Close()
				u, err := dial(up) // retries while the service's backlog is full
				if err != nil {
					fmt.Fprintln(os.Stderr, "io.Copy relay:", err)
					return
				}
				defer u.Close()
				go func() { // a client that is done writing ends the upstream's input
					io.Copy(u, c)
					u.(*net.UnixConn).CloseWrite()
				}()
				io.Copy(c, u)
			}()
		}
	}
}
