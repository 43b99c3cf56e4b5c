package protocol

import (
	"bytes"
	"fmt"
	"strconv"
)

// States of a clFramer.
const (
	clHeader uint8 = iota // reading a header block
	clBody                // reading need body bytes
	clResync              // looking for the next "Content-Length:"
)

// clPrefix is what resynchronisation looks for, lower case.
const clPrefix = "content-length:"

var clName = []byte("content-length")

// maxDeclared bounds a Content-Length value; larger ones are an overflow.
const maxDeclared = 1 << 62

// clFramer reads LSP/DAP frames: a header block ended by an empty line,
// then Content-Length bytes of body. The declared length is never trusted
// for allocation: the body buffer grows as bytes arrive, up to max.
type clFramer struct {
	out   outFrame // the frame being emitted
	max   int
	w     whole // classifies a body over the cap
	state uint8
	// lead counts consumed bytes that belong to no frame yet (blank bytes
	// between frames, bytes skipped while resynchronising).
	lead int
	// hdr holds the header block when it spans chunks (<= MaxHeaderBytes).
	hdr  []byte
	scan int // where in hdr to resume looking for the block's end

	hdrLen int   // wire size of the current frame's header block
	need   int64 // declared body length
	got    int64 // body bytes seen
	body   []byte

	match int                 // resync: bytes of clPrefix matched so far
	pre   [len(clPrefix)]byte // resync: those bytes as they came
	// skipped holds the first max bytes resync skipped (lead counts them
	// all): they are emitted raw, with errSkipped, once the next header
	// is found or the stream ends.
	skipped []byte
}

// errSkipped is why bytes skipped while resynchronising are a raw frame.
const errSkipped = "no Content-Length header before it (it follows a header block that could not be read, or a gap)"

// Feed implements Framer.
func (c *clFramer) Feed(chunk []byte, emit func(*Frame)) {
	for len(chunk) > 0 {
		switch c.state {
		case clHeader:
			chunk = c.header(chunk, emit)
		case clBody:
			chunk = c.readBody(chunk, emit)
		default:
			chunk = c.resync(chunk, emit)
		}
	}
}

// header consumes header bytes and returns the rest of chunk.
func (c *clFramer) header(chunk []byte, emit func(*Frame)) []byte {
	if len(c.hdr) == 0 {
		n := 0
		for n < len(chunk) && isSpace(chunk[n]) {
			n++
		}
		c.lead += n
		chunk = chunk[n:]
		if len(chunk) == 0 {
			return nil
		}
		limit := min(len(chunk), MaxHeaderBytes)
		if end, _ := blockEnd(chunk[:limit], 0); end > 0 {
			c.parsed(chunk[:end], emit)
			return chunk[end:]
		}
		if len(chunk) >= MaxHeaderBytes {
			c.bad(chunk[:MaxHeaderBytes], errHeaderTooLong, emit)
			return chunk[MaxHeaderBytes:]
		}
		c.hdr = append(c.hdr[:0], chunk...)
		c.scan = 0
		return nil
	}
	old := len(c.hdr)
	take := chunk[:min(len(chunk), MaxHeaderBytes-old)]
	c.hdr = append(c.hdr, take...)
	end, next := blockEnd(c.hdr, c.scan)
	if end > 0 {
		block := c.hdr[:end]
		c.parsed(block, emit)
		if c.state != clResync {
			c.hdr = c.hdr[:0] // not handed over: reuse it
		}
		return chunk[end-old:]
	}
	c.scan = next
	if len(c.hdr) >= MaxHeaderBytes {
		c.bad(c.hdr, errHeaderTooLong, emit)
	}
	return chunk[len(take):]
}

var errHeaderTooLong = "header block over " + strconv.Itoa(MaxHeaderBytes) + " bytes"

// blockEnd looks in p, from offset from, for the empty line that ends a
// header block ("\n\n" or "\n\r\n"). It returns the offset after it, or -1
// and where to resume the search once more bytes have been appended.
func blockEnd(p []byte, from int) (end, next int) {
	for {
		i := bytes.IndexByte(p[from:], '\n')
		if i < 0 {
			return -1, len(p)
		}
		j := from + i
		if j+1 >= len(p) {
			return -1, j
		}
		switch p[j+1] {
		case '\n':
			return j + 2, 0
		case '\r':
			if j+2 >= len(p) {
				return -1, j
			}
			if p[j+2] == '\n' {
				return j + 3, 0
			}
		}
		from = j + 1
	}
}

// parsed handles a complete header block: it starts the body, or reports
// the block as a bad frame.
func (c *clFramer) parsed(block []byte, emit func(*Frame)) {
	n, reason := parseHeader(block)
	if reason != "" {
		c.bad(block, reason, emit)
		return
	}
	c.hdrLen, c.need, c.got, c.body = len(block), n, 0, c.body[:0]
	c.state = clBody
	if n > int64(c.max) {
		c.w.start()
	}
	if n == 0 {
		c.done(nil, emit)
	}
}

// bad emits the bytes of a header block that could not be read, with the
// reason, and starts resynchronising.
func (c *clFramer) bad(block []byte, reason string, emit func(*Frame)) {
	wire := c.lead + len(block)
	c.lead = 0
	c.state, c.match = clResync, 0
	if len(c.hdr) > 0 {
		c.hdr, c.scan = nil, 0 // handed over with the frame
	}
	data := capped(block, c.max)
	c.out.emit(emit, Frame{Data: data, Size: len(block), Wire: wire, Truncated: len(data) < len(block), Err: reason})
}

// parseHeader reads the Content-Length of a header block.
func parseHeader(b []byte) (int64, string) {
	n := int64(-1)
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if len(line) == 0 {
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			return 0, "malformed header line"
		}
		if !bytes.EqualFold(bytes.TrimSpace(line[:colon]), clName) {
			continue
		}
		v, reason := parseLength(bytes.TrimSpace(line[colon+1:]))
		if reason != "" {
			return 0, reason
		}
		n = v
	}
	if n < 0 {
		return 0, "missing Content-Length"
	}
	return n, ""
}

// parseLength parses a Content-Length value.
func parseLength(v []byte) (int64, string) {
	if len(v) == 0 {
		return 0, "empty Content-Length"
	}
	if v[0] == '-' {
		return 0, "negative Content-Length"
	}
	var n int64
	for _, d := range v {
		if d < '0' || d > '9' {
			return 0, "non-numeric Content-Length"
		}
		n = n*10 + int64(d-'0')
		if n > maxDeclared {
			return 0, "Content-Length overflows"
		}
	}
	return n, ""
}

// readBody consumes body bytes and returns the rest of chunk. A body that
// lies entirely in chunk is emitted aliasing it.
func (c *clFramer) readBody(chunk []byte, emit func(*Frame)) []byte {
	if c.got == 0 && int64(len(chunk)) >= c.need {
		n := int(c.need)
		c.got = c.need
		c.w.feed(chunk[:n])
		c.done(chunk[:n], emit)
		return chunk[n:]
	}
	take := chunk
	if rem := c.need - c.got; int64(len(take)) > rem {
		take = take[:rem]
	}
	c.body = appendCap(c.body, take, int(min(c.need, int64(c.max))))
	c.w.feed(take)
	c.got += int64(len(take))
	if c.got == c.need {
		c.done(c.body, emit)
	}
	return chunk[len(take):]
}

// done emits the frame whose body is complete; data is all of it or, for
// a body that spanned chunks, the first max bytes, gathered in c.body, which
// is then kept for the next such body (up to keepBuf bytes of it).
func (c *clFramer) done(data []byte, emit func(*Frame)) {
	size := int(c.need)
	f := Frame{Data: capped(data, c.max), Size: size, Wire: c.lead + c.hdrLen + size, Whole: c.w.done()}
	f.Truncated = len(f.Data) < size
	body := c.body
	c.lead, c.hdrLen, c.need, c.got, c.body = 0, 0, 0, 0, nil
	c.state = clHeader
	c.out.emit(emit, f)
	if cap(body) <= keepBuf {
		c.body = body[:0]
	}
}

// skipGap ends a body a recording kept only the start of (SkipCut, rest),
// if the n bytes it did not keep are the rest of it. A gap met live is not
// taken (nor can a body a gap went through be recorded): framing picks up
// again at the next header (Reset).
func (c *clFramer) skipGap(cut Cut, rest bool, emit func(*Frame)) bool {
	if !rest || c.state != clBody || c.got+cut.N != c.need {
		return false
	}
	c.w.unseen(c.body)
	c.got = c.need
	c.done(c.body, emit)
	return true
}

// resync skips bytes up to the next "Content-Length:" (any case) and
// returns the rest of chunk, which starts with that header; the skipped
// bytes go into the next frame's Wire. The header is looked for anywhere,
// not only at a line start: a body ends without a newline, so after a gap
// the next header usually follows the lost body's last byte directly.
func (c *clFramer) resync(chunk []byte, emit func(*Frame)) []byte {
	i := 0
	for i < len(chunk) {
		if c.match == 0 {
			j := bytes.IndexAny(chunk[i:], "cC")
			if j < 0 {
				c.skip(chunk[i:])
				return nil
			}
			c.skip(chunk[i : i+j])
			i += j
		}
		start := i
		for i < len(chunk) && c.match < len(clPrefix) && lower(chunk[i]) == clPrefix[c.match] {
			c.pre[c.match] = chunk[i]
			i++
			c.match++
		}
		if c.match == len(clPrefix) {
			c.state, c.match = clHeader, 0
			// The part of the prefix matched in earlier chunks was counted
			// as skipped; it belongs to the header block.
			if prev := len(clPrefix) - (i - start); prev > 0 {
				c.lead -= prev
				c.skipped = c.skipped[:min(len(c.skipped), c.lead)]
				c.hdr = append(c.hdr[:0], c.pre[:prev]...)
				c.scan = 0
			}
			c.emitSkipped(emit)
			return chunk[start:]
		}
		c.skip(chunk[start:i])
		if i < len(chunk) {
			// A mismatch: chunk[i] is looked at again as a possible start
			// ('c' occurs only first in the prefix), unless nothing matched.
			if c.match == 0 {
				c.skip(chunk[i : i+1])
				i++
			}
			c.match = 0
		}
	}
	return nil
}

// skip passes b, bytes that belong to no frame.
func (c *clFramer) skip(b []byte) {
	c.lead += len(b)
	c.skipped = appendCap(c.skipped, b, c.max)
}

// emitSkipped emits the bytes skipped so far, raw with errSkipped.
func (c *clFramer) emitSkipped(emit func(*Frame)) {
	if c.lead > 0 {
		c.out.emit(emit, Frame{Data: c.skipped, Size: c.lead, Wire: c.lead, Truncated: len(c.skipped) < c.lead, Err: errSkipped})
	}
	c.lead, c.skipped = 0, nil
}

// Flush implements Framer: a partial header block or body is emitted; a
// body with Size the declared length and Truncated set.
func (c *clFramer) Flush(emit func(*Frame)) {
	switch c.state {
	case clHeader:
		if len(c.hdr) > 0 {
			data := capped(c.hdr, c.max)
			c.out.emit(emit, Frame{Data: data, Size: len(c.hdr), Wire: c.lead + len(c.hdr), Truncated: len(data) < len(c.hdr), Err: ErrMidFrame})
		}
	case clBody:
		// Its size is what came of the body, not what was announced.
		c.out.emit(emit, Frame{Data: capped(c.body, len(c.body)), Size: int(c.got), Wire: c.lead + c.hdrLen + int(c.got),
			Truncated: int64(len(c.body)) < c.got, Err: fmt.Sprintf("%s: %d of the %d body bytes its Content-Length announced", ErrMidFrame, c.got, c.need)})
	case clResync:
		c.emitSkipped(emit)
	}
	*c = clFramer{max: c.max, w: c.w}
	c.w.on = false
}

// Reset implements Framer: the partial frame is dropped and framing
// resumes at the next line that starts with "Content-Length:".
func (c *clFramer) Reset() {
	*c = clFramer{max: c.max, w: c.w, state: clResync}
	c.w.on = false
}

func (c *clFramer) pending() int {
	switch c.state {
	case clHeader:
		return c.lead + len(c.hdr)
	case clBody:
		return c.lead + c.hdrLen + int(c.got)
	}
	return c.lead
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// Framing implements Framer.
func (*clFramer) Framing() Framing { return FramingContentLength }
