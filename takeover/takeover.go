// Package takeover lets sockscope sit in front of a Unix socket that a server
// is already listening on, without restarting the server or reconfiguring its
// clients: it moves the server's socket aside, listens at the original path
// itself, and puts everything back when it is done.
//
// Typical use, by the caller that owns the process (main):
//
//	t, err := takeover.Take("/run/app.sock")
//	if err != nil {
//		return err // says what is wrong; nothing was changed
//	}
//	for _, n := range t.Notes {
//		fmt.Fprintln(os.Stderr, n) // e.g. a leftover that was restored first
//	}
//	defer t.Restore() // normal exit, `q`, and a panic in this goroutine
//	sig := make(chan os.Signal, 1)
//	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
//	go func() { <-sig; t.Restore(); os.Exit(130) }()
//	// Clients arrive on t.Listener; forward them to "unix:" + t.Moved.
//
// Restore is idempotent and safe to call from several places at once. A panic
// in a goroutine other than the one holding the defer ends the process
// without running deferred calls, and SIGKILL cannot be caught at all: for
// those, the marker file written before anything is renamed lets the next
// Take of the same path (or `sockscope restore PATH`, which calls [Restore])
// put the server's socket back before doing anything else.
//
// The swap leaves no gap: sockscope's listener is created at a hidden
// temporary name in the same directory with the original's mode and owner,
// the server's socket gets its second name Moved by a hard link, and the
// temporary socket is renamed over the path, atomically. Where the hard link
// is not allowed, the server's socket is renamed aside instead and clients
// may find the path missing for the instant between two renames. Restore
// likewise renames the server's socket back over sockscope's.
//
// Take-over needs rename(2) on a socket file, so it exists only on Unix; on
// Windows, named pipes cannot be renamed and Take returns [ErrUnsupported].
package takeover

import (
	"errors"
	"net"
	"sync"
)

// Errors that Take and Restore wrap, so callers can tell the cases apart with
// errors.Is. The wrapped error's message is meant for the user as it is.
var (
	// ErrUnsupported: take-over is impossible here (Windows, or not Unix).
	ErrUnsupported = errors.New("take-over is not supported")
	// ErrNotSocket: the path does not exist or is not a Unix socket.
	ErrNotSocket = errors.New("not a socket")
	// ErrNotListening: the socket exists but no server accepts on it.
	ErrNotListening = errors.New("nobody is listening")
	// ErrHeld: another running sockscope holds the path.
	ErrHeld = errors.New("already taken over")
	// ErrPermission: sockscope may not rename or create files in the directory.
	ErrPermission = errors.New("permission denied")
	// ErrNothingToRestore: Restore(path) found no marker beside path.
	ErrNothingToRestore = errors.New("nothing to restore")
	// ErrServerGone: the server stopped while sockscope held its path: its
	// moved socket refuses connections (or vanished), so there was nothing
	// to put back. sockscope removed that stale socket, and its own, rather
	// than leave a dead socket at the path; Did says so in one line.
	ErrServerGone = errors.New("the server is gone")
	// ErrReplaced: something else now sits at the path (a restarted server?),
	// so sockscope left it alone; the error says what to run by hand.
	ErrReplaced = errors.New("the path was replaced")
)

// Takeover is a socket path held by sockscope. Create it with Take; call
// Restore exactly when sockscope stops using it (calling it again is harmless).
type Takeover struct {
	// Path is the socket path that clients connect to, as given to Take.
	Path string
	// Moved is where the server's socket now lives, in the same directory:
	// sockscope forwards every connection to it.
	Moved string
	// Marker is the JSON file beside Path that records the take-over, so a
	// later run can undo it after a crash.
	Marker string
	// Listener listens at Path, and its Addr is Path (not the temporary
	// name it was made under). Restore closes it; it never unlinks a file on
	// its own.
	Listener net.Listener
	// Notes are things the user should be told, such as a leftover take-over
	// restored first, or an owner that could not be copied. Often empty.
	Notes []string

	tmp    string // our socket's name before it was renamed into Path
	ino    fileID // identity of our socket file, to never remove someone else's
	server made   // the server's socket as Take found it
	mu     sync.Mutex
	done   bool
	did    string // what Restore did (Did)
	err    error  // what Restore said, said again by the calls after it
}

// Did says, in one line for the user, what Restore did: for instance "put
// the server's socket back at /run/app.sock", or, with ErrServerGone, "the
// server at /run/app.sock stopped meanwhile; removed its stale socket". It
// is empty before Restore was called, and when Restore could do nothing:
// then its error says why, and what to run by hand.
func (t *Takeover) Did() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.did
}

// fileID identifies a file on a machine.
type fileID struct {
	Dev uint64 `json:"dev"`
	Ino uint64 `json:"ino"`
}

// made identifies a socket file over time: its fileID, and when it was
// made (its modification time, which links, renames and chmod keep). A
// freed inode number soon is another file's: ext4 gives it to the next
// socket made in the directory.
type made struct {
	fileID
	Mtime int64 `json:"mtime"` // Unix nanoseconds
}
