package protocol

import "bytes"

// httpMethods are the request methods that mark a stream as HTTP.
var httpMethods = [...]string{"GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE ", "HTTP/1."}

// detectProfile looks at the first bytes of a stream (rest, after leading
// whitespace; p, all of them) for the protocols beyond plain JSON: HTTP/1.1
// by its request or status line, RESP by a type line ending "\r\n",
// msgpack-RPC by its array header and message type, varlink by a JSON
// object ended by NUL before any newline. sure is false when none of them
// applies, so that detect goes on; ok is false while it needs more bytes.
func detectProfile(p, rest []byte) (f Framing, ok, sure bool) {
	switch c := rest[0]; {
	case c == 0x93 || c == 0x94:
		if len(rest) < 2 {
			return FramingAuto, false, true
		}
		if rest[1] <= 2 {
			return FramingMsgpack, true, true
		}
		return 0, false, false
	case c == '{':
		window := p[:min(len(p), autoWindow)]
		if i := bytes.IndexAny(window, "\x00\n"); i >= 0 {
			if window[i] == 0 {
				return FramingVarlink, true, true
			}
			return FramingLines, true, true
		}
		if len(p) < autoWindow {
			return FramingAuto, false, true
		}
		return FramingLines, true, true
	case c >= 'A' && c <= 'Z':
		for _, m := range httpMethods {
			n := min(len(m), len(rest))
			if string(rest[:n]) == m[:n] {
				if n < len(m) {
					return FramingAuto, false, true
				}
				return FramingHTTP, true, true
			}
		}
	case bytes.IndexByte([]byte("*+-:$%>_#,(=!|~"), c) >= 0:
		window := rest[:min(len(rest), autoWindow)]
		i := bytes.IndexByte(window, '\n')
		if i < 0 {
			if len(p) < autoWindow {
				return FramingAuto, false, true
			}
			return 0, false, false
		}
		if i >= 2 && window[i-1] == '\r' && respLine(window[:i-1]) {
			return FramingRESP, true, true
		}
	}
	return 0, false, false
}

// respLine reports whether line (without "\r\n") is a RESP type line.
func respLine(line []byte) bool {
	switch line[0] {
	case '+', '-':
		return looksText(line[1:])
	case ':', '(':
		_, ok := respInt(bytes.TrimPrefix(line[1:], []byte("-")))
		return ok
	case '_':
		return len(line) == 1
	case '#':
		return string(line) == "#t" || string(line) == "#f"
	case ',':
		return len(line) > 1
	}
	_, ok := respInt(line[1:])
	return ok
}
