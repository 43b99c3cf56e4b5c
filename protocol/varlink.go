package protocol

import "bytes"

// nulFramer cuts on NUL bytes (varlink): each frame is the JSON before a
// NUL, which is not in Data but counts in Wire. A frame spanning chunks is
// gathered into a buffer of at most max bytes; after a gap the framer skips
// to the next NUL. A frame over the cap is classified from all of its bytes
// as they pass (whole), as a line is.
type nulFramer struct {
	out      outFrame // the frame being emitted
	max      int
	w        whole
	buf      []byte
	size     int
	skipping bool
	lead     int // bytes skipped after a gap, counted into the next frame's Wire
}

// Feed implements Framer.
func (n *nulFramer) Feed(chunk []byte, emit func(*Frame)) {
	for len(chunk) > 0 {
		i := bytes.IndexByte(chunk, 0)
		if i < 0 {
			if n.skipping {
				n.lead += len(chunk)
				return
			}
			n.more(chunk)
			return
		}
		part := chunk[:i]
		chunk = chunk[i+1:]
		switch {
		case n.skipping:
			n.skipping = false
			n.lead += i + 1
		case n.size == 0:
			wire := n.lead + i + 1
			n.lead = 0
			var whole *Info
			if i > n.max {
				whole = n.w.of(part)
			}
			n.out.emit(emit, Frame{Data: capped(part, n.max), Size: i, Wire: wire, Truncated: i > n.max, Whole: whole})
		default:
			n.more(part)
			size := n.size
			data := n.buf
			wire := n.lead + size + 1
			n.buf, n.size, n.lead = nil, 0, 0
			n.out.emit(emit, Frame{Data: capped(data, min(size, n.max)), Size: size, Wire: wire, Truncated: size > n.max, Whole: n.w.done()})
			if cap(data) <= keepBuf {
				n.buf = data[:0]
			}
		}
	}
}

// more takes p, the next bytes of the partial frame (whole.more).
func (n *nulFramer) more(p []byte) {
	n.buf, n.size = n.w.more(n.buf, n.size, p, n.max)
}

// Flush implements Framer.
func (n *nulFramer) Flush(emit func(*Frame)) {
	if n.size > 0 {
		n.out.emit(emit, Frame{Data: capped(n.buf, min(n.size, n.max)), Size: n.size, Wire: n.lead + n.size, Truncated: n.size > n.max, Err: ErrMidFrame})
	}
	n.buf, n.size, n.lead, n.skipping = nil, 0, 0, false
	n.w.on = false
}

// skipGap ends a frame a recording kept only the start of (SkipCut, rest)
// as linesFramer's does. A gap met live is not taken: framing picks up
// again after the next NUL (Reset).
func (n *nulFramer) skipGap(c Cut, rest bool, emit func(*Frame)) bool {
	if !rest || n.size == 0 || n.skipping {
		return false
	}
	data := n.buf
	n.w.unseen(data)
	f := Frame{Data: data, Size: n.size + int(c.N), Wire: n.lead + n.size + int(c.Wire), Truncated: true, Whole: n.w.done()}
	n.buf, n.size, n.lead = nil, 0, 0
	n.out.emit(emit, f)
	if cap(data) <= keepBuf {
		n.buf = data[:0]
	}
	return true
}

// Reset implements Framer: the bytes up to the next NUL are the tail of a
// frame whose head was never seen.
func (n *nulFramer) Reset() {
	n.buf, n.size, n.lead = nil, 0, 0
	n.skipping = true
	n.w.on = false
}

func (n *nulFramer) pending() int { return n.lead + n.size }

// Framing implements Framer.
func (*nulFramer) Framing() Framing { return FramingVarlink }

// classifyVarlink classifies a varlink message: a call
// {"method":…,"parameters":…} (with "oneway":true a notification, never
// answered), or a reply {"parameters":…} or {"error":…}, "continues":true
// when more replies to the same call follow.
func classifyVarlink(data []byte) Info {
	info := Classify(data, noIDFields)
	if info.Kind == KindRaw {
		return info
	}
	var method, errName []byte
	var failed, oneway, continues, object bool
	object = eachMember(data, func(key, val []byte) {
		switch string(key) {
		case "method":
			method = plainMethod(str(val))
		case "error":
			errName, failed = plainMethod(str(val)), true
		case "oneway":
			oneway = string(val) == "true"
		case "continues":
			continues = string(val) == "true"
		}
	})
	switch {
	case !object:
		return Info{Kind: KindOther}
	case method != nil && oneway:
		return Info{Kind: KindNotification, Method: method}
	case method != nil:
		return Info{Kind: KindRequest, Method: method}
	case failed: // its name a string, or not (then it has none)
		return Info{Kind: KindResponse, Method: errName, IsError: true, Continues: continues}
	}
	return Info{Kind: KindResponse, Continues: continues}
}

// noIDFields makes Classify look for an id no message has.
var noIDFields = []string{"\x00"}

// eachMember calls fn with each top-level member of the JSON object data
// (already validated by Classify): its key's contents and its value token.
// It reports whether data is an object.
func eachMember(data []byte, fn func(key, val []byte)) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = skipSpace(data, i+1)
	for i < len(data) && data[i] == '"' {
		e, _ := scanString(data, i)
		key := data[i+1 : e-1]
		i = skipSpace(data, e)
		i = skipSpace(data, i+1) // the ':'
		start := i
		i, _ = skipValue(data, i)
		fn(key, data[start:i])
		i = skipSpace(data, i)
		if i < len(data) && data[i] == ',' {
			i = skipSpace(data, i+1)
		}
	}
	return true
}
