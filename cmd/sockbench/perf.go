//go:build linux

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// perf(1) counts what a process does rather than timing it (-count): every
// system call it enters (raw_syscalls:sys_enter) and every time one of its
// threads leaves the CPU (sched:sched_switch), recorded by `perf record -p
// PID` and read back with `perf script`. Only tracepoints are used: they
// work where the hardware counters are not available (in a VM).

// perfEvents are the tracepoints recorded.
var perfEvents = []string{"raw_syscalls:sys_enter", "sched:sched_switch"}

// perfAckTimeout bounds the wait for perf to confirm a control command.
const perfAckTimeout = 30 * time.Second

// perfRecord is a running `perf record` on one process, started with its
// events disabled and switched on and off through its control pipe, so
// that what it counts is exactly the window between enable and disable.
type perfRecord struct {
	cmd  *exec.Cmd
	file string
	ctl  *os.File      // commands to perf
	acks chan string   // its acknowledgements, closed when it closes the pipe
	out  *syncBuffer   // what it printed
	done chan struct{} // closed when it has exited
	err  error         // its Wait error, once done
}

// checkPerf fails unless perf is installed.
func checkPerf() error {
	if _, err := exec.LookPath("perf"); err != nil {
		return errors.New("perf is not installed (Debian: apt-get install linux-perf): -count reads the relay's system calls and context switches from it, and has nothing to report without it")
	}
	return nil
}

// startPerf starts recording process pid's tracepoints into dir/NAME.data,
// disabled (-D -1) until enable.
func startPerf(pid int, dir, name string) (*perfRecord, error) {
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	ackR, ackW, err := os.Pipe()
	if err != nil {
		ctlR.Close()
		ctlW.Close()
		return nil, err
	}
	p := &perfRecord{file: filepath.Join(dir, name+".data"), ctl: ctlW, acks: make(chan string, 1), out: &syncBuffer{}, done: make(chan struct{})}
	args := []string{"record", "-q", "-D", "-1", "--control", "fd:3,4", "-m", "1024", "-o", p.file, "-p", strconv.Itoa(pid)}
	for _, e := range perfEvents {
		args = append(args, "-e", e)
	}
	p.cmd = exec.Command("perf", args...)
	p.cmd.ExtraFiles = []*os.File{ctlR, ackW} // fds 3 and 4
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	err = p.cmd.Start()
	ctlR.Close() // perf's ends
	ackW.Close()
	if err != nil {
		ctlW.Close()
		ackR.Close()
		return nil, err
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	go func() { // perf answers each command with a line "ack"
		defer ackR.Close()
		defer close(p.acks)
		sc := bufio.NewScanner(ackR)
		for sc.Scan() {
			p.acks <- sc.Text()
		}
	}()
	return p, nil
}

// command sends perf a control command ("enable", "disable") and waits
// until perf acknowledges it: when "enable" returns, the events are on.
func (p *perfRecord) command(c string) error {
	if _, err := p.ctl.WriteString(c + "\n"); err != nil {
		return fmt.Errorf("perf %s: %w\n%s", c, err, p.stop())
	}
	select {
	case a, ok := <-p.acks:
		if !ok {
			return fmt.Errorf("perf %s: perf closed its control pipe\n%s", c, p.stop())
		}
		if strings.Trim(a, "\x00") != "ack" { // perf writes "ack\n" with its string's NUL

			return fmt.Errorf("perf %s: answered %q", c, a)
		}
		return nil
	case <-time.After(perfAckTimeout):
		return fmt.Errorf("perf %s: no answer in %v\n%s", c, perfAckTimeout, p.stop())
	}
}

// stop ends perf with SIGINT (it then writes out what it recorded), waits
// for it (killing it after 30 s), and returns what it printed; once it has
// exited, it only returns that.
func (p *perfRecord) stop() string {
	defer p.ctl.Close() // closing it twice is harmless
	select {
	case <-p.done:
		return strings.TrimSpace(p.out.String())
	default:
	}
	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
	return strings.TrimSpace(p.out.String())
}

// script reads the recording back and counts it for tids (the threads
// that were recorded), and reports perf's warnings (lost events).
func (p *perfRecord) script() (perfCounts, string, error) {
	cmd := exec.Command("perf", "script", "-i", p.file, "-F", "tid,event,trace")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return perfCounts{}, "", err
	}
	if err := cmd.Start(); err != nil {
		return perfCounts{}, "", err
	}
	c, perr := parsePerfScript(out)
	if perr != nil {
		io.Copy(io.Discard, out) // let perf finish
	}
	werr := cmd.Wait()
	if err := errors.Join(perr, werr); err != nil {
		return perfCounts{}, "", fmt.Errorf("perf script: %w\n%s", err, stderr.String())
	}
	return c, perfWarnings(stderr.String()), nil
}

// perfWarnings is what in perf script's error output says the counts miss
// something: lost events or chunks.
func perfWarnings(s string) string {
	var w []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(strings.ToLower(l), "lost") {
			w = append(w, strings.TrimSpace(l))
		}
	}
	return strings.Join(w, "; ")
}

// perfCounts is what a recording holds.
type perfCounts struct {
	syscalls map[int]int64 // by number
	// switches counts a thread leaving the CPU by its state: sleeping (S:
	// it waits for something, such as a read or a futex), preempted (R,
	// R+: still runnable), and other (D and the rest).
	sleeping, preempted, other int64
}

// allSyscalls is the number of system calls entered.
func (c perfCounts) allSyscalls() int64 {
	var n int64
	for _, v := range c.syscalls {
		n += v
	}
	return n
}

// switches is the number of context switches.
func (c perfCounts) switches() int64 { return c.sleeping + c.preempted + c.other }

// parsePerfScript counts the output of `perf script -F tid,event,trace` on
// perfEvents:
//
//	26312 raw_syscalls:sys_enter: NR 1 (1, 5596ff66db60, 2000, ...)
//	26312     sched:sched_switch: prev_comm=yes prev_pid=26312 prev_prio=120 prev_state=R ==> next_comm=...
//
// A switch counts only when the thread that left the CPU is the one it is
// recorded for. A line it cannot read is an error: no figure from a
// recording it did not understand.
func parsePerfScript(r io.Reader) (perfCounts, error) {
	c := perfCounts{syscalls: map[int]int64{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for ln := 1; sc.Scan(); ln++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		tid, rest, _ := strings.Cut(line, " ")
		event, trace, ok := strings.Cut(strings.TrimSpace(rest), ": ")
		if !ok {
			return c, fmt.Errorf("line %d: no event: %q", ln, line)
		}
		switch event {
		case "raw_syscalls:sys_enter":
			nr, ok := strings.CutPrefix(trace, "NR ")
			if !ok {
				return c, fmt.Errorf("line %d: sys_enter without NR: %q", ln, line)
			}
			nr, _, _ = strings.Cut(nr, " ")
			n, err := strconv.Atoi(nr)
			if err != nil {
				return c, fmt.Errorf("line %d: %v", ln, err)
			}
			c.syscalls[n]++
		case "sched:sched_switch":
			prev := trace
			if i := strings.LastIndex(trace, " ==> next_comm="); i >= 0 {
				prev = trace[:i]
			}
			pid, state := traceField(prev, "prev_pid"), traceField(prev, "prev_state")
			if pid == "" || state == "" {
				return c, fmt.Errorf("line %d: sched_switch without prev_pid or prev_state: %q", ln, line)
			}
			if pid != tid {
				continue
			}
			switch state {
			case "S":
				c.sleeping++
			case "R", "R+":
				c.preempted++
			default:
				c.other++
			}
		default:
			return c, fmt.Errorf("line %d: event %q not recorded by -count", ln, event)
		}
	}
	return c, sc.Err()
}

// traceField is the value of key=value in a tracepoint's text ("" if it
// is not there); the last one, since a command name (prev_comm) comes
// before the fields read here and may hold spaces and "=".
func traceField(s, key string) string {
	f := strings.Fields(s)
	for i := len(f) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(f[i], key+"="); ok {
			return v
		}
	}
	return ""
}

// threadsCPU is the CPU time all of process pid's threads have used so
// far, in ns from /proc/PID/task/*/schedstat (its first field: time on the
// CPU), finer than /proc/PID/stat's ticks.
func threadsCPU(pid int) (time.Duration, error) {
	files, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil {
		return 0, err
	}
	if len(files) == 0 {
		return 0, fmt.Errorf("process %d: no threads", pid)
	}
	var sum time.Duration
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // a thread that has just exited
		}
		d, err := parseSchedstat(string(b))
		if err != nil {
			return 0, fmt.Errorf("%s: %w", f, err)
		}
		sum += d
	}
	return sum, nil
}

// parseSchedstat is the time on the CPU in a schedstat line ("ns-on-cpu
// ns-waiting timeslices").
func parseSchedstat(s string) (time.Duration, error) {
	f := strings.Fields(s)
	if len(f) != 3 {
		return 0, fmt.Errorf("schedstat %q: want 3 fields", s)
	}
	ns, err := strconv.ParseInt(f[0], 10, 64)
	return time.Duration(ns), err
}
