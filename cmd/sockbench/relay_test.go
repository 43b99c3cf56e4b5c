//go:build unix

package main

import (
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for sockscope, as the bare relay
// (SOCKBENCH_BARE=1, bare.go), and for a service.
func TestMain(m *testing.M) {
	if bareFromEnv() {
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
		stop, pid, err := startService(svc, path, 0, false)
		if err != nil {
			t.Fatalf("%s: %v", svc, err)
		}
		appendReq := sized(64)
		if svc == serviceDemo {
			appendReq = appendAdd
		}
		cpu0, cpuErr := procCPU(pid)
		r, err := pipelined(path, 1, 500*time.Millisecond, appendReq)
		cpu1, _ := procCPU(pid)
		stop()
		if cpuErr == nil && cpu1 <= cpu0 { // with /proc: it served, so it ran
			t.Errorf("%s: the service process (%d) used no CPU by /proc: %v then %v", svc, pid, cpu0, cpu1)
		}
		if err != nil || r.Requests <= 0 {
			t.Errorf("%s: %+v, %v", svc, r, err)
		}
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			t.Errorf("%s: still serving after stop", svc)
		}
	}
}

// TestRelayThroughSubprocess runs a scenario through a relay subprocess
// started and stopped the way sockscope is.
func TestRelayThroughSubprocess(t *testing.T) {
	t.Setenv("SOCKBENCH_BARE", "1")
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
	if !strings.Contains(out, "io.Copy relay: 2 connections") {
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

// TestBareRelay runs the -bare path: this program again, as an io.Copy
// relay in a process of its own.
func TestBareRelay(t *testing.T) {
	path := startTestEcho(t, 0)
	dir, err := os.MkdirTemp("", "sb")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	r, err := startBare(dir, "bare", path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := pipelined(r.addr, 2, 500*time.Millisecond, sized(64))
	if err != nil || res.Requests <= 0 {
		t.Errorf("pipelined through the bare relay: %+v, %v", res, err)
	}
	if out := r.stop(); !strings.Contains(out, "io.Copy relay: 3 connections") {
		t.Errorf("bare relay printed %q", out)
	}
}
