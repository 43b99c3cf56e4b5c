//go:build unix

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// In take-over mode the status bar names the path the clients use, taken
// over, never the temporary name sockscope's socket had during the swap;
// so do the connections (their Listen, in the dump).
func TestTakeoverStatusBarShowsThePath(t *testing.T) {
	path := takeoverServer(t)
	dir := filepath.Dir(path)
	tm := newTerm(t, dir, 160, 30, nil, binary, path)
	tm.waitScreen("the path taken over in the status bar", func(s string) error {
		top := strings.SplitN(s, "\n", 2)[0]
		if !strings.Contains(top, path+" (taken over) → ") {
			return fmt.Errorf("status bar %q does not name %s as taken over", top, path)
		}
		if strings.Contains(top, ".new") {
			return fmt.Errorf("status bar %q names the temporary socket", top)
		}
		return nil
	})
	tm.keys("q")
	if st := tm.waitExit(); st != "0" {
		t.Errorf("sockscope exited with status %s\nscreen:\n%s", st, tm.screen())
	}

	path = takeoverServer(t)
	p := startSS(t, nil, "--dump", path)
	p.waitStderr("took over " + path)
	roundTrip(t, path, `{"jsonrpc":"2.0","id":1,"method":"m"}`+"\n")
	eventually(t, "the connection's close in the dump", func() bool {
		return strings.Contains(p.out.String(), `{"type":"close","conn":1`)
	})
	p.stop(os.Interrupt)
	for _, l := range dumpLines(t, p.out.Bytes()) {
		if l["type"] == "open" && l["listen"] != path {
			t.Errorf("open %v: want listen %q", l, path)
		}
	}
}

// The server restarted while sockscope's UI showed the path it took over:
// the new server listens there itself, and its new clients bypass
// sockscope. Within a second or so the status bar says so (headless runs
// say it on stderr), whether the UI runs in the decoder's process (which
// the relay's, holding the path, tells) or in the relay's. At exit the
// give-back leaves the new socket alone and says so.
func TestTakeoverUIWarnsOfARestart(t *testing.T) {
	for _, mode := range []string{"normal", "inprocess"} {
		t.Run(mode, func(t *testing.T) {
			dir := shortDir(t)
			path := filepath.Join(dir, "app.sock")
			server := startUpstream(t, path, echoBytes)
			tm := newTerm(t, dir, 160, 30, []string{"SOCKSCOPE_DECODER=" + mode}, binary, path)
			tm.waitText("the path taken over", path+" (taken over)")
			server.kill() // its listener's close removes sockscope's socket at the path
			server.start()
			restarted := inode(t, path)
			tm.waitScreen("the warning in the status bar", func(s string) error {
				top := strings.SplitN(s, "\n", 2)[0]
				if !strings.Contains(top, "⚠ new clients bypass sockscope: another socket replaced it at "+path) {
					return fmt.Errorf("status bar %q: no warning", top)
				}
				return nil
			})
			tm.keys("q")
			if st := tm.waitExit(); st != "0" {
				t.Errorf("sockscope exited with status %s\nscreen:\n%s", st, tm.screen())
			}
			if ino := inode(t, path); ino != restarted {
				t.Errorf("the path holds inode %d after sockscope exited, not the restarted server's %d", ino, restarted)
			}
			tm.waitText("the give-back's word", "the server was restarted meanwhile and listens at "+path+" again")
		})
	}
}

// A view attached to a headless take-over warns too when a restarted
// server replaced sockscope's socket: the feed tells its viewers, with the
// decoder apart (the feed is in its process) and in the relay's.
func TestAttachedViewWarnsOfARestart(t *testing.T) {
	for _, mode := range []string{"normal", "inprocess"} {
		t.Run(mode, func(t *testing.T) {
			dir := shortDir(t)
			env := []string{"XDG_RUNTIME_DIR=" + dir, "SOCKSCOPE_DECODER=" + mode}
			path := filepath.Join(dir, "app.sock")
			server := startUpstream(t, path, echoBytes)
			cmd := exec.Command(binary, "--headless", path)
			cmd.Env = append(os.Environ(), env...)
			p := startCmd(t, nil, cmd)
			p.waitStderr("took over " + path)
			feedUp(t, filepath.Join(dir, "sockscope", strconv.Itoa(p.pid())+".sock"))
			a := newTerm(t, subdir(t, dir, "a"), 160, 30, env, binary, "attach", strconv.Itoa(p.pid()))
			a.waitText("the attached view", "attached to")
			server.kill()
			server.start()
			a.waitScreen("the warning in the attached view's status bar", func(s string) error {
				top := strings.SplitN(s, "\n", 2)[0]
				if !strings.Contains(top, "⚠ new clients bypass sockscope: another socket replaced it at "+path) {
					return fmt.Errorf("status bar %q: no warning", top)
				}
				return nil
			})
			a.keys("q")
			if st := a.exitStatus(); st != "0" {
				t.Errorf("attach exited %s", st)
			}
			if code := p.stop(syscall.SIGTERM); code != 0 {
				t.Errorf("sockscope exited %d", code)
			}
		})
	}
}
