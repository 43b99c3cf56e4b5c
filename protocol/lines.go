package protocol

import (
	"bytes"
)

// linesFramer cuts on '\n'. A line that lies entirely in one chunk is
// emitted aliasing the chunk; a line spanning chunks is gathered into a
// buffer of at most max bytes, which is reused for the next such line (up to
// keepBuf bytes of it), so its frame's Data lasts until the next Feed.
type linesFramer struct {
	out outFrame // the frame being emitted
	max int
	w   whole  // classifies a line over the cap
	buf []byte // the first max bytes of the partial line
	// size counts the bytes of the partial line seen so far; 0 when none.
	size int
	last byte // the partial line's last byte, to drop a '\r' before '\n'
	// lead counts consumed bytes that belong to no frame yet (empty lines,
	// bytes skipped to resynchronise); they go into the next frame's Wire.
	lead     int
	skipping bool // after Reset: skip to the next '\n'
}

// Feed implements Framer.
func (l *linesFramer) Feed(chunk []byte, emit func(*Frame)) {
	for len(chunk) > 0 {
		i := bytes.IndexByte(chunk, '\n')
		if i > 0 && i <= l.max && chunk[i-1] != '\r' && l.size == 0 && !l.skipping {
			// Most lines: whole in the chunk, within the cap, without a
			// '\r', nothing gathered before: the default case below
			// without its tests, its frame built in place as there.
			f := &l.out.f
			f.Data, f.Size, f.Wire, f.Truncated = chunk[:i:i], i, l.lead+i+1, false
			l.lead = 0
			chunk = chunk[i+1:]
			emit(f)
			continue
		}
		if i < 0 {
			if l.skipping {
				l.lead += len(chunk)
				break
			}
			l.more(chunk)
			l.last = chunk[len(chunk)-1]
			break
		}
		line := chunk[:i]
		chunk = chunk[i+1:]
		if l.skipping {
			l.skipping = false
			if l.lead > 0 || !wholeJSON(line) {
				l.lead += i + 1
				continue
			}
			// The gap ended where this line begins: a line's proper tail
			// is never valid JSON that starts with '{' or '[' (its
			// brackets would not balance), so this is a whole frame.
		}
		switch {
		case l.size > 0:
			l.more(line)
			if i > 0 {
				l.last = line[i-1]
			}
			l.finish(emit)
		default:
			wire := l.lead + i + 1
			if i > 0 && line[i-1] == '\r' {
				line = line[:i-1]
			}
			if len(line) == 0 {
				l.lead = wire
				continue
			}
			l.lead = 0
			// Built in place (not with out.emit), the fields a line's frame
			// sets (out.f is zero between frames but for these, which the
			// next line sets again; forgotten once the chunk is done).
			f := &l.out.f
			f.Data, f.Size, f.Wire, f.Truncated = capped(line, l.max), len(line), wire, len(line) > l.max
			if f.Truncated {
				f.Whole = l.w.of(line)
				emit(f)
				f.Whole = nil
				continue
			}
			emit(f)
		}
	}
	l.out.f = Frame{}
}

// more takes p, the next bytes of the partial line (whole.more).
func (l *linesFramer) more(p []byte) {
	l.buf, l.size = l.w.more(l.buf, l.size, p, l.max)
}

// finish emits the gathered line once its '\n' has arrived.
func (l *linesFramer) finish(emit func(*Frame)) {
	size := l.size
	if l.last == '\r' {
		size--
	}
	wire := l.lead + l.size + 1
	data := l.buf
	l.buf, l.size, l.last, l.lead = nil, 0, 0, 0
	wh := l.w.done()
	if size == 0 {
		l.lead = wire
	} else {
		f := Frame{Data: capped(data, size), Size: size, Wire: wire, Truncated: size > len(data) || size > l.max}
		if f.Truncated {
			f.Whole = wh // not when only the '\r' made it longer than the cap
		}
		l.out.emit(emit, f)
	}
	if cap(data) <= keepBuf {
		l.buf = data[:0]
	}
}

// skipGap ends a line a recording kept only the start of (SkipCut, rest):
// it went on for c.N bytes more, and took c.Wire with its end. A gap met
// live is not taken (nor can a line a gap went through be recorded):
// framing picks up again at the next line (Reset).
func (l *linesFramer) skipGap(c Cut, rest bool, emit func(*Frame)) bool {
	if !rest || l.size == 0 || l.skipping {
		return false
	}
	data := l.buf
	l.w.unseen(data)
	f := Frame{Data: data, Size: l.size + int(c.N), Wire: l.lead + l.size + int(c.Wire), Truncated: true, Whole: l.w.done()}
	l.buf, l.size, l.last, l.lead = nil, 0, 0, 0
	l.out.emit(emit, f)
	if cap(data) <= keepBuf {
		l.buf = data[:0]
	}
	return true
}

// Flush implements Framer.
func (l *linesFramer) Flush(emit func(*Frame)) {
	if l.size > 0 {
		f := Frame{Data: capped(l.buf, l.size), Size: l.size, Wire: l.lead + l.size, Err: ErrMidFrame}
		f.Truncated = len(f.Data) < f.Size
		l.out.emit(emit, f)
	}
	l.buf, l.size, l.last, l.lead, l.skipping = nil, 0, 0, 0, false
	l.w.on = false
}

// Reset implements Framer: the partial line is dropped and the bytes up to
// the next '\n' are skipped, since they are the tail of a line whose head
// was never seen.
func (l *linesFramer) Reset() {
	l.buf, l.size, l.last, l.lead = nil, 0, 0, 0
	l.skipping = true
	l.w.on = false
}

// wholeJSON reports whether line (its '\r' included, if any) is a JSON
// object or array, whole: its brackets matched and its strings ended
// where it ends (the tail of a line cut has a closing bracket too many).
// Not json.Valid, whose scanners come from a sync.Pool: each gap cost an
// allocation whenever the pool had been emptied.
func wholeJSON(line []byte) bool {
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if len(line) == 0 || line[0] != '{' && line[0] != '[' {
		return false
	}
	end, reason := skipValue(line, 0)
	return reason == "" && skipSpace(line, end) == len(line)
}

func (l *linesFramer) pending() int { return l.lead + l.size }

// Framing implements Framer.
func (*linesFramer) Framing() Framing { return FramingLines }
