package protocol

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"unicode/utf8"
)

// h2Preface is what a client that speaks HTTP/2 with prior knowledge
// (h2c without Upgrade, RFC 9113 §3.3) sends first.
const h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// h2Head is the size of an HTTP/2 frame's header: a 24-bit length, the
// type, the flags and a 31-bit stream id.
const h2Head = 9

// http2Framer cuts one direction of HTTP/2 into its frames: the client's
// preface is a frame of its own, then each frame is its 9-byte header and
// its payload, as on the wire; but a header block split across frames (a
// HEADERS or PUSH_PROMISE frame without END_HEADERS, then CONTINUATION
// frames up to one with it) is one message, its frames as on the wire:
// nothing may come between them (RFC 9113 §6.10). With a decoder (hp), it
// decodes each header block with HPACK as its bytes pass, and gives the
// block's message its fields (Frame.Fields) and its Info (Frame.Whole).
type http2Framer struct {
	g     gather
	begun bool // past the stream's start (and the preface, if it had one)
	preN  int  // bytes of the preface read
	hdr   [h2Head]byte
	hdrN  int   // bytes of a frame header read, in hdr
	skip  int64 // payload bytes still to pass
	// The frame being read, from its header: its type, flags, stream,
	// payload length, and the payload bytes passed so far (pos).
	typ, flags  byte
	stream      uint32
	length, pos int64
	// block is set while a header block goes on in CONTINUATION frames
	// of blockStream, which belong to its message; blockTyp is the type
	// of its first frame.
	block       bool
	blockTyp    byte
	blockStream uint32
	// frames counts the frames framed since the stream's start.
	frames int
	// dir is the direction the framer cuts: set by NewFramerPair, else
	// told by the preface (a client's stream starts with it).
	dir    Dir
	dirSet bool
	hp     *h2Decoder // nil: header blocks are not decoded
	// max is the payload kept of a frame; a header block's message keeps
	// up to MaxH2Block, if more (blockCap).
	max int
	// announce: the first frame is still to come of a stream upgraded to
	// h2c (upgraded); down is the emit announceFunc hands it on to, first
	// its Info.
	announce     bool
	announceFunc func(*Frame)
	down         func(*Frame)
	first        Info
}

// setDir tells f, if it cuts HTTP (/2) or RESP, or may (an auto framer),
// the direction it cuts.
func setDir(f Framer, d Dir) {
	switch t := f.(type) {
	case *autoFramer:
		t.dir, t.dirSet = d, true
	case *http2Framer:
		t.dir, t.dirSet = d, true
	case *httpFramer:
		t.dir, t.dirSet = d, true
	case *respFramer:
		t.replies = d == S2C // the server's from its first value, arrays too
	}
}

// upgraded says the stream was HTTP/1.1 before, upgraded to h2c: the
// framing changes within the Feed that makes this framer, so its first
// frame carries its Info (Frame.Whole), which has a receiver that asked
// Framing once for the Feed ask again (announce). On the server's side
// (server), the response on stream 1 answers the request the upgrade
// was asked in (RFC 7540 §3.2), which its 101 answered already: it is a
// notification.
func (h *http2Framer) upgraded(server bool) {
	h.announce = true
	h.announceFunc = h.announceFirst
	if h.hp != nil {
		h.hp.upgraded = server
	}
}

// announceFirst is the emit of the first frame after an upgrade: it gives
// the frame its Info, if it has none yet, then hands it on (down).
func (h *http2Framer) announceFirst(fr *Frame) {
	if h.announce {
		h.announce = false
		if fr.Whole == nil && fr.Err == "" {
			h.first = classifyHTTP2(fr.Data, h.dir, nil)
			fr.Whole = &h.first
		}
	}
	h.down(fr)
}

// Feed implements Framer.
func (h *http2Framer) Feed(chunk []byte, emit func(*Frame)) {
	g := &h.g
	if h.announce {
		h.down, emit = emit, h.announceFunc
	}
	if !g.feed(chunk, emit) {
		return
	}
	i := 0
	for i < len(chunk) {
		switch {
		case !h.begun:
			if h.preN == 0 && chunk[i] != h2Preface[0] {
				h.begun = true // a server's stream: frames from the first byte
				if !h.dirSet {
					h.dir = S2C
				} else if h.dir == C2S && h.hp != nil {
					h.hp.lose("the client's preface was not seen: HPACK's table is not known")
				}
				continue
			}
			k := min(len(h2Preface)-h.preN, len(chunk)-i)
			if string(chunk[i:i+k]) != h2Preface[h.preN:h.preN+k] {
				g.breakRaw(chunk, "http2: not the client preface; raw from here", emit)
				return
			}
			h.preN += k
			i += k
			if h.preN < len(h2Preface) {
				continue
			}
			h.begun = true
			if !h.dirSet {
				h.dir = C2S
			}
			g.complete(chunk, i, emit)
		case h.skip > 0:
			k := int(min(h.skip, int64(len(chunk)-i)))
			if h.hp != nil && h.inBlock() {
				h.hp.payload(h.pos, chunk[i:i+k])
			}
			i += k
			h.pos += int64(k)
			if h.skip -= int64(k); h.skip == 0 {
				h.frameEnd(chunk, i, emit)
			}
		default:
			k := copy(h.hdr[h.hdrN:], chunk[i:])
			h.hdrN += k
			i += k
			if h.hdrN < h2Head {
				continue
			}
			h.hdrN = 0
			if !h.header(chunk, emit) {
				return
			}
			if h.skip == 0 {
				h.frameEnd(chunk, i, emit)
			}
		}
	}
	g.carry(chunk)
}

// header reads the header of the next frame, in hdr; false when the
// stream is raw from it (a frame other than the CONTINUATION a header
// block goes on in).
func (h *http2Framer) header(chunk []byte, emit func(*Frame)) bool {
	h.typ, h.flags = h.hdr[3], h.hdr[4]
	h.stream = binary.BigEndian.Uint32(h.hdr[5:9]) &^ (1 << 31)
	h.length = int64(h.hdr[0])<<16 | int64(h.hdr[1])<<8 | int64(h.hdr[2])
	h.skip, h.pos = h.length, 0
	if h.block && (h.typ != h2Continuation || h.stream != h.blockStream) {
		if h.hp != nil {
			h.hp.lose("the stream went raw")
		}
		h.capAt(h.max) // raw from here, the block's start too
		h.g.breakRaw(chunk, "http2: a "+string(h2TypeName(h.typ))+" frame on stream "+strconv.FormatUint(uint64(h.stream), 10)+
			" where the header block of stream "+strconv.FormatUint(uint64(h.blockStream), 10)+
			" goes on (only its CONTINUATION may come: PROTOCOL_ERROR); raw from here", emit)
		return false
	}
	h.blockCap()
	if h.hp == nil {
		return true
	}
	if h.frames++; h.frames == 1 && h.dir == S2C && (h.typ != h2Settings || h.flags&0x1 != 0) {
		// A server's stream starts with SETTINGS (RFC 9113 §3.4).
		h.hp.lose("the server's first frames were not seen: HPACK's table is not known")
	}
	switch h.typ {
	case h2Headers, h2PushPromise:
		h.hp.start()
	case h2Continuation:
		if !h.block {
			return true
		}
	default:
		return true
	}
	h.hp.frame(h.typ, h.flags, h.length)
	return true
}

// blockCap sets the bytes kept of the message whose frame's header was
// just read: a header block's are kept whole up to MaxH2Block, whatever
// the frame cap (a recording decodes each block with those before it),
// unless its start was not all seen; any other frame's up to the cap.
func (h *http2Framer) blockCap() {
	g := &h.g
	n := h.max
	if h.inBlock() && len(g.buf) == g.size && g.unseen == 0 {
		n = max(n, MaxH2Block)
	}
	h.capAt(n)
}

// capAt keeps n bytes of a frame; but a frame's header, split across
// reads, is buffered whole however small the cap, so that the frame it
// starts is kept alike however the stream was cut.
func (h *http2Framer) capAt(n int) { h.g.max, h.g.limit = n, max(n, h2Head) }

// inBlock reports whether the frame being read is of a header block.
func (h *http2Framer) inBlock() bool {
	return h.typ == h2Headers || h.typ == h2PushPromise || h.typ == h2Continuation && h.block
}

// frameEnd ends the frame read, whose last byte is at offset end of
// chunk: it completes its message, unless a header block goes on after
// it.
func (h *http2Framer) frameEnd(chunk []byte, end int, emit func(*Frame)) {
	if h.inBlock() {
		if !h.block {
			h.blockTyp, h.blockStream = h.typ, h.stream
		}
		if h.flags&0x4 == 0 { // no END_HEADERS: CONTINUATION frames follow
			h.block = true
			return
		}
		h.block = false
		if h.hp != nil {
			h.hp.end()
			emit = h.hp.via(emit, h.blockTyp, h.blockStream, h.dir)
		}
	}
	h.g.complete(chunk, end, emit)
	h.capAt(h.max) // the next frame's header, until it says it is of a block
}

// skipGap takes a gap inside a frame's payload as part of the frame
// (SkipGap), and a recording's cut (rest) as the frame's end, where the
// recording measured it. A header block a gap went through, or one a
// recording did not keep whole, is not decoded, nor are those after it.
func (h *http2Framer) skipGap(c Cut, rest bool, emit func(*Frame)) bool {
	n, gap := c.N, int(c.Gap)
	g := &h.g
	switch {
	case g.broken != "" || g.size == 0:
		return false
	case rest:
		block := h.inBlock()
		if block && !h.block {
			h.blockTyp, h.blockStream = h.typ, h.stream
		}
		h.skip, h.hdrN, h.block = 0, 0, false
		h.begun = true
		if block && h.hp != nil {
			h.hp.fail("the recording kept only its start")
			h.hp.end()
			emit = h.hp.via(emit, h.blockTyp, h.blockStream, h.dir)
		}
		g.cut(int(n), gap, emit)
		return true
	case n > h.skip: // past the payload: the next header may be in the gap
		return false
	}
	if h.hp != nil && h.inBlock() {
		h.hp.fail("bytes of it were not seen (a gap)")
	}
	g.hole(int(n), gap)
	h.pos += n
	if h.skip -= n; h.skip == 0 {
		h.frameEnd(nil, 0, emit)
	}
	return true
}

// Flush implements Framer.
func (h *http2Framer) Flush(emit func(*Frame)) {
	h.g.flush(ErrMidFrame, emit)
	h.skip, h.hdrN, h.block = 0, 0, false
	h.capAt(h.max) // a header block's cap (blockCap) ends with it
}

// Reset implements Framer: after a gap a frame's start cannot be found, so
// the rest of the stream is raw.
func (h *http2Framer) Reset() {
	h.g.buf, h.g.size = nil, 0
	h.capAt(h.max) // raw chunks are cut at the cap, not a header block's
	h.g.broken = "http2: bytes lost (gap); raw from here"
	if h.hp != nil {
		h.hp.lose("bytes lost (gap)")
	}
}

func (h *http2Framer) pending() int { return h.g.pending() }

// Framing implements Framer.
func (*http2Framer) Framing() Framing { return FramingHTTP2 }

// The HTTP/2 frame types (RFC 9113 §6).
const (
	h2Data         = 0x0
	h2Headers      = 0x1
	h2Priority     = 0x2
	h2RSTStream    = 0x3
	h2Settings     = 0x4
	h2PushPromise  = 0x5
	h2Ping         = 0x6
	h2GoAway       = 0x7
	h2WindowUpdate = 0x8
	h2Continuation = 0x9
)

var h2Types = [...]string{"DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING", "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"}

// h2TypeNames are the frame types' names as bytes (a frame's method), and
// the name of the preface.
var (
	h2TypeNames  [len(h2Types)][]byte
	h2PrefaceRow = []byte("PREFACE")
	h2Trailers   = []byte("TRAILERS")
)

func init() {
	for i, s := range h2Types {
		h2TypeNames[i] = []byte(s)
	}
}

// h2TypeName returns frame type t's name, or its number for a type
// RFC 9113 does not define (which a receiver ignores).
func h2TypeName(t byte) []byte {
	if int(t) < len(h2TypeNames) {
		return h2TypeNames[t]
	}
	return []byte("0x" + strconv.FormatUint(uint64(t), 16))
}

// h2Frame is an HTTP/2 frame's header, and its payload (as much as was
// kept); rest is what follows it in a message: the CONTINUATION frames
// its header block goes on in.
type h2Frame struct {
	typ, flags byte
	stream     uint32
	length     int
	payload    []byte
	rest       []byte
}

// parseH2 reads a frame of FramingHTTP2; false for the preface, or bytes
// too short to be a frame.
func parseH2(data []byte) (h2Frame, bool) {
	if len(data) < h2Head {
		return h2Frame{}, false
	}
	f := h2Frame{
		typ: data[3], flags: data[4],
		stream:  binary.BigEndian.Uint32(data[5:9]) &^ (1 << 31),
		length:  int(data[0])<<16 | int(data[1])<<8 | int(data[2]),
		payload: data[h2Head:],
	}
	if len(f.payload) > f.length {
		f.payload, f.rest = f.payload[:f.length], f.payload[f.length:]
	}
	return f, true
}

// block returns the header block fragment of a HEADERS, PUSH_PROMISE or
// CONTINUATION frame: its payload without padding, priority or promised
// stream id.
func (f *h2Frame) block() []byte {
	p := f.payload
	pad := 0
	if f.flags&0x8 != 0 && (f.typ == h2Headers || f.typ == h2PushPromise) && len(p) > 0 {
		pad, p = int(p[0]), p[1:]
	}
	switch {
	case f.typ == h2Headers && f.flags&0x20 != 0:
		p = p[min(5, len(p)):]
	case f.typ == h2PushPromise:
		p = p[min(4, len(p)):]
	}
	if pad > 0 && len(f.payload) == f.length { // all of it kept: the padding is at its end
		p = p[:max(len(p)-pad, 0)]
	}
	return p
}

// wholeBlock returns the header block of the frame and the CONTINUATION
// frames that follow it (rest), as far as they were kept, and how many
// of those there are.
func (f *h2Frame) wholeBlock() ([]byte, int) {
	b := f.block()
	n := 0
	for rest := f.rest; len(rest) > 0; n++ {
		c, ok := parseH2(rest)
		if !ok {
			break
		}
		if n == 0 {
			b = append([]byte(nil), b...)
		}
		b = append(b, c.payload...)
		rest = c.rest
	}
	return b, n
}

// h2Fields is what a header block says that the classification needs:
// its pseudo-header fields, and whether it has any.
type h2Fields struct {
	method, path, authority []byte
	status                  int
	// first says what the block's first field is: 1 a pseudo-header
	// (":status", ":method", …: a response or request), 2 a regular
	// header (trailers), 0 not known (a field of the dynamic table).
	first int
}

// set notes a field of the block.
func (f *h2Fields) set(name, value []byte) {
	switch string(name) {
	case ":method":
		f.method = value
	case ":path":
		f.path = value
	case ":authority":
		f.authority = value
	case ":status":
		if c := CodeOf(value); c >= 100 && len(value) == 3 {
			f.status = c
		}
	}
}

// hpackStatic are the pseudo-header fields of HPACK's static table
// (RFC 7541 Appendix A), indexes 1 to 14.
var hpackStatic = [...]struct{ name, value string }{
	{}, {":authority", ""}, {":method", "GET"}, {":method", "POST"}, {":path", "/"}, {":path", "/index.html"},
	{":scheme", "http"}, {":scheme", "https"}, {":status", "200"}, {":status", "204"}, {":status", "206"},
	{":status", "304"}, {":status", "400"}, {":status", "404"}, {":status", "500"},
}

// hpackInt reads an HPACK integer with an n-bit prefix at p[0]; it returns
// the value and the bytes it took, 0 when p ends first or it is too large.
func hpackInt(p []byte, n uint) (int, int) {
	if len(p) == 0 {
		return 0, 0
	}
	mask := 1<<n - 1
	v := int(p[0]) & mask
	if v < mask {
		return v, 1
	}
	for i, shift := 1, uint(0); i < len(p) && shift < 28; i, shift = i+1, shift+7 {
		v += int(p[i]&0x7f) << shift
		if p[i]&0x80 == 0 {
			return v, i + 1
		}
	}
	return 0, 0
}

// hpackString reads an HPACK string literal at p: its bytes, whether they
// are Huffman-coded, and the bytes it took (0 when p ends first).
func hpackString(p []byte) ([]byte, bool, int) {
	if len(p) == 0 {
		return nil, false, 0
	}
	n, k := hpackInt(p, 7)
	if k == 0 || k+n > len(p) {
		return nil, false, 0
	}
	return p[k : k+n], p[0]&0x80 != 0, k + n
}

// huffDigits decodes a Huffman-coded string of decimal digits (a status
// code): '0' to '2' are 5 bits, '3' to '9' 6 bits, and the last byte is
// padded with ones (RFC 7541 Appendix B); false for anything else.
func huffDigits(p []byte) ([]byte, bool) {
	if len(p) == 0 || len(p) > 4 {
		return nil, false
	}
	var out []byte
	bits, nbits := uint64(0), uint(0)
	for _, b := range p {
		bits, nbits = bits<<8|uint64(b), nbits+8
	}
	for nbits > 0 {
		if ones := uint64(1)<<nbits - 1; nbits < 8 && bits&ones == ones {
			break // the padding
		}
		if nbits < 5 {
			return nil, false
		}
		if v := bits >> (nbits - 5) & 0x1f; v <= 2 {
			out, nbits = append(out, byte('0'+v)), nbits-5
			continue
		}
		if nbits < 6 {
			return nil, false
		}
		v := bits >> (nbits - 6) & 0x3f
		if v < 0x19 || v > 0x1f {
			return nil, false
		}
		out, nbits = append(out, byte('3'+v-0x19)), nbits-6
	}
	return out, len(out) > 0
}

// readFields walks a header block for what h2Fields holds; it stops at a
// field it cannot go past.
func readFields(p []byte) h2Fields {
	var f h2Fields
	for n := 0; len(p) > 0; n++ {
		b := p[0]
		var name, value []byte
		var huff bool
		switch {
		case b&0x80 != 0: // indexed
			i, k := hpackInt(p, 7)
			if k == 0 {
				return f
			}
			p = p[k:]
			switch {
			case i >= 1 && i < len(hpackStatic):
				name, value = []byte(hpackStatic[i].name), []byte(hpackStatic[i].value)
			case i < 62: // the static table's regular headers
				name = []byte("x")
			default: // the dynamic table's: not known
				continue
			}
		case b&0xe0 == 0x20: // a dynamic table size update: no field
			_, k := hpackInt(p, 5)
			if k == 0 {
				return f
			}
			p, n = p[k:], n-1
			continue
		default: // a literal, with a name index or a name of its own
			prefix := uint(4)
			if b&0x40 != 0 {
				prefix = 6
			}
			i, k := hpackInt(p, prefix)
			if k == 0 {
				return f
			}
			p = p[k:]
			switch {
			case i == 0:
				nm, h, k := hpackString(p)
				if k == 0 {
					return f
				}
				p = p[k:]
				if !h && len(nm) > 0 {
					name = nm // else Huffman-coded: not known
				}
			case i < len(hpackStatic):
				name = []byte(hpackStatic[i].name)
			case i < 62:
				name = []byte("x")
			}
			v, h, k := hpackString(p)
			if k == 0 {
				return f
			}
			value, huff, p = v, h, p[k:]
			if name == nil { // the dynamic table's name: not known
				continue
			}
		}
		if n == 0 {
			f.first = 2
			if name[0] == ':' {
				f.first = 1
			}
		}
		if huff {
			if string(name) != ":status" {
				continue
			}
			d, ok := huffDigits(value)
			if !ok {
				continue
			}
			value = d
		}
		f.set(name, value)
	}
	return f
}

// classifyHTTP2 classifies an HTTP/2 frame (or header block: a HEADERS
// frame and its CONTINUATION frames) by what HPACK's static table and
// plain literals say of its fields (a framer that decodes HPACK gives a
// header block's message its Info instead, Frame.Whole): see
// h2BlockInfo. Any other frame, and the preface, is a notification,
// named by its type, with the stream's id if not 0.
func classifyHTTP2(data []byte, dir Dir, _ []string) Info {
	if string(data) == h2Preface {
		return Info{Kind: KindNotification, Method: h2PrefaceRow}
	}
	f, ok := parseH2(data)
	if !ok {
		return Info{Err: "http2: short frame"}
	}
	info := Info{Kind: KindNotification, Method: h2TypeName(f.typ)}
	if f.stream != 0 {
		info.ID = strconv.AppendUint(nil, uint64(f.stream), 10)
	}
	switch {
	case f.typ == h2RSTStream && len(f.payload) >= 4:
		info.Method = h2ErrorName(h2RSTStream, binary.BigEndian.Uint32(f.payload))
		return info
	case f.typ == h2GoAway && len(f.payload) >= 8:
		info.Method = h2ErrorName(h2GoAway, binary.BigEndian.Uint32(f.payload[4:]))
		return info
	case f.typ != h2Headers || f.stream == 0:
		return info
	}
	b, _ := f.wholeBlock()
	fields := readFields(b)
	h2BlockInfo(&info, f.stream, dir, &fields, nil)
	return info
}

// h2BlockInfo makes info, a HEADERS frame's on stream that travelled in
// dir, what its fields say: a client's HEADERS on a stream it opens (odd)
// is a request, named "METHOD path" (":method", then ":path", or
// ":authority" for CONNECT), as HTTP/1.1's are; the server's HEADERS on
// that stream is its response, named by its :status (an error from 400
// on, 1xx interim notifications); trailers (a block without
// pseudo-header fields) are notifications. The method's bytes are
// appended to buf, which is returned.
func h2BlockInfo(info *Info, stream uint32, dir Dir, fields *h2Fields, buf []byte) []byte {
	switch {
	case fields.first == 2:
		info.Method = h2Trailers
	case dir == C2S && stream%2 == 1:
		info.Kind = KindRequest
		if fields.method != nil {
			target := fields.path
			if target == nil && string(fields.method) == "CONNECT" {
				target = fields.authority
			}
			buf = append(buf, fields.method...)
			if target != nil {
				buf = append(append(buf, ' '), target...)
			}
			info.Method = buf
		}
	case dir == S2C && stream%2 == 1:
		switch s := fields.status; {
		case s >= 100 && s < 200:
			buf = strconv.AppendInt(buf, int64(s), 10)
			info.Method = buf
		case s != 0:
			info.Kind, info.IsError = KindResponse, s >= 400
			buf = strconv.AppendInt(buf, int64(s), 10)
			info.Method = buf
		default:
			info.Kind = KindResponse // a :status in the dynamic table
		}
	}
	return buf
}

// h2Errors are the error codes of RST_STREAM and GOAWAY (RFC 9113 §7).
var h2Errors = [...]string{"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
	"STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR",
	"ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"}

// h2ErrorNames are the methods of RST_STREAM and GOAWAY frames, by error
// code: "RST_STREAM CANCEL", "GOAWAY NO_ERROR".
var h2ErrorNames [2][len(h2Errors)][]byte

func init() {
	for i, e := range h2Errors {
		h2ErrorNames[0][i] = []byte("RST_STREAM " + e)
		h2ErrorNames[1][i] = []byte("GOAWAY " + e)
	}
}

// h2ErrorName returns the method of a frame of type typ (RST_STREAM or
// GOAWAY) with error code code: its type and the code's name, or its
// number for a code RFC 9113 does not define.
func h2ErrorName(typ byte, code uint32) []byte {
	t := 0
	if typ == h2GoAway {
		t = 1
	}
	if int(code) < len(h2Errors) {
		return h2ErrorNames[t][code]
	}
	return []byte(string(h2TypeName(typ)) + " 0x" + strconv.FormatUint(uint64(code), 16))
}

// Ending is which pending requests a message ends without being their
// reply (EndingOf).
type Ending struct {
	// Dir is the direction the requests travelled.
	Dir Dir
	// Above is false for the request under the message's id (HTTP/2's
	// RST_STREAM: its stream's); true for every request under an integer
	// id above Last (GOAWAY: the streams above its last one, which the
	// server did not process).
	Above bool
	Last  uint64
	// Stream, when not Above, is the stream the message ends (RST_STREAM's).
	Stream uint64
}

// EndingOf reports whether m, a notification, ends requests still
// pending without being their reply, and which: HTTP/2's RST_STREAM,
// from either peer, its stream's; the server's GOAWAY, those on the
// client's streams above its last. An observer ends their rows as errors
// with m as their answer; when none is pending, m is a notification like
// any other, never held as an early reply, never an orphan.
func EndingOf(m *Message) (Ending, bool) {
	if m.Framing != FramingHTTP2 || m.Info.Kind != KindNotification {
		return Ending{}, false
	}
	f, ok := parseH2(m.Frame.Data)
	switch {
	case !ok:
		return Ending{}, false
	case f.typ == h2RSTStream && f.stream != 0 && m.Info.ID != nil:
		return Ending{Dir: C2S, Stream: uint64(f.stream)}, true // an HTTP/2 request is the client's
	case f.typ == h2GoAway && f.stream == 0 && m.Dir == S2C && len(f.payload) >= 8:
		return Ending{Dir: C2S, Above: true, Last: uint64(binary.BigEndian.Uint32(f.payload) &^ (1 << 31))}, true
	}
	return Ending{}, false
}

// h2Settings are the names of the SETTINGS parameters (RFC 9113 §6.5.2,
// RFC 8441's ENABLE_CONNECT_PROTOCOL, RFC 9218's NO_RFC7540_PRIORITIES).
var h2SettingNames = map[uint16]string{1: "HEADER_TABLE_SIZE", 2: "ENABLE_PUSH", 3: "MAX_CONCURRENT_STREAMS",
	4: "INITIAL_WINDOW_SIZE", 5: "MAX_FRAME_SIZE", 6: "MAX_HEADER_LIST_SIZE", 8: "ENABLE_CONNECT_PROTOCOL", 9: "NO_RFC7540_PRIORITIES"}

// h2FlagNames names a frame type's flags, by bit.
func h2FlagNames(typ byte) map[byte]string {
	switch typ {
	case h2Data:
		return map[byte]string{0x1: "END_STREAM", 0x8: "PADDED"}
	case h2Headers:
		return map[byte]string{0x1: "END_STREAM", 0x4: "END_HEADERS", 0x8: "PADDED", 0x20: "PRIORITY"}
	case h2Settings, h2Ping:
		return map[byte]string{0x1: "ACK"}
	case h2PushPromise:
		return map[byte]string{0x4: "END_HEADERS", 0x8: "PADDED"}
	case h2Continuation:
		return map[byte]string{0x4: "END_HEADERS"}
	}
	return nil
}

// viewHTTP2 appends an HTTP/2 frame's JSON view (viewH2Block, a header
// block's not decoded).
func viewHTTP2(dst, data []byte) ([]byte, error) { return viewH2Block(dst, data, nil) }

// viewH2Block appends an HTTP/2 frame's JSON view: its type, stream,
// flags and length (and, for a header block split across frames, how many
// CONTINUATION frames went on with it), then what its payload says: a
// header block's fields as its framer decoded them (fields, Frame.Fields),
// under "headers" as HTTP/1.1's are shown; one not decoded as hex, with
// why, and the :method, :path and :status read from it when the static
// table or a plain literal gives them; DATA as text (or {"b64":…});
// SETTINGS, WINDOW_UPDATE, RST_STREAM, GOAWAY, PING and PUSH_PROMISE by
// their fields.
func viewH2Block(dst, data, fields []byte) ([]byte, error) {
	if string(data) == h2Preface {
		return append(dst, `{"preface":"PRI * HTTP/2.0"}`...), nil
	}
	f, ok := parseH2(data)
	if !ok {
		return dst, errView
	}
	dst = append(dst, `{"type":`...)
	dst = appendText(dst, h2TypeName(f.typ))
	dst = append(dst, `,"stream":`...)
	dst = strconv.AppendUint(dst, uint64(f.stream), 10)
	dst = append(dst, `,"flags":[`...)
	names := h2FlagNames(f.typ)
	n := 0
	for bit := byte(1); bit != 0; bit <<= 1 {
		if f.flags&bit == 0 {
			continue
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		if s, ok := names[bit]; ok {
			dst = strconv.AppendQuote(dst, s)
		} else {
			dst = strconv.AppendQuote(dst, "0x"+strconv.FormatUint(uint64(bit), 16))
		}
	}
	dst = append(dst, `],"length":`...)
	dst = strconv.AppendInt(dst, int64(f.length), 10)
	p := f.payload
	switch f.typ {
	case h2Headers, h2PushPromise, h2Continuation:
		block, conts := f.wholeBlock()
		if conts > 0 {
			dst = append(dst, `,"continuations":`...)
			dst = strconv.AppendInt(dst, int64(conts), 10)
		}
		if f.typ == h2PushPromise && len(p) >= 4+int(f.flags>>3&1) {
			dst = append(dst, `,"promised":`...)
			dst = strconv.AppendUint(dst, uint64(binary.BigEndian.Uint32(p[f.flags>>3&1:])&^(1<<31)), 10)
		}
		b, ok := ParseH2Block(fields)
		if ok && b.Err == "" {
			dst = append(dst, `,"headers":`...)
			dst = appendHeaders(dst, b.Fields)
			if b.Cut {
				dst = append(dst, `,"headers_cut":"more fields than sockscope keeps (64 KiB of them)"`...)
			}
			break
		}
		if f.typ != h2Continuation {
			fields := readFields(block)
			if fields.method != nil {
				dst = append(dst, `,"method":`...)
				dst = appendText(dst, fields.method)
			}
			if fields.path != nil {
				dst = append(dst, `,"path":`...)
				dst = appendText(dst, fields.path)
			}
			if fields.status != 0 {
				dst = append(dst, `,"status":`...)
				dst = strconv.AppendInt(dst, int64(fields.status), 10)
			}
		}
		dst = append(dst, `,"hpack":`...)
		if ok {
			dst = appendText(dst, []byte(b.Err))
		} else {
			dst = append(dst, `"not decoded"`...)
		}
		dst = append(dst, `,"block":"`...)
		dst = hex.AppendEncode(dst, block)
		dst = append(dst, '"')
	case h2Data:
		if f.flags&0x8 != 0 && len(p) > 0 {
			pad := int(p[0])
			p = p[1:]
			if len(f.payload) == f.length {
				p = p[:max(len(p)-pad, 0)]
			}
		}
		dst = append(dst, `,"data":`...)
		if utf8.Valid(p) {
			dst = appendText(dst, p)
		} else {
			dst = append(dst, `{"b64":"`...)
			dst = base64.StdEncoding.AppendEncode(dst, p)
			dst = append(dst, `"}`...)
		}
	case h2Settings:
		dst = append(dst, `,"settings":{`...)
		for i := 0; i+6 <= len(p); i += 6 {
			if i > 0 {
				dst = append(dst, ',')
			}
			id := binary.BigEndian.Uint16(p[i:])
			name, ok := h2SettingNames[id]
			if !ok {
				name = "0x" + strconv.FormatUint(uint64(id), 16)
			}
			dst = strconv.AppendQuote(dst, name)
			dst = append(dst, ':')
			dst = strconv.AppendUint(dst, uint64(binary.BigEndian.Uint32(p[i+2:])), 10)
		}
		dst = append(dst, '}')
	case h2WindowUpdate:
		if len(p) >= 4 {
			dst = append(dst, `,"increment":`...)
			dst = strconv.AppendUint(dst, uint64(binary.BigEndian.Uint32(p)&^(1<<31)), 10)
		}
	case h2RSTStream:
		if len(p) >= 4 {
			dst = appendH2Error(dst, binary.BigEndian.Uint32(p))
		}
	case h2GoAway:
		if len(p) >= 8 {
			dst = append(dst, `,"last_stream":`...)
			dst = strconv.AppendUint(dst, uint64(binary.BigEndian.Uint32(p)&^(1<<31)), 10)
			dst = appendH2Error(dst, binary.BigEndian.Uint32(p[4:]))
			if len(p) > 8 {
				dst = append(dst, `,"debug":`...)
				dst = appendText(dst, p[8:])
			}
		}
	case h2Ping:
		dst = append(dst, `,"opaque":"`...)
		dst = hex.AppendEncode(dst, p)
		dst = append(dst, '"')
	}
	return append(dst, '}'), nil
}

// appendH2Error appends an error code's member.
func appendH2Error(dst []byte, code uint32) []byte {
	dst = append(dst, `,"error":`...)
	if int(code) < len(h2Errors) {
		return strconv.AppendQuote(dst, h2Errors[code])
	}
	return strconv.AppendUint(dst, uint64(code), 10)
}

// h2SettingsHead reports whether p, a stream's first bytes, starts as a
// server's preface does, with a SETTINGS frame on stream 0 (not an ACK,
// its length a multiple of 6), and whether it needs more bytes to tell.
func h2SettingsHead(p []byte) (yes, more bool) {
	want := [h2Head]byte{0, 0, 0, h2Settings, 0, 0, 0, 0, 0}
	for i := 0; i < h2Head; i++ {
		if i == len(p) {
			return false, true
		}
		if i != 2 && p[i] != want[i] {
			return false, false
		}
	}
	return p[2]%6 == 0, false
}
