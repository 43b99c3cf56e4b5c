package protocol

import (
	"encoding/json"
)

// HasView reports whether frames cut with framing f are shown through a
// JSON view of their own (HTTP, RESP, msgpack-RPC) rather than as the
// JSON they are.
func HasView(f Framing) bool {
	p := ProfileOf(f)
	return p != nil && p.View != nil
}

// ViewOf appends the JSON view of message m to dst (see Profile.View) and
// reports whether it has one: its framing has a view, the frame is whole
// and classified, and it decodes to valid JSON. The message's bytes are
// not touched. On false, dst is returned as it was.
func ViewOf(dst []byte, m *Message) ([]byte, bool) {
	p := ProfileOf(m.Framing)
	if p == nil || p.View == nil || m.Frame.Truncated || m.Info.Err != "" || len(m.Frame.Data) == 0 {
		return dst, false
	}
	n := len(dst)
	out, err := AppendView(dst, m.Framing, &m.Frame)
	if err != nil || !json.Valid(out[n:]) {
		return out[:n], false
	}
	return out, true
}

// AppendView appends the JSON view of frame fr, cut with framing f, to
// dst (see Profile.View): for an HTTP/2 header block, with the fields its
// framer decoded (Frame.Fields). It fails for a framing without a view,
// and on a frame that does not decode.
func AppendView(dst []byte, f Framing, fr *Frame) ([]byte, error) {
	p := ProfileOf(f)
	switch {
	case p == nil || p.View == nil:
		return dst, errView
	case f == FramingHTTP2:
		return viewH2Block(dst, fr.Data, fr.Fields)
	}
	return p.View(dst, fr.Data)
}

// StatusCode returns the HTTP status code of response m (200, 404, …), 0
// when m is not an HTTP response (or an HTTP/2 one whose :status could not
// be read).
func StatusCode(m *Message) int {
	if m.Framing != FramingHTTP && m.Framing != FramingHTTP2 || m.Info.Kind != KindResponse {
		return 0
	}
	return CodeOf(m.Info.Method)
}

// CodeOf returns the status code at the start of an HTTP response's
// method ("404 Not Found"), 0 when it does not start with three digits.
func CodeOf(method []byte) int {
	if len(method) < 3 {
		return 0
	}
	c := 0
	for _, b := range method[:3] {
		if b < '0' || b > '9' {
			return 0
		}
		c = c*10 + int(b-'0')
	}
	if len(method) > 3 && method[3] != ' ' {
		return 0
	}
	return c
}
