//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// wrapped starts the real binary wrapping argv, its stdin a pipe of the
// test's, its stdout read line by line and its stderr kept.
type wrapped struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	errBuf *bytes.Buffer
}

func startWrapped(t *testing.T, args ...string) *wrapped {
	t.Helper()
	return startWrappedErr(t, nil, args...)
}

// startWrappedErr is startWrapped with sockscope's stderr going to stderr
// (an *os.File, as a shell's redirection gives it), if not nil.
func startWrappedErr(t *testing.T, stderr *os.File, args ...string) *wrapped {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+shortDir(t))
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	w := &wrapped{cmd: cmd, in: in, out: bufio.NewReader(out), errBuf: &bytes.Buffer{}}
	cmd.Stderr = w.errBuf
	if stderr != nil {
		cmd.Stderr = stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return w
}

// statusWithin is status, failing when sockscope has not exited within d.
func (w *wrapped) statusWithin(t *testing.T, d time.Duration) (int, syscall.Signal) {
	t.Helper()
	timer := time.AfterFunc(d, func() { w.cmd.Process.Kill() })
	code, sig := w.status(t)
	if !timer.Stop() {
		t.Fatalf("sockscope had not exited within %v (killed)", d)
	}
	return code, sig
}

// line reads the next line sockscope's stdout gives (the child's).
func (w *wrapped) line(t *testing.T) string {
	t.Helper()
	l, err := w.out.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the child's stdout: %v (stderr: %s)", err, w.errBuf)
	}
	return strings.TrimSuffix(l, "\n")
}

// lineWithin is line, failing when none comes within d.
func (w *wrapped) lineWithin(t *testing.T, d time.Duration) string {
	t.Helper()
	type read struct {
		l   string
		err error
	}
	got := make(chan read, 1)
	go func() { // ends when the cleanup kills sockscope, if not before
		l, err := w.out.ReadString('\n')
		got <- read{l, err}
	}()
	select {
	case r := <-got:
		if r.err != nil {
			t.Fatalf("reading the child's stdout: %v (stderr: %s)", r.err, w.errBuf)
		}
		return strings.TrimSuffix(r.l, "\n")
	case <-time.After(d):
		t.Fatalf("no line from the child within %v (stderr: %s)", d, w.errBuf)
		return ""
	}
}

// status waits for sockscope to exit and returns its exit code and the
// signal that killed it, if one did.
func (w *wrapped) status(t *testing.T) (int, syscall.Signal) {
	t.Helper()
	err := w.cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	ws := w.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return -1, ws.Signal()
	}
	return ws.ExitStatus(), 0
}

// Exit statuses and signals are the child's, as if the parent had run it.
func TestWrapExitStatus(t *testing.T) {
	t.Run("code", func(t *testing.T) {
		w := startWrapped(t, "--", "sh", "-c", "echo hi; exit 7")
		if l := w.line(t); l != "hi" {
			t.Fatalf("stdout %q", l)
		}
		if code, sig := w.status(t); code != 7 || sig != 0 {
			t.Fatalf("exit %d, signal %v: want 7 (stderr: %s)", code, sig, w.errBuf)
		}
	})
	t.Run("a command that cannot be run", func(t *testing.T) {
		// As a shell says: 127 when there is no such command, 126 when
		// there is one that cannot be executed.
		plain := filepath.Join(t.TempDir(), "plain")
		if err := os.WriteFile(plain, []byte("not a program\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for cmd, want := range map[string]int{"sockscope-no-such-command": 127, plain: 126} {
			if _, errOut, st := runStatus(t, "--", cmd); st != want || !strings.Contains(errOut, cmd) {
				t.Errorf("%s: exit %d, want %d; stderr %s", cmd, st, want, errOut)
			}
		}
	})
	t.Run("killed by SIGTERM", func(t *testing.T) {
		w := startWrapped(t, "--", "sh", "-c", "kill -TERM $$")
		if code, sig := w.status(t); sig != syscall.SIGTERM {
			t.Fatalf("exit %d, signal %v: want death by SIGTERM (stderr: %s)", code, sig, w.errBuf)
		}
	})
	t.Run("SIGINT reaches the child", func(t *testing.T) {
		w := startWrapped(t, "--", "sh", "-c", `trap 'echo got-int; exit 3' INT; echo ready; while :; do sleep 0.02; done`)
		if l := w.line(t); l != "ready" {
			t.Fatalf("stdout %q", l)
		}
		w.cmd.Process.Signal(syscall.SIGINT)
		if l := w.line(t); l != "got-int" {
			t.Fatalf("stdout %q, want the child's trap", l)
		}
		if code, sig := w.status(t); code != 3 || sig != 0 {
			t.Fatalf("exit %d, signal %v: want 3", code, sig)
		}
	})
	t.Run("closing stdin closes the child's", func(t *testing.T) {
		w := startWrapped(t, "--", "sh", "-c", `cat; echo stdin-closed`)
		io.WriteString(w.in, "abc\n")
		if l := w.line(t); l != "abc" {
			t.Fatalf("stdout %q", l)
		}
		w.in.Close()
		if l := w.line(t); l != "stdin-closed" {
			t.Fatalf("stdout %q", l)
		}
		if _, err := w.out.ReadByte(); err != io.EOF {
			t.Fatalf("stdout goes on after the child's ended: %v", err)
		}
		if code, sig := w.status(t); code != 0 || sig != 0 {
			t.Fatalf("exit %d, signal %v", code, sig)
		}
	})
	t.Run("the child closing its stdin ends that side only", func(t *testing.T) {
		// The child stops reading, and writes 0.3 s later, while the
		// parent goes on writing: sockscope meets EPIPE writing its stdin
		// meanwhile, and the child's output still comes (it failed the
		// whole connection: "echo: I/O error", the output lost).
		w := startWrapped(t, "--", "sh", "-c", `read a; exec 0<&-; sleep 0.3; echo "first=$a"`)
		go func() {
			io.WriteString(w.in, "1\n")
			line := []byte(strings.Repeat("x", 1023) + "\n")
			for {
				if _, err := w.in.Write(line); err != nil {
					return
				}
			}
		}()
		if l := w.line(t); l != "first=1" {
			t.Fatalf("stdout %q (stderr: %s)", l, w.errBuf)
		}
		w.in.Close()
		if code, sig := w.status(t); code != 0 || sig != 0 {
			t.Fatalf("exit %d, signal %v (stderr: %s)", code, sig, w.errBuf)
		}
	})
	t.Run("the child's SIGPIPE is not ignored", func(t *testing.T) {
		// An ignored disposition is inherited: yes | head -1 in the child
		// then said "Broken pipe" and exited 1, rather than die quietly.
		w := startWrapped(t, "--", "sh", "-c", `grep SigIgn /proc/$$/status`)
		l := w.line(t)
		mask, err := strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(l, "SigIgn:")), 16, 64)
		if err != nil || mask&(1<<(syscall.SIGPIPE-1)) != 0 {
			t.Fatalf("the child's ignored signals %q: want SIGPIPE not among them", l)
		}
	})
	t.Run("the child dies with sockscope", func(t *testing.T) {
		pidFile := filepath.Join(shortDir(t), "pid")
		w := startWrapped(t, "--", "sh", "-c", `echo $$ > "$0"; echo ready; exec sleep 60`, pidFile)
		w.line(t)
		b, _ := os.ReadFile(pidFile)
		pid := strings.TrimSpace(string(b))
		w.cmd.Process.Kill() // SIGKILL: sockscope has no say, the kernel does
		w.cmd.Wait()
		deadline := time.Now().Add(20 * time.Second)
		for {
			out, _ := exec.Command("ps", "-o", "stat=", "-p", pid).Output()
			if st := strings.TrimSpace(string(out)); st == "" || strings.HasPrefix(st, "Z") {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the child (pid %s) outlived sockscope", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	t.Run("nothing of sockscope's on stdout", func(t *testing.T) {
		w := startWrapped(t, "-w", filepath.Join(shortDir(t), "s.jsonl"), "--", "sh", "-c", "printf x")
		w.in.Close()
		rest, _ := io.ReadAll(w.out)
		if string(rest) != "x" {
			t.Fatalf("stdout %q, want the child's only", rest)
		}
		if code, _ := w.status(t); code != 0 {
			t.Fatalf("exit %d: %s", code, w.errBuf)
		}
	})
}

// The signals a parent sends its server reach the wrapped child as if
// sockscope were not there: SIGUSR1 and SIGUSR2 (reload, dump state),
// SIGWINCH, SIGQUIT, SIGCONT and SIGHUP, while sockscope goes on; the child
// is in a process group of its own, so nothing else passes them on. Only
// SIGINT, SIGTERM and SIGHUP were: Go's runtime dropped SIGUSR1, SIGUSR2,
// SIGWINCH and SIGCONT, and SIGQUIT killed sockscope with a stack dump.
func TestWrapForwardsSignals(t *testing.T) {
	w := startWrapped(t, "--", "sh", "-c", `for s in USR1 USR2 WINCH QUIT CONT HUP; do trap "echo got-$s" $s; done
echo ready; while :; do sleep 0.02; done`)
	if l := w.line(t); l != "ready" {
		t.Fatalf("stdout %q", l)
	}
	for _, s := range []struct {
		sig  syscall.Signal
		name string
	}{
		{syscall.SIGUSR1, "USR1"}, {syscall.SIGUSR2, "USR2"}, {syscall.SIGWINCH, "WINCH"},
		{syscall.SIGQUIT, "QUIT"}, {syscall.SIGCONT, "CONT"}, {syscall.SIGHUP, "HUP"},
		{syscall.SIGUSR1, "USR1"}, // again: still forwarded
	} {
		if err := w.cmd.Process.Signal(s.sig); err != nil {
			t.Fatal(err)
		}
		if l := w.lineWithin(t, 10*time.Second); l != "got-"+s.name {
			t.Fatalf("after SIG%s, stdout %q: want got-%s, the child's trap (stderr: %s)", s.name, l, s.name, w.errBuf)
		}
	}
	w.cmd.Process.Signal(syscall.SIGTERM) // not trapped: the child dies of it
	if code, sig := w.status(t); sig != syscall.SIGTERM {
		t.Fatalf("exit %d, signal %v: want death by SIGTERM, the child's (stderr: %s)", code, sig, w.errBuf)
	}
}

// --ui must name a terminal: a file that is not one is refused before the
// child runs (Bubble Tea failed on it twice, and the run went on).
func TestWrapUIRefusesAFile(t *testing.T) {
	file := filepath.Join(shortDir(t), "notty")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, status := runStatus(t, "--ui", file, "--", "sh", "-c", "echo ran")
	if status == 0 || !strings.Contains(errOut, "not a terminal") {
		t.Fatalf("status %d, stderr %q: want it refused", status, errOut)
	}
}

// brokenStderr starts sockscope wrapping script with its stderr a pipe that
// is closed once the child wrote a line to it, as head -1 closes it in
// `sockscope -- cmd 2>&1 | head -1`.
func brokenStderr(t *testing.T, script string) *wrapped {
	t.Helper()
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	w := startWrappedErr(t, wr, "--", "sh", "-c", script)
	wr.Close()
	if l, err := bufio.NewReader(r).ReadString('\n'); err != nil || l != "err\n" {
		t.Fatalf("sockscope's stderr: %q, %v: want the child's first line", l, err)
	}
	r.Close()
	return w
}

// When sockscope's stderr breaks, the child's breaks too: its next write
// there fails as it would without sockscope (EPIPE, or death by SIGPIPE),
// and its stdout still comes. sockscope read the child's stderr on and
// threw it away: the child never learned, and the two spun.
func TestWrapStderrBreaks(t *testing.T) {
	t.Run("EPIPE", func(t *testing.T) {
		w := brokenStderr(t, `trap '' PIPE; echo ready; while echo err >&2; do :; done; echo stderr-gone; exec cat`)
		if l := w.line(t); l != "ready" {
			t.Fatalf("stdout %q", l)
		}
		if l := w.lineWithin(t, 20*time.Second); l != "stderr-gone" {
			t.Fatalf("stdout %q, want the child to see its stderr fail", l)
		}
		io.WriteString(w.in, "abc\n")
		if l := w.lineWithin(t, 20*time.Second); l != "abc" {
			t.Fatalf("stdout %q: want the relay to go on", l)
		}
		w.in.Close()
		if code, sig := w.statusWithin(t, 20*time.Second); code != 0 || sig != 0 {
			t.Fatalf("exit %d, signal %v", code, sig)
		}
	})
	t.Run("SIGPIPE", func(t *testing.T) {
		w := brokenStderr(t, `while :; do echo err >&2; done`)
		// sockscope ends as the child did, with 128+13 as a shell says it.
		if code, sig := w.statusWithin(t, 20*time.Second); code != 128+int(syscall.SIGPIPE) {
			t.Fatalf("exit %d, signal %v: want %d, the child's death by SIGPIPE", code, sig, 128+syscall.SIGPIPE)
		}
	})
}

// sockscope wrap [flags] [--] CMD [ARGS...]: its --help is its own, and
// without -- the first argument that is not one of its flags begins the
// child's command line, the flags before it still sockscope's. "wrap" was
// taken for an UPSTREAM, and wrap --help printed the top-level usage.
func TestWrapCommand(t *testing.T) {
	t.Run("help", func(t *testing.T) {
		out, errOut, st := runStatus(t, "wrap", "--help")
		if st != 0 || !strings.Contains(out, "sockscope wrap [flags] [--] CMD [ARGS...]") || strings.Contains(out, "UPSTREAM") {
			t.Fatalf("status %d, stdout %q, stderr %q: want wrap's usage", st, out, errOut)
		}
	})
	t.Run("without --", func(t *testing.T) {
		file := filepath.Join(shortDir(t), "s.jsonl")
		out, errOut, st := runStatus(t, "wrap", "-w", file, "sh", "-c", `echo "$@"; exit 7`, "sh", "-w", "x", "--help", "--", "y")
		if st != 7 || out != "-w x --help -- y\n" {
			t.Fatalf("status %d, stdout %q, stderr %q: want the child's arguments echoed and its 7", st, out, errOut)
		}
		if frames := recordedFrames(t, file); len(frames) == 0 {
			t.Fatalf("-w before the command: nothing recorded in %s", file)
		}
	})
	t.Run("with --", func(t *testing.T) {
		out, errOut, st := runStatus(t, "wrap", "--no-feed", "--", "sh", "-c", "echo hi")
		if st != 0 || out != "hi\n" {
			t.Fatalf("status %d, stdout %q, stderr %q", st, out, errOut)
		}
	})
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no command", []string{"wrap"}, "sockscope wrap [flags] [--] CMD"},
		{"no command after --", []string{"wrap", "--"}, "sockscope wrap [flags] [--] CMD"},
		// --feed's path is optional: the next argument may be it or CMD.
		{"--feed and an argument", []string{"wrap", "--feed", "/tmp/x.sock", "sh"}, "--feed -- /tmp/x.sock"},
		{"a command like a flag", []string{"wrap", "-Q", "sh"}, "put -- before it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, st := runStatus(t, c.args...)
			if st != 2 || out != "" || !strings.Contains(errOut, c.want) {
				t.Fatalf("%q: status %d, stdout %q, stderr %q: want 2 (bad usage) and %q", c.args, st, out, errOut, c.want)
			}
		})
	}
}

// A signal after the child exited, while sockscope waits for what a
// process the child started may still write, ends that wait: sockscope
// exits with the child's status, not killed by the signal.
func TestWrapSignalAfterChildExit(t *testing.T) {
	w := startWrapped(t, "--", "sh", "-c", `echo $$; (sleep 60; echo late) & exit 3`)
	pid, err := strconv.Atoi(w.line(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-pid, syscall.SIGKILL) }) // the sleep, in the child's group
	eventually(t, "the child reaped", func() bool { return syscall.Kill(pid, 0) == syscall.ESRCH })
	w.cmd.Process.Signal(syscall.SIGINT)
	if code, sig := w.statusWithin(t, 30*time.Second); code != 3 || sig != 0 {
		t.Fatalf("exit %d, signal %v: want 3, the child's (stderr: %s)", code, sig, w.errBuf)
	}
}

// A wrapped child's run prints no summary (its stdout is the child's), so
// when its decoder fell behind and dropped its copy of the traffic, stderr
// says so at exit, and that the recording has gaps: nothing did before,
// and a recording lacked a 3 MB MCP reply without a word.
func TestWrapSaysWhatItsDecoderDropped(t *testing.T) {
	file := filepath.Join(shortDir(t), "s.jsonl")
	cmd := exec.Command(binary, "wrap", "-w", file, "cat")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	// A line through and back: the relay runs, its decoder's process too.
	r := bufio.NewReader(out)
	io.WriteString(in, "ready\n")
	if l, err := r.ReadString('\n'); l != "ready\n" {
		t.Fatalf("%q, %v\n%s", l, err, stderr.String())
	}
	child := childOf(t, cmd.Process.Pid)
	syscall.Kill(child, syscall.SIGSTOP)
	t.Cleanup(func() { syscall.Kill(child, syscall.SIGCONT) })
	const total = 40 << 20 // more than the ring and the queues hold
	read := make(chan int64, 1)
	go func() { n, _ := io.Copy(io.Discard, r); read <- n }()
	line := []byte(strings.Repeat("x", 4095) + "\n")
	for n := 0; n < total; n += len(line) {
		if _, err := in.Write(line); err != nil {
			t.Fatalf("after %d bytes: %v\n%s", n, err, stderr.String())
		}
	}
	syscall.Kill(child, syscall.SIGCONT)
	in.Close()
	if n := <-read; n < total {
		t.Errorf("%d bytes came back of %d", n, total)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "the decoder fell behind and dropped its copy of ") || !strings.Contains(stderr.String(), file+" has gaps there") {
		t.Errorf("stderr %q does not say what was dropped", stderr.String())
	}
}
