package protocol

import (
	"strconv"
	"strings"
)

// ErrMidFrame is Frame.Err for a partial frame emitted by Flush.
const ErrMidFrame = "stream ended mid-frame"

// gapErr begins Frame.Err for a frame some of whose bytes a gap took
// (SkipGap): they passed, and sockscope dropped its copy.
const gapErr = "bytes of it not seen: "

// GapErr is Frame.Err for a frame n of whose bytes sockscope dropped its
// copy of (they were forwarded): the frame is its start, kept whole, and
// its size.
func GapErr(n int) string {
	return strconv.Itoa(n) + " " + gapErr + "sockscope dropped its copy (they were forwarded); what is shown is the message's start"
}

// IsGapErr reports whether err is GapErr's: the frame is still what its
// start says, only not all seen.
func IsGapErr(err string) bool { return strings.Contains(err, " "+gapErr) }

// GapBytes is the bytes a gap took of a frame whose error is err: GapErr's
// n, or 0.
func GapBytes(err string) int64 {
	if !IsGapErr(err) {
		return 0
	}
	n, _ := strconv.ParseInt(err[:strings.IndexByte(err, ' ')], 10, 64)
	return n
}

// CutShort reports whether a frame with the framer's error err, of framing
// f and classified as kind from what was kept of it, is still that message,
// cut short: one a gap went through, or an HTTP message whose connection's
// end cut its body short (a 413 ends an upload), is what its start says;
// the error says it was cut. Any other error makes the frame raw.
func CutShort(f Framing, err string, kind Kind) bool {
	return kind != KindRaw && (IsGapErr(err) || err == ErrMidFrame && f == FramingHTTP)
}

// SkipGap tells f that the next n bytes of its stream were dropped before
// it saw them, and reports whether it took them as part of the frame it is
// in the middle of (an HTTP body of a set length, a chunk's data or a body
// that runs to the end of the stream; a RESP bulk string's or a msgpack
// string's bytes), which then goes on, and may be emitted at once if the
// gap ended it. If not, the caller should Reset f. emit is as Feed's.
func SkipGap(f Framer, n int64, emit func(*Frame)) bool {
	return skip(f, Cut{N: n, Wire: n, Gap: n}, false, emit)
}

// Cut is what a recording did not keep of a frame it kept the start of
// (truncated at the cap, or a gap went through it): N bytes of its
// payload, of which a gap took Gap (GapBytes of the frame's error), and
// Wire bytes of the wire (N and the line end or NUL that ended the frame,
// in the framings that end a frame with one). Framing is how the frame
// was framed.
type Cut struct {
	N, Wire, Gap int64
	Framing      Framing
	// Whole, if not nil, is what the frame a recording kept the start of
	// was, as the decoder that recorded it classified it from all of its
	// bytes: SkipCut's frame carries it rather than what its start says.
	Whole *Info
}

// SkipCut tells f that the frame it is in the middle of goes on for what c
// says a recording did not keep, and ends there: it counts those bytes
// in, as SkipGap does, emits the frame, classified from what was kept,
// and reports whether it could. An auto framer that has not decided yet
// takes c's framing.
func SkipCut(f Framer, c Cut, emit func(*Frame)) bool { return skip(f, c, true, emit) }

// skip is SkipGap's and SkipCut's: rest says c's bytes end the frame.
func skip(f Framer, c Cut, rest bool, emit func(*Frame)) bool {
	if c.N <= 0 || c.N > 1<<40 {
		return false
	}
	if a, ok := f.(*autoFramer); ok {
		if a.inner == nil {
			if !rest || c.Framing == FramingAuto || len(a.held) == 0 {
				return false
			}
			a.decide(c.Framing, emit)
		}
		f = a.inner
	}
	s, ok := f.(interface {
		skipGap(c Cut, rest bool, emit func(*Frame)) bool
	})
	if !ok {
		return false
	}
	if rest && c.Whole != nil {
		emit = withWhole(c.Whole, emit)
	}
	return s.skipGap(c, rest, emit)
}

// withWhole returns emit, which gives its first truncated frame whole (a
// function of its own: a closure in skip would move skip's Cut to the
// heap on every call).
func withWhole(whole *Info, emit func(*Frame)) func(*Frame) {
	return func(fr *Frame) {
		if fr.Truncated && whole != nil {
			fr.Whole, whole = whole, nil
		}
		emit(fr)
	}
}

// NewFramer returns a Framer for f that keeps at most maxFrame bytes of any
// frame's payload (if maxFrame <= 0, DefaultMaxFrame). Given idFields (an
// observer's), it classifies a longer frame of JSON (lines, Content-Length,
// varlink or raw) from all its bytes as they pass, into Frame.Whole, and
// decodes HTTP/2's header blocks (Frame.Fields); without, it only frames
// (a relay forwarding frames has no use for that work). An
// unknown framing passes chunks through raw.
func NewFramer(f Framing, maxFrame int, idFields ...string) Framer {
	return newFramer(f, maxFrame, nil, idFields)
}

// NewFramerPair returns the framers of a connection's two directions (C2S,
// S2C), which share what one needs of the other: an HTTP response to HEAD
// has no body, a Redis reply to SYNC may be a snapshot. idFields are as
// for NewFramer.
func NewFramerPair(f Framing, maxFrame int, idFields ...string) [2]Framer {
	link := &FramerLink{}
	fs := [2]Framer{newFramer(f, maxFrame, &link.http, idFields), newFramer(f, maxFrame, &link.http, idFields)}
	setDir(fs[C2S], C2S)
	setDir(fs[S2C], S2C)
	return fs
}

func newFramer(f Framing, maxFrame int, link *httpLink, idFields []string) Framer {
	if maxFrame <= 0 {
		maxFrame = DefaultMaxFrame
	}
	if len(idFields) == 0 {
		idFields = nil
	}
	w := whole{ids: idFields}
	switch f {
	case FramingAuto:
		return &autoFramer{max: maxFrame, link: link, ids: idFields}
	case FramingHTTP:
		return newHTTPFramer(maxFrame, link, idFields)
	case FramingRESP:
		return &respFramer{g: gather{max: maxFrame, limit: maxFrame}, link: link}
	case FramingMsgpack:
		return &msgpackFramer{g: gather{max: maxFrame, limit: maxFrame}}
	case FramingVarlink:
		w.varlink = true
		return &nulFramer{max: maxFrame, w: w}
	case FramingHTTP2:
		h := &http2Framer{max: maxFrame}
		h.capAt(maxFrame)
		if idFields != nil {
			h.hp = newH2Decoder()
		}
		return h
	case FramingLines:
		return &linesFramer{max: maxFrame, w: w}
	case FramingContentLength:
		return &clFramer{max: maxFrame, w: w}
	}
	return &rawFramer{max: maxFrame, w: w}
}

// whole classifies the frames over the cap of one framer, if it has ids.
type whole struct {
	ids     []string    // nil: frames are not classified
	varlink bool        // they are varlink messages (classifyVarlink)
	scan    *streamScan // made at the first frame over the cap that spans chunks
	on      bool        // the frame being read is over the cap, and scanned
	cut     bool        // its rest will not be seen (unseen)
	info    Info        // of a frame over the cap held in one piece
}

// start scans a frame over the cap, from its first byte.
func (w *whole) start() {
	if w.ids == nil {
		return
	}
	if w.scan == nil {
		w.scan = &streamScan{ids: w.ids, varlink: w.varlink}
	}
	w.scan.reset()
	w.on = true
}

// feed scans the next bytes of the frame, if it is scanned.
func (w *whole) feed(p []byte) {
	if w.on {
		w.scan.feed(p)
	}
}

// more takes p, the next bytes of a partial frame of which buf keeps the
// start and size counts the bytes so far, and returns both with p in:
// the first max bytes are kept; once the frame is longer, all of it is
// scanned as it passes.
func (w *whole) more(buf []byte, size int, p []byte, max int) ([]byte, int) {
	before := size
	buf = appendCap(buf, p, max)
	size += len(p)
	if size > max && before <= max {
		w.start()
		w.feed(buf[:before])
	}
	w.feed(p)
	return buf, size
}

// unseen says the frame ends with bytes that will not be seen (a
// recording kept only its start, kept): it is classified from what was
// seen, by done.
func (w *whole) unseen(kept []byte) {
	if w.ids == nil {
		return
	}
	if !w.on {
		w.start()
		w.feed(kept)
	}
	w.cut = true
}

// done ends the frame: its Info if it was scanned, else nil.
func (w *whole) done() *Info {
	if !w.on {
		return nil
	}
	w.on = false
	if w.cut {
		w.cut = false
		return w.scan.prefix()
	}
	return w.scan.result()
}

// of classifies a frame over the cap that is all in p.
func (w *whole) of(p []byte) *Info {
	w.on = false
	if w.ids == nil {
		return nil
	}
	if w.varlink {
		w.info = classifyVarlink(p)
	} else {
		w.info = Classify(p, w.ids)
	}
	return &w.info
}

// outFrame holds the frame a framer hands to emit, which takes a pointer:
// a frame on the framer's stack would escape through it (a function the
// compiler cannot see into) to the heap, once per frame.
type outFrame struct{ f Frame }

// emit hands f to emit, then forgets it: the framer keeps no reference to
// a chunk once Feed returns.
func (o *outFrame) emit(emit func(*Frame), f Frame) {
	o.f = f
	emit(&o.f)
	o.f = Frame{}
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

// Unframed returns how many bytes fed to f so far belong to no emitted
// frame yet: a frame begun and not ended.
func Unframed(f Framer) int {
	if p, ok := f.(pender); ok {
		return p.pending()
	}
	return 0
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
