package protocol

import (
	"bytes"
	"unicode/utf8"
)

// autoWindow bounds what the auto framer looks at to decide: leading
// whitespace it waits through, and where a first '\n' must be for a
// stream to count as lines of text.
const autoWindow = 4 << 10

// autoFramer decides the framing from the first non-whitespace bytes of a
// stream, then hands everything to a framer of that kind. Until it has
// decided it holds only leading whitespace and a partial "Content-Length:".
type autoFramer struct {
	out   outFrame // the frame being emitted
	max   int
	link  *httpLink // shared with the connection's other direction
	ids   []string
	inner Framer
	held  []byte
	// reset is set by Reset: the next framer starts mid-stream and must
	// resynchronise.
	reset bool
	// dir is the direction the framer cuts, if dirSet (NewFramerPair):
	// an HTTP/2 framer is told it (and an HTTP one, for an h2c upgrade).
	dir    Dir
	dirSet bool
}

// Feed implements Framer.
func (a *autoFramer) Feed(chunk []byte, emit func(*Frame)) {
	if a.inner == nil {
		view := chunk
		if len(a.held) > 0 {
			view = append(a.held[:len(a.held):len(a.held)], chunk[:min(len(chunk), autoWindow)]...)
		}
		f, ok := detectAfter(view, a.link != nil && a.link.otherSpoke(a))
		if !ok {
			a.held = append(a.held, chunk...)
			return
		}
		a.decide(f, emit)
	}
	a.inner.Feed(chunk, emit)
}

// decide hands the stream to a framer of framing f, which is fed the
// bytes held until then.
func (a *autoFramer) decide(f Framing, emit func(*Frame)) {
	if a.link != nil {
		a.link.decided(a, f)
	}
	a.inner = newFramer(f, a.max, a.link, a.ids)
	if a.dirSet {
		setDir(a.inner, a.dir)
	}
	if a.reset {
		a.inner.Reset()
		a.reset = false
	}
	if held := a.held; len(held) > 0 {
		a.held = nil // the inner framer may alias it
		a.inner.Feed(held, emit)
	}
}

// detect picks the framing for a stream that begins with p, or reports
// that it needs more bytes to tell. It waits only for leading whitespace
// (up to autoWindow) and for the rest of a partial "Content-Length:".
func detect(p []byte) (Framing, bool) { return detectAfter(p, false) }

// detectAfter is detect for a stream whose connection's other direction
// spoke first, and not RESP, when otherSpoke is set: lines of text that
// read as Redis inline commands ended by a bare "\n" are not RESP then.
func detectAfter(p []byte, otherSpoke bool) (Framing, bool) {
	i := 0
	for i < len(p) && isSpace(p[i]) {
		i++
	}
	if i == len(p) {
		if len(p) < autoWindow {
			return FramingAuto, false
		}
		return FramingLines, true
	}
	rest := p[i:]
	if f, ok, sure := detectProfile(p, rest, otherSpoke); sure {
		return f, ok
	}
	n := 0
	for n < len(rest) && n < len(clPrefix) && lower(rest[n]) == clPrefix[n] {
		n++
	}
	switch {
	case n == len(clPrefix):
		return FramingContentLength, true
	case n == len(rest):
		return FramingAuto, false
	case rest[0] == '{' || rest[0] == '[':
		return FramingLines, true
	}
	window := p[:min(len(p), autoWindow)]
	if j := bytes.IndexByte(window, '\n'); j >= 0 && looksText(window[:j]) {
		return FramingLines, true
	}
	return FramingRaw, true
}

// looksText reports whether p is valid UTF-8 without control characters
// other than tab, CR and ESC.
func looksText(p []byte) bool {
	for _, b := range p {
		if (b < 0x20 && b != '\t' && b != '\r' && b != 0x1b) || b == 0x7f {
			return false
		}
	}
	return utf8.Valid(p)
}

// Flush implements Framer. Bytes held before a decision are emitted as
// one frame unless they are only whitespace.
func (a *autoFramer) Flush(emit func(*Frame)) {
	if a.inner != nil {
		a.inner.Flush(emit)
		return
	}
	if len(bytes.TrimSpace(a.held)) > 0 {
		h := a.held
		a.out.emit(emit, Frame{Data: capped(h, a.max), Size: len(h), Wire: len(h), Truncated: len(h) > a.max, Err: ErrMidFrame})
	}
	a.held = nil
}

// Reset implements Framer. A stream decided as lines or content-length
// keeps its framing, which resynchronises at the next frame: after a gap
// the bytes resume mid-frame, where detection would guess wrong (the middle
// of a long JSON line looks like raw bytes). A raw or undecided stream is
// decided again from the bytes that follow.
func (a *autoFramer) Reset() {
	if a.inner != nil && a.inner.Framing() != FramingRaw {
		a.inner.Reset()
		return
	}
	a.inner, a.held, a.reset = nil, nil, true
}

// Framing implements Framer: the decided framing, or FramingAuto before.
func (a *autoFramer) Framing() Framing {
	if a.inner == nil {
		return FramingAuto
	}
	return a.inner.Framing()
}

func (a *autoFramer) pending() int {
	if a.inner == nil {
		return len(a.held)
	}
	return a.inner.(pender).pending()
}
