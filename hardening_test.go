//go:build unix

package main

// Helpers of the hardening suite (hardening_*_test.go): the real binary as
// a process whose memory and file descriptors can be read from /proc, and
// in-process upstream servers that can be killed and restarted.

import (
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// ssProc is a running sockscope whose exit status matters to the test.
type ssProc struct {
	t        *testing.T
	cmd      *exec.Cmd
	out, err syncBuffer
	done     chan struct{}
}

// startSS starts the real binary with args. Out may be set to io.Discard
// for runs whose stdout would be large.
func startSS(t *testing.T, stdout io.Writer, args ...string) *ssProc {
	t.Helper()
	return startCmd(t, stdout, exec.Command(binary, args...))
}

// startCmd starts cmd, which runs sockscope (perhaps through a wrapper that
// execs it, such as prlimit).
func startCmd(t *testing.T, stdout io.Writer, cmd *exec.Cmd) *ssProc {
	t.Helper()
	p := &ssProc{t: t, cmd: cmd, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.err
	// Once sockscope has exited, or been killed, its output is read for
	// no longer than that: a decoder's process it left behind stopped
	// (SIGSTOP) holds the pipes open.
	p.cmd.WaitDelay = 10 * time.Second
	if stdout != nil {
		p.cmd.Stdout = stdout
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *ssProc) pid() int { return p.cmd.Process.Pid }

// stop sends sig and returns the exit code once sockscope has exited.
func (p *ssProc) stop(sig os.Signal) int {
	p.t.Helper()
	p.cmd.Process.Signal(sig)
	return p.wait()
}

// wait returns the exit code (-1 for a death by signal) once sockscope
// has exited; it fails the test if that takes over a minute.
func (p *ssProc) wait() int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		p.cmd.Process.Kill()
		<-p.done
		p.t.Fatalf("sockscope did not exit within a minute\nstderr:\n%s", p.err.String())
	}
	return p.cmd.ProcessState.ExitCode()
}

// waitStderr waits until sockscope's stderr contains s.
func (p *ssProc) waitStderr(s string) {
	p.t.Helper()
	eventually(p.t, "stderr to contain "+strconv.Quote(s), func() bool {
		return strings.Contains(p.err.String(), s)
	})
}

// eventually polls cond for up to 30 s: a liveness bound, never a speed one.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// procKiB reads a "Vm…" field of /proc/<pid>/status, in KiB.
func procKiB(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("%s: %q", field, line)
			}
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// fdCount counts the open file descriptors of pid.
func fdCount(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	return len(ents)
}

// raiseNoFile lifts this process's soft RLIMIT_NOFILE to at least n (or its
// hard limit); children inherit it.
func raiseNoFile(t *testing.T, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur >= n {
		return
	}
	lim.Cur = min(max(n, lim.Cur), lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < n {
		t.Skipf("RLIMIT_NOFILE %d < %d and cannot be raised: %v", lim.Cur, n, err)
	}
}

// upstream is an in-process Unix socket server that can be killed (its
// listener and every accepted connection closed, as the kernel does when a
// process dies) and started again at the same path.
type upstream struct {
	t      *testing.T
	path   string
	handle func(net.Conn)
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
}

// startUpstream serves handle on each connection to path.
func startUpstream(t *testing.T, path string, handle func(net.Conn)) *upstream {
	t.Helper()
	u := &upstream{t: t, path: path, handle: handle}
	u.start()
	t.Cleanup(u.kill)
	return u
}

func (u *upstream) start() {
	u.t.Helper()
	ln, err := net.Listen("unix", u.path)
	if err != nil {
		u.t.Fatal(err)
	}
	u.mu.Lock()
	u.ln, u.conns = ln, map[net.Conn]bool{}
	u.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u.mu.Lock()
			if u.ln != ln {
				u.mu.Unlock()
				c.Close()
				return
			}
			u.conns[c] = true
			u.mu.Unlock()
			go func() {
				defer c.Close()
				u.handle(c)
			}()
		}
	}()
}

// kill closes the listener (removing the socket file) and every connection.
func (u *upstream) kill() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.ln != nil {
		u.ln.Close()
	}
	for c := range u.conns {
		c.Close()
	}
	u.ln, u.conns = nil, nil
}

// echoBytes sends back every byte it reads.
func echoBytes(c net.Conn) { io.Copy(c, c) }

// paths returns the upstream and listen socket paths in a fresh short dir.
func paths(t *testing.T) (svc, front string) {
	dir := shortDir(t)
	return filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
}
