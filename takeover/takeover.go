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
	// ErrServerGone: the server's moved socket vanished while it was held,
	// so there was nothing to put back; sockscope removed its own socket.
	ErrServerGone = errors.New("the server's socket is gone")
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
	// Listener listens at Path. Restore closes it; it never unlinks a file on
	// its own.
	Listener net.Listener
	// Notes are things the user should be told, such as a leftover take-over
	// restored first, or an owner that could not be copied. Often empty.
	Notes []string

	tmp  string // our socket's name before it was renamed into Path
	ino  fileID // identity of our socket file, to never remove someone else's
	mu   sync.Mutex
	done bool
}

// fileID identifies a file on a machine.
type fileID struct {
	Dev uint64 `json:"dev"`
	Ino uint64 `json:"ino"`
}
