//go:build unix

package takeover

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Restore undoes the take-over: it puts the server's socket back at Path in
// one rename (replacing sockscope's, so Path is never missing), closes the
// listener and removes the marker. Only the first call does anything; later
// calls return nil. It never removes a file at Path that is not sockscope's:
// if the server was restarted meanwhile and listens at Path again, Restore
// leaves it and cleans up the old moved socket. If the server stopped
// meanwhile, it removes the server's stale socket rather than put it back.
// The error wraps ErrServerGone or ErrReplaced when there was nothing to
// put back or no safe way to do so. Did says what it did.
func (t *Takeover) Restore() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return t.err
	}
	t.done = true
	n := names{dir: filepath.Dir(t.Path), path: t.Path, moved: t.Moved, tmp: t.tmp, marker: t.Marker}
	did, err := putBack(n, t.ino, t.server, true)
	t.did = did
	// Closed only now, so clients never meet a path nobody accepts on; the
	// few still queued on ours when it closes are reset.
	if t.Listener != nil {
		t.Listener.Close()
	}
	if err != nil {
		t.err = fmt.Errorf("restore %s: %w", t.Path, err)
	}
	return t.err
}

// Restore undoes by hand a take-over of path that a sockscope which is no
// longer running left behind (`sockscope restore PATH`), using the marker
// beside path, and says in one line what it did (as [Takeover.Did]). It
// refuses while that sockscope still runs, and wraps ErrNothingToRestore
// when there is no marker.
func Restore(path string) (string, error) {
	path = filepath.Clean(path)
	name := markerPath(path)
	m, err := readMarker(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("restore %s: %w: there is no marker %s, so no sockscope has it taken over", path, ErrNothingToRestore, name)
	case err != nil:
		return "", fmt.Errorf("restore %s: %w", path, err)
	case holder(m.PID, m.Started):
		return "", fmt.Errorf("restore %s: %w; quit it (q, Ctrl-C or kill %d) and it puts the socket back itself", path, heldError(m, name), m.PID)
	}
	did, err := putBack(m.beside(path), m.Socket, m.Server, false)
	cleanLitter(path)
	if err != nil {
		return did, fmt.Errorf("restore %s: %w", path, err)
	}
	return did, nil
}

// Left reports whether a take-over of path by the process pid is left to
// undo: the marker beside path names pid. The decoder's process of a
// sockscope killed while it held path asks, to tell the user to run
// `sockscope restore PATH`.
func Left(path string, pid int) bool {
	m, err := readMarker(markerPath(filepath.Clean(path)))
	return err == nil && m.PID == pid
}

// recoverLeftover restores a take-over of path left by a sockscope that is
// no longer running, saying what it did, or refuses if one is running.
func recoverLeftover(path string) (string, error) {
	name := markerPath(path)
	m, err := readMarker(name)
	if errors.Is(err, fs.ErrNotExist) {
		cleanLitter(path)
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if holder(m.PID, m.Started) {
		return "", fmt.Errorf("%w; quit that one first, or use --listen", heldError(m, name))
	}
	did, err := putBack(m.beside(path), m.Socket, m.Server, false)
	cleanLitter(path)
	if errors.Is(err, ErrServerGone) {
		return "", fmt.Errorf("%w: sockscope pid %d did not clean up when it stopped, and %s; start the server first", err, m.PID, did)
	}
	if err != nil {
		return "", fmt.Errorf("sockscope pid %d did not clean up when it stopped: %w", m.PID, err)
	}
	return fmt.Sprintf("sockscope pid %d (started %s) did not clean up when it stopped: %s", m.PID, m.Started.Local().Format(time.DateTime), did), nil
}

func heldError(m *marker, name string) error {
	if m.PID == os.Getpid() {
		return fmt.Errorf("%w by this sockscope (marker %s)", ErrHeld, name)
	}
	return fmt.Errorf("%w by sockscope pid %d, running since %s (marker %s)", ErrHeld, m.PID, m.Started.Local().Format(time.DateTime), name)
}

// putBack moves the server's socket from n.moved back to n.path, where ours
// is the identity of sockscope's socket and server that of the server's
// as Take found it (zero if unknown), then removes the marker and
// sockscope's files. It handles every state a crash can leave behind and
// says what it did. Listening says whether sockscope's listener is still
// open: if not, its inode may have been reused by another socket at the
// path, which must then also be dead to count as ours.
func putBack(n names, ours fileID, server made, listening bool) (string, error) {
	defer removeIf(n.tmp, ours)
	movedThere := isSocket(n.moved)
	at, atErr := identify(n.path)
	pathMissing := errors.Is(atErr, fs.ErrNotExist)
	pathOurs := atErr == nil && at == ours && (listening || !live(n.path))
	switch {
	case movedThere && atErr == nil && at == idOf(n.moved):
		// Killed between linking the server's socket to its second name and
		// putting ours in place: the path never stopped being the server's.
		os.Remove(n.moved)
		os.Remove(n.marker)
		return "nothing had been moved; removed the marker " + n.marker, nil
	case movedThere && (pathMissing || pathOurs) && refused(n.moved):
		// The server stopped meanwhile. Put back, its socket would be a
		// dead one at the path: clients refused there as much as at no
		// file, and a server that does not remove its path before it
		// listens could not start again (address already in use).
		os.Remove(n.moved)
		if pathOurs {
			os.Remove(n.path)
		}
		os.Remove(n.marker)
		syncDir(n.dir)
		return "the server at " + n.path + " stopped meanwhile; removed its stale socket", ErrServerGone
	case movedThere && (pathMissing || pathOurs):
		if err := os.Rename(n.moved, n.path); err != nil {
			return "", fmt.Errorf("could not move the server's socket back (%v); run: mv -f %s %s && rm %s", err, n.moved, n.path, n.marker)
		}
		os.Remove(n.marker)
		syncDir(n.dir)
		return "put the server's socket back at " + n.path, nil
	case movedThere && atErr == nil && refused(n.moved):
		// The server was restarted and listens at the path again; its old
		// socket, still at the moved name, is dead.
		os.Remove(n.moved)
		os.Remove(n.marker)
		return "the server was restarted meanwhile and listens at " + n.path + " again: left its new socket alone and removed its old one, " + n.moved, nil
	case movedThere:
		return "", fmt.Errorf("%w: %s is no longer sockscope's socket (was the server restarted?), so it was left alone, and the old server socket %s still answers. To keep the new one run: rm %s %s; to put the old one back run: mv -f %s %s && rm %s",
			ErrReplaced, n.path, n.moved, n.moved, n.marker, n.moved, n.path, n.marker)
	case pathOurs:
		os.Remove(n.path)
		os.Remove(n.marker)
		return fmt.Sprintf("the server's socket %s disappeared while sockscope held %s (did the server exit?); removed sockscope's socket, so %s stays absent until the server starts again",
			n.moved, n.path, n.path), ErrServerGone
	}
	// The server's socket is gone from the moved name, and sockscope's from
	// the path. Had sockscope put its socket at the path? Yes if it still
	// listens; after a crash, yes if its temporary socket is gone: Take
	// made it before the marker, and the swap's last step renamed it over
	// the path. (The marker of an older sockscope does not record the
	// server's socket: then this says nothing had been moved, as it did.)
	swapped := listening || server != (made{}) && idOf(n.tmp) != ours
	switch {
	case swapped && atErr == nil && madeAt(n.path) != server:
		// The server was restarted and listens at the path again, and its
		// old socket went with the old server (or someone removed it).
		os.Remove(n.marker)
		return "the server was restarted meanwhile and listens at " + n.path + " again: left its new socket alone; its old one, " + n.moved + ", was gone already: nothing to give back", nil
	case swapped && pathMissing:
		os.Remove(n.marker)
		return fmt.Sprintf("the server's socket %s and sockscope's at %s both disappeared (did the server exit?): nothing to give back, and %s stays absent until the server starts again",
			n.moved, n.path, n.path), ErrServerGone
	case swapped && atErr == nil:
		// Killed after it had put the server's socket back, before it
		// removed the marker.
		os.Remove(n.marker)
		return "the server's socket was back at " + n.path + " already; removed the marker " + n.marker, nil
	}
	// Nothing was moved yet.
	os.Remove(n.marker)
	return "nothing had been moved; removed the marker " + n.marker, nil
}

// identify returns the identity of the socket at name, or an error if there
// is none (fs.ErrNotExist) or it is not a socket.
func identify(name string) (fileID, error) {
	var st syscall.Stat_t
	if err := syscall.Lstat(name, &st); err != nil {
		return fileID{}, &fs.PathError{Op: "lstat", Path: name, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFSOCK {
		return fileID{}, fmt.Errorf("%s is not a socket", name)
	}
	return fileID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}, nil
}

// madeOf is the identity of the file fi describes (os.Lstat's), and when
// it was made.
func madeOf(fi fs.FileInfo) made {
	st := fi.Sys().(*syscall.Stat_t)
	return made{fileID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}, fi.ModTime().UnixNano()}
}

// madeAt is madeOf the file at name, zero if there is none.
func madeAt(name string) made {
	fi, err := os.Lstat(name)
	if err != nil {
		return made{}
	}
	return madeOf(fi)
}

// idOf returns the identity of the socket at name, zero if there is none.
func idOf(name string) fileID {
	id, _ := identify(name)
	return id
}

func isSocket(name string) bool {
	_, err := identify(name)
	return err == nil
}

// removeIf removes name if it is the socket with identity id.
func removeIf(name string, id fileID) {
	if got, err := identify(name); err == nil && got == id {
		os.Remove(name)
	}
}

// refused reports whether connecting to the socket name is refused
// (ECONNREFUSED): nobody accepts on it any more. Any other failure, such as
// a full backlog or no permission, does not say so.
func refused(name string) bool {
	return errors.Is(probe(name), ErrNotListening)
}

// live reports whether something accepts connections at the socket name.
func live(name string) bool {
	return probe(name) == nil
}

// cleanLitter removes files beside path that a sockscope killed in the middle
// of Take can leave: its temporary socket and its marker being written.
func cleanLitter(path string) {
	dir, base := filepath.Split(path)
	dir = filepath.Clean(dir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix, staging := "."+base+".sockscope-", "."+base+".sockscope.json."
	for _, e := range entries {
		var pid string
		switch name := e.Name(); {
		case strings.HasPrefix(name, prefix) && strings.HasSuffix(name, ".new") && e.Type()&fs.ModeSocket != 0:
			pid = strings.TrimSuffix(strings.TrimPrefix(name, prefix), ".new")
		case strings.HasPrefix(name, staging) && strings.HasSuffix(name, ".tmp") && e.Type().IsRegular():
			pid = strings.TrimSuffix(strings.TrimPrefix(name, staging), ".tmp")
		default:
			continue
		}
		if p, err := strconv.Atoi(pid); err == nil && !holder(p, time.Time{}) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// holder says whether pid, recorded in a marker written at started, still
// holds the take-over: it must be alive (not a zombie) and be a sockscope,
// so a pid reused by an unrelated process after a crash does not lock the
// path forever. A process whose name does not say sockscope (a binary
// renamed: go build -o ss) still is the holder if it started before the
// take-over did: a pid reused after it died starts after it. Where neither
// can be read, a live pid counts as a holder: refusing is safer than
// moving a socket someone else is using. (started zero: by name alone.)
func holder(pid int, started time.Time) bool {
	if pid == os.Getpid() {
		return true
	}
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	name, zombie, ok := processName(pid)
	switch {
	case !ok:
		return true
	case zombie:
		return false
	case strings.Contains(name, "sockscope"):
		return true
	}
	at, ok := processStart(pid)
	return ok && !started.IsZero() && !at.After(started)
}
