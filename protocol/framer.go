package protocol

// errMidFrame is Frame.Err for a partial frame emitted by Flush.
const errMidFrame = "stream ended mid-frame"

// NewFramer returns a Framer for f that keeps at most maxFrame bytes of any
// frame's payload (if maxFrame <= 0, DefaultMaxFrame). An unknown framing
// passes chunks through raw.
func NewFramer(f Framing, maxFrame int) Framer {
	return newFramer(f, maxFrame, nil)
}

// NewFramerPair returns the framers of a connection's two directions (C2S,
// S2C), which share what one needs of the other: an HTTP response to HEAD
// has no body.
func NewFramerPair(f Framing, maxFrame int) [2]Framer {
	link := &httpLink{}
	return [2]Framer{newFramer(f, maxFrame, link), newFramer(f, maxFrame, link)}
}

func newFramer(f Framing, maxFrame int, link *httpLink) Framer {
	if maxFrame <= 0 {
		maxFrame = DefaultMaxFrame
	}
	switch f {
	case FramingAuto:
		return &autoFramer{max: maxFrame, link: link}
	case FramingHTTP:
		return newHTTPFramer(maxFrame, link)
	case FramingRESP:
		return &respFramer{g: gather{max: maxFrame, limit: maxFrame}}
	case FramingMsgpack:
		return &msgpackFramer{g: gather{max: maxFrame, limit: maxFrame}}
	case FramingVarlink:
		return &nulFramer{max: maxFrame}
	case FramingLines:
		return &linesFramer{max: maxFrame}
	case FramingContentLength:
		return &clFramer{max: maxFrame}
	}
	return &rawFramer{max: maxFrame}
}

// keepBuf bounds the buffer a framer keeps, once a frame that spanned
// chunks is emitted, for gathering the next one: a larger one is let go, so
// that a stream that once carried a huge frame does not keep its memory.
const keepBuf = 64 << 10

// pender is implemented by every framer in this package: pending reports
// how many bytes fed so far belong to no emitted frame yet. Tests use it to
// check that Wire accounts for every byte.
type pender interface {
	pending() int
}

// appendCap appends p to buf but keeps at most limit bytes in all. The
// capacity grows geometrically as bytes arrive and never exceeds limit, so
// a frame's buffer is never larger than the frame cap.
func appendCap(buf, p []byte, limit int) []byte {
	room := limit - len(buf)
	if room <= 0 || len(p) == 0 {
		return buf
	}
	if len(p) > room {
		p = p[:room]
	}
	if need := len(buf) + len(p); need > cap(buf) {
		c := max(2*cap(buf), need, 512)
		c = min(c, limit)
		nb := make([]byte, len(buf), c)
		copy(nb, buf)
		buf = nb
	}
	return append(buf, p...)
}

// capped returns p limited to n bytes, with its capacity clipped so that a
// receiver appending to it can never write into the bytes after it.
func capped(p []byte, n int) []byte {
	if len(p) > n {
		return p[:n:n]
	}
	return p[:len(p):len(p)]
}
