// Package protocol turns the bytes of one direction of a connection into
// classified messages, and pairs requests with their responses. It is pure:
// bytes in, messages out; it knows no socket, store or screen.
//
// Typical use, one Framer per connection and direction:
//
//	f := protocol.NewFramer(protocol.FramingAuto, protocol.DefaultMaxFrame)
//	f.Feed(chunk, func(fr *protocol.Frame) {
//		info := protocol.Classify(fr.Data, protocol.DefaultIDFields)
//		...
//	})
package protocol

import (
	"fmt"
	"strings"
	"time"
)

// Limits, said once. Every buffer in this package is bounded by one of them.
const (
	// DefaultMaxFrame is the largest frame payload kept whole; a longer frame
	// is kept truncated to this many bytes together with its true size.
	DefaultMaxFrame = 1 << 20
	// MaxH2Block is the largest HTTP/2 header block (a HEADERS or
	// PUSH_PROMISE frame and its CONTINUATION frames) kept whole when the
	// frame cap is lower: HPACK decodes each block against every block
	// before it in its direction, so a block kept cut leaves all later
	// ones of its direction undecodable in a recording. Peers bound their
	// blocks below this (Go's net/http takes at most 1 MiB of them).
	MaxH2Block = 1 << 20
	// MaxHeaderBytes bounds a Content-Length header block.
	MaxHeaderBytes = 8 << 10
	// DefaultMaxPending bounds the requests awaiting a reply per connection.
	// A pipelining client can have tens of thousands in flight.
	DefaultMaxPending = 100_000
)

// DefaultIDFields are the JSON members that carry a request id, in the order
// they are tried: the seed protocol's rid, then JSON-RPC's and QMP's id.
var DefaultIDFields = []string{"rid", "id", "request_id"}

// Dir is the direction a frame travelled.
type Dir uint8

const (
	// C2S is client to server (towards the upstream).
	C2S Dir = iota
	// S2C is server to client.
	S2C
)

// String returns "c2s" or "s2c".
func (d Dir) String() string {
	if d == S2C {
		return "s2c"
	}
	return "c2s"
}

// Opposite returns the other direction.
func (d Dir) Opposite() Dir { return 1 - d }

// ParseDir parses "c2s" or "s2c".
func ParseDir(s string) (Dir, error) {
	switch s {
	case "c2s":
		return C2S, nil
	case "s2c":
		return S2C, nil
	}
	return 0, fmt.Errorf("direction %q: want c2s or s2c", s)
}

// Framing says how a byte stream is cut into frames.
type Framing uint8

const (
	// FramingAuto detects the framing from the first bytes of each direction.
	FramingAuto Framing = iota
	// FramingLines cuts on '\n' (a preceding '\r' is dropped from the payload).
	FramingLines
	// FramingContentLength reads LSP/DAP "Content-Length: N\r\n\r\n" frames.
	FramingContentLength
	// FramingRaw passes each chunk through as one frame.
	FramingRaw
	// FramingHTTP cuts HTTP/1.1 requests and responses (head and body).
	FramingHTTP
	// FramingRESP cuts Redis RESP2/RESP3 values.
	FramingRESP
	// FramingMsgpack cuts msgpack values (msgpack-RPC, Neovim's API).
	FramingMsgpack
	// FramingVarlink cuts NUL-terminated JSON (varlink).
	FramingVarlink
	// FramingHTTP2 cuts HTTP/2 with prior knowledge into its frames (the
	// client's preface one of them); an HTTP/1.1 stream upgraded to h2c
	// is cut so too, by FramingHTTP's framer.
	FramingHTTP2
)

var framingNames = [...]string{"auto", "lines", "content-length", "raw", "http", "resp", "msgpack-rpc", "varlink", "http2"}

// String returns the command-line name of the framing.
func (f Framing) String() string {
	if int(f) < len(framingNames) {
		return framingNames[f]
	}
	return fmt.Sprintf("framing(%d)", f)
}

// ParseFraming parses a command-line framing name.
func ParseFraming(s string) (Framing, error) {
	for i, n := range framingNames {
		if s == n {
			return Framing(i), nil
		}
	}
	return 0, fmt.Errorf("framing %q: want one of %s", s, FramingNames())
}

// FramingNames lists the framings' names, as ParseFraming takes them.
func FramingNames() string { return strings.Join(framingNames[:], ", ") }

// Frame is one message cut from a stream.
type Frame struct {
	// Data is the payload (for Content-Length framing, the body without its
	// headers; for lines, without the "\n" or "\r\n"). It may be shorter
	// than Size when the frame was over the cap. Data may alias the chunk
	// given to Feed, or a buffer of the framer's own that it reuses: it is
	// valid until the next call to the framer (and no longer than the
	// chunk), so a receiver that keeps it must copy it.
	Data []byte
	// Size is the true payload size.
	Size int
	// Wire is how many bytes the frame took on the wire, delimiters and
	// headers included.
	Wire int
	// Truncated is true when len(Data) < Size.
	Truncated bool
	// Err, when not empty, says why the framer could not frame these bytes
	// (a bad header, a partial frame at end of stream); the bytes are in Data
	// as raw.
	Err string
	// Whole, for a frame longer than the cap, is what the whole frame is,
	// classified from all its bytes as they passed (Data holds only the
	// first of them); for an HTTP/2 header block a framer decoded
	// (Fields), what it is by its fields; nil otherwise: the receiver
	// classifies Data. It lives as long as Data; its ID and Method may
	// alias the framer's buffers.
	Whole *Info
	// Fields, for an HTTP/2 header block (a HEADERS or PUSH_PROMISE frame
	// and its CONTINUATION frames) whose framer decoded HPACK, is what it
	// decoded, or why it could not: ParseH2Block reads it. A header block
	// is compressed against the blocks before it on its connection and
	// direction, so its bytes alone do not say it. nil for every other
	// frame; when set, so is Whole. It lives as long as Data.
	Fields []byte
}

// Framer cuts one direction of a stream into frames. Framers are push-style:
// feed chunks as they are read; one read may hold half a frame or many.
type Framer interface {
	// Feed consumes the next chunk and calls emit for every frame it
	// completes, in order. The *Frame is the framer's own, valid until emit
	// returns: a receiver that keeps the frame copies it (*f), and never
	// writes through the pointer. Frame.Data may alias chunk, so the caller
	// must not modify chunk while the frames are in use; the framer itself
	// keeps no reference to chunk once Feed returns (what it holds of a
	// partial frame is a copy), so the caller may then reuse it. A frame's
	// Data is valid until the next call to the framer.
	//
	// Framing returns the same value from before a Feed's first emit to
	// the end of that Feed (an auto framer decides before it emits), so a
	// receiver may ask once per call; but for an HTTP/1.1 stream upgraded
	// to h2c, whose framing is FramingHTTP2 from the first frame of HTTP/2
	// on, which carries Whole: a receiver asks again at a frame with Whole.
	Feed(chunk []byte, emit func(*Frame))
	// Flush emits what is left of a partial frame at the end of the stream,
	// with a reason in Err; emit and Framing are as for Feed.
	Flush(emit func(*Frame))
	// Reset discards a partial frame after a gap in the stream (bytes the
	// observer never saw); framing resynchronises at the next frame.
	Reset()
	// Framing says how the stream is being cut: never FramingAuto once an
	// auto framer has decided.
	Framing() Framing
}

// Kind is what a message is, decided by its shape.
type Kind uint8

const (
	// KindRaw is a frame that is not JSON (or not valid JSON); Info.Err says why.
	KindRaw Kind = iota
	// KindRequest carries an id and a method (seed rid+method, JSON-RPC
	// id+method, QMP execute+id, DAP type:request).
	KindRequest
	// KindResponse carries an id and a result or error (seed rid+success,
	// JSON-RPC id+result|error, QMP return|error+id, DAP type:response).
	KindResponse
	// KindNotification is a message that expects no reply: JSON-RPC
	// notifications, QMP events and greeting, the seed's register message,
	// DAP events.
	KindNotification
	// KindOther is valid JSON of no known shape (the seed's "{}" after a
	// rejected promise is classified as a response without id instead).
	KindOther
)

var kindNames = [...]string{"raw", "request", "response", "notification", "other"}

// ParseKind returns the kind String names.
func ParseKind(s string) (Kind, bool) {
	for k, name := range kindNames {
		if name == s {
			return Kind(k), true
		}
	}
	return 0, false
}

// String returns the kind's lower-case name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Info is what Classify learns from a frame with a cheap scan. ID and Method
// alias the frame's bytes.
type Info struct {
	Kind Kind
	// ID is the raw JSON token of the id (e.g. `1`, `"1"`, `{"a":1}`), nil
	// when there is none. A Pairer compares ids as JSON values: key order,
	// escapes, whitespace and number spellings aside (1 and 1.0 pair), but
	// 1 and "1" differ.
	ID []byte
	// Method is the method, command, QMP execute or event name, or
	// "register" for the seed's registration: text, a JSON string's
	// escapes read ("textDocument\\/hover" is textDocument/hover).
	Method []byte
	// IsError is set for responses that report failure (seed success:false,
	// an "error" member) and for DAP success:false.
	IsError bool
	// Continues marks a reply that more replies to the same call follow
	// (varlink's "continues": true): it does not end its exchange.
	Continues bool
	// ByOrder marks a request or reply, of a protocol paired by id, that
	// has no id of its own and pairs by order instead: mpv's command
	// without a request_id (or with 0), and its reply, whose request_id
	// is 0.
	ByOrder bool
	// Err, for KindRaw, says why the frame is not JSON.
	Err string
}

// SetRaw makes i the Info of a raw frame, why being the reason: nothing of
// what its bytes looked like (a method, an id, an error) stays, so that a
// raw frame is never listed, filtered or paired as a message it is not.
func (i *Info) SetRaw(why string) { *i = Info{Kind: KindRaw, Err: why} }

// Message is one classified frame of a connection.
type Message struct {
	// Seq is assigned by the store; 0 until stored.
	Seq  uint64
	Conn uint64
	Dir  Dir
	// At is when the frame's last byte was read by the relay.
	At    time.Time
	Frame Frame
	Info  Info
	// Framing is how the frame was cut (the framing detected; FramingAuto
	// when not known): it says which profile's JSON view shows it (see
	// ViewOf).
	Framing Framing
	// Injected marks a frame sockscope wrote itself: the peer it went to
	// received it, the other peer never sent it.
	Injected bool
	// Withheld marks a frame a peer sent that sockscope did not pass on
	// (the reply to a request it injected).
	Withheld bool
	// Note, if not nil, says what else sockscope did to the frame (held,
	// edited, dropped, fabricated, by which rule).
	Note *Note
	// IntID is Info.ID's IntID when the classifier found it (Memo.TakeIntID),
	// for the Pairer; 0 when it did not.
	IntID IntID
}

// Status is where an exchange stands.
type Status uint8

const (
	// StatusNone is for rows that expect no reply (notifications, raw frames).
	StatusNone Status = iota
	// StatusPending waits for a reply.
	StatusPending
	// StatusOK was answered with success.
	StatusOK
	// StatusError was answered with an error.
	StatusError
	// StatusNoReply was still pending when the connection closed (or was
	// pushed out by the pending-request bound).
	StatusNoReply
	// StatusOrphan is a response that matches no request.
	StatusOrphan
)

var statusNames = [...]string{"", "pending", "ok", "error", "no-reply", "orphan"}

// String returns the status as --dump writes it.
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", s)
}
