//go:build unix

package takeover

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Environment of the helper process: the test binary re-executed.
const (
	envPath = "SOCKSCOPE_TAKEOVER_HELPER" // path to take over
	envMode = "SOCKSCOPE_TAKEOVER_MODE"   // "hold" (default) or "once"
)

// TestHelperProcess is not a test: run by the tests below as a separate
// process, it takes over a path like sockscope does. In "hold" mode it
// answers "helper" to every client, prints "ready" and restores on SIGTERM,
// SIGINT or SIGHUP; in "once" mode it prints the outcome of Take and exits.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(envPath)
	if path == "" {
		t.Skip("helper process for other tests")
	}
	tk, err := Take(path)
	if os.Getenv(envMode) == "once" {
		if err == nil {
			tk.Restore()
			fmt.Println("ok")
		} else {
			fmt.Printf("error permission=%v: %v\n", errors.Is(err, ErrPermission), err)
		}
		os.Exit(0)
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(3)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	go serve(tk.Listener, "helper")
	fmt.Println("ready")
	<-sig
	if err := tk.Restore(); err != nil {
		fmt.Println("restore:", err)
		os.Exit(4)
	}
	os.Exit(0)
}

// helper is a running helper process.
type helper struct {
	cmd   *exec.Cmd
	lines *bufio.Scanner
}

// startHelper runs exe (the test binary, or a copy or link of it) as a
// helper taking over path and returns once it has printed its first line,
// which it also returns.
func startHelper(t *testing.T, exe, path, mode string, cred *syscall.Credential) (*helper, string) {
	t.Helper()
	cmd := exec.Command(exe, "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), envPath+"="+path, envMode+"="+mode)
	cmd.Stderr = os.Stderr
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &helper{cmd: cmd, lines: bufio.NewScanner(out)}
	t.Cleanup(func() {
		if h.cmd.ProcessState == nil {
			h.cmd.Process.Kill()
			h.cmd.Wait()
		}
	})
	first := make(chan string, 1)
	go func() {
		h.lines.Scan()
		first <- h.lines.Text()
	}()
	select {
	case line := <-first:
		return h, line
	case <-time.After(60 * time.Second):
		t.Fatal("helper process printed nothing in 60 s")
	}
	return nil, ""
}

// stop signals the helper and waits for it to exit.
func (h *helper) stop(t *testing.T, sig syscall.Signal) *os.ProcessState {
	t.Helper()
	if err := h.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	h.cmd.Wait()
	return h.cmd.ProcessState
}

// sockscopeExe returns the test binary under a name containing "sockscope",
// as a running sockscope would be named.
func sockscopeExe(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(shortDir(t), "sockscope")
	if err := os.Symlink(exe, link); err != nil {
		t.Fatal(err)
	}
	return link
}

// shortDir returns a new temporary directory with a short path, removed
// when the test ends.
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ss")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.Chmod(dir, 0o755)
		os.RemoveAll(dir)
	})
	return dir
}

// startServer listens at path with mode, answering "server" to every client,
// until the test ends.
func startServer(t *testing.T, path string, mode os.FileMode) net.Listener {
	t.Helper()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false) // its file may have another name by then
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go serve(ln, "server")
	return ln
}

// serve writes greeting and a newline to every client of ln.
func serve(ln net.Listener, greeting string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			c.Write([]byte(greeting + "\n"))
			c.Close()
		}()
	}
}

// ask connects to path and returns the greeting of whoever answers.
func ask(path string) (string, error) {
	c, err := net.DialTimeout("unix", path, 10*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return "", err
	}
	return strings.TrimSuffix(line, "\n"), nil
}

// mustAsk is ask that fails the test on error or an unexpected answer.
func mustAsk(t *testing.T, path, want string) {
	t.Helper()
	got, err := ask(path)
	if err != nil || got != want {
		t.Fatalf("connecting to %s: got %q, %v; want %q", path, got, err, want)
	}
}

// listing describes every file in dir: name, type and permissions, owner.
func listing(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		out = append(out, fmt.Sprintf("%s %v %d:%d ino=%d", e.Name(), fi.Mode(), st.Uid, st.Gid, st.Ino))
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// wantEntries fails t unless dir holds n entries, and lists them: what was
// left, when.
func wantEntries(t *testing.T, dir string, n int, what string) {
	t.Helper()
	if entries, _ := os.ReadDir(dir); len(entries) != n {
		t.Errorf("%s:\n%s", what, listing(t, dir))
	}
}
