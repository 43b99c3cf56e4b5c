package protocol

import (
	"encoding/binary"
	"strconv"

	"golang.org/x/net/http2/hpack"
)

// The bounds of HPACK decoding, per connection and direction.
const (
	// h2MaxTable bounds the dynamic table a decoder follows. An encoder's
	// table is as large as its peer allows (SETTINGS_HEADER_TABLE_SIZE,
	// 4,096 bytes unless set); a size update past this is not followed,
	// and the direction's header blocks are not decoded from there.
	h2MaxTable = 64 << 10
	// h2MaxFields bounds the decoded fields kept of one header block:
	// what a block decodes to may be far larger than the block (one byte
	// names a field of the table). The fields past it are decoded (the
	// table needs them) but not kept.
	h2MaxFields = 64 << 10
)

// What the first byte of Frame.Fields says.
const (
	h2Decoded    = 'd' // the fields follow
	h2DecodedCut = 'c' // the fields that were kept follow: more were decoded
	h2NotDecoded = 'n' // why the block was not decoded follows
)

// H2Block is what Frame.Fields says of an HTTP/2 header block (a HEADERS
// or PUSH_PROMISE frame and the CONTINUATION frames that go on with it):
// its fields, decoded with HPACK against the header blocks before it on
// its connection and direction, or why they could not be.
type H2Block struct {
	// Fields are the block's fields, in their order, pseudo-header
	// fields (":method", ":status") first; nil when not decoded.
	Fields []HTTPHeader
	// Cut is set when the block decoded to more fields than sockscope
	// keeps (64 KiB of them): Fields are the first.
	Cut bool
	// Err says why the block was not decoded ("" when it was).
	Err string
}

// ParseH2Block reads Frame.Fields, p; ok is false when p is empty: the
// frame is no header block, or its framer did not decode HPACK.
func ParseH2Block(p []byte) (b H2Block, ok bool) {
	if len(p) == 0 {
		return b, false
	}
	switch p[0] {
	case h2NotDecoded:
		b.Err = string(p[1:])
		return b, true
	case h2DecodedCut:
		b.Cut = true
	}
	b.Fields = []HTTPHeader{}
	for p = p[1:]; len(p) > 0; {
		var f HTTPHeader
		if f.Name, p = h2Field(p); p == nil {
			break
		}
		if f.Value, p = h2Field(p); p == nil {
			break
		}
		b.Fields = append(b.Fields, f)
	}
	return b, true
}

// h2Field reads one length-prefixed string of Frame.Fields at p, and
// returns it and what follows (nil when p ends first).
func h2Field(p []byte) (s, rest []byte) {
	n, k := binary.Uvarint(p)
	if k <= 0 || n > uint64(len(p)-k) {
		return nil, nil
	}
	return p[k : k+int(n) : k+int(n)], p[k+int(n):]
}

// h2Decoder decodes the header blocks of one direction of an HTTP/2
// connection, in order, with HPACK's dynamic table (RFC 7541), as the
// peer that receives them does; the blocks' bytes are written to it as
// they pass, so a frame kept truncated decodes all the same. Once a
// block cannot be decoded (a gap took bytes of it, it is not valid
// HPACK), the table is no longer known: that block and every later one
// are not decoded, and say why.
type h2Decoder struct {
	dec *hpack.Decoder
	// lost, once set, says why the table is not known.
	lost string
	// err says why the block being read is not decoded.
	err string
	// fields is the block's Frame.Fields: its first byte, then each
	// field's name and value, each length-prefixed (a uvarint).
	fields []byte
	// off and lim bound the header block fragment in the payload of the
	// frame being read (lim is set by its padding, the payload's first
	// byte, when padded).
	off, lim int64
	padded   bool
	// The message being emitted: its Info (Frame.Whole), its method's and
	// id's bytes, and the emit it goes on to.
	info         Info
	method, id   []byte
	typ          byte
	stream       uint32
	dir          Dir
	upgraded     bool // the server's side of an h2c upgrade: stream 1 answers the upgrade's request
	down         func(*Frame)
	decorateFunc func(*Frame) // decorate, made once
}

func newH2Decoder() *h2Decoder {
	d := &h2Decoder{}
	d.dec = hpack.NewDecoder(4096, d.field) // SETTINGS_HEADER_TABLE_SIZE's initial value
	d.dec.SetAllowedMaxDynamicTableSize(h2MaxTable)
	d.dec.SetMaxStringLength(h2MaxFields)
	d.decorateFunc = d.decorate
	return d
}

// lose says the table is not known from here, and why.
func (d *h2Decoder) lose(why string) {
	if d.lost == "" {
		d.lost = why
	}
	if d.err == "" {
		d.err = why
	}
}

// fail says the block being read does not decode, and why: the table is
// lost with it.
func (d *h2Decoder) fail(why string) {
	if d.err != "" {
		return
	}
	d.err = why
	d.lose("an earlier header block did not decode (" + why + "): HPACK's table is not known")
}

// start begins a header block (a HEADERS or PUSH_PROMISE frame).
func (d *h2Decoder) start() {
	d.err = d.lost
	d.fields = append(d.fields[:0], h2Decoded)
	d.dec.Close() // drops what a block left undecoded (one lost to a gap)
}

// frame begins a frame of the block, of type typ, with flags, whose
// payload is length bytes.
func (d *h2Decoder) frame(typ, flags byte, length int64) {
	d.off, d.lim, d.padded = 0, length, false
	if typ != h2Continuation && flags&0x8 != 0 {
		d.off, d.padded = 1, true
	}
	switch {
	case typ == h2Headers && flags&0x20 != 0:
		d.off += 5 // the stream dependency and weight
	case typ == h2PushPromise:
		d.off += 4 // the promised stream id
	}
	if d.off > length {
		d.fail("a " + string(h2TypeName(typ)) + " frame too short for its fields (FRAME_SIZE_ERROR)")
	}
}

// payload takes p, the bytes of the frame's payload from offset pos on,
// and decodes the header block fragment among them.
func (d *h2Decoder) payload(pos int64, p []byte) {
	if d.err != "" || len(p) == 0 {
		return
	}
	if d.padded && pos == 0 {
		if d.lim -= int64(p[0]); d.lim < d.off {
			d.fail("padding longer than its frame (PROTOCOL_ERROR)")
			return
		}
	}
	lo, hi := max(pos, d.off), min(pos+int64(len(p)), d.lim)
	if lo >= hi {
		return
	}
	if _, err := d.dec.Write(p[lo-pos : hi-pos]); err != nil {
		d.fail("hpack: " + err.Error())
	}
}

// field is the hpack decoder's emit: it keeps f in fields, up to the
// bound.
func (d *h2Decoder) field(f hpack.HeaderField) {
	if d.err != "" || d.fields[0] == h2DecodedCut {
		return
	}
	if len(d.fields)+len(f.Name)+len(f.Value)+2*binary.MaxVarintLen32 > h2MaxFields {
		d.fields[0] = h2DecodedCut
		return
	}
	d.fields = binary.AppendUvarint(d.fields, uint64(len(f.Name)))
	d.fields = append(d.fields, f.Name...)
	d.fields = binary.AppendUvarint(d.fields, uint64(len(f.Value)))
	d.fields = append(d.fields, f.Value...)
}

// end ends the block: fields is what it says.
func (d *h2Decoder) end() {
	if d.err == "" {
		if err := d.dec.Close(); err != nil {
			d.fail("hpack: " + err.Error())
		}
	}
	if d.err != "" {
		d.fields = append(append(d.fields[:0], h2NotDecoded), "not decoded: "+d.err...)
	}
}

// via returns the emit that hands the block's message to emit with its
// fields and Info (decorate): a block of frame type typ on stream, that
// travelled in dir.
func (d *h2Decoder) via(emit func(*Frame), typ byte, stream uint32, dir Dir) func(*Frame) {
	d.down, d.typ, d.stream, d.dir = emit, typ, stream, dir
	return d.decorateFunc
}

// decorate gives fr, a header block's message, its fields and its Info.
func (d *h2Decoder) decorate(fr *Frame) {
	d.classify(fr.Data)
	fr.Fields, fr.Whole = d.fields, &d.info
	emit := d.down
	d.down = nil
	emit(fr)
}

// classify sets info, the Info of the header block's message, data (its
// start, if it was kept truncated), from its fields; from what the
// static table and plain literals say of data when they were not
// decoded.
func (d *h2Decoder) classify(data []byte) {
	d.info = Info{Kind: KindNotification, Method: h2TypeName(d.typ)}
	if d.stream != 0 {
		d.id = strconv.AppendUint(d.id[:0], uint64(d.stream), 10)
		d.info.ID = d.id
	}
	if d.typ != h2Headers || d.stream == 0 {
		return
	}
	var fs h2Fields
	if d.fields[0] == h2NotDecoded {
		if f, ok := parseH2(data); ok {
			b, _ := f.wholeBlock()
			fs = readFields(b)
		}
	} else {
		fs.first = 2 // trailers, unless a pseudo-header comes first (none at all: trailers too)
		p := d.fields[1:]
		for n := 0; len(p) > 0; n++ {
			var name, value []byte
			if name, p = h2Field(p); p == nil {
				break
			}
			if value, p = h2Field(p); p == nil {
				break
			}
			if n == 0 && len(name) > 0 && name[0] == ':' {
				fs.first = 1
			}
			fs.set(name, value)
		}
	}
	d.method = h2BlockInfo(&d.info, d.stream, d.dir, &fs, d.method[:0])
	if d.upgraded && d.stream == 1 && d.info.Kind == KindResponse {
		d.info.Kind = KindNotification // its request's 101 answered it
	}
}
