//go:build unix

package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for sockscope: with
// SOCKBENCH_STANDIN=1 it is a plain io.Copy relay that takes sockscope's
// arguments and prints a summary line on SIGTERM. It is also the bare relay
// the README compares sockscope with:
//
//	go test -c -o /tmp/standin ./cmd/sockbench
//	SOCKBENCH_STANDIN=1 go run ./cmd/sockbench -bin /tmp/standin
func TestMain(m *testing.M) {
	if os.Getenv("SOCKBENCH_STANDIN") == "1" {
		standIn(os.Args[1:])
		return
	}
	if served, err := serveFromEnv(); served { // a service process of TestServiceProcess
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

// TestServiceProcess runs each service in a process of its own, as the
// benchmark does, and makes calls to it.
func TestServiceProcess(t *testing.T) {
	dir, err := os.MkdirTemp("", "sb")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for _, svc := range []string{serviceEcho, serviceDemo} {
		path := dir + "/" + svc + ".sock"
		stop, err := startService(svc, path, 0, false)
		if err != nil {
			t.Fatalf("%s: %v", svc, err)
		}
		appendReq := sized(64)
		if svc == serviceDemo {
			appendReq = appendAdd
		}
		r, err := pipelined(path, 1, 50*time.Millisecond, appendReq)
		stop()
		if err != nil || r.Requests <= 0 {
			t.Errorf("%s: %+v, %v", svc, r, err)
		}
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			t.Errorf("%s: still serving after stop", svc)
		}
	}
}

func standIn(args []string) {
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
			fmt.Printf("stand-in: %d connections\n", n)
			os.Exit(0)
		case c := <-conns:
			n++
			go func() {
				defer c.Close()
				u, err := dial(up) // retries while the service's backlog is full
				if err != nil {
					fmt.Fprintln(os.Stderr, "stand-in:", err)
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

// TestRelayThroughSubprocess runs a scenario through a relay subprocess
// started and stopped the way sockscope is.
func TestRelayThroughSubprocess(t *testing.T) {
	t.Setenv("SOCKBENCH_STANDIN", "1")
	path := startTestEcho(t, 0)
	dir, err := os.MkdirTemp("", "sb")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r, err := startSockscope(exe, dir, "p", path, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := latency(r.addr, 64, 100); err != nil {
		t.Errorf("latency through the relay: %v", err)
	}
	if m, err := readMem(r.cmd.Process.Pid); err != nil || m.HWM <= 0 {
		t.Errorf("readMem of the relay = %+v, %v", m, err)
	}
	out := r.stop()
	// The readiness probe and the latency run.
	if !strings.Contains(out, "stand-in: 2 connections") {
		t.Errorf("relay printed %q", out)
	}
	if !r.exited() || strings.Contains(out, "killed") {
		t.Error("relay did not exit on SIGTERM")
	}
}

func TestRelayThatNeverListens(t *testing.T) {
	dir, err := os.MkdirTemp("", "sb")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	_, err = startSockscope("/bin/false", dir, "p", dir+"/nothing.sock", false)
	if err == nil || !strings.Contains(err.Error(), "exited before listening") {
		t.Errorf("startSockscope(/bin/false) = %v", err)
	}
}
