package protocol

import (
	"bytes"
	"strconv"
	"sync"
	"sync/atomic"
)

// maxHTTPHead bounds an HTTP message's start line and headers.
const maxHTTPHead = 64 << 10

// httpLink is what the two HTTP framers of one connection share: for each
// request, whether its response has no body (HEAD), in order. The request
// normally reaches the observer before its response (the two directions
// are read in parallel, so it may not): a response whose request is not
// known yet, and whose would-be body starts as a response does, is taken
// for the bodiless answer to a HEAD.
//
// A relay's two framers run on goroutines of their own: mu guards the rest.
type httpLink struct {
	mu     sync.Mutex
	noBody ring // Pending.Token 1: the request was HEAD
	// early counts responses framed before their request was seen: the
	// requests, when they come, are theirs, not later responses'.
	early int
	// lateHead is set when the request of the last of those came and
	// was a HEAD: if its would-be body has not begun, it has none
	// (EndLateHead).
	lateHead bool
	// switched is set once a response switched protocols (101): the
	// requests' direction is raw from its next message on too.
	switched bool
	// first is the auto framer of the two that decided first, and
	// firstF what it decided: a stream whose first line is a Redis
	// inline command ended by a bare "\n" is RESP unless the other
	// direction spoke first, and not RESP (a text protocol whose server
	// greets: MPD, Assuan).
	first  *autoFramer
	firstF Framing
	// sync is the SYNC command a RESP framer framed whose answer the
	// other has yet to begin (nil: none): the snapshot, which a bulk
	// string that merely starts as one is not (respFramer.answersSync).
	sync atomic.Pointer[syncNote]
	// execs are the EXECs a RESP framer framed whose replies the other
	// has yet to begin, oldest first (respexec.go).
	execs []execNote
	// failed is the last of them whose reply said it ran nothing (from
	// nil: none since its framer looked).
	failed execNote
}

// decided notes that auto framer a decided f, if it is the first of the
// connection's two to decide.
func (l *httpLink) decided(a *autoFramer, f Framing) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.first == nil {
		l.first, l.firstF = a, f
	}
}

// otherSpoke reports whether the direction other than auto framer a's
// decided first, on something other than RESP.
func (l *httpLink) otherSpoke(a *autoFramer) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.first != nil && l.first != a && l.firstF != FramingRESP
}

// request notes a request framed (HEAD or not).
func (l *httpLink) request(head bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.early > 0 { // its response was framed already
		l.early--
		l.lateHead = l.early == 0 && head
		return
	}
	t := uint64(0)
	if head {
		t = 1
	}
	l.noBody.push(Pending{Token: t})
	if l.noBody.n > DefaultMaxPending {
		l.noBody.pop()
	}
}

// response notes a response framed, and returns whether its request was a
// HEAD, and whether that request is not known yet. A 101 also switches
// the connection to raw (switchedOver).
func (l *httpLink) response(switching bool) (noBody, unknown bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.switched = l.switched || switching
	l.lateHead = false
	p, ok := l.noBody.pop()
	if !ok {
		l.early++
	}
	return p.Token == 1, !ok
}

// FramerLink is what the framers of a connection's two directions share
// (an HTTP response to HEAD has no body; after a 101 both are raw; a
// Redis reply to SYNC may be a snapshot), safe
// for framers on goroutines of their own. The zero value is ready.
type FramerLink struct{ http httpLink }

// NewLinkedFramer is NewFramer for one direction of a connection whose
// other direction's framer is made with the same link: a relay makes each
// as it switches that direction to frame-aware forwarding.
func NewLinkedFramer(f Framing, maxFrame int, link *FramerLink) Framer {
	return newFramer(f, maxFrame, &link.http, nil)
}

// errSwitched is why both directions are raw after a 101.
const errSwitched = "http: switched protocols (101); raw from here"

// httpState is where an HTTP framer is in the current message.
type httpState uint8

const (
	httpHead      httpState = iota // in the start line and headers
	httpBody                       // n bytes of body left
	httpChunkSize                  // in a chunk-size line
	httpChunkData                  // n bytes of chunk data (and its CRLF) left
	httpTrailer                    // in the trailer, after the last chunk
	httpToClose                    // the body runs to the end of the stream
)

// httpFramer cuts one direction of HTTP/1.1 into messages: a frame is the
// whole message as on the wire, head and body (Content-Length, chunked, or
// until close for a response without either). Requests and responses are
// told apart by their start line.
type httpFramer struct {
	g    gather
	link *httpLink
	st   httpState
	n    int64 // body or chunk bytes left
	// eol counts the line ends seen in a row (a "\r" does not break it):
	// two end the head and the trailer.
	eol   int
	num   int64 // the chunk size being read
	inHex bool  // the chunk-size line's digits are still being read
	// unsure: the body being read is of a response whose request is not
	// known yet; nothing of it has been read.
	unsure bool
	// expect: the request whose body is being read asked for 100 Continue
	// and WantsContinue has not said so yet.
	expect bool
	// headLen is the length of the head of the message whose body is
	// being read.
	headLen int
	// h2c is set when a 101 switched the connection to HTTP/2 (Upgrade:
	// h2c); h2, once made, cuts the rest of the stream (the client's,
	// from its preface; the server's, after the 101).
	h2c bool
	h2  *http2Framer
	// ids and dir are what h2 is made with (newFramer's, setDir's).
	ids    []string
	dir    Dir
	dirSet bool
}

func newHTTPFramer(maxFrame int, link *httpLink, ids []string) *httpFramer {
	return &httpFramer{g: gather{max: maxFrame, limit: max(maxFrame, maxHTTPHead)}, link: link, ids: ids}
}

// toHTTP2 hands the rest of the stream to an HTTP/2 framer, which is fed
// p (the bytes of the stream not framed yet: a preface's start) and rest.
// The framing changes within this Feed: the first frame of HTTP/2 carries
// its Info (Frame.Whole), so that a receiver asks Framing again.
func (h *httpFramer) toHTTP2(p, rest []byte, emit func(*Frame)) {
	h2 := newFramer(FramingHTTP2, h.g.max, nil, h.ids).(*http2Framer)
	if h.dirSet {
		setDir(h2, h.dir)
	}
	h2.upgraded(len(p) == 0) // the server's side: after its 101
	h.h2 = h2
	p = bytes.Clone(p) // it may be the buffer dropped here
	h.g.buf, h.g.size, h.g.start = nil, 0, 0
	if len(p) > 0 {
		h2.Feed(p, emit)
	}
	h2.Feed(rest, emit)
}

// Feed implements Framer.
func (h *httpFramer) Feed(chunk []byte, emit func(*Frame)) {
	if h.h2 != nil {
		h.h2.Feed(chunk, emit)
		return
	}
	g := &h.g
	if g.broken == "" && h.switchedOver() {
		// The other direction's 101 came: what is pending, and all
		// from here, is the new protocol's.
		g.broken = errSwitched
		g.flushRaw(emit)
	}
	if !g.feed(chunk, emit) {
		return
	}
	i := 0
	for i < len(chunk) {
		switch h.st {
		case httpHead:
			i = h.lineEnds(chunk, i)
			if h.eol < 2 {
				if g.size+len(chunk)-g.start > maxHTTPHead {
					g.breakRaw(chunk, "http: header block over 64 KiB; raw from here", emit)
					return
				}
				break
			}
			h.eol = 0
			p := g.view(chunk, i)
			h.headLen = len(p)
			if bytes.Equal(p, []byte(h2Preface[:18])) { // "PRI * HTTP/2.0\r\n\r\n": after an h2c upgrade
				h.toHTTP2(p, chunk[i:], emit)
				return
			}
			if why := h.head(p); why != "" {
				g.breakRaw(chunk, "http: "+why+"; raw from here", emit)
				return
			}
			if h.st == httpHead {
				g.complete(chunk, i, emit)
				if h.h2c { // 101 to h2c: HTTP/2 from here
					h.toHTTP2(nil, chunk[i:], emit)
					return
				}
				if g.broken == "" && h.switchedOver() { // the upgrade's request, its 101 seen first
					g.broken = errSwitched
				}
			}
			if g.broken != "" { // 101 Switching Protocols
				g.raw(chunk[i:], emit)
				return
			}
		case httpBody, httpChunkData:
			if h.unsure {
				if i == len(chunk) {
					break
				}
				h.unsure = false
				if rest := chunk[i:min(len(chunk), i+7)]; bytes.HasPrefix([]byte("HTTP/1."), rest) {
					h.st, h.n = httpHead, 0 // the answer to a HEAD: no body
					g.complete(chunk, i, emit)
					continue
				}
			}
			k := int(min(h.n, int64(len(chunk)-i)))
			i += k
			h.n -= int64(k)
			if h.n > 0 {
				break
			}
			if h.st == httpBody {
				h.st = httpHead
				g.complete(chunk, i, emit)
			} else {
				h.st, h.num, h.inHex = httpChunkSize, 0, true
			}
		case httpChunkSize:
			for ; i < len(chunk) && chunk[i] != '\n'; i++ {
				if !h.inHex {
					continue
				}
				d := unhex(chunk[i])
				if d < 0 || h.num > 1<<40 {
					h.inHex = false
					continue
				}
				h.num = h.num<<4 | int64(d)
			}
			if i == len(chunk) {
				break
			}
			i++
			if h.num == 0 {
				h.st, h.eol = httpTrailer, 1
			} else {
				h.st, h.n = httpChunkData, h.num+2
			}
		case httpTrailer:
			if i = h.lineEnds(chunk, i); h.eol == 2 {
				h.st, h.eol = httpHead, 0
				g.complete(chunk, i, emit)
			}
		case httpToClose:
			i = len(chunk)
		}
	}
	g.carry(chunk)
}

// lineEnds scans chunk from i until two line ends in a row ("\r\n\r\n",
// or "\n\n"), and returns the offset after them, or len(chunk). h.eol is
// 1 while the scan stands at the start of a line (after a line end, or a
// line end and a '\r'), 2 once the empty line is found.
func (h *httpFramer) lineEnds(chunk []byte, i int) int {
	for i < len(chunk) {
		k := bytes.IndexByte(chunk[i:], '\n')
		if k < 0 {
			if rest := chunk[i:]; len(rest) != 1 || rest[0] != '\r' {
				h.eol = 0
			}
			return len(chunk)
		}
		if h.eol == 1 && (k == 0 || (k == 1 && chunk[i] == '\r')) {
			h.eol = 2
			return i + k + 1
		}
		h.eol = 1
		i += k + 1
	}
	return i
}

// head reads a complete head and sets how the body is framed; it returns
// why the bytes are not HTTP.
func (h *httpFramer) head(p []byte) string {
	line, rest, _ := bytes.Cut(p, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	var (
		resp   bool
		status int
		v11    bool // a request of HTTP/1.1
	)
	switch {
	case bytes.HasPrefix(line, []byte("HTTP/1.")):
		resp = true
		if len(line) < 12 || line[8] != ' ' {
			return "bad status line"
		}
		status, _ = strconv.Atoi(string(line[9:12]))
		if status < 100 || status > 999 {
			return "bad status code"
		}
	default:
		sp := bytes.IndexByte(line, ' ')
		if sp <= 0 || !isToken(line[:sp]) || !bytes.Contains(line[sp:], []byte(" HTTP/1.")) {
			return "not an HTTP request line"
		}
		if h.link != nil {
			h.link.request(string(line[:sp]) == "HEAD")
		}
		v11 = bytes.HasSuffix(line, []byte(" HTTP/1.1"))
	}
	length, chunked, continued, h2c := int64(-1), false, false, false
	for len(rest) > 0 {
		var l []byte
		l, rest, _ = bytes.Cut(rest, []byte("\n"))
		name, val, ok := bytes.Cut(bytes.TrimSuffix(l, []byte("\r")), []byte(":"))
		if !ok {
			continue
		}
		val = bytes.TrimSpace(val)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, err := strconv.ParseInt(string(val), 10, 64)
			if err != nil || n < 0 {
				return "bad Content-Length"
			}
			length = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.Contains(bytes.ToLower(val), []byte("chunked"))
		case bytes.EqualFold(name, []byte("Expect")):
			continued = bytes.EqualFold(val, []byte("100-continue"))
		case bytes.EqualFold(name, []byte("Upgrade")):
			h2c = bytes.EqualFold(val, []byte("h2c"))
		}
	}
	h.st, h.n, h.expect = httpHead, 0, false
	unknown := false // a response whose request is not known yet
	if resp {
		switch {
		case status == 101 && h2c:
			// HTTP/2 from the next byte (RFC 7540 §3.2); the client's
			// requests go on as HTTP/1.1 up to its preface.
			h.h2c = true
			if h.link != nil {
				h.link.response(false)
			}
			return ""
		case status == 101:
			h.g.broken = errSwitched
			if h.link != nil {
				h.link.response(true) // its request may be still to come
			}
			return ""
		case status < 200:
			return "" // an interim response: the final one follows
		}
		noBody := false
		if h.link != nil {
			noBody, unknown = h.link.response(false)
		}
		if noBody || status == 204 || status == 304 {
			return ""
		}
	}
	switch {
	case chunked:
		h.st, h.num, h.inHex = httpChunkSize, 0, true
	case length > 0:
		h.st, h.n, h.unsure = httpBody, length, resp && unknown
	case length < 0 && resp:
		h.st = httpToClose
	}
	h.expect = v11 && continued && h.st != httpHead // a body to wait for
	return ""
}

// WantsContinue reports whether f, cutting a client's HTTP requests, has
// read the head of one that asks for 100 Continue (HTTP/1.1, Expect:
// 100-continue, a body announced) and not yet all of its body: a server
// that means to read the body answers "HTTP/1.1 100 Continue" now (RFC
// 9110, 10.1.1). It says so once per request, and never for a request
// whose body came whole with its head (it is framed, and the framer is
// past it, before Feed returns).
func WantsContinue(f Framer) bool {
	h := asHTTP(f)
	if h == nil || !h.expect || h.st == httpHead || h.g.broken != "" {
		return false
	}
	h.expect = false
	return true
}

// PendingHead reports, for a framer in the middle of an HTTP message whose
// head it has read whole, the length n of that head (the message's first
// n bytes) and whether its body is open-ended (chunked, or running to the
// end of the stream) rather than of a set length. n is 0 when there is no
// such head: another protocol, between messages, still in a head, or in
// a body that may turn out to be none (the answer to a HEAD not yet
// matched with its request).
func PendingHead(f Framer) (n int, open bool) {
	h := asHTTP(f)
	if h == nil || h.st == httpHead || h.unsure || h.g.broken != "" {
		return 0, false
	}
	return h.headLen, h.st != httpBody
}

// Flush implements Framer: a body that runs to the end of the stream is a
// whole message, and so is a response whose request is not known yet and
// whose body never started (the answer to a HEAD, the last on its
// connection); anything else partial is not.
func (h *httpFramer) Flush(emit func(*Frame)) {
	if h.h2 != nil {
		h.h2.Flush(emit)
		return
	}
	if h.g.broken == "" && h.switchedOver() {
		h.g.broken = errSwitched // the partial message is the new protocol's
	}
	if (h.st == httpToClose || h.st == httpBody && h.unsure) && h.g.broken == "" {
		h.endHeld(emit)
		return
	}
	h.g.flush(ErrMidFrame, emit)
	h.st, h.eol = httpHead, 0
}

// endHeld emits what is held as a whole message, and is between messages.
func (h *httpFramer) endHeld(emit func(*Frame)) {
	if g := &h.g; g.size > 0 {
		f := Frame{Data: capped(g.buf, min(g.size, g.max)), Size: g.size, Wire: g.size, Truncated: g.size > g.max}
		g.unseenInto(&f)
		g.out.emit(emit, f)
	}
	h.g.buf, h.g.size, h.st, h.unsure = nil, 0, httpHead, false
}

// AwaitsRequest reports whether f, cutting an HTTP server's responses,
// holds the head of one framed before its request, whose would-be body
// has not begun: whether it has one is not known until its request is
// (EndLateHead) or the next bytes are.
func AwaitsRequest(f Framer) bool {
	h := asHTTP(f)
	return h != nil && h.awaitsRequest()
}

func (h *httpFramer) awaitsRequest() bool {
	return h.h2 == nil && h.st == httpBody && h.unsure && h.g.broken == ""
}

// EndLateHead ends, as a whole message emitted now, the response f holds
// (AwaitsRequest) if its request has since been framed by the other
// direction's framer and was a HEAD: a response to HEAD has no body (else
// it would wait for the next bytes, or the stream's end). It reports
// whether it did.
func EndLateHead(f Framer, emit func(*Frame)) bool {
	h := asHTTP(f)
	if h == nil || !h.awaitsRequest() || !h.link.takeLateHead() {
		return false
	}
	h.endHeld(emit)
	return true
}

// asHTTP is f's HTTP framer, or nil.
func asHTTP(f Framer) *httpFramer {
	if a, ok := f.(*autoFramer); ok {
		f = a.inner
	}
	h, _ := f.(*httpFramer)
	return h
}

// takeLateHead reports whether the request of the last response framed
// before its request was a HEAD, and forgets it.
func (l *httpLink) takeLateHead() bool {
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	yes := l.lateHead
	l.lateHead = false
	return yes
}

// switchedOver reports whether the connection switched protocols (a 101)
// and this direction framed every request the responses framed so far
// answer: the upgrade's too.
func (h *httpFramer) switchedOver() bool {
	if h.link == nil {
		return false
	}
	h.link.mu.Lock()
	defer h.link.mu.Unlock()
	return h.link.switched && h.link.early == 0
}

// skipGap takes a gap inside a body of a set length (or a chunk's data)
// that it does not pass, or inside a body that runs to the end of the
// stream, as part of the message (SkipGap): the message goes on, and is
// emitted with GapErr; at its end if the gap ended it. A recording's cut
// (rest) is no different: the head said where the message ends.
func (h *httpFramer) skipGap(c Cut, rest bool, emit func(*Frame)) bool {
	if h.h2 != nil {
		return h.h2.skipGap(c, rest, emit)
	}
	g, n, gap := &h.g, c.N, int(c.Gap)
	if g.broken != "" || h.unsure {
		return false
	}
	switch h.st {
	case httpBody:
		if n > h.n {
			return false
		}
		h.n -= n
		g.hole(int(n), gap)
		if h.n == 0 {
			h.st = httpHead
			g.complete(nil, 0, emit)
		}
	case httpChunkData:
		if n > h.n-2 { // the chunk's data, not its CRLF: the next size line must be read
			return false
		}
		h.n -= n
		g.hole(int(n), gap)
	case httpToClose:
		g.hole(int(n), gap)
	default:
		return false
	}
	return true
}

// Reset implements Framer: after a gap the next message's start cannot be
// found, so the rest of the stream is raw.
func (h *httpFramer) Reset() {
	if h.h2 != nil {
		h.h2.Reset()
		return
	}
	h.g.buf, h.g.size, h.g.unseen, h.g.gapped = nil, 0, 0, 0
	h.g.broken = "http: bytes lost (gap); raw from here"
}

func (h *httpFramer) pending() int {
	if h.h2 != nil {
		return h.h2.pending()
	}
	return h.g.pending()
}

// Framing implements Framer: FramingHTTP, or FramingHTTP2 once an h2c
// upgrade switched the stream.
func (h *httpFramer) Framing() Framing {
	if h.h2 != nil {
		return FramingHTTP2
	}
	return FramingHTTP
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// isToken reports whether p is an HTTP method: upper-case letters.
func isToken(p []byte) bool {
	for _, c := range p {
		if (c < 'A' || c > 'Z') && c != '-' && c != '_' {
			return false
		}
	}
	return len(p) > 0 && len(p) <= 20
}
