package proxy

import (
	"time"

	"sockscope/protocol"
)

// EventType says what an Event reports.
type EventType uint8

const (
	// EventOpen: a client connected. Peer is set. Sent before any data of
	// the connection.
	EventOpen EventType = iota
	// EventData: bytes were read in direction Dir and forwarded.
	EventData
	// EventClose: the connection ended. Sent once per connection, after all
	// its data; Err is nil for a clean end (both sides closed) or says what
	// went wrong (upstream unreachable, a reset, ...).
	EventClose
)

// Event is what the relay tells its observer. Events of one connection
// arrive in order per direction; the two directions are relayed in
// parallel, so order between them is by At, not by arrival.
type Event struct {
	Type EventType
	Conn uint64
	Dir  protocol.Dir
	// At is when the bytes were read (EventData), or when the connection
	// opened or closed.
	At time.Time
	// Data holds the bytes read (EventData). They were already forwarded;
	// the relay never touches them again until the receiver calls Release.
	Data []byte
	// Gap counts bytes of this direction that were dropped (queue full)
	// just before Data; the receiver should resynchronise its framing.
	Gap int64
	// TailGaps (EventClose) counts, by protocol.Dir, the bytes dropped
	// after the last Data kept, which no Data came after to carry in Gap.
	TailGaps [2]int64
	// Peer describes the connection (EventOpen).
	Peer *Peer
	// Err is why the connection ended (EventClose), nil for a clean end.
	Err error
	// Injected marks Data that sockscope itself wrote into the stream
	// (Conn.Inject) rather than bytes read from a peer.
	Injected bool

	slab *slab // what Data was cut from, if it is to be reused
}

// Peer describes both ends of a relayed connection.
type Peer struct {
	// Client is the client's address as the listener saw it ("@" or empty
	// for unnamed Unix sockets).
	Client string
	// Listen is the address the client connected to.
	Listen string
	// Upstream is the address dialled for this client.
	Upstream string
	// PID and UID identify the client process where the OS tells
	// (SO_PEERCRED on Linux, LOCAL_PEERCRED on macOS, the pid alone from
	// GetNamedPipeClientProcessId on a Windows named pipe); -1 when unknown.
	PID, UID int
	// Process is the client's process name, if known. The relay leaves it
	// empty (reading it is slow); observers fill it in with ProcessName.
	Process string
}
