//go:build unix

package main

import (
	"bufio"
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
	"testing"
)

// instance is a sockscope wrapping the stdio echo server, driven by a
// strict line client.
type instance struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	cl  *lineClient
}

// startInstance runs `sockscope ARGS -- node jsonrpc-echo-stdio.js` with env
// added, and waits until its feed (in dir, the runtime directory) listens.
func startInstance(t *testing.T, dir string, env []string, args ...string) *instance {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	argv := append(append([]string{}, args...), "--", "node", "testdata/node/jsonrpc-echo-stdio.js")
	cmd := exec.Command(binary, argv...)
	cmd.Env = append(os.Environ(), env...)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	feedUp(t, filepath.Join(dir, "sockscope", strconv.Itoa(cmd.Process.Pid)+".sock"))
	return &instance{cmd: cmd, in: in, cl: &lineClient{t: t, w: in, r: bufio.NewReader(out)}}
}

// pid is the instance sockscope's process id.
func (w *instance) pid() int { return w.cmd.Process.Pid }

// end closes the instance sockscope's stdin and waits for its exit 0.
func (w *instance) end(t *testing.T) {
	t.Helper()
	w.in.Close()
	if err := w.cmd.Wait(); err != nil {
		t.Errorf("the wrapped instance %d: %v", w.pid(), err)
	}
}

// connRE is a list row with its connection and method: the time, #N, the
// direction arrow, the id, the method.
var connRE = regexp.MustCompile(`\d\d:\d\d:\d\d\.\d\d\d +#(\d+) +[→←] +\S+ +(\S+)`)

// connOf returns the connection the screen's first row of method is on, or "".
func connOf(screen, method string) string {
	for _, m := range connRE.FindAllStringSubmatch(screen, -1) {
		if m[2] == method {
			return m[1]
		}
	}
	return ""
}

// attach --all: two instance instances merged into one view, the rows of both
// (history and live) on one screen with their connections renumbered apart,
// and a resend from the merged view reaching the instance whose row it is.
func TestAttachAll(t *testing.T) {
	dir := shortDir(t)
	env := []string{"XDG_RUNTIME_DIR=" + dir}
	one := startInstance(t, dir, env)
	two := startInstance(t, dir, env)
	one.cl.call("one", `{}`)
	two.cl.call("two", `{}`)
	two.cl.call("echo", `{"of":"two"}`)

	a := newTerm(t, subdir(t, dir, "a"), 200, 40, env, binary, "attach", "--all")
	a.rowsWith("the history of both", map[string]string{"one": "error", "two": "error", "echo": "ok"})
	one.cl.call("liveone", `{}`)
	two.cl.call("livetwo", `{}`)
	s := a.waitScreen("the live exchanges of both, each on its connection", func(s string) error {
		c1, c2 := connOf(s, "liveone"), connOf(s, "livetwo")
		if c1 == "" || c2 == "" {
			return fmt.Errorf("no live rows (%q, %q)", c1, c2)
		}
		return nil
	})
	c1, c2 := connOf(s, "one"), connOf(s, "two")
	if c1 == c2 || connOf(s, "liveone") != c1 || connOf(s, "livetwo") != c2 || connOf(s, "echo") != c2 {
		t.Fatalf("connections: one #%s liveone #%s, two #%s livetwo #%s echo #%s: want one number for each instance, apart\n%s",
			c1, connOf(s, "liveone"), c2, connOf(s, "livetwo"), connOf(s, "echo"), s)
	}
	// Each connection says whose it is, as the status bar names them.
	for _, w := range []*instance{one, two} {
		if p := strconv.Itoa(w.pid()); !strings.Contains(s, p+": wraps") || !strings.Contains(s, p+":stdio") {
			t.Errorf("instance %s and its connection are not named:\n%s", p, s)
		}
	}

	// The echo is instance two's: its resend goes there and comes back on
	// its connection, while the strict clients of both see nothing of it.
	a.resend()
	two.cl.call("echo", `{"after":"resend"}`)
	one.cl.call("echo", `{"after":"resend"}`)
	a.filter("is:injected")
	a.waitScreen("the injected echo on instance two's connection", func(s string) error {
		if c := connOf(s, "echo"); c != c2 {
			return fmt.Errorf("the injected echo is on #%s, instance two's connection is #%s", c, c2)
		}
		return nil
	})
	a.keys("q")
	if st := a.exitStatus(); st != "0" {
		t.Errorf("attach --all exited %s", st)
	}
	one.end(t)
	two.end(t)
}

// pickRE is a line of attach's choice: its number and the instance's pid.
var pickRE = regexp.MustCompile(`(?m)^ *(\d)\) (\d+): wraps `)

// attach with no argument and two instances running lists them like tmux ls
// and attaches to the one the user picks, after a choice that is none.
func TestAttachPick(t *testing.T) {
	dir := shortDir(t)
	env := []string{"XDG_RUNTIME_DIR=" + dir}
	one := startInstance(t, dir, env)
	two := startInstance(t, dir, env)
	one.cl.call("one", `{}`)
	two.cl.call("two", `{}`)
	two.cl.call("echo", `{}`)

	a := newTerm(t, subdir(t, dir, "a"), 200, 40, env, binary, "attach")
	picks := map[string]int{}
	a.waitScreen("the instances to pick from", func(s string) error {
		for _, m := range pickRE.FindAllStringSubmatch(s, -1) {
			picks[m[1]], _ = strconv.Atoi(m[2])
		}
		if len(picks) != 2 || !strings.Contains(s, "attach to [1-2, q: none]:") {
			return fmt.Errorf("no choice of two instances (%v)", picks)
		}
		if !strings.Contains(s, "2 connections") || !strings.Contains(s, "messages") {
			return fmt.Errorf("the instances are listed without their connections and messages")
		}
		return nil
	})
	if (picks["1"] != one.pid() || picks["2"] != two.pid()) && (picks["1"] != two.pid() || picks["2"] != one.pid()) {
		t.Fatalf("listed %v, want pids %d and %d", picks, one.pid(), two.pid())
	}
	a.typeText("9")
	a.keys("Enter")
	a.waitScreen("why, and the question again", func(s string) error {
		if strings.Count(s, "attach to [1-2, q: none]:") < 2 || !strings.Contains(s, `"9" is none of 1 to 2`) {
			return fmt.Errorf("asked once, or not said why")
		}
		return nil
	})
	pick, other := "two", "one"
	if picks["2"] == one.pid() {
		pick, other = "one", "two"
	}
	a.typeText("2")
	a.keys("Enter")
	a.rowsWith("the picked instance's history", map[string]string{pick: "error"})
	one.cl.call("liveone", `{}`)
	two.cl.call("livetwo", `{}`)
	s := a.waitScreen("the picked instance's live exchange", func(s string) error {
		if rowOf(listRows(s), "live"+pick) == nil {
			return fmt.Errorf("no live%s row", pick)
		}
		return nil
	})
	if r := rowOf(listRows(s), other); r != nil {
		t.Errorf("instance %s was picked, and instance %s's row is shown: %v", pick, other, r)
	}
	if r := rowOf(listRows(s), "live"+other); r != nil {
		t.Errorf("instance %s was picked, and instance %s's live row is shown: %v", pick, other, r)
	}
	a.keys("q")
	if st := a.exitStatus(); st != "0" {
		t.Errorf("attach exited %s", st)
	}
	// q picks none: attach ends, saying so (it asked again, as for 9).
	b := newTerm(t, subdir(t, dir, "b"), 200, 40, env, binary, "attach")
	b.waitText("the question", "attach to [1-2, q: none]:")
	b.typeText("q")
	b.keys("Enter")
	if st := b.exitStatus(); st != "1" {
		t.Errorf("attach exited %s after q, want 1", st)
	}
	b.waitText("why", "sockscope: nothing chosen")
	one.end(t)
	two.end(t)
}

// attach with stdin a pipe, two instances running, asks which one on the
// controlling terminal, where the UI then reads its keys: it refused, told
// to name one, while the UI would have run.
func TestAttachPickWithStdinAPipe(t *testing.T) {
	dir := shortDir(t)
	env := []string{"XDG_RUNTIME_DIR=" + dir}
	one := startInstance(t, dir, env)
	two := startInstance(t, dir, env)
	one.cl.call("one", `{}`)
	two.cl.call("two", `{}`)
	a := newTerm(t, subdir(t, dir, "a"), 200, 40, env, "sh", "-c", "true | "+binary+" attach")
	picks := map[string]int{}
	a.waitScreen("the instances to pick from", func(s string) error {
		for _, m := range pickRE.FindAllStringSubmatch(s, -1) {
			picks[m[1]], _ = strconv.Atoi(m[2])
		}
		if len(picks) != 2 || !strings.Contains(s, "attach to [1-2, q: none]:") {
			return fmt.Errorf("no choice of two instances (%v)", picks)
		}
		return nil
	})
	pick := "two"
	if picks["2"] == one.pid() {
		pick = "one"
	}
	a.typeText("2")
	a.keys("Enter")
	a.rowsWith("the picked instance's history", map[string]string{pick: "error"})
	a.keys("q")
	if st := a.exitStatus(); st != "0" {
		t.Errorf("attach exited %s", st)
	}
	one.end(t)
	two.end(t)
}

// attach with no instance running (none ever, or one killed and its socket
// left behind) says so on a terminal and fails; so do attach --all and
// attach PID of a process that publishes no feed.
func TestAttachNone(t *testing.T) {
	dir := shortDir(t)
	env := []string{"XDG_RUNTIME_DIR=" + dir}
	for _, args := range [][]string{{"attach"}, {"attach", "--all"}} {
		// A shell that stays: tmux 3.3 may wipe a dead pane's first lines.
		argv := append([]string{"sh", "-c", `"$@"; echo "[exit $?]"; exec sleep 100000`, "sh", binary}, args...)
		a := newTerm(t, subdir(t, dir, "a"+strconv.Itoa(len(args))), 160, 20, env, argv...)
		s := a.waitScreen("the reason attach fails", func(s string) error {
			if !exitRE.MatchString(s) {
				return fmt.Errorf("attach did not exit")
			}
			return nil
		})
		if st := exitRE.FindStringSubmatch(s)[1]; st == "0" || !strings.Contains(s, "no running sockscope") {
			t.Errorf("%v with none running: exit %s, want a failure saying none is running:\n%s", args, st, s)
		}
	}

	// A killed instance's socket: nobody listens on it any more.
	sd := filepath.Join(dir, "sockscope")
	if err := os.MkdirAll(sd, 0o700); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(sd, "4242.sock")
	ln, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	out, err := runWith(env, "attach")
	if err == nil || !strings.Contains(out, "no running sockscope") {
		t.Errorf("attach with only a stale socket: %v\n%s", err, out)
	}
	if _, err := os.Lstat(stale); err == nil {
		t.Errorf("the stale socket %s was left", stale)
	}

	out, err = runWith(env, "attach", "4242")
	if err == nil || !strings.Contains(out, "no sockscope with pid 4242 is running") {
		t.Errorf("attach of a pid without a feed: %v\n%s", err, out)
	}
}

// runWith runs the binary with env added, without a terminal, and returns
// its stdout and stderr.
func runWith(env []string, args ...string) (string, error) {
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// attach --list names each instance's feed (its control socket too) by an
// absolute path, even when the runtime directory is given as a relative
// one; with none running it says so on stderr and fails, as tmux ls does.
// It printed no path at all, and nothing, with status 0, when none ran.
func TestAttachList(t *testing.T) {
	dir := shortDir(t)
	one := startInstance(t, dir, []string{"XDG_RUNTIME_DIR=" + dir})
	list := func(runtime string) (stdout, stderr string, status int) {
		cmd := exec.Command(binary, "attach", "--list")
		cmd.Dir = filepath.Dir(dir)
		cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+runtime)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return out.String(), errb.String(), cmd.ProcessState.ExitCode()
	}
	out, errOut, st := list(filepath.Base(dir))
	path := filepath.Join(dir, "sockscope", strconv.Itoa(one.pid())+".sock")
	if st != 0 || !strings.HasPrefix(out, strconv.Itoa(one.pid())+": wraps ") || !strings.HasSuffix(out, "\t"+path+"\n") {
		t.Errorf("attach --list: status %d, stdout %q, stderr %q: want one line ending in a tab and %s", st, out, errOut, path)
	}

	empty := subdir(t, dir, "empty")
	out, errOut, st = list(filepath.Base(dir) + "/empty")
	if st != 1 || out != "" || !strings.Contains(errOut, "no running sockscope") || !strings.Contains(errOut, filepath.Join(empty, "sockscope")) {
		t.Errorf("attach --list with none running: status %d, stdout %q, stderr %q: want status 1 and no running sockscope in %s", st, out, errOut, empty)
	}
	one.end(t)
}
