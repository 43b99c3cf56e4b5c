//go:build unix

package takeover

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Take takes over the Unix socket at path: it first restores any take-over
// of path that an earlier sockscope left behind (see Notes), checks that path
// is a socket with a live server and that its directory may be changed, then
// moves the server's socket to Moved and listens at path itself, with the
// original's mode and, where permitted, owner and group. On any error nothing
// is left changed, and the error (wrapping one of the Err values) says why.
func Take(path string) (*Takeover, error) {
	path = filepath.Clean(path)
	fail := func(err error) (*Takeover, error) {
		return nil, fmt.Errorf("take over %s: %w", path, err)
	}
	var notes []string
	note, err := recoverLeftover(path)
	if err != nil {
		return fail(err)
	}
	if note != "" {
		notes = append(notes, note)
	}
	n := namesFor(path, os.Getpid())
	fi, err := check(n)
	if err != nil {
		return fail(err)
	}
	t, err := swap(n, fi)
	if err != nil {
		return fail(err)
	}
	t.Notes = append(notes, t.Notes...)
	return t, nil
}

// Held reports whether the socket at Path is still sockscope's (the same
// device and inode as the one it listens on). It is false once Restore gave
// the path back, and when something else replaced sockscope's socket there,
// such as a restarted server that listens at the path anew: its clients
// then reach it directly, past sockscope. Restore leaves such a socket
// where it is.
func (t *Takeover) Held() bool {
	at, err := identify(t.Path)
	return err == nil && at == t.ino
}

// check refuses paths that cannot or must not be taken over.
func check(n names) (fs.FileInfo, error) {
	fi, err := os.Lstat(n.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w: nothing exists there", ErrNotSocket)
	case err != nil:
		return nil, err
	case fi.Mode()&fs.ModeSymlink != 0:
		dest, _ := os.Readlink(n.path)
		return nil, fmt.Errorf("%w: it is a symbolic link to %s; take over that path instead", ErrNotSocket, dest)
	case fi.Mode()&fs.ModeSocket == 0:
		return nil, fmt.Errorf("%w: it is %s; nothing was changed", ErrNotSocket, describe(fi.Mode()))
	}
	max := 103 // sizeof(sun_path) is 104 on the BSDs and macOS, one byte for NUL
	if runtime.GOOS == "linux" {
		max = 107
	}
	if len(n.tmp) > max {
		return nil, fmt.Errorf("the temporary name sockscope would listen at, %s, is %d bytes, longer than a socket address may be (%d): use --listen instead; nothing was changed", n.tmp, len(n.tmp), max)
	}
	if _, err := os.Lstat(n.moved); err == nil {
		return nil, fmt.Errorf("%s already exists, so the server's socket cannot move there; look at it and remove it; nothing was changed", n.moved)
	}
	if err := probe(n.path); err != nil {
		return nil, err
	}
	if err := unix.Access(n.dir, unix.W_OK|unix.X_OK); err != nil {
		return nil, fmt.Errorf("%w: sockscope may not create or rename files in %s (%v); run it as the socket's owner or use --listen; nothing was changed", ErrPermission, n.dir, err)
	}
	if err := stickyCheck(n.dir, fi); err != nil {
		return nil, err
	}
	return fi, nil
}

// stickyCheck refuses a socket in a sticky directory (like /tmp) that only
// its owner may rename, instead of failing half-way through the swap.
func stickyCheck(dir string, fi fs.FileInfo) error {
	d, err := os.Stat(dir)
	if err != nil || d.Mode()&fs.ModeSticky == 0 {
		return nil
	}
	me := uint32(os.Geteuid())
	if me == 0 || me == d.Sys().(*syscall.Stat_t).Uid || me == fi.Sys().(*syscall.Stat_t).Uid {
		return nil
	}
	return fmt.Errorf("%w: %s is sticky, so only the socket's owner (uid %d) may move it; run sockscope as that user or use --listen; nothing was changed", ErrPermission, dir, fi.Sys().(*syscall.Stat_t).Uid)
}

// probe makes sure a server is accepting at path: the kernel says a socket
// listens there (listening), or path is dialled, and the server sees one
// connection that closes without a byte (one that serves a single session
// then ends: only where the kernel cannot say).
func probe(path string) error {
	if fi, err := os.Stat(path); err == nil && listening(fi) {
		return nil
	}
	c, err := net.DialTimeout("unix", path, 3*time.Second)
	switch {
	case err == nil:
		c.Close()
		return nil
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%w: the socket refuses connections (a leftover from a server that exited?); start the server first; nothing was changed", ErrNotListening)
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return fmt.Errorf("%w: sockscope may not connect to the socket, so it could not forward to it either; nothing was changed", ErrPermission)
	case errors.Is(err, syscall.EAGAIN), errors.Is(err, os.ErrDeadlineExceeded):
		return nil // the server's backlog is full: it exists, it is just busy
	}
	return fmt.Errorf("cannot connect to the socket: %v; nothing was changed", err)
}

func describe(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m.IsRegular():
		return "a regular file"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a file of mode " + m.String()
}

// swap puts our listener at n.path and the server's socket at n.moved,
// recording the take-over in the marker before renaming anything.
func swap(n names, orig fs.FileInfo) (*Takeover, error) {
	ln, id, notes, err := listenLike(n.tmp, orig)
	if err != nil {
		return nil, err
	}
	undo := func() {
		ln.Close()
		os.Remove(n.tmp)
	}
	st := orig.Sys().(*syscall.Stat_t)
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	m := &marker{
		Path: abs(n.path), Moved: abs(n.moved), Tmp: abs(n.tmp),
		PID: os.Getpid(), Started: time.Now().Round(time.Second),
		Mode: fmt.Sprintf("%04o", orig.Mode().Perm()), UID: int(st.Uid), GID: int(st.Gid),
		Socket: id, Server: madeOf(orig),
	}
	if err := createMarker(n.marker, m); err != nil {
		undo()
		if errors.Is(err, fs.ErrExist) {
			if other, rerr := readMarker(n.marker); rerr == nil {
				return nil, heldError(other, n.marker)
			}
			return nil, fmt.Errorf("%w: another sockscope created %s just now", ErrHeld, n.marker)
		}
		return nil, permission(err, "write the marker")
	}
	// A hard link gives the server's socket its second name while it keeps
	// the first, so the rename of ours over the path leaves no moment where
	// the path is missing. Where links are not allowed (protected_hardlinks
	// for a socket of another user), fall back to a rename: a gap of the
	// time between two renames.
	linked := os.Link(n.path, n.moved) == nil
	if !linked {
		if err := os.Rename(n.path, n.moved); err != nil {
			undo()
			os.Remove(n.marker)
			return nil, permission(err, "move the server's socket aside")
		}
	}
	if err := os.Rename(n.tmp, n.path); err != nil {
		if linked {
			os.Remove(n.moved)
			undo()
			os.Remove(n.marker)
			return nil, permission(err, "put sockscope's socket in place")
		}
		if rerr := os.Rename(n.moved, n.path); rerr != nil {
			ln.Close()
			return nil, fmt.Errorf("could not put sockscope's socket in place (%v) nor the server's socket back (%v); to repair by hand run: mv -f %s %s && rm -f %s %s", err, rerr, n.moved, n.path, n.tmp, n.marker)
		}
		undo()
		os.Remove(n.marker)
		return nil, permission(err, "put sockscope's socket in place")
	}
	syncDir(n.dir)
	named := pathListener{UnixListener: ln, addr: &net.UnixAddr{Name: n.path, Net: "unix"}}
	return &Takeover{Path: n.path, Moved: n.moved, Marker: n.marker, Listener: named, Notes: notes, tmp: n.tmp, ino: id, server: m.Server}, nil
}

// pathListener is sockscope's listener at the path, named by it: it was
// made under a temporary name and renamed into place, and the kernel still
// calls it by the first name, which no client ever uses.
type pathListener struct {
	*net.UnixListener
	addr *net.UnixAddr
}

// Addr returns the path clients connect to.
func (l pathListener) Addr() net.Addr { return l.addr }

// permission wraps a failed step, marking permission problems as such.
func permission(err error, step string) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("%w: could not %s (%v); run sockscope as the socket's owner or use --listen; nothing was changed", ErrPermission, step, err)
	}
	return fmt.Errorf("could not %s: %v; nothing was changed", step, err)
}

// listenLike listens at name with the mode, owner and group of orig, as far
// as this process may set them, and never with more access than orig gives:
// if the group cannot be copied, the group bits are dropped.
func listenLike(name string, orig fs.FileInfo) (*net.UnixListener, fileID, []string, error) {
	if fi, err := os.Lstat(name); err == nil && fi.Mode()&fs.ModeSocket != 0 {
		os.Remove(name) // our own pid's name: a leftover of a dead process
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: name, Net: "unix"})
	if err != nil {
		return nil, fileID{}, nil, permission(err, "listen in the socket's directory")
	}
	ln.SetUnlinkOnClose(false)
	fail := func(err error) (*net.UnixListener, fileID, []string, error) {
		ln.Close()
		os.Remove(name)
		return nil, fileID{}, nil, permission(err, "set up sockscope's socket")
	}
	want := orig.Sys().(*syscall.Stat_t)
	perm := orig.Mode().Perm()
	var notes []string
	if os.Lchown(name, int(want.Uid), int(want.Gid)) != nil {
		os.Lchown(name, -1, int(want.Gid))
	}
	var got syscall.Stat_t
	if err := syscall.Lstat(name, &got); err != nil {
		return fail(err)
	}
	if got.Gid != want.Gid && perm&0o070 != 0 {
		perm &^= 0o070
		notes = append(notes, fmt.Sprintf("could not give sockscope's socket the group %d of the original, so it has mode %04o: clients that relied on the group may be refused", want.Gid, perm))
	}
	if got.Uid != want.Uid {
		notes = append(notes, fmt.Sprintf("sockscope's socket belongs to uid %d, not uid %d like the original", got.Uid, want.Uid))
	}
	if err := os.Chmod(name, perm); err != nil {
		return fail(err)
	}
	return ln, fileID{Dev: uint64(got.Dev), Ino: uint64(got.Ino)}, notes, nil
}
