package protocol

import (
	"bytes"
	"strconv"
)

// Encoder is the writer half of a framing: it frames payloads the way one
// direction of a stream frames them.
type Encoder struct {
	Framing Framing
	// CRLF ends lines with "\r\n" instead of "\n" (FramingLines).
	CRLF bool
	// Head, for FramingContentLength, is the header block of the frame
	// being re-framed (HeadOf), blank line included: Append keeps its
	// lines (a Content-Type, say) in their order and bytes and replaces
	// only the Content-Length value. Empty: "Content-Length: N" alone.
	Head []byte
}

// EncoderOf returns the Encoder that frames as frame f was framed with
// framing: lines keep their line ending. FramingAuto (not yet detected)
// frames as lines.
func EncoderOf(framing Framing, f Frame) Encoder {
	return Encoder{Framing: framing, CRLF: framing != FramingContentLength && f.Wire == f.Size+2}
}

// HeadOf returns a copy of the header block of Content-Length frame f, read
// as wire (the frame as on the wire, header included), for Encoder.Head;
// nil when the header is "Content-Length: N\r\n\r\n" alone (Append writes
// that anyway), or wire does not hold the whole frame.
func HeadOf(wire []byte, f Frame) []byte {
	n := f.Wire - f.Size
	if f.Truncated || f.Err != "" || n <= 0 || len(wire) != f.Wire {
		return nil
	}
	head := wire[:n]
	var plain [40]byte
	if bytes.Equal(head, plainHead(plain[:0], f.Size)) {
		return nil
	}
	if _, reason := parseHeader(head); reason != "" {
		return nil
	}
	return bytes.Clone(head)
}

// plainHead appends the header Content-Length framing writes for a body of
// n bytes when it has no other to follow.
func plainHead(dst []byte, n int) []byte {
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, "\r\n\r\n"...)
}

// appendHead appends head with each Content-Length value replaced by n:
// the name, the spaces around the value and the line ending stay as they
// were.
func appendHead(dst, head []byte, n int) []byte {
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i+1], head[i+1:]
		} else {
			head = nil
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 || !bytes.EqualFold(bytes.TrimSpace(line[:colon]), clName) {
			dst = append(dst, line...)
			continue
		}
		v := line[colon+1:]
		lead := len(v) - len(bytes.TrimLeft(v, " \t"))
		dst = append(dst, line[:colon+1+lead]...)
		dst = strconv.AppendInt(dst, int64(n), 10)
		dst = append(dst, v[len(bytes.TrimRight(v, " \t\r\n")):]...)
	}
	return dst
}

// Append appends payload, framed, to dst: a line with its ending, a body
// with its Content-Length header (Head's lines, if any), raw bytes as they
// are. A line payload must not hold a newline of its own (compact JSON
// never does).
func (e Encoder) Append(dst, payload []byte) []byte {
	switch e.Framing {
	case FramingContentLength:
		if len(e.Head) > 0 {
			dst = appendHead(dst, e.Head, len(payload))
		} else {
			dst = plainHead(dst, len(payload))
		}
		return append(dst, payload...)
	case FramingRaw, FramingHTTP, FramingRESP, FramingMsgpack, FramingHTTP2:
		return append(dst, payload...) // the frame is the whole message
	case FramingVarlink:
		return append(append(dst, payload...), 0)
	}
	dst = append(dst, payload...)
	if e.CRLF {
		dst = append(dst, '\r')
	}
	return append(dst, '\n')
}
