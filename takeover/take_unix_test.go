//go:build unix

package takeover

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestTakeAndRestore(t *testing.T) {
	dir := shortDir(t)
	path := filepath.Join(dir, "app.sock")
	startServer(t, path, 0o660)
	if os.Geteuid() == 0 {
		if err := os.Lchown(path, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	var orig syscall.Stat_t
	if err := syscall.Lstat(path, &orig); err != nil {
		t.Fatal(err)
	}
	before := listing(t, dir)

	tk, err := Take(path)
	if err != nil {
		t.Fatal(err)
	}
	go serve(tk.Listener, "sockscope")
	if tk.Path != path || filepath.Dir(tk.Moved) != dir || filepath.Dir(tk.Marker) != dir {
		t.Errorf("Path %q, Moved %q, Marker %q: want all in %s", tk.Path, tk.Moved, tk.Marker, dir)
	}
	// The listener is named by the path clients use, not the temporary
	// name it was made under (the status bar, the session file and each
	// connection's Listen show it).
	if a := tk.Listener.Addr(); a.String() != path || a.Network() != "unix" {
		t.Errorf("listener address %s %q, want unix %q", a.Network(), a, path)
	}
	mustAsk(t, path, "sockscope")
	mustAsk(t, tk.Moved, "server")

	var ours syscall.Stat_t
	if err := syscall.Lstat(path, &ours); err != nil {
		t.Fatal(err)
	}
	if ours.Ino == orig.Ino {
		t.Error("the socket at the path is still the server's")
	}
	if ours.Mode != orig.Mode || ours.Uid != orig.Uid || ours.Gid != orig.Gid {
		t.Errorf("our socket: mode %o owner %d:%d; the original's: mode %o owner %d:%d",
			ours.Mode, ours.Uid, ours.Gid, orig.Mode, orig.Uid, orig.Gid)
	}

	b, err := os.ReadFile(tk.Marker)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"path", "moved", "pid", "started", "mode", "uid", "gid"} {
		if _, ok := m[k]; !ok {
			t.Errorf("marker lacks %q: %s", k, b)
		}
	}
	if m["mode"] != "0660" || m["pid"] != float64(os.Getpid()) || !strings.HasSuffix(m["moved"].(string), filepath.Base(tk.Moved)) {
		t.Errorf("marker: %s", b)
	}

	if did := tk.Did(); did != "" {
		t.Errorf("Did before Restore: %q", did)
	}
	if err := tk.Restore(); err != nil {
		t.Fatal(err)
	}
	if did, want := tk.Did(), "put the server's socket back at "+path; did != want {
		t.Errorf("Did: %q, want %q", did, want)
	}
	mustAsk(t, path, "server")
	if after := listing(t, dir); after != before {
		t.Errorf("directory after Restore:\n%s\nbefore Take:\n%s", after, before)
	}
	if err := tk.Restore(); err != nil {
		t.Errorf("second Restore: %v", err)
	}
	mustAsk(t, path, "server")
}

// The server stopped while sockscope held its path: its socket at the
// moved name refuses connections, and the give-back removes it rather than
// put a dead socket back at the path, whether the server left its socket
// file behind or removed the file at its path (sockscope's, by then).
func TestRestoreAfterServerStopped(t *testing.T) {
	for _, removes := range []bool{false, true} {
		t.Run(map[bool]string{false: "leaves its file", true: "removes its path"}[removes], func(t *testing.T) {
			dir := shortDir(t)
			path := filepath.Join(dir, "app.sock")
			server := startServer(t, path, 0o666)
			tk, err := Take(path)
			if err != nil {
				t.Fatal(err)
			}
			go serve(tk.Listener, "sockscope")
			mustAsk(t, path, "sockscope")
			server.Close()
			if removes {
				os.Remove(path)
			}
			if err := tk.Restore(); !errors.Is(err, ErrServerGone) {
				t.Fatalf("Restore: %v; want %v", err, ErrServerGone)
			}
			if did, want := tk.Did(), "the server at "+path+" stopped meanwhile; removed its stale socket"; did != want {
				t.Errorf("Did: %q, want %q", did, want)
			}
			wantEntries(t, dir, 0, "left after Restore")
		})
	}
}

// The server restarted while sockscope held its path: the new one removed
// sockscope's socket and listens at the path itself. Held says the path is
// no longer sockscope's, and the give-back leaves the new socket there,
// removing only the old one at the moved name, where nobody accepts.
func TestServerRestartedWhileHeld(t *testing.T) {
	dir := shortDir(t)
	path := filepath.Join(dir, "app.sock")
	server := startServer(t, path, 0o666)
	tk, err := Take(path)
	if err != nil {
		t.Fatal(err)
	}
	go serve(tk.Listener, "sockscope")
	if !tk.Held() {
		t.Fatal("Held is false while sockscope's socket is at the path")
	}
	server.Close()
	os.Remove(path)
	startServer(t, path, 0o666)
	restarted := mustLstat(t, path).Sys().(*syscall.Stat_t).Ino
	if tk.Held() {
		t.Error("Held is true once a restarted server's socket replaced sockscope's")
	}
	if err := tk.Restore(); err != nil {
		t.Fatal(err)
	}
	want := "the server was restarted meanwhile and listens at " + path + " again: left its new socket alone and removed its old one, " + tk.Moved
	if did := tk.Did(); did != want {
		t.Errorf("Did: %q, want %q", did, want)
	}
	if ino := mustLstat(t, path).Sys().(*syscall.Stat_t).Ino; ino != restarted {
		t.Errorf("the path holds inode %d after Restore, not the restarted server's %d", ino, restarted)
	}
	mustAsk(t, path, "server")
	wantEntries(t, dir, 1, "left after Restore")
	if tk.Held() {
		t.Error("Held is true after Restore")
	}
}

// The server restarted while sockscope held its path, and its old socket
// at the moved name was removed too: the give-back leaves the new socket
// and says there was nothing to give back. With the path gone as well,
// the server is gone (ErrServerGone).
func TestServerRestartedWhileHeldOldGone(t *testing.T) {
	dir := shortDir(t)
	path := filepath.Join(dir, "app.sock")
	server := startServer(t, path, 0o666)
	tk, err := Take(path)
	if err != nil {
		t.Fatal(err)
	}
	go serve(tk.Listener, "sockscope")
	server.Close()
	os.Remove(tk.Moved)
	os.Remove(path)
	startServer(t, path, 0o666)
	if err := tk.Restore(); err != nil {
		t.Fatal(err)
	}
	want := "the server was restarted meanwhile and listens at " + path + " again: left its new socket alone; its old one, " + tk.Moved + ", was gone already: nothing to give back"
	if did := tk.Did(); did != want {
		t.Errorf("Did: %q, want %q", did, want)
	}
	mustAsk(t, path, "server")
	wantEntries(t, dir, 1, "left after Restore")

	dir = shortDir(t)
	path = filepath.Join(dir, "app.sock")
	server = startServer(t, path, 0o666)
	if tk, err = Take(path); err != nil {
		t.Fatal(err)
	}
	go serve(tk.Listener, "sockscope")
	server.Close()
	os.Remove(tk.Moved)
	os.Remove(path)
	if err := tk.Restore(); !errors.Is(err, ErrServerGone) {
		t.Errorf("Restore: %v; want %v", err, ErrServerGone)
	}
	want = "the server's socket " + tk.Moved + " and sockscope's at " + path + " both disappeared (did the server exit?): nothing to give back, and " + path + " stays absent until the server starts again"
	if did := tk.Did(); did != want {
		t.Errorf("Did: %q, want %q", did, want)
	}
	wantEntries(t, dir, 0, "left after Restore")
}

func TestTakeRefuses(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
		want  error
	}{
		{"missing", func(t *testing.T, path string) {}, ErrNotSocket},
		{"regular file", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, ErrNotSocket},
		{"directory", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
		}, ErrNotSocket},
		{"symlink to a socket", func(t *testing.T, path string) {
			startServer(t, path+".real", 0o666)
			if err := os.Symlink(path+".real", path); err != nil {
				t.Fatal(err)
			}
		}, ErrNotSocket},
		{"nobody listening", func(t *testing.T, path string) {
			ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
			if err != nil {
				t.Fatal(err)
			}
			ln.SetUnlinkOnClose(false)
			ln.Close() // leaves a stale socket file
		}, ErrNotListening},
		{"held by this process", func(t *testing.T, path string) {
			startServer(t, path, 0o666)
			tk, err := Take(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { tk.Restore() })
		}, ErrHeld},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := shortDir(t)
			path := filepath.Join(dir, "app.sock")
			tt.setup(t, path)
			before := listing(t, dir)
			tk, err := Take(path)
			if err == nil {
				tk.Restore()
				t.Fatal("Take succeeded")
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("got %v; want %v, naming %s", err, tt.want, path)
			}
			t.Log(err)
			if after := listing(t, dir); after != before {
				t.Errorf("directory after the refusal:\n%s\nbefore:\n%s", after, before)
			}
		})
	}
}

func TestTakeNameTooLong(t *testing.T) {
	dir := shortDir(t)
	// The server's path fits a socket address; the moved name would not.
	long := filepath.Join(dir, strings.Repeat("d", 96-len(dir)))
	if err := os.Mkdir(long, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(long, "a.sock")
	startServer(t, path, 0o666)
	before := listing(t, long)
	tk, err := Take(path)
	if err == nil {
		tk.Restore()
		t.Fatal("Take succeeded")
	}
	if !strings.Contains(err.Error(), "--listen") {
		t.Errorf("got %v; want advice to use --listen", err)
	}
	if after := listing(t, long); after != before {
		t.Errorf("directory after the refusal:\n%s\nbefore:\n%s", after, before)
	}
	mustAsk(t, path, "server")
}
