package protocol

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
}

// NewH2Blocks returns the H2Blocks of direction dir of a connection, at
// its start.
func NewH2Blocks(dir Dir) *H2Blocks { return &H2Blocks{d: newH2Decoder(), dir: dir} }

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
	whole := ok
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
