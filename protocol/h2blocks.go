package protocol

import (
	"encoding/binary"

	"golang.org/x/net/http2/hpack"
)

// H2Blocks decodes again the header blocks of one direction of an HTTP/2
// connection from a recording, a message at a time and in their order, as
// the framer that cut them decoded them as they passed. It is for a reader
// that reads a recording's messages one by one without framing its
// streams again (the index's View): it gives H2Blocks every message whose
// framer gave it fields (Frame.Fields), and nothing else, from the
// connection's start.
type H2Blocks struct {
	d   *h2Decoder
	dir Dir
	// size is the dynamic table's size, as the last size update set it
	// (a Snapshot's).
	size uint32
}

// NewH2Blocks returns the H2Blocks of direction dir of a connection, at
// its start.
func NewH2Blocks(dir Dir) *H2Blocks { return &H2Blocks{d: newH2Decoder(), dir: dir, size: 4096} }

// Decode decodes the header block of m, the next message of the direction
// whose framer gave it fields, and returns what its Frame.Fields said:
// its fields, or why they could not be decoded. decoded says whether its
// framer decoded it (H2Decoded of the fields it gave): a block it did not
// decode is not decoded here either, and the table is lost from there,
// as it was for the framer. A block a gap went through, or one the
// recording kept only the start of, is not decoded (nor is any after it),
// as when a framer reads the recording again.
func (b *H2Blocks) Decode(m *Message, decoded bool) []byte {
	d := b.d
	d.start()
	f, ok := parseH2(m.Frame.Data)
	f0, whole := f, ok
	for first := true; ok; first = false {
		if !first && f.typ != h2Continuation {
			whole = false
			break
		}
		d.frame(f.typ, f.flags, int64(f.length))
		if len(f.payload) < f.length {
			whole = false
			break
		}
		d.payload(0, f.payload)
		if len(f.rest) == 0 {
			break
		}
		if f, ok = parseH2(f.rest); !ok {
			whole = false
		}
	}
	switch {
	case IsGapErr(m.Frame.Err):
		d.fail("bytes of it were not seen (a gap)")
	case m.Frame.Truncated || !whole:
		d.fail("the recording kept only its start")
	}
	d.end()
	if d.fields[0] != h2NotDecoded {
		block, _ := f0.wholeBlock()
		if size, ok := tableSize(block); ok {
			b.size = uint32(size)
		}
	}
	if !decoded && d.fields[0] != h2NotDecoded {
		// Its framer's table was lost before it, for what a recording's
		// messages do not say: the connection's start was not seen.
		why := "the client's preface was not seen: HPACK's table is not known"
		if b.dir == S2C {
			why = "the server's first frames were not seen: HPACK's table is not known"
		}
		d.lose(why)
		d.fields = append(append(d.fields[:0], h2NotDecoded), "not decoded: "+why...)
	}
	return append([]byte(nil), d.fields...)
}

// Lose makes every block from here on not decoded, saying why.
func (b *H2Blocks) Lose(why string) {
	b.d.lose(why)
}

// H2Decoded reports whether fields, a header block's Frame.Fields, hold
// its fields (not why they could not be decoded).
func H2Decoded(fields []byte) bool { return len(fields) > 0 && fields[0] != h2NotDecoded }

// H2NotDecoded returns Frame.Fields saying a header block was not decoded,
// and why.
func H2NotDecoded(why string) []byte {
	return append([]byte{h2NotDecoded}, "not decoded: "+why...)
}

// ClassifyH2Block classifies data, an HTTP/2 header block's message that
// travelled in dir, by fields, its Frame.Fields, as its framer classified
// it (Frame.Whole): by the static table and plain literals when fields
// say it was not decoded.
func ClassifyH2Block(data []byte, dir Dir, fields []byte) Info {
	f, ok := parseH2(data)
	if !ok || len(fields) == 0 {
		return classifyHTTP2(data, dir, nil)
	}
	d := h2Decoder{typ: f.typ, stream: f.stream, dir: dir, fields: fields}
	d.classify(data)
	return d.info
}

// What the first byte of an H2Blocks snapshot says.
const (
	h2SnapTable = 't' // the table's size, then its entries, oldest first
	h2SnapLost  = 'l' // the table is lost: why follows
)

// Snapshot returns the decoding as it stands, after the blocks decoded
// so far: HPACK's dynamic table (its size and entries, at most 64 KiB
// of them) or why it is lost. H2BlocksAt goes on from it.
func (b *H2Blocks) Snapshot() []byte {
	d := b.d
	if d.lost != "" {
		return append([]byte{h2SnapLost}, d.lost...)
	}
	var ents []hpack.HeaderField // newest first, as the table indexes them
	d.dec.SetEmitFunc(func(f hpack.HeaderField) { ents = append(ents, f) })
	d.dec.Write(h2Probe) // each entry's index, up to the first past the table
	d.dec.Close()
	d.dec.SetEmitFunc(d.field)
	s := binary.AppendUvarint([]byte{h2SnapTable}, uint64(b.size))
	s = binary.AppendUvarint(s, uint64(len(ents)))
	for i := len(ents) - 1; i >= 0; i-- {
		s = binary.AppendUvarint(s, uint64(len(ents[i].Name)))
		s = append(s, ents[i].Name...)
		s = binary.AppendUvarint(s, uint64(len(ents[i].Value)))
		s = append(s, ents[i].Value...)
	}
	return s
}

// H2BlocksAt returns the H2Blocks of direction dir that goes on from
// snap, a Snapshot; false when snap is not one.
func H2BlocksAt(dir Dir, snap []byte) (*H2Blocks, bool) {
	b := NewH2Blocks(dir)
	if len(snap) == 0 {
		return nil, false
	}
	switch snap[0] {
	case h2SnapLost:
		b.d.lost = string(snap[1:])
		return b, true
	case h2SnapTable:
	default:
		return nil, false
	}
	p := snap[1:]
	size, k := binary.Uvarint(p)
	if k <= 0 || size > h2MaxTable {
		return nil, false
	}
	p = p[k:]
	n, k := binary.Uvarint(p)
	if k <= 0 || n > h2MaxTable/32 {
		return nil, false
	}
	p = p[k:]
	// The entries, oldest first, as literals with incremental indexing
	// and new names: the decoder adds them to its table as it did.
	var block []byte
	for range n {
		block = append(block, 0x40)
		for range 2 { // the name, then the value
			s, rest := h2Field(p)
			if rest == nil {
				return nil, false
			}
			block = appendHpackInt(block, 7, 0, len(s))
			block = append(block, s...)
			p = rest
		}
	}
	if len(p) != 0 {
		return nil, false
	}
	b.size = uint32(size)
	d := b.d.dec
	d.SetMaxDynamicTableSize(b.size)
	d.SetEmitEnabled(false)
	_, err := d.Write(block)
	if err == nil {
		err = d.Close()
	}
	d.SetEmitEnabled(true)
	return b, err == nil
}

// h2Probe is an indexed field of each index of the dynamic table it may
// hold (from 62; an entry takes 32 bytes at least).
var h2Probe = func() []byte {
	var p []byte
	for i := 62; i <= 62+h2MaxTable/32; i++ {
		p = appendHpackInt(p, 7, 0x80, i)
	}
	return p
}()

// appendHpackInt appends v as an HPACK integer with an n-bit prefix, the
// first byte's other bits those of first.
func appendHpackInt(p []byte, n uint, first byte, v int) []byte {
	mask := 1<<n - 1
	if v < mask {
		return append(p, first|byte(v))
	}
	p = append(p, first|byte(mask))
	for v -= mask; v >= 0x80; v >>= 7 {
		p = append(p, byte(v&0x7f|0x80))
	}
	return append(p, byte(v))
}

// tableSize returns the last dynamic table size update of p, a header
// block, if it has one (RFC 7541 §6.3).
func tableSize(p []byte) (int, bool) {
	size, ok := 0, false
	for len(p) > 0 {
		b := p[0]
		var k int
		switch {
		case b&0x80 != 0: // indexed
			_, k = hpackInt(p, 7)
		case b&0xe0 == 0x20:
			size, k = hpackInt(p, 5)
			ok = true
		default: // a literal: a name's index or the name, then the value
			prefix := uint(4)
			if b&0x40 != 0 {
				prefix = 6
			}
			var i int
			if i, k = hpackInt(p, prefix); k > 0 && i == 0 {
				_, _, n := hpackString(p[k:])
				if n == 0 {
					return size, ok
				}
				k += n
			}
			if k > 0 {
				_, _, n := hpackString(p[k:])
				if n == 0 {
					return size, ok
				}
				k += n
			}
		}
		if k == 0 {
			break
		}
		p = p[k:]
	}
	return size, ok
}
