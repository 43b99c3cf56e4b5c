//go:build unix

package main

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"sockscope/session"
)

// A socket made by --listen is 0600 unless --mode says otherwise, whatever
// the umask.
func TestListenSocketMode(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want fs.FileMode
	}{
		{nil, 0o600},
		{[]string{"--mode", "0660"}, 0o660},
	} {
		t.Run(fmt.Sprintf("%04o", tc.want), func(t *testing.T) {
			svc, front := paths(t)
			startUpstream(t, svc, echoBytes)
			old := syscall.Umask(0) // the most permissive umask: the mode must not come from it
			p := startSS(t, nil, append(tc.args, "--headless", "--listen", front, svc)...)
			waitListening(t, front)
			syscall.Umask(old)
			fi, err := os.Stat(front)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != tc.want || fi.Mode().Type() != fs.ModeSocket {
				t.Errorf("listening socket is %v, want a socket with %v", fi.Mode(), tc.want)
			}
			if code := p.stop(os.Interrupt); code != 0 {
				t.Errorf("exit %d: %s", code, p.err.String())
			}
		})
	}
}

// --listen never unlinks what is in its way: a live socket, a regular file
// or a directory. The binary exits non-zero saying why, and the thing is
// still there.
func TestListenRefusesToUnlink(t *testing.T) {
	for _, tc := range []struct {
		name  string
		make  func(t *testing.T, path string) (check func() error)
		wants string
	}{
		{"live socket", func(t *testing.T, path string) func() error {
			ln, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
			return func() error {
				c, err := net.Dial("unix", path)
				if err == nil {
					c.Close()
				}
				return err
			}
		}, "another process is listening"},
		{"regular file", func(t *testing.T, path string) func() error {
			if err := os.WriteFile(path, []byte("precious"), 0o644); err != nil {
				t.Fatal(err)
			}
			return func() error {
				b, err := os.ReadFile(path)
				if err == nil && string(b) != "precious" {
					return fs.ErrInvalid
				}
				return err
			}
		}, "a regular file is in the way"},
		{"directory", func(t *testing.T, path string) func() error {
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(path, "keep"), nil, 0o644)
			return func() error {
				_, err := os.Stat(filepath.Join(path, "keep"))
				return err
			}
		}, "a directory is in the way"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, front := paths(t)
			startUpstream(t, svc, echoBytes)
			check := tc.make(t, front)
			p := startSS(t, nil, "--headless", "--listen", front, svc)
			if code := p.wait(); code == 0 {
				t.Errorf("sockscope exited 0 with %s in the way", tc.name)
			}
			if msg := p.err.String(); !strings.Contains(msg, tc.wants) || !strings.Contains(msg, front) {
				t.Errorf("stderr %q does not say %q about %s", msg, tc.wants, front)
			}
			if err := check(); err != nil {
				t.Errorf("the %s was harmed: %v", tc.name, err)
			}
		})
	}
}

// Session files are created 0600, and the client's pid, uid and process
// name reach the dump's open line and the session's open record.
func TestSessionModeAndPeerCredentials(t *testing.T) {
	svc, front := paths(t)
	startUpstream(t, svc, echoBytes)
	rec := filepath.Join(filepath.Dir(svc), "s.jsonl")
	old := syscall.Umask(0)
	stop := sockscope(t, "--dump", "--record", rec, "--listen", front, svc)
	waitListening(t, front)
	waitFile(t, rec)
	syscall.Umask(old)
	fi, err := os.Stat(rec)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("session file mode %v, want 0600", fi.Mode().Perm())
	}
	roundTrip(t, front, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"hi\"}\n")
	out := stop()

	comm, _ := os.ReadFile("/proc/self/comm")
	proc := strings.TrimSpace(string(comm))
	var opens int
	for _, l := range dumpLines(t, out) {
		if l["type"] != "open" {
			continue
		}
		opens++
		if l["pid"] != float64(os.Getpid()) || l["uid"] != float64(os.Getuid()) || l["process"] != proc {
			t.Errorf("dump open %v, want pid %d uid %d process %q", l, os.Getpid(), os.Getuid(), proc)
		}
	}
	recs, err := session.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Type != session.TypeOpen {
			continue
		}
		opens++
		if r.PID != os.Getpid() || r.UID != os.Getuid() || r.Process != proc {
			t.Errorf("session open %+v, want pid %d uid %d process %q", r, os.Getpid(), os.Getuid(), proc)
		}
	}
	if opens != 4 {
		t.Errorf("%d open lines and records, want two of each (waitListening's probe and the round trip)", opens)
	}
}

// roundTrip sends msg on a new connection to addr, reads as many bytes
// back (the upstream echoes) and closes.
func roundTrip(t *testing.T, addr, msg string) {
	t.Helper()
	c, err := net.Dial("unix", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
		t.Fatalf("echo %q, %v; want %q", got, err, msg)
	}
}

// Terminal control sequences in frames (OSC 52 writes the clipboard, CSI 2J
// clears the screen, C1 CSI is an 8-bit escape) never reach --dump's stdout
// raw, wherever they sit: in a method, an id, a text or a binary frame.
func TestDumpEscapesTerminalControls(t *testing.T) {
	const osc52, clear, c1 = "\x1b]52;c;aGVsbG8=\x07", "\x1b[2J", "\u009b2J"
	frames := []string{
		`{"jsonrpc":"2.0","id":1,"method":"` + osc52 + `","params":"` + clear + `"}`,
		`{"jsonrpc":"2.0","id":"` + clear + `","method":"m"}`,
		`{"jsonrpc":"2.0","id":3,"method":"` + c1 + `","params":"` + c1 + `"}`,
		"plain text " + osc52 + clear + " line",
		"\x00\x01binary" + osc52 + clear,
	}
	var want []string
	for _, f := range frames {
		if f[0] == '{' {
			want = append(want, f+"\n")
		}
	}
	svc, front := paths(t)
	startUpstream(t, svc, echoBytes)
	stop := sockscope(t, "--dump", "--lossless", "--listen", front, svc)
	waitListening(t, front)
	roundTrip(t, front, strings.Join(want, ""))
	for _, f := range frames[3:] {
		roundTrip(t, front, f+"\n")
	}
	out := stop()

	for _, bad := range []string{"\x1b", "\x07", "\u009b", "\x00"} {
		if i := bytes.Index(out, []byte(bad)); i >= 0 {
			t.Errorf("raw %q on stdout at %d: %q", bad, i, out[max(0, i-60):min(len(out), i+40)])
		}
	}
	var seen, exchanges int
	for _, l := range dumpLines(t, out) {
		switch l["type"] {
		case "message":
			if s, _ := l["text"].(string); strings.Contains(s, osc52) {
				seen++
			}
			if s, _ := l["b64"].(string); s != "" {
				seen++
			}
		case "exchange":
			exchanges++
		}
	}
	if seen < 6 || exchanges < 3 {
		t.Errorf("%d messages kept the sequences escaped (want 6 or more), %d exchanges (want 3 or more):\n%s", seen, exchanges, out)
	}
}
