//go:build unix

package takeover

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// nobody is the unprivileged user the root-run tests drop to.
var nobody = &syscall.Credential{Uid: 65534, Gid: 65534}

func TestRefuseWithoutPermission(t *testing.T) {
	if os.Geteuid() != 0 {
		// Unprivileged: a directory we may not write to is enough.
		dir := shortDir(t)
		path := filepath.Join(dir, "app.sock")
		startServer(t, path, 0o666)
		os.Chmod(dir, 0o500)
		defer os.Chmod(dir, 0o755)
		before := listing(t, dir)
		if tk, err := Take(path); !errors.Is(err, ErrPermission) {
			if err == nil {
				tk.Restore()
			}
			t.Fatalf("Take: %v; want %v", err, ErrPermission)
		}
		if after := listing(t, dir); after != before {
			t.Errorf("directory after the refusal:\n%s\nbefore:\n%s", after, before)
		}
		return
	}
	// As root, permissions are bypassed: run the helper as nobody instead,
	// from a copy of the test binary that nobody may execute.
	exe := filepath.Join(shortDir(t), "sockscope")
	copyFile(t, exe)
	os.Chmod(filepath.Dir(exe), 0o755)
	tests := []struct {
		name string
		mode os.FileMode
	}{
		{"directory not writable", 0o755},
		{"sticky directory, socket of another user", 0o777 | os.ModeSticky},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := shortDir(t)
			if err := os.Chmod(dir, tt.mode); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "app.sock")
			startServer(t, path, 0o666)
			before := listing(t, dir)
			_, line := startHelper(t, exe, path, "once", nobody)
			if !strings.HasPrefix(line, "error permission=true") || !strings.Contains(line, "nothing was changed") {
				t.Fatalf("helper running as nobody: %s", line)
			}
			t.Log(line)
			if after := listing(t, dir); after != before {
				t.Errorf("directory after the refusal:\n%s\nbefore:\n%s", after, before)
			}
			mustAsk(t, path, "server")
		})
	}
}

// TestNotMoreOpenThanOriginal: as nobody, the owner of the original socket
// (root) cannot be copied, and neither can its group; the group bits must
// then go rather than apply to nobody's group.
func TestNotMoreOpenThanOriginal(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a socket of another owner and to drop to nobody")
	}
	exe := filepath.Join(shortDir(t), "sockscope")
	copyFile(t, exe)
	os.Chmod(filepath.Dir(exe), 0o755)
	dir := shortDir(t)
	os.Chown(dir, int(nobody.Uid), int(nobody.Gid))
	path := filepath.Join(dir, "app.sock")
	startServer(t, path, 0o666)
	os.Chmod(path, 0o676) // others may connect, the group too; root owns it
	h, line := startHelper(t, exe, path, "hold", nobody)
	if line != "ready" {
		t.Fatalf("helper running as nobody: %s", line)
	}
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode&0o777 != 0o606 || st.Uid != nobody.Uid {
		t.Errorf("sockscope's socket: mode %04o owner %d; want 0606 owned by %d", st.Mode&0o777, st.Uid, nobody.Uid)
	}
	mustAsk(t, path, "helper")
	if st := h.stop(t, syscall.SIGHUP); !st.Success() {
		t.Fatalf("helper exited with %v", st)
	}
	mustAsk(t, path, "server")
	if err := syscall.Lstat(path, &st); err != nil || st.Mode&0o777 != 0o676 || st.Uid != 0 {
		t.Errorf("restored socket: mode %04o owner %d, %v; want 0676 owned by root", st.Mode&0o777, st.Uid, err)
	}
}

// copyFile copies the running test binary to name, executable by all.
func copyFile(t *testing.T, name string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
