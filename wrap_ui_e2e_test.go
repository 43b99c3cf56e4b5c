//go:build unix

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// --ui TTY: a wrapped sockscope shows its UI on another terminal (a tmux
// pane whose own program reads nothing), with history and live rows, while
// the child's stdout reaches the parent byte for byte with not one byte of
// the UI's, and its stderr passes through unchanged. Quitting that UI leaves
// the child running; the child's exit is sockscope's.
func TestWrapUITTY(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	dir := shortDir(t)
	tm := newTerm(t, subdir(t, dir, "ui"), 160, 40, nil, "sleep", "100000")
	tty := strings.TrimSpace(tm.tmux("display", "-p", "-t", "ss", "#{pane_tty}"))
	if !strings.HasPrefix(tty, "/dev/") {
		t.Fatalf("the pane's tty: %q", tty)
	}
	rec := filepath.Join(dir, "rec.jsonl")
	cmd := exec.Command(binary, "--ui", tty, "-w", rec, "--", "node", "testdata/node/jsonrpc-echo-stdio.js")
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+dir, "TERM=xterm-256color")
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	br := bufio.NewReader(out)
	var got, want bytes.Buffer
	id := 0
	call := func(method, params, reply string) {
		t.Helper()
		id++
		fmt.Fprintf(in, `{"jsonrpc":"2.0","id":%d,"method":%q,"params":%s}`+"\n", id, method, params)
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the reply to %d: %v (so far %q)", id, err, got.String())
		}
		got.WriteString(line)
		fmt.Fprintf(&want, `{"jsonrpc":"2.0","id":%d,%s}`+"\n", id, reply)
	}
	call("echo", `{"s":"é ☃ \u0001"}`, `"result":{"s":"é ☃ \u0001"}`)
	call("fail", `{}`, `"error":{"code":-32000,"message":"fail"}`)
	tm.rowsWith("the UI on the other terminal, with the history", map[string]string{"echo": "ok", "fail": "error"})
	call("nosuch", `[]`, `"error":{"code":-32601,"message":"Method not found"}`)
	tm.rowsWith("the live exchange", map[string]string{"nosuch": "error"})

	// Quitting the UI leaves the terminal as it was and the child running.
	tm.keys("q")
	tm.waitScreen("the UI gone from the terminal", func(s string) error {
		if len(listRows(s)) > 0 {
			return fmt.Errorf("rows still on screen")
		}
		return nil
	})
	call("echo", `{"after":"the UI"}`, `"result":{"after":"the UI"}`)
	in.Close()
	rest, err := io.ReadAll(br)
	got.Write(rest)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("sockscope --ui: %v; stderr:\n%s", err, stderr.String())
	}
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("stdout:\n%q\nwant:\n%q", got.String(), want.String())
	}
	if stderr.String() != "jsonrpc-echo-stdio: ready\n" {
		t.Errorf("stderr: %q, want the child's alone", stderr.String())
	}
	if frames := recordedFrames(t, rec); len(frames) < 8 {
		t.Errorf("recorded %d frames, want the 8 exchanged", len(frames))
	}
}

// A resize of the terminal a wrapped sockscope runs on, and shows its UI on
// (--ui $(tty)), reaches both the UI and the child: the terminal signals
// sockscope's process group alone, the child being in one of its own and
// the UI's process (apart) in a session of its own. The child's SIGWINCH
// was dropped.
func TestWrapUIResize(t *testing.T) {
	for _, mode := range []string{"normal", "inprocess"} {
		t.Run(mode, func(t *testing.T) {
			dir := shortDir(t)
			out := filepath.Join(dir, "out")
			if err := syscall.Mkfifo(out, 0o600); err != nil {
				t.Fatal(err)
			}
			// Read and written: opening it waits for no writer.
			f, err := os.OpenFile(out, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			lines := make(chan string, 8)
			go func() {
				sc := bufio.NewScanner(f)
				for sc.Scan() {
					lines <- sc.Text()
				}
			}()
			next := func(want string) {
				t.Helper()
				select {
				case l := <-lines:
					if l != want {
						t.Fatalf("the child's stdout %q, want %q", l, want)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("no %q from the child within 10s", want)
				}
			}
			child := `trap 'echo got-WINCH' WINCH; echo ready; while :; do sleep 0.02; done`
			tm := newTerm(t, dir, 120, 30, []string{"SOCKSCOPE_DECODER=" + mode},
				"sh", "-c", `exec "$0" --ui "$(tty)" -- sh -c "$2" </dev/null >"$1"`, binary, out, child)
			next("ready")
			tm.waitText("the UI", "stdio")
			tm.tmux("resize-window", "-t", "ss", "-x", "200", "-y", "30")
			next("got-WINCH")
			tm.waitScreen("the UI at the new width", func(s string) error {
				if w := widest(s); w <= 120 {
					return fmt.Errorf("%d columns drawn", w)
				}
				return nil
			})
		})
	}
}

// Quitting a wrap's UI leaves the child running and no one to release
// held frames: what it held goes on, intercepting turns off and the rules
// that hold are disabled, and stderr says so. Before, each held frame
// waited out --hold-timeout (5 minutes), and the child's stream with it.
// Closing the UI's terminal (its window: the terminal hangs up, and sends
// no signal to sockscope, whose terminal it is not) quits it the same way;
// before, the UI went on unseen, and its held frames waited.
func TestWrapUIQuitReleasesHolds(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	for _, c := range []struct{ mode, quit string }{{"normal", "q"}, {"inprocess", "q"}, {"normal", "hangup"}, {"inprocess", "hangup"}} {
		mode := c.mode
		t.Run(mode+"/"+c.quit, func(t *testing.T) {
			dir := shortDir(t)
			tm := newTerm(t, subdir(t, dir, "ui"), 160, 40, nil, "sleep", "100000")
			tty := strings.TrimSpace(tm.tmux("display", "-p", "-t", "ss", "#{pane_tty}"))
			cmd := exec.Command(binary, "--ui", tty, "--intercept", "method:echo", "--rule", "method:nosuch hold",
				"--", "node", "testdata/node/jsonrpc-echo-stdio.js")
			cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+dir, "TERM=xterm-256color", "SOCKSCOPE_DECODER="+mode)
			in, _ := cmd.StdinPipe()
			out, _ := cmd.StdoutPipe()
			var stderr syncBuffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			br := bufio.NewReader(out)
			replies := make(chan string, 8)
			go func() {
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						close(replies)
						return
					}
					replies <- line
				}
			}()
			reply := func(what, want string) {
				t.Helper()
				select {
				case line := <-replies:
					if !strings.Contains(line, want) {
						t.Fatalf("%s: the child said %q, want %q in it", what, line, want)
					}
				case <-time.After(screenWait):
					t.Fatalf("%s: no reply; stderr:\n%s", what, stderr.String())
				}
			}
			fmt.Fprintln(in, `{"jsonrpc":"2.0","id":1,"method":"echo","params":["held"]}`)
			tm.waitText("the echo held", "held")
			if c.quit == "q" {
				tm.keys("q")
			} else {
				tm.tmux("kill-server")
			}
			reply("the held echo, once the UI quit", `"result":["held"]`)
			fmt.Fprintln(in, `{"jsonrpc":"2.0","id":2,"method":"echo","params":["after"]}`)
			reply("an echo after", `"result":["after"]`)
			fmt.Fprintln(in, `{"jsonrpc":"2.0","id":3,"method":"nosuch","params":[]}`)
			reply("a frame the hold rule matches", `"id":3`)
			in.Close()
			if err := cmd.Wait(); err != nil {
				t.Fatalf("sockscope --ui: %v; stderr:\n%s", err, stderr.String())
			}
			want := "sockscope: the UI quit and no one is left to release held frames: intercept (method:echo) off, " +
				"rule r1 (method:nosuch hold) disabled, the frame held forwarded as it was\n"
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr:\n%s\nwant in it:\n%s", stderr.String(), want)
			}
		})
	}
}
