//go:build unix

package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The real binary in a real terminal: tmux runs it at a fixed size, keys go in
// with send-keys and the screen comes back with capture-pane.

// screenWait is how long a screen may take to show what a test waits for: a
// liveness bound for a loaded machine, not a speed check.
const screenWait = 30 * time.Second

// term is one tmux server, on its own socket, running one program in a
// session whose pane stays (dead) after the program exits.
type term struct {
	t    *testing.T
	sock string
}

// newTerm starts argv in a detached tmux session of w×h cells. env is added
// to the pane's environment (the tmux server is started with it).
func newTerm(t *testing.T, dir string, w, h int, env []string, argv ...string) *term {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed")
	}
	conf := filepath.Join(dir, "tmux.conf")
	// remain-on-exit from the server's start, so a quick exit cannot beat it.
	if err := os.WriteFile(conf, []byte("set -g remain-on-exit on\nset -g default-terminal xterm-256color\nset -g history-limit 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tm := &term{t: t, sock: filepath.Join(dir, "tmux.sock")}
	// The shell reports the exit status on the screen: tmux's own
	// pane_dead_status is not always set when the terminal closes first.
	args := append([]string{"-f", conf, "new-session", "-d", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), "-s", "ss",
		"sh", "-c", `"$@"; echo "[exit $?]"`, "sh"}, argv...)
	cmd := exec.Command("tmux", append([]string{"-S", tm.sock}, args...)...)
	cmd.Env = append(withoutTmux(os.Environ()), append([]string{"TERM=xterm-256color"}, env...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "-S", tm.sock, "kill-server").Run() })
	return tm
}

// withoutTmux drops the variables that would tie a nested tmux to an outer one.
func withoutTmux(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "TMUX=") && !strings.HasPrefix(kv, "TMUX_PANE=") {
			out = append(out, kv)
		}
	}
	return out
}

func (tm *term) tmux(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", tm.sock}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// screen is the pane's text now.
func (tm *term) screen() string { return tm.tmux("capture-pane", "-p", "-t", "ss") }

// widest is the width of screen's widest line, in cells (one a rune).
func widest(screen string) int {
	w := 0
	for _, l := range strings.Split(screen, "\n") {
		w = max(w, utf8.RuneCountInString(l))
	}
	return w
}

// keys sends tmux key names (Enter, Escape, q …).
func (tm *term) keys(k ...string) { tm.tmux(append([]string{"send-keys", "-t", "ss"}, k...)...) }

// typeText sends s literally.
func (tm *term) typeText(s string) { tm.tmux("send-keys", "-t", "ss", "-l", s) }

// export asks the UI for an export of the listed rows to path (E, the
// line emptied, path typed and taken): what it then says is the caller's.
func (tm *term) export(path string) {
	tm.t.Helper()
	tm.keys("E")
	tm.waitText("the export line", "export the listed rows to")
	tm.keys("C-u")
	tm.typeText(path)
	tm.waitText("the path typed", filepath.Base(path)) // a long one shows its end
	tm.keys("Enter")
}

// waitScreen polls the screen until ok accepts it, and fails with the last
// screen and what was missing if it never does.
func (tm *term) waitScreen(what string, ok func(screen string) error) string {
	tm.t.Helper()
	deadline := time.Now().Add(screenWait)
	for {
		s := tm.screen()
		err := ok(s)
		if err == nil {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("screen never showed %s: %v\nlast screen:\n%s", what, err, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitText waits until the screen shows want.
func (tm *term) waitText(what, want string) string {
	tm.t.Helper()
	return tm.waitScreen(what, func(s string) error {
		if !strings.Contains(s, want) {
			return fmt.Errorf("no %q on the screen", want)
		}
		return nil
	})
}

// filter opens the filter line, types text and applies it, each once the
// screen shows the step before: keys sent before the line is open go to
// the list (on a loaded machine "/is:injected" opened the compose pane at
// its "n").
func (tm *term) filter(text string) {
	tm.t.Helper()
	tm.keys("/")
	tm.waitText("the filter line open", "/▏")
	tm.typeText(text)
	tm.waitText("the filter typed", "/"+text+"▏")
	tm.keys("Enter")
}

// exitRE is the line the wrapping shell prints when the program exits.
var exitRE = regexp.MustCompile(`\[exit (\d+)\]`)

// waitExit polls until the program in the pane has exited and returns its
// exit status as the shell reports it (128+n for signal n).
func (tm *term) waitExit() string {
	tm.t.Helper()
	var m []string
	tm.waitScreen("the program's exit", func(s string) error {
		if m = exitRE.FindStringSubmatch(s); m == nil {
			return fmt.Errorf("no exit line")
		}
		return nil
	})
	return m[1]
}

// rowRE finds an exchange row of the list pane, at the start of a line or
// of a pane: time, connection (not shown in narrow terminals), direction.
// The detail pane's "sent 12:00:00.000 → answered …" is no row.
var rowRE = regexp.MustCompile(`(?:^|│)\d\d:\d\d:\d\d\.\d\d\d +(#\d+ +)?[→←]`)

// probeRowRE matches the exchange rows of connection 1.
var probeRowRE = regexp.MustCompile(`(?m)^.*(?:^|│)\d\d:\d\d:\d\d\.\d\d\d +#1 +[→←].*$`)

// listRows returns the exchange rows on screen, each as its fields after the
// direction arrow (id, method, status, latency, as far as each row has
// them), up to the pane's border.
func listRows(screen string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(screen, "\n") {
		loc := rowRE.FindStringIndex(line)
		if loc == nil {
			continue
		}
		rest := line[loc[1]:]
		if i := strings.Index(rest, "│"); i >= 0 {
			rest = rest[:i]
		}
		rows = append(rows, strings.Fields(rest))
	}
	return rows
}

// rowOf returns the first row that has method (or status, for an orphan) as
// one of its fields.
func rowOf(rows [][]string, field string) []string {
	for _, r := range rows {
		if has(r, field) {
			return r
		}
	}
	return nil
}

// has says whether row r has field f.
func has(r []string, f string) bool {
	for _, x := range r {
		if x == f {
			return true
		}
	}
	return false
}

var (
	msRE   = regexp.MustCompile(`^\d+(\.\d+)?(µs|ms)$`)
	secRE  = regexp.MustCompile(`^(\d+\.\d+)s$`)
	fields = func(r []string) string { return strings.Join(r, " ") }
)

// seedServer starts the Node.js seed server on path.
func seedServer(t *testing.T, path string) {
	t.Helper()
	server := exec.Command("node", "testdata/node/seed-server.js", path)
	sout, _ := server.StdoutPipe()
	server.Stderr = os.Stderr
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Process.Kill(); server.Wait() })
	if line, err := bufio.NewReader(sout).ReadString('\n'); err != nil || !strings.Contains(line, "listening") {
		t.Fatalf("node server said %q, %v", line, err)
	}
}

// The Node.js seed client and server with the real binary's UI between them:
// the screen shows the connection, every call paired with its status and
// latency; a filter narrows the list; q quits and removes the front socket.
func TestUIInTerminalNodeSeed(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	dir := shortDir(t)
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
	seedServer(t, svc)
	tm := newTerm(t, dir, 160, 48, nil, binary, "--listen", front, svc)
	tm.waitScreen("the front socket to accept a connection", func(string) error {
		c, err := net.Dial("unix", front)
		if err != nil {
			return err
		}
		return c.Close()
	})

	client := exec.Command("node", "testdata/node/seed-client.js", front)
	var cerr strings.Builder
	client.Stderr = &cerr
	if err := client.Start(); err != nil {
		t.Fatal(err)
	}
	pid := client.Process.Pid
	if err := client.Wait(); err != nil {
		t.Fatalf("node client: %v\n%s", err, cerr.String())
	}

	want := map[string]string{"register": "notify", "add": "ok", "time": "ok", "echo": "ok",
		"nosuchmethod": "error", "boom": "no-reply", "never": "no-reply", "orphan": "orphan"}
	tm.waitScreen("the client's calls, paired", func(s string) error {
		if !strings.Contains(s, fmt.Sprintf("node pid %d", pid)) {
			return fmt.Errorf("no connection from node pid %d", pid)
		}
		// Connection 1 is waitListening's probe, which the server may have
		// greeted with a register of its own: the node client's rows only.
		rows := listRows(probeRowRE.ReplaceAllString(s, ""))
		for m, st := range want {
			r := rowOf(rows, m)
			if r == nil {
				return fmt.Errorf("no row for %s", m)
			}
			if !has(r, st) {
				return fmt.Errorf("row %q: want status %s", fields(r), st)
			}
		}
		for _, m := range []string{"add", "echo", "nosuchmethod"} {
			if r := rowOf(rows, m); !msRE.MatchString(r[len(r)-1]) {
				return fmt.Errorf("row %q: want a latency under a second", fields(r))
			}
		}
		r := rowOf(rows, "time")
		var sec float64
		if m := secRE.FindStringSubmatch(r[len(r)-1]); m == nil {
			return fmt.Errorf("row %q: want time's latency in seconds", fields(r))
		} else if fmt.Sscan(m[1], &sec); sec < 0.9 || sec > 5 {
			return fmt.Errorf("row %q: want time's latency about 1 s", fields(r))
		}
		if len(rows) != len(want) {
			return fmt.Errorf("%d rows, want %d", len(rows), len(want))
		}
		return nil
	})

	tm.filter("method:add")
	tm.waitScreen("only the add row, under the filter", func(s string) error {
		if !strings.Contains(s, "filter: method:add") {
			return fmt.Errorf("the filter is not shown")
		}
		rows := listRows(s)
		if len(rows) != 1 || !has(rows[0], "add") || !has(rows[0], "ok") {
			return fmt.Errorf("rows %v, want the one add", rows)
		}
		return nil
	})

	tm.keys("q")
	if st := tm.waitExit(); st != "0" {
		t.Errorf("sockscope exited with status %s\nscreen:\n%s", st, tm.screen())
	}
	if _, err := os.Stat(front); !os.IsNotExist(err) {
		t.Errorf("front socket left behind after q: %v", err)
	}
	if _, err := os.Stat(svc); err != nil {
		t.Errorf("the upstream's socket is gone: %v", err)
	}
}

// sockscope demo in a terminal: rows for add and time appear, q quits, and
// the demo's temporary directory goes with it.
func TestUIInTerminalDemo(t *testing.T) {
	dir := shortDir(t)
	// A private TMPDIR, so other demos running on the machine don't count.
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	demoDirs := func() []string {
		m, _ := filepath.Glob(filepath.Join(tmp, "sockscope-demo-*"))
		return m
	}
	tm := newTerm(t, dir, 120, 36, []string{"TMPDIR=" + tmp}, binary, "demo")
	tm.waitScreen("add and time rows", func(s string) error {
		rows := listRows(s)
		if rowOf(rows, "time") == nil {
			return fmt.Errorf("no time row")
		}
		for _, r := range rows {
			if has(r, "add") && has(r, "ok") && msRE.MatchString(r[len(r)-1]) {
				return nil
			}
		}
		return fmt.Errorf("no add row answered ok")
	})
	if d := demoDirs(); len(d) != 1 {
		t.Errorf("demo directories while running: %v, want one", d)
	}
	tm.keys("q")
	if st := tm.waitExit(); st != "0" {
		t.Errorf("sockscope demo exited with status %s\nscreen:\n%s", st, tm.screen())
	}
	if d := demoDirs(); len(d) != 0 {
		t.Errorf("demo directories left after q: %v", d)
	}
}
