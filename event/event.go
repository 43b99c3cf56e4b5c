// Package event is the one event type that every source of traffic
// produces (the relay, a session file, a child's stdio, a replay client)
// and the observer consumes, with the bounded Queue between them. It
// belongs to neither side.
package event

import (
	"errors"
	"time"

	"sockscope/protocol"
)

// OpenAtExit is the reason a connection's end gives when it was still open
// as sockscope stopped (q, Ctrl-C, a signal) and sockscope closed it: it
// did not fail. The observer, its sinks and the store tell it from a
// failure by this text; a session file records it so.
const OpenAtExit = "open at exit"

// ErrStopped is the Close Err of a connection sockscope closed as it
// stopped. Its text is OpenAtExit.
var ErrStopped = errors.New(OpenAtExit)

// Type says what an Event reports.
type Type uint8

const (
	// Open: a client connected. Peer is set. Sent before any data of
	// the connection.
	Open Type = iota
	// Data: bytes were read in direction Dir and forwarded.
	Data
	// Close: the connection ended. Sent once per connection, after all
	// its data; Err is nil for a clean end (both sides closed), ErrStopped
	// when sockscope closed it as it stopped, or says what went wrong
	// (upstream unreachable, a reset, ...).
	Close
)

// Event is what a source tells the observer. Events of one connection
// arrive in order per direction; the two directions are relayed in
// parallel, so order between them is by At, not by arrival.
type Event struct {
	Type Type
	Conn uint64
	Dir  protocol.Dir
	// At is when the bytes were read (Data), or when the connection
	// opened or closed.
	At time.Time
	// Data holds the bytes read (Data). They were already forwarded;
	// the relay never touches them again until the receiver calls Release.
	Data []byte
	// Gap counts bytes of this direction that were dropped (queue full)
	// just before Data; the receiver should resynchronise its framing.
	Gap int64
	// Whole says the Gap was whole frames (a feed that skipped a viewer
	// ahead): the framing goes on where it was, nothing to resynchronise.
	Whole bool
	// More (Data from a recording or a feed) says the next event is of the
	// same read: the frames of one read are recorded one by one, and the
	// observer settles what the read leaves unanswered once, after its
	// last frame, as the live decoder did with the read in one event.
	More bool
	// Cut (Data from a recording or a feed) is what the recording did not
	// keep of the frame ending Data (a frame truncated at the cap, or that
	// a gap went through); zero if it kept all: the framer is to count it
	// in and end the frame, not wait for it.
	Cut protocol.Cut
	// TailGaps (Close) counts, by protocol.Dir, the bytes dropped
	// after the last Data kept, which no Data came after to carry in Gap.
	TailGaps [2]int64
	// Peer describes the connection (Open).
	Peer *Peer
	// Err is why the connection ended (Close), nil for a clean end.
	Err error
	// Injected marks Data that sockscope itself wrote into the stream
	// (an injected or resent message) rather than bytes read from a peer.
	Injected bool
	// Withheld marks Data a peer sent that sockscope did not pass on (the
	// reply to a request sockscope injected): the other peer never got it.
	Withheld bool
	// Note, if not nil, says what else sockscope did to the frames of Data
	// (held, edited, dropped, fabricated, by which rule).
	Note *protocol.Note

	// Buf, if set, is what Data was cut from, and the source reuses it once
	// every event cut from it is released (Release).
	Buf Buffer
}

// Buffer is a source's reusable memory that Data events are cut from.
type Buffer interface {
	// Release drops one event's reference to the buffer.
	Release()
}

// Release tells the source that the receiver is done with a Data event's
// bytes: the memory they are in may be reused for later reads, so ev.Data
// must not be read after it, in any copy of the event. Calling it is
// optional (bytes never released are garbage collected instead); call it
// once per event taken from the Queue. It is a no-op for other events and
// on a copy already released.
func (ev *Event) Release() {
	if ev.Buf != nil {
		ev.Buf.Release()
		ev.Buf = nil
	}
}

// Peer describes both ends of a connection.
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
	// Own marks a connection sockscope opened itself: its client is
	// sockscope.
	Own bool
	// Process is the client's process name, if known: the relay reads it
	// as it accepts the connection, while a short-lived client is still
	// there (proxy's acceptName).
	Process string
}
