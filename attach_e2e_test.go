//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sockscope/internal/nodetest"
)

// lineClient is a strict line-delimited JSON-RPC client: every reply must
// be the one to the oldest request it has in flight, so a reply it never
// asked for (a resend's, which sockscope must withhold) fails the test.
type lineClient struct {
	t    *testing.T
	w    io.Writer
	r    *bufio.Reader
	next int
}

func (c *lineClient) send(method, params string) int {
	c.next++
	fmt.Fprintf(c.w, `{"jsonrpc":"2.0","id":%d,"method":%q,"params":%s}`+"\n", c.next, method, params)
	return c.next
}

func (c *lineClient) reply(id int) {
	c.t.Helper()
	line, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("reading reply %d: %v", id, err)
	}
	var m struct{ ID int }
	if err := json.Unmarshal([]byte(line), &m); err != nil || m.ID != id {
		c.t.Fatalf("got %.200q, want the reply to request %d", line, id)
	}
}

// call sends one request and reads its reply.
func (c *lineClient) call(method, params string) { c.reply(c.send(method, params)) }

// burst pipelines n echo calls of size bytes each and reads every reply.
func (c *lineClient) burst(n, size int) time.Duration {
	start := time.Now()
	params := `{"pad":"` + strings.Repeat("x", size) + `"}`
	first := c.next + 1
	go func() {
		for range n {
			fmt.Fprintf(c.w, `{"jsonrpc":"2.0","id":%d,"method":"echo","params":%s}`+"\n", first, params)
			first++
		}
	}()
	for i := range n {
		c.reply(c.next + 1 + i)
	}
	c.next += n
	return time.Since(start)
}

// feedUp waits until the feed at path takes connections.
func feedUp(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(screenWait)
	for {
		c, err := net.Dial("unix", path)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no feed at %s: %v", path, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// skippedRE is an attached UI's status bar saying it was skipped.
var skippedRE = regexp.MustCompile(`⚠ [0-9,]+ events? skipped \(`)

// paneProcess returns the pid of the program the pane's shell runs.
func (tm *term) paneProcess() int {
	tm.t.Helper()
	sh := strings.TrimSpace(tm.tmux("list-panes", "-t", "ss", "-F", "#{pane_pid}"))
	out, err := exec.Command("ps", "-o", "pid=", "--ppid", sh).Output()
	pid, perr := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || perr != nil {
		tm.t.Fatalf("the pane's program: %v %v (%q)", err, perr, out)
	}
	return pid
}

// stopAndContinue stops process pid, the parent of a UI in a session of
// its own, waits until the UI, which shows drawn, gives the terminal back,
// continues pid and waits until the UI is drawn again.
func (tm *term) stopAndContinue(pid int, drawn string) {
	tm.t.Helper()
	syscall.Kill(pid, syscall.SIGSTOP)
	tm.waitScreen("the terminal given back", func(s string) error {
		if strings.Contains(s, drawn) {
			return fmt.Errorf("the UI is still drawn")
		}
		return nil
	})
	syscall.Kill(pid, syscall.SIGCONT)
	tm.waitText("the UI again", drawn)
}

// subdir makes a directory for one more tmux server under dir.
func subdir(t *testing.T, dir, name string) string {
	t.Helper()
	d := filepath.Join(dir, name)
	if err := os.MkdirAll(d, 0o700); err != nil {
		t.Fatal(err)
	}
	return d
}

// rowsWith waits until the screen has a row for each method with its status.
func (tm *term) rowsWith(what string, want map[string]string) {
	tm.t.Helper()
	tm.waitScreen(what, func(s string) error {
		rows := listRows(s)
		for m, st := range want {
			if r := rowOf(rows, m); r == nil || !has(r, st) {
				return fmt.Errorf("no %s row with status %s", m, st)
			}
		}
		return nil
	})
}

// resend resends the first echo row from the UI (R, then y) and waits for
// its injected, answered row.
func (tm *term) resend() {
	tm.t.Helper()
	tm.filter("method:echo")
	tm.keys("g", "R")
	tm.waitText("the resend confirmation", "resend echo")
	tm.keys("y")
	waitSent(tm, "the resend's result", "resent echo", "")
	tm.keys("Escape")
	tm.waitScreen("the filter cleared", func(s string) error {
		if strings.Contains(s, "filter: method:echo") {
			return fmt.Errorf("the filter is still on")
		}
		return nil
	})
	tm.filter("is:injected")
	tm.waitScreen("the resent echo, injected and answered", func(s string) error {
		if r := rowOf(listRows(s), "echo"); r == nil || !has(r, "inj") || !has(r, "ok") {
			return fmt.Errorf("no injected ok echo row")
		}
		return nil
	})
	tm.keys("Escape") // alone: ESC and a key at once would read as alt+key
	tm.waitScreen("the filter cleared", func(s string) error {
		if strings.Contains(s, "filter: is:injected") {
			return fmt.Errorf("the filter is still on")
		}
		return nil
	})
}

// deadRE is what tmux shows of a pane whose program exited.
var deadRE = regexp.MustCompile(`Pane is dead \(status (\d+)`)

// exitStatus waits for the pane's program to exit and returns its status,
// from the shell's exit line or tmux's own (the UI leaving the alternate
// screen may wipe the shell's).
func (tm *term) exitStatus() string {
	tm.t.Helper()
	var st string
	tm.waitScreen("the program's exit", func(s string) error {
		if m := exitRE.FindStringSubmatch(s); m != nil {
			st = m[1]
			return nil
		}
		if m := deadRE.FindStringSubmatch(s); m != nil {
			st = m[1]
			return nil
		}
		return fmt.Errorf("no exit line")
	})
	return st
}

// A wrapped child, attached to from other terminals: the first attached UI
// shows what happened before it (history) and then the live exchanges, and
// its resend reaches the child while the parent's strict client never sees
// the reply; a second UI attaches at the same time; a frozen third one
// (stopped, reading nothing) does not hold the traffic up: a burst many
// times its buffer completes while it is stopped, and once resumed it says
// how much it was skipped.
func TestAttachWrapped(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	dir := shortDir(t)
	env := []string{"XDG_RUNTIME_DIR=" + dir}
	// --lossless: the whole burst must reach the feed, whose viewers skip
	// what they do not read; by default the decoder drops what it cannot
	// keep up with.
	// The rule's fabricated error is marked in the attached UIs too.
	cmd := exec.Command(binary, "--lossless", "--rule", "method:nosuch error:-32601:made up", "--", "node", "testdata/node/jsonrpc-echo-stdio.js")
	cmd.Env = append(os.Environ(), env...)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	cl := &lineClient{t: t, w: in, r: bufio.NewReader(out)}
	cl.call("echo", `{"n":1}`)
	cl.call("fail", `{}`)
	feed := filepath.Join(dir, "sockscope", strconv.Itoa(cmd.Process.Pid)+".sock")
	feedUp(t, feed)

	// The only instance running: attach takes it without asking.
	a := newTerm(t, subdir(t, dir, "a"), 160, 40, env, binary, "attach")
	a.rowsWith("the history", map[string]string{"echo": "ok", "fail": "error"})
	cl.call("nosuch", `{}`)
	a.rowsWith("the live exchange, as the rule made it", map[string]string{"nosuch": "fab"})

	b := newTerm(t, subdir(t, dir, "b"), 160, 40, env, binary, "attach", strconv.Itoa(cmd.Process.Pid))
	b.rowsWith("the history in a second UI", map[string]string{"echo": "ok", "fail": "error", "nosuch": "error"})

	a.resend()
	cl.call("echo", `{"after":"resend"}`) // strict: the resend's reply never came here
	a.keys("g", "N")                      // no composer: a child's stdio is one connection
	a.waitText("N refused at once", "a wrapped child has one connection, its stdio")
	b.rowsWith("the second UI, live too", map[string]string{"inj": "ok"})

	// A frozen viewer: stopped, it reads nothing from its feed. (The
	// view's process: attach's own is its parent, which only waits.)
	c := newTerm(t, subdir(t, dir, "c"), 160, 40, env, binary, "attach", feed)
	c.rowsWith("the third UI's history", map[string]string{"nosuch": "error"})
	frozen := childOf(t, c.paneProcess())
	syscall.Kill(frozen, syscall.SIGSTOP)
	const n, size = 1500, 16 << 10 // 24 MiB each way: three times the viewer's buffer
	withFrozen := cl.burst(n, size)
	// The decoder may still be decoding the burst: resume the frozen viewer
	// once the feed has had all of it, that is once a call made after it
	// reached the live viewer b whole. A call a second until one does: on a
	// busy machine b too may be skipped through part of the burst, and miss
	// a call's request or reply.
	var next time.Time
	b.waitScreen("a call after the burst, in the live viewer", func(s string) error {
		for _, r := range listRows(s) {
			if has(r, "burstdone") && has(r, "error") {
				return nil
			}
		}
		if time.Now().After(next) {
			cl.call("burstdone", `{}`)
			next = time.Now().Add(time.Second)
		}
		return errors.New("no burstdone row with status error")
	})
	syscall.Kill(frozen, syscall.SIGCONT)
	c.waitScreen("the frozen UI saying what it was skipped", func(s string) error {
		if !skippedRE.MatchString(s) {
			return fmt.Errorf("no skipped count in the status line")
		}
		return nil
	})
	cl.call("resumed", `{}`)
	c.rowsWith("the resumed UI live again", map[string]string{"resumed": "error"})
	// The marker is where the skipped events were, among the burst's rows:
	// with only the rows from before the burst listed, it is below them.
	c.filter("method:nosuch")
	c.waitText("the skipped marker in the list", "skipped here (conn #1)")
	c.keys("q")
	c.exitStatus()
	withoutFrozen := cl.burst(n, size)
	t.Logf("a burst of %d calls of %d bytes: %v with a frozen viewer attached, %v without (two live viewers attached both times; a busy machine)", n, size, withFrozen, withoutFrozen)

	// Detaching leaves the instance running.
	a.keys("q")
	b.keys("q")
	if st := a.exitStatus(); st != "0" {
		t.Errorf("attach exited %s", st)
	}
	b.exitStatus()
	cl.call("echo", `{"still":"here"}`)
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the wrapped instance: %v", err)
	}
}

// A headless sockscope in front of a socket server, attached to: history,
// then live, and a resend from the attached UI.
func TestAttachHeadless(t *testing.T) {
	dir := shortDir(t)
	env := []string{"XDG_RUNTIME_DIR=" + dir}
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
	nodetest.Start(t, "jsonrpc-echo.js", svc).Expect(t, "listening")
	cmd := exec.Command(binary, "--headless", "--listen", front, svc)
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	feed := filepath.Join(dir, "sockscope", strconv.Itoa(cmd.Process.Pid)+".sock")
	feedUp(t, feed)
	nc, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	cl := &lineClient{t: t, w: nc, r: bufio.NewReader(nc)}
	cl.call("echo", `{"n":1}`)
	cl.call("fail", `{}`)

	a := newTerm(t, subdir(t, dir, "a"), 160, 40, env, binary, "attach", strconv.Itoa(cmd.Process.Pid))
	a.rowsWith("the history", map[string]string{"echo": "ok", "fail": "error"})
	cl.call("nosuch", `{}`)
	a.rowsWith("the live exchange", map[string]string{"nosuch": "error"})
	a.resend()
	cl.call("echo", `{"after":"resend"}`)
	a.keys("q")
	if st := a.exitStatus(); st != "0" {
		t.Errorf("attach exited %s", st)
	}
	cl.call("echo", `{"still":"here"}`)
	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the headless instance: %v", err)
	}
}

// attach shows its UI on a terminal: with stdout not one (a file, a pipe)
// it drew the UI there and read keys on, and with no terminal at all it
// failed with Bubble Tea's "could not open TTY". It says so and fails now;
// a stdin that is not a terminal still works (the keys are read from the
// controlling terminal), and so does --list anywhere (TestAttachList).
func TestAttachNoTerminal(t *testing.T) {
	dir := shortDir(t)
	env := []string{"XDG_RUNTIME_DIR=" + dir}
	cmd := exec.Command(binary, "wrap", "cat")
	cmd.Env = append(os.Environ(), env...)
	in, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	pid := strconv.Itoa(cmd.Process.Pid)
	feedUp(t, filepath.Join(dir, "sockscope", pid+".sock"))

	// A shell that stays: tmux 3.3 may wipe a dead pane's first lines.
	out := filepath.Join(dir, "out")
	a := newTerm(t, subdir(t, dir, "a"), 160, 20, env, "sh", "-c", `"$0" attach "$1" >"$2"; echo "[exit $?]"; exec sleep 100000`, binary, pid, out)
	s := a.waitScreen("attach's refusal", func(s string) error {
		if !exitRE.MatchString(s) {
			return fmt.Errorf("attach did not exit")
		}
		return nil
	})
	if st := exitRE.FindStringSubmatch(s)[1]; st != "1" || !strings.Contains(s, "stdout is not a terminal") {
		t.Errorf("attach with stdout a file: exit %s, want 1 and a reason:\n%s", st, s)
	}
	if b, err := os.ReadFile(out); err != nil || len(b) != 0 {
		t.Errorf("attach wrote %d bytes to stdout, a file (%v)", len(b), err)
	}

	none := exec.Command(binary, "attach", pid)
	none.Env = append(os.Environ(), env...)
	none.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // no controlling terminal
	if b, err := none.CombinedOutput(); err == nil || !strings.Contains(string(b), "not a terminal") {
		t.Errorf("attach with no terminal: %v, %q: want a failure saying so", err, b)
	}

	b := newTerm(t, subdir(t, dir, "b"), 160, 20, env, "sh", "-c", `exec "$0" attach "$1" </dev/null`, binary, pid)
	b.waitText("the UI, with stdin not a terminal", "wraps cat")
	b.keys("q")
	if st := b.exitStatus(); st != "0" {
		t.Errorf("attach with stdin /dev/null exited %s", st)
	}
	in.Close()
	cmd.Wait()
}

// An attached view decodes and shows what the instance streams in a
// process of its own, in a session of its own at nice 19 once its first
// screen is drawn (a viewer of a busy instance takes only the CPU its
// programs leave), on the user's
// terminal: it takes keys, and q quits, with status 0. While attach is
// stopped, the view leaves the terminal to the shell.
func TestAttachApart(t *testing.T) {
	dir := shortDir(t)
	env := []string{"XDG_RUNTIME_DIR=" + dir}
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
	echoServer(t, svc)
	cmd := exec.Command(binary, "--headless", "--listen", front, svc)
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	feedUp(t, filepath.Join(dir, "sockscope", strconv.Itoa(cmd.Process.Pid)+".sock"))
	c := dialListening(t, front)
	call(t, c, bufio.NewReader(c), 1)

	a := newTerm(t, subdir(t, dir, "a"), 120, 30, append(env, "SOCKSCOPE_DECODER="), binary, "attach", strconv.Itoa(cmd.Process.Pid))
	a.waitText("the call", "echo")
	parent := a.paneProcess()
	view := childOf(t, parent)
	pst, vst := procStat("/proc/"+strconv.Itoa(parent)+"/stat"), procStat("/proc/"+strconv.Itoa(view)+"/stat")
	if pst == nil || vst == nil || pst[3] == vst[3] {
		t.Fatalf("sessions: attach %v, its view %v: want two", pst, vst)
	}
	eventually(t, "the view's process at nice 19 once drawn", func() bool { // TestAttachLowersAfterFirstScreen
		vst := procStat("/proc/" + strconv.Itoa(view) + "/stat")
		return vst != nil && vst[16] == "19"
	})
	// attach stopped (its shell has the terminal then): the view gives
	// the terminal back; continued (fg), it takes it again, keys and all.
	a.stopAndContinue(parent, "attached to")
	a.keys("q")
	if st := a.exitStatus(); st != "0" {
		t.Errorf("attach exited %s", st)
	}
}

// attach's process killed (SIGKILL) under its view: the view, in a session
// of its own, ends too, rather than draw on in the terminal the shell has
// taken back and read the shell's keys (it did, for as long as the
// instance ran).
func TestAttachKilledEndsItsView(t *testing.T) {
	dir := shortDir(t)
	env := []string{"XDG_RUNTIME_DIR=" + dir}
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
	echoServer(t, svc)
	cmd := exec.Command(binary, "--headless", "--listen", front, svc)
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	feedUp(t, filepath.Join(dir, "sockscope", strconv.Itoa(cmd.Process.Pid)+".sock"))
	c := dialListening(t, front)
	call(t, c, bufio.NewReader(c), 1)

	a := newTerm(t, subdir(t, dir, "a"), 120, 30, append(env, "SOCKSCOPE_DECODER="), binary, "attach", strconv.Itoa(cmd.Process.Pid))
	a.waitText("the call", "echo")
	parent := a.paneProcess()
	view := childOf(t, parent)
	t.Cleanup(func() { syscall.Kill(view, syscall.SIGKILL) })
	syscall.Kill(parent, syscall.SIGKILL)
	if st := a.exitStatus(); st != "137" {
		t.Errorf("attach exited %s, want 137 (SIGKILL)", st)
	}
	eventually(t, "the view's process to end", func() bool {
		st := procStat("/proc/" + strconv.Itoa(view) + "/stat")
		return st == nil || st[0] == "Z"
	})
	if s := a.screen(); strings.Contains(s, "attached to") {
		t.Errorf("the view is still drawn:\n%s", s)
	}
	call(t, c, bufio.NewReader(c), 2) // the instance goes on
}

// attach to an instance that is stopped (kill -STOP; Ctrl-Z with its
// decoder in process) says it waits for it: the kernel takes the
// connection and nobody answers until the instance is continued, and
// attach hung without a word. Continued, the view shows as ever. attach
// --list lists it as not answering (it left it out, and attach with no
// argument said none was running).
func TestAttachStopped(t *testing.T) {
	dir := shortDir(t)
	env := []string{"XDG_RUNTIME_DIR=" + dir}
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
	echoServer(t, svc)
	cmd := exec.Command(binary, "--headless", "--listen", front, svc)
	cmd.Env = append(os.Environ(), append(env, "SOCKSCOPE_DECODER=inprocess")...) // its feed in the process stopped
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	pid := strconv.Itoa(cmd.Process.Pid)
	feedUp(t, filepath.Join(dir, "sockscope", pid+".sock"))
	c := dialListening(t, front)
	call(t, c, bufio.NewReader(c), 1)

	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	continued := false
	defer func() {
		if !continued {
			cmd.Process.Signal(syscall.SIGCONT)
		}
	}()
	list := exec.Command(binary, "attach", "--list")
	list.Env = append(os.Environ(), env...)
	if out, err := list.Output(); err != nil || !strings.HasPrefix(string(out), pid+": does not answer (stopped?)\t") {
		t.Errorf("attach --list: %v, %q; want the instance, not answering", err, out)
	}
	a := newTerm(t, subdir(t, dir, "a"), 120, 30, env, binary, "attach") // the only one there is
	a.waitText("attach saying it waits", "waiting for sockscope "+pid+" to answer (stopped?)")
	cmd.Process.Signal(syscall.SIGCONT)
	continued = true
	a.waitText("the view, once continued", "echo")
	a.keys("q")
	if st := a.exitStatus(); st != "0" {
		t.Errorf("attach exited %s", st)
	}
}

// An instance stopped between attach's hello and its history request:
// attach says it waits for it, as when it was stopped before the hello
// (it waited without a word). attach --all dials every instance, then asks
// each for its history: with both stopped, it waits for the first one's
// hello, which, continued, answers; then for the second's, and meanwhile
// the first is stopped again and the second continued: attach has the
// first's hello, and its history request waits.
func TestAttachStoppedAfterHello(t *testing.T) {
	dir := shortDir(t)
	env := []string{"XDG_RUNTIME_DIR=" + dir, "SOCKSCOPE_DECODER=inprocess"} // the feeds in the processes stopped; attach's in its own
	svc := filepath.Join(dir, "svc.sock")
	echoServer(t, svc)
	inst := map[string]*exec.Cmd{}
	for i := range 2 {
		front := filepath.Join(dir, fmt.Sprintf("front%d.sock", i))
		cmd := exec.Command(binary, "--headless", "--listen", front, svc)
		cmd.Env = append(os.Environ(), env...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Signal(syscall.SIGCONT); cmd.Process.Kill(); cmd.Wait() })
		pid := strconv.Itoa(cmd.Process.Pid)
		inst[pid] = cmd
		feedUp(t, filepath.Join(dir, "sockscope", pid+".sock"))
		c := dialListening(t, front)
		call(t, c, bufio.NewReader(c), 1)
	}
	for _, cmd := range inst {
		if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
	}
	waiting := regexp.MustCompile(`waiting for sockscope (\d+) to answer \(stopped\?\)`)
	a := newTerm(t, subdir(t, dir, "a"), 120, 30, env, binary, "attach", "--all")
	// said waits until attach said n times that it waits for an
	// instance, and returns the pids it named, in order.
	said := func(what string, n int) []string {
		t.Helper()
		var pids []string
		a.waitScreen(what, func(s string) error {
			pids = nil
			for _, m := range waiting.FindAllStringSubmatch(s, -1) {
				pids = append(pids, m[1])
			}
			if len(pids) < n {
				return fmt.Errorf("attach said %d times that it waits, not %d", len(pids), n)
			}
			return nil
		})
		return pids
	}
	first := said("attach waiting for the first hello", 1)[0]
	inst[first].Process.Signal(syscall.SIGCONT)
	second := said("attach waiting for the second hello", 2)[1]
	if second == first {
		t.Fatalf("attach waits for %s's hello twice", first)
	}
	inst[first].Process.Signal(syscall.SIGSTOP)
	inst[second].Process.Signal(syscall.SIGCONT)
	if pids := said("attach waiting for the first one's history", 3); pids[2] != first {
		t.Errorf("attach said it waits for %v; want %s last", pids, first)
	}
	inst[first].Process.Signal(syscall.SIGCONT)
	a.waitText("the view, once continued", "echo")
	a.keys("q")
	if st := a.exitStatus(); st != "0" {
		t.Errorf("attach exited %s", st)
	}
}
