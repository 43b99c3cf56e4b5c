//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// relay is a proxy subprocess (sockscope or socat) between a listening
// socket and the echo service.
type relay struct {
	name string
	addr string // where clients connect
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{} // closed when the process has exited
	err  error         // its Wait error, once done
	// inPty is set when the relay runs under script(1) in a pseudo-terminal:
	// stop signals script's child, so that it can print its summary.
	inPty bool
}

// syncBuffer collects a subprocess's output.
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

// startSockscope runs `bin --headless --listen unix:DIR/NAME.sock [extra]
// unix:UPSTREAM` and waits until it accepts connections. With ui, it runs
// sockscope with its UI instead, in a 120×40 pseudo-terminal made by
// script(1), whose screen output is read and thrown away as a terminal would.
func startSockscope(bin, dir, name, upstream string, ui bool, extra ...string) (*relay, error) {
	addr := filepath.Join(dir, name+".sock")
	args := append([]string{"--listen", "unix:" + addr}, extra...)
	args = append(args, "unix:"+upstream)
	if !ui {
		return startRelay("sockscope", addr, bin, append([]string{"--headless"}, args...)...)
	}
	line := "stty cols 120 rows 40; exec " + shellQuote(bin)
	for _, a := range args {
		line += " " + shellQuote(a)
	}
	r, err := startRelay("sockscope", addr, "script", "-qec", line, "/dev/null")
	if r != nil {
		r.inPty = true
	}
	return r, err
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// pid is sockscope's own process id.
func (r *relay) pid() int {
	return max(r.target(), -r.target())
}

// summary is what the relay printed; under a pseudo-terminal only its last
// line from "sockscope:" on, without the screen that came before.
func (r *relay) summary(out string) string {
	if !r.inPty {
		return out
	}
	if line, ok := summaryLine(out); ok {
		return strings.TrimSpace(line)
	}
	return "(no summary line)"
}

// target is the process to signal: the relay, or script's child.
func (r *relay) target() int {
	pid := r.cmd.Process.Pid
	if !r.inPty {
		return -pid // the whole process group
	}
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if child, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
		return child
	}
	return -pid
}

// startSocat runs socat as a plain forking relay.
func startSocat(dir, upstream string) (*relay, error) {
	addr := filepath.Join(dir, "socat.sock")
	return startRelay("socat", addr, "socat",
		"UNIX-LISTEN:"+addr+",fork,backlog=4096", "UNIX-CONNECT:"+upstream)
}

func startRelay(name, addr, bin string, args ...string) (*relay, error) {
	return startProcess(name, addr, nil, bin, args...)
}

// startProcess runs bin with args, and env added to the environment, in a
// session of its own, and waits until it accepts connections at addr.
func startProcess(name, addr string, env []string, bin string, args ...string) (*relay, error) {
	os.Remove(addr)
	r := &relay{name: name, addr: addr, out: &syncBuffer{}, done: make(chan struct{})}
	r.cmd = exec.Command(bin, args...)
	if env != nil {
		r.cmd.Env = append(os.Environ(), env...)
	}
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	// Its own process group (socat's forked children go with it, and stop
	// signals the group), and its own session unless the arrangement is
	// one session for all: where the kernel groups sessions for scheduling
	// (autogroup), its own share of the CPU, as a relay started from a
	// terminal would have, and as script(1) gives the one with the UI.
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: ownSession, Setpgid: !ownSession}
	if err := r.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		r.err = r.cmd.Wait()
		close(r.done)
	}()
	if err := r.waitReady(10 * time.Second); err != nil {
		r.stop()
		return nil, fmt.Errorf("%s: %v\n%s", name, err, r.out.String())
	}
	return r, nil
}

// waitReady polls until a connection to addr succeeds.
func (r *relay) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-r.done:
			return fmt.Errorf("exited before listening: %v", r.err)
		default:
		}
		if c, err := dial(r.addr); err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("not listening after " + timeout.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// exited reports whether the process has ended.
func (r *relay) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the relay's process group, waits for it to exit
// (killing it after 10 s), and returns everything it printed.
func (r *relay) stop() string {
	if r.exited() { // stopped already: its process group may be gone, or reused
		return r.out.String()
	}
	pid := r.cmd.Process.Pid
	syscall.Kill(r.target(), syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-pid, syscall.SIGKILL)
		<-r.done
		r.out.Write([]byte("(sockbench: killed after 10 s without exiting on SIGTERM)\n"))
	}
	return r.out.String()
}

// cpu is the user and system CPU time the stopped process (and the children
// it waited for, such as script's sockscope) used; 0 while it runs.
func (r *relay) cpu() time.Duration {
	if !r.exited() || r.cmd.ProcessState == nil {
		return 0
	}
	return r.cmd.ProcessState.UserTime() + r.cmd.ProcessState.SystemTime()
}

// memStatus is a process's memory use from /proc/PID/status.
type memStatus struct {
	HWM, RSS int64 // bytes: peak and current resident set
}

// treeMem is the memory of process pid and its live descendants, summed
// (sockscope's store is in its decoder's process): the peak is the sum of
// each one's, so at most a little above the peak of the whole.
func treeMem(pid int) (memStatus, error) {
	m, err := readMem(pid)
	if err != nil {
		return m, err
	}
	for _, c := range children(pid) {
		if cm, err := treeMem(c); err == nil {
			m.HWM, m.RSS = m.HWM+cm.HWM, m.RSS+cm.RSS
		}
	}
	return m, nil
}

// readMem reads VmHWM and VmRSS of pid.
func readMem(pid int) (memStatus, error) {
	var m memStatus
	err := readKB(fmt.Sprintf("/proc/%d/status", pid), map[string]*int64{"VmHWM": &m.HWM, "VmRSS": &m.RSS})
	return m, err
}

// treePss is the Pss of process pid and its live descendants, summed: their
// resident set with each page several processes map counted in shares, so
// that the binary's pages sockscope's two processes both map count once.
// It is 0 where the kernel does not say (smaps_rollup: Linux 4.14), and it
// walks the processes' page tables: read it when the load is done.
func treePss(pid int) int64 {
	var pss int64
	readKB(fmt.Sprintf("/proc/%d/smaps_rollup", pid), map[string]*int64{"Pss": &pss})
	for _, c := range children(pid) {
		pss += treePss(c)
	}
	return pss
}

// readKB reads into fields, in bytes, the "Key: N kB" lines of file whose
// key is one of theirs.
func readKB(file string, fields map[string]*int64) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		dst := fields[k]
		if !ok || dst == nil {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return fmt.Errorf("%s: %v", k, err)
		}
		*dst = kb << 10
	}
	return sc.Err()
}

// buildSockscope builds the sockscope binary of the module in the current
// directory into dir.
func buildSockscope(dir string) (string, error) {
	bin := filepath.Join(dir, "sockscope")
	cmd := exec.Command("go", "build", "-o", bin, "sockscope")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build sockscope (use -bin to give a binary): %w", err)
	}
	return bin, nil
}
