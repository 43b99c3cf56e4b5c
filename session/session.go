// Package session writes and reads sockscope session files: the record of
// every connection and frame that `sockscope --record FILE` keeps, which
// `sockscope restore FILE` shows again later.
//
// Recording, from the one goroutine that observes the traffic:
//
//	rec, err := session.Create(path, session.Header{Started: time.Now(), Upstream: up, Listen: ln, Framing: "auto", IDFields: ids})
//	...
//	rec.Open(conn, at, client, listen, upstream, pid, uid, process, own)
//	rec.Frame(conn, protocol.C2S, at, frame, protocol.FramingLines, session.Marks{})
//	rec.Flush() // every ~100 ms
//	...
//	err = rec.End(time.Now(), droppedEvents, droppedBytes)
//
// Reading:
//
//	recs, err := session.ReadFile(path)
//
// The file is JSON Lines, one record per line, append-only; the README
// describes it exactly. The package knows no socket, store or screen.
package session

import (
	"errors"
	"time"

	"sockscope/protocol"
)

// FormatName is the "format" member of every header line.
const FormatName = "sockscope-session"

// FormatVersion is the version this package writes and the newest it reads.
// It changes only when an old reader would misread a new file; new members
// and new record types do not change it (readers ignore what they don't know).
const FormatVersion = 1

// MaxLine bounds one line when reading. A recorded frame is bounded by the
// observer's frame cap (protocol.DefaultMaxFrame, 1 MiB); escaped as JSON it
// takes at most six times that.
const MaxLine = 64 << 20

// Record types, the "type" member of each line.
const (
	TypeHeader = "header" // starts a segment: one run of sockscope
	TypeOpen   = "open"   // a client connected
	TypeFrame  = "frame"  // one frame, in one direction
	TypeGap    = "gap"    // bytes the observer dropped and never saw
	TypeClose  = "close"  // a connection ended
	TypeEnd    = "end"    // the segment ended cleanly
)

// ErrTruncated reports a line cut short, as a crash in the middle of a
// write leaves it. It is not a hard error: every complete record is still
// read, and Reader.Next may be called again.
var ErrTruncated = errors.New("session: last record cut short (sockscope did not exit cleanly)")

// ErrBadRecord reports a line past the header that is no record this
// version can read (not JSON, members of the wrong kind, too long): the
// file was damaged, or written by hand. Reading carries on with the next
// line.
var ErrBadRecord = errors.New("session: unreadable record")

// Header starts a segment of a session file: the settings of one run.
type Header struct {
	// Version is the format version of the segment (FormatVersion when
	// writing; Create ignores this field).
	Version int
	// Started is when the run began.
	Started time.Time
	// Upstream and Listen are the addresses as given on the command line.
	Upstream, Listen string
	// Framing is the --framing setting ("auto", "lines", ...).
	Framing string
	// IDFields are the JSON members that carry request ids (--id).
	IDFields []string
}

// Record is one line of a session file. Type says which fields are used;
// the others are zero.
type Record struct {
	// Type is one of the Type constants.
	Type string
	// Conn is the connection (open, frame, gap, close).
	Conn uint64
	// Dir is the direction (frame, gap).
	Dir protocol.Dir
	// At is when it happened, in UTC (for a header, its Started time).
	At time.Time

	// Data is the frame payload exactly as read, without delimiters or
	// headers (frame); never nil for a frame. It may be shorter than Size.
	Data []byte
	// Size is the true payload size and Wire the bytes the frame took on
	// the wire, delimiters and headers included (frame).
	Size, Wire int
	// Truncated is set when only the first len(Data) bytes were kept
	// (frame).
	Truncated bool
	// Whole, for a truncated frame, is what the decoder that recorded it
	// classified it as from all of its bytes, when the recording says
	// (recordings made before 2026-12-05 do not): a reply's id may come
	// after the bytes kept.
	Whole *protocol.Info
	// Marks say what sockscope did to the frame (frame).
	Marks
	// Framing is how the frame was cut: "lines", "content-length", "raw",
	// or "auto" if the framing was not yet detected (frame).
	Framing string
	// Err is why the framer flagged the frame (frame), or why the
	// connection ended, empty for a clean end and event.OpenAtExit ("open
	// at exit") for one still open when sockscope stopped (close).
	Err string

	// Client, Listen, Upstream and Process describe the connection (open).
	Client, Listen, Upstream, Process string
	// PID and UID identify the client process (open); -1 when unknown.
	PID, UID int
	// Own marks a connection sockscope opened itself (open): its client
	// was sockscope, and everything it sent is marked injected.
	Own bool

	// Bytes is how many bytes the observer dropped (gap).
	Bytes int64

	// DroppedEvents and DroppedBytes are the run's totals of what the
	// observer never saw (end).
	DroppedEvents, DroppedBytes uint64
	// Next, for the end of a file of a rotating recording, names the file
	// (in the same directory) the recording continues in; the run goes on
	// there, and the file has no drop totals. Empty at the end of a run.
	Next string

	// Header is set for header records.
	Header *Header
}

// Marks say what sockscope did to a frame, so that a recording says what
// each peer really received, and when the frame began.
type Marks struct {
	// Injected: sockscope wrote the frame itself (an injected or resent
	// message); the peer it went to received it, the other never sent it.
	Injected bool `json:"injected,omitempty"`
	// Withheld: a peer sent the frame and sockscope did not pass it on
	// (the reply to a request it injected).
	Withheld bool `json:"withheld,omitempty"`
	// Note: what else sockscope did to the frame on its way (held, edited
	// with the diff, dropped, fabricated, by which rule).
	Note *protocol.Note `json:"-"`
	// Began, if not zero, is when the frame's first bytes were read, in an
	// earlier read than its last (At): a frame of a protocol paired by
	// order (HTTP/1.1, RESP, varlink), whose reply may be read before the
	// request is all in (an HTTP server's 413 before the body) and is then
	// timed from there. Zero for any other.
	Began time.Time `json:"-"`
}
