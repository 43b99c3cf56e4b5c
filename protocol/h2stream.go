package protocol

import (
	"bytes"
	"encoding/binary"
)

// H2Stream gathers what one direction of an HTTP/2 stream carries after
// its header block (a request's or a response's): its body, the data of
// its DATA frames (padding removed), and how the direction ended. Give it
// the messages of the connection that come after the block, in order
// (Add), until it says it is done.
type H2Stream struct {
	// Stream and Dir are the stream and the direction gathered.
	Stream uint32
	Dir    Dir
	// Max bounds the bytes of the body kept in Body.
	Max int
	// Body is the body, as far as it was kept (at most Max bytes); Size
	// counts all of its bytes, those not seen or not kept too.
	Body []byte
	Size int
	// Unseen is set when some of the body's bytes were not seen: a DATA
	// frame was kept truncated (over --max-frame), or a gap went through
	// it.
	Unseen bool
	// Ended is set when the direction ended (END_STREAM); Reset, when
	// the stream was reset first (RST_STREAM, from either peer), holds
	// that frame's name ("RST_STREAM CANCEL").
	Ended bool
	Reset string
	// Trailers are the fields of the trailers that ended the direction (a
	// header block after its DATA frames), as its framer decoded them;
	// TrailersErr says why they were not ("" when there were none).
	Trailers    []HTTPHeader
	TrailersErr string
}

// NewH2Stream returns the H2Stream of the direction of m, an HTTP/2 header
// block's message (a request, a response), which ends it already when
// the block ends the stream (END_STREAM); ok is false when m is no
// header block.
func NewH2Stream(m *Message, max int) (*H2Stream, bool) {
	f, ok := parseH2(m.Frame.Data)
	if !ok || f.typ != h2Headers {
		return nil, false
	}
	return &H2Stream{Stream: f.stream, Dir: m.Dir, Max: max, Ended: f.flags&0x1 != 0}, true
}

// Done reports whether the direction ended, or the stream was reset.
func (s *H2Stream) Done() bool { return s.Ended || s.Reset != "" }

// Add takes m, the next message of the stream's connection, and reports
// whether it was of the stream's direction (a DATA frame, trailers) or
// reset the stream: what it carries is added.
func (s *H2Stream) Add(m *Message) bool {
	if m.Framing != FramingHTTP2 || s.Done() {
		return false
	}
	f, ok := parseH2(m.Frame.Data)
	if !ok || f.stream != s.Stream {
		return false
	}
	switch {
	case f.typ == h2RSTStream && len(f.payload) >= 4:
		s.Reset = string(h2ErrorName(h2RSTStream, binary.BigEndian.Uint32(f.payload)))
		return true
	case m.Dir != s.Dir:
		return false
	case f.typ == h2Data:
		p, n := f.payload, f.length
		if f.flags&0x8 != 0 && len(p) > 0 { // padded: its length first, the padding last
			pad := int(p[0])
			p, n = p[1:], max(n-1-pad, 0)
		}
		if len(p) > n {
			p = p[:n]
		}
		if len(p) < n || m.Frame.Truncated || IsGapErr(m.Frame.Err) {
			s.Unseen = true
		}
		s.Size += n
		if k := min(len(p), s.Max-len(s.Body)); k > 0 {
			s.Body = append(s.Body, p[:k]...)
		}
	case f.typ == h2Headers: // trailers, which end it
		if b, ok := ParseH2Block(bytes.Clone(m.Frame.Fields)); ok {
			s.Trailers, s.TrailersErr = b.Fields, b.Err
		} else {
			s.TrailersErr = "not decoded"
		}
	default: // the other frames are not the stream's
		return false
	}
	s.Ended = f.flags&0x1 != 0
	return true
}
