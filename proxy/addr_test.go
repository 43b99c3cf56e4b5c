package proxy

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestParseAddr(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Addr
		err  string
	}{
		{in: "unix:/tmp/s", want: Addr{"unix", "/tmp/s"}},
		{in: "unix:rel", want: Addr{"unix", "rel"}},
		{in: "/run/x.sock", want: Addr{"unix", "/run/x.sock"}},
		{in: "./x.sock", want: Addr{"unix", "./x.sock"}},
		{in: "tcp:localhost:80", want: Addr{"tcp", "localhost:80"}},
		{in: "tcp::9000", want: Addr{"tcp", "127.0.0.1:9000"}},
		{in: "example.com:443", want: Addr{"tcp", "example.com:443"}},
		{in: ":8080", want: Addr{"tcp", "127.0.0.1:8080"}},
		{in: "[::1]:8080", want: Addr{"tcp", "[::1]:8080"}},
		{in: "0.0.0.0:0", want: Addr{"tcp", "0.0.0.0:0"}},
		{in: "pipe:midway", want: Addr{"pipe", `\\.\pipe\midway`}},
		{in: `pipe:\\.\pipe\x`, want: Addr{"pipe", `\\.\pipe\x`}},
		{in: `\\.\pipe\tmp-midway.sock`, want: Addr{"pipe", `\\.\pipe\tmp-midway.sock`}},
		{in: `\\.\PIPE\a/b`, want: Addr{"pipe", `\\.\PIPE\a/b`}},
		{in: "", err: "want unix:/path"},
		{in: "sockname", err: "want unix:/path"},
		{in: "unix:", err: "no socket path"},
		{in: "pipe:", err: "no pipe name"},
		{in: `\\.\pipe\`, err: "no pipe name"},
		{in: "host:port", err: "not a number"},
		{in: "host:99999", err: "not a number"},
		{in: "tcp:nohost", err: "want host:port"},
		{in: "a:b:c", err: "want host:port"},
	} {
		got, err := ParseAddr(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseAddr(%q) = %v, %v; want an error saying %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseAddr(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			continue
		}
		if back, err := ParseAddr(got.String()); err != nil || back != got {
			t.Errorf("ParseAddr(%q.String()) = %v, %v; want it back", got, back, err)
		}
	}
}

func TestListenRefuses(t *testing.T) {
	dir := shortDir(t)
	live := filepath.Join(dir, "live")
	ln, err := Listen(Addr{"unix", live}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("keep me"), 0o644)
	sub := filepath.Join(dir, "dir")
	os.Mkdir(sub, 0o755)

	for path, want := range map[string]string{live: "listening", file: "regular file", sub: "directory"} {
		before, _ := os.Lstat(path)
		l, err := Listen(Addr{"unix", path}, 0)
		if err == nil {
			l.Close()
			t.Errorf("Listen(%s) succeeded over a %s", path, want)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Listen(%s) = %v; want it to say %q", path, err, want)
		}
		after, err := os.Lstat(path)
		if err != nil || !os.SameFile(before, after) {
			t.Errorf("Listen(%s) touched what was there: %v", path, err)
		}
	}
	if b, _ := os.ReadFile(file); string(b) != "keep me" {
		t.Errorf("regular file now holds %q", b)
	}
}

func TestListenReplacesStaleSocket(t *testing.T) {
	path := filepath.Join(shortDir(t), "s")
	old, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	old.(*net.UnixListener).SetUnlinkOnClose(false)
	old.Close() // a socket file nobody listens on
	if _, err := os.Lstat(path); err != nil {
		t.Fatal(err)
	}
	ln, err := Listen(Addr{"unix", path}, 0)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("dial the new socket: %v", err)
	}
	c.Close()
	ln.Close()
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket file still there after Close: %v", err)
	}
}

func TestListenMode(t *testing.T) {
	dir := shortDir(t)
	for mode, want := range map[os.FileMode]os.FileMode{0: 0o600, 0o660: 0o660, 0o777: 0o777} {
		path := filepath.Join(dir, fmt.Sprintf("m%o", mode))
		ln, err := Listen(Addr{"unix", path}, mode)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode().Perm() != want || fi.Mode().Type() != fs.ModeSocket {
			t.Errorf("Listen(mode %v): file mode %v, %v; want socket %v", mode, fi.Mode(), err, want)
		}
		ln.Close()
	}
}

// TestListenBacklog: a burst of connects to a listener that has not
// accepted yet must all be queued, not refused.
func TestListenBacklog(t *testing.T) {
	const burst = 200
	ln, a := listenOn(t, "unix")
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, burst)
	conns := make(chan net.Conn, burst)
	for range burst {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			c, err := net.Dial("unix", a.Address)
			if err != nil {
				errs <- err
				return
			}
			conns <- c
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	close(conns)
	for err := range errs {
		t.Error(err)
	}
	for c := range conns {
		c.Close()
	}
	ln.Close()
}

func TestListenPipeElsewhere(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("named pipes exist here")
	}
	_, err := Listen(Addr{"pipe", `\\.\pipe\x`}, 0)
	if err == nil || !strings.Contains(err.Error(), "only on Windows") {
		t.Errorf("Listen(pipe) = %v; want an error saying named pipes are Windows-only", err)
	}
}
