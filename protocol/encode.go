package protocol

import "strconv"

// Encoder is the writer half of a framing: it frames payloads the way one
// direction of a stream frames them.
type Encoder struct {
	Framing Framing
	// CRLF ends lines with "\r\n" instead of "\n" (FramingLines).
	CRLF bool
}

// EncoderOf returns the Encoder that frames as frame f was framed with
// framing: lines keep their line ending. FramingAuto (not yet detected)
// frames as lines.
func EncoderOf(framing Framing, f Frame) Encoder {
	return Encoder{Framing: framing, CRLF: framing != FramingContentLength && f.Wire == f.Size+2}
}

// Append appends payload, framed, to dst: a line with its ending, a body
// with its Content-Length header, raw bytes as they are. A line payload must
// not hold a newline of its own (compact JSON never does).
func (e Encoder) Append(dst, payload []byte) []byte {
	switch e.Framing {
	case FramingContentLength:
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, int64(len(payload)), 10)
		dst = append(dst, "\r\n\r\n"...)
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
