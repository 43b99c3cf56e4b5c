package protocol

import "encoding/binary"

// msgpackFramer cuts one direction of msgpack-RPC into values: a frame is
// one top-level msgpack value as on the wire. Like respFramer it counts the
// values still to come and the bytes of a string to pass, so its state is
// bounded however large the value.
type msgpackFramer struct {
	g    gather
	need int   // values still to read; 0 between frames
	skip int64 // payload bytes still to pass
	hdr  [9]byte
	hdrN int // bytes of a header that spans chunks, in hdr
}

// msgpackHead says, for a type byte, how many bytes follow it in its
// header; for the variable sizes the header's last bytes are a length.
func msgpackHead(b byte) int {
	switch {
	case b <= 0x7f || b >= 0xe0 || (b >= 0x80 && b <= 0xbf) || b == 0xc0 || b == 0xc2 || b == 0xc3:
		return 0
	}
	switch b {
	case 0xc4, 0xd9, 0xcc, 0xd0: // bin8, str8, uint8, int8
		return 1
	case 0xc5, 0xda, 0xcd, 0xd1, 0xdc, 0xde: // bin16, str16, uint16, int16, array16, map16
		return 2
	case 0xc6, 0xdb, 0xce, 0xd2, 0xdd, 0xdf, 0xca: // 32-bit sizes, float32
		return 4
	case 0xcf, 0xd3, 0xcb: // uint64, int64, float64
		return 8
	case 0xc7: // ext8: length, type
		return 2
	case 0xc8:
		return 3
	case 0xc9:
		return 5
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext: type
		return 1
	}
	return -1 // 0xc1, never used
}

// Feed implements Framer.
func (m *msgpackFramer) Feed(chunk []byte, emit func(*Frame)) {
	g := &m.g
	if !g.feed(chunk, emit) {
		return
	}
	i := 0
	for i < len(chunk) {
		if m.skip > 0 {
			k := int(min(m.skip, int64(len(chunk)-i)))
			i += k
			if m.skip -= int64(k); m.skip > 0 {
				break
			}
			m.need--
		} else {
			var h []byte
			if m.hdrN == 0 {
				n := msgpackHead(chunk[i])
				if n < 0 {
					g.breakRaw(chunk, "msgpack: type byte 0xc1; raw from here", emit)
					return
				}
				if i+1+n <= len(chunk) {
					h = chunk[i : i+1+n]
				}
			}
			if h == nil { // the header spans chunks
				if m.hdrN == 0 {
					m.hdr[0] = chunk[i]
					m.hdrN = 1
					i++
				}
				want := 1 + msgpackHead(m.hdr[0])
				k := copy(m.hdr[m.hdrN:want], chunk[i:])
				m.hdrN += k
				i += k
				if m.hdrN < want {
					break
				}
				h = m.hdr[:want]
				m.hdrN = 0
			} else {
				i += len(h)
			}
			m.value(h)
		}
		if m.need == 0 {
			g.complete(chunk, i, emit)
		}
	}
	g.carry(chunk)
}

// value reads the header h of the next value.
func (m *msgpackFramer) value(h []byte) {
	if m.need == 0 {
		m.need = 1
	}
	b := h[0]
	var n int64 // elements (arrays, maps) or payload bytes
	elems := false
	switch {
	case b >= 0x80 && b <= 0x8f:
		n, elems = 2*int64(b&0x0f), true
	case b >= 0x90 && b <= 0x9f:
		n, elems = int64(b&0x0f), true
	case b >= 0xa0 && b <= 0xbf:
		n = int64(b & 0x1f)
	case b == 0xc4 || b == 0xd9:
		n = int64(h[1])
	case b == 0xc5 || b == 0xda:
		n = int64(binary.BigEndian.Uint16(h[1:]))
	case b == 0xc6 || b == 0xdb:
		n = int64(binary.BigEndian.Uint32(h[1:]))
	case b == 0xc7:
		n = int64(h[1])
	case b == 0xc8:
		n = int64(binary.BigEndian.Uint16(h[1:]))
	case b == 0xc9:
		n = int64(binary.BigEndian.Uint32(h[1:]))
	case b >= 0xd4 && b <= 0xd8:
		n = 1 << (b - 0xd4)
	case b == 0xdc:
		n, elems = int64(binary.BigEndian.Uint16(h[1:])), true
	case b == 0xdd:
		n, elems = int64(binary.BigEndian.Uint32(h[1:])), true
	case b == 0xde:
		n, elems = 2*int64(binary.BigEndian.Uint16(h[1:])), true
	case b == 0xdf:
		n, elems = 2*int64(binary.BigEndian.Uint32(h[1:])), true
	}
	switch {
	case elems:
		m.need += int(n) - 1
	case n > 0:
		m.skip = n
	default:
		m.need--
	}
}

// skipGap takes a gap inside a string's (or a binary's, an extension's)
// bytes as part of the value (SkipGap), and a recording's cut (rest) as
// the value's end, where the recording measured it.
func (m *msgpackFramer) skipGap(c Cut, rest bool, emit func(*Frame)) bool {
	n, gap := c.N, int(c.Gap)
	g := &m.g
	switch {
	case g.broken != "" || g.size == 0:
		return false
	case rest:
		m.need, m.skip, m.hdrN = 0, 0, 0
		g.cut(int(n), gap, emit)
		return true
	case n > m.skip: // past the string: the next header may be in the gap
		return false
	}
	g.hole(int(n), gap)
	if m.skip -= n; m.skip == 0 {
		if m.need--; m.need == 0 {
			g.complete(nil, 0, emit)
		}
	}
	return true
}

// Flush implements Framer.
func (m *msgpackFramer) Flush(emit func(*Frame)) {
	m.g.flush(ErrMidFrame, emit)
	m.need, m.skip, m.hdrN = 0, 0, 0
}

// Reset implements Framer: after a gap a value's start cannot be found, so
// the rest of the stream is raw.
func (m *msgpackFramer) Reset() {
	m.g.buf, m.g.size = nil, 0
	m.g.broken = "msgpack: bytes lost (gap); raw from here"
}

func (m *msgpackFramer) pending() int { return m.g.pending() }

// Framing implements Framer.
func (*msgpackFramer) Framing() Framing { return FramingMsgpack }
