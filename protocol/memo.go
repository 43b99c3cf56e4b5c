package protocol

import (
	"math"
)

// Memo remembers the skeleton of the last JSON frame of one stream
// direction that the fast scan took, so that the next frame, which nearly
// always has the same keys in the same order with values of the same
// kinds (`{"jsonrpc":"2.0","id":123,…}` then the same with id 124), is
// checked against it rather than scanned key by key.
//
// The skeleton is the frame cut at its values: the literal bytes between
// two values (a value's end through the next key, its colon and spaces up
// to the next value's start; the opening `{"key":` and the closing tail)
// and, for each value, its kind and the shape's members it is the value
// of. Literal values other than numbers (true, false, null) stay in the
// literals: `"success":false` after `"success":true` is another skeleton.
// A frame whose literals are the same bytes and whose values are each of
// the same kind, scanned as scanFast scans them, is one scanFast takes with
// the same shape: its Info is Classify's. Any other frame is classified the
// stateless way, and teaches the Memo its skeleton.
//
// The zero Memo knows no skeleton. A Memo is for one goroutine; it holds
// no bytes of the frames it saw (a copy of the literals) and has a fixed
// size.
type Memo struct {
	fields  []string // the id fields it was learnt with (the same list)
	n       int      // members; 0 if no skeleton is known
	nv      int      // values that are not literals (vals)
	tail    int      // length of the literal after the last of vals
	tailAt  int      // its first word in lit
	tailEnd uint64   // the frame's last eight bytes (a tail of eight or fewer)
	tailv   memoVal  // the tail's words, as a value's literal's (a tail of 9 to 24)
	idRank  int
	members int
	flags   uint8
	misses  uint8 // frames in a row that did not fit the skeleton
	// foldable has a bit for each string value whose bytes seen holds:
	// set by learn, the next frame that fits folds those it repeats into
	// the literals (fold). folded is set when a skeleton has such values.
	foldable uint16
	folded   bool
	// foldMisses counts folded skeletons that soon stopped fitting: past
	// foldMax, values are not folded (for about 250 skeletons).
	foldMisses uint8
	matched    uint32 // frames that fitted the skeleton since it was learnt
	// intID is the IntID of the id of the Info the last ClassifyInto
	// wrote, if match found it (the id's value is vals' valIntID), or 0.
	intID IntID
	// usual is set when the skeleton is one of shape.usual's: the Info
	// is kind, isErr, the id value idVal's bytes and (a request's) the
	// contents of the method value methodVal.
	usual     bool
	isErr     bool
	kind      Kind
	idVal     uint8
	methodVal uint8
	vals      [memoVals]memoVal    // the values that are not literals
	spans     [memoVals]span       // where match found each of vals
	mems      [memoVals]memoMember // the members' values, in the frame's order
	lit       [memoWords]uint64    // the literals, each from a word's start, little endian
	seen      [memoVals]memoSeen   // the foldable string values' bytes, by member
}

// memoMember is the value of one top-level member of a skeleton: vals[host],
// or, for a literal value (lit), the vlen bytes from off in the literal
// before vals[host] (the tail's when host is nv), which starts where
// vals[host-1] ends. d0 and d1 are the shape's tok slots it fills (tokNone
// for none).
type memoMember struct {
	off, vlen uint16
	host      uint8
	lit       bool
	d0, d1    uint8
}

// memoSeen is a string value of the frame a skeleton was learnt from, of
// up to len(b) bytes, quotes included.
type memoSeen struct {
	b [16]byte
	n uint8
}

// foldMax is how many folded skeletons in a row may stop fitting within
// foldRun frames before a Memo stops folding values.
const (
	foldMax = 4
	foldRun = 64
)

// Bounds of a skeleton: frames with more top-level members or longer
// literals are classified the stateless way.
const (
	memoVals  = 16
	memoWords = 32
)

// memoVal is one value of a skeleton that is not a literal: the literal
// before it (lit bytes, its words from lit[at]), which holds the literal
// values between it and the value before, and its kind. A literal of up to
// memoWide bytes is also w0, its first eight bytes, w2 and w3, the eight
// from mid and mid2 (8 and 16 in one longer than 24; 8 and 0 in one longer
// than 16, w3 being w0; else 0, w2 and w3 being w0), and w1, the eight that
// end it at wide (the greater of lit and 8; for a longer literal, more
// than a frame the Memo takes has), of which mask tells the bytes that are
// the literal's (all but in one shorter than eight): eq compares them.
// A string value that two frames in a row had with
// the same bytes is folded into its literal as a literal value: the frame
// after that fits only if it has the same bytes there again.
type memoVal struct {
	w0, w1, w2, w3, mask uint64
	wide, mid, mid2      uint32
	lit                  uint16
	at, kind             uint8
}

// Kinds of a skeleton's values.
const (
	valStr   uint8 = iota // a string, as scanFast scans it
	valArr                // an array, skipArray
	valObj                // an object, skipNested
	valNum                // a run of literal bytes starting with a digit or '-'
	valLit                // any other run of literal bytes, or a folded string: part of a literal
	valIntID              // a valNum that is the id of a usual skeleton: match finds its IntID
)

// ClassifyInto is ClassifyInto for the frames of one stream direction, in
// order: the Info is the same for every frame, whatever came before.
func (m *Memo) ClassifyInto(f Framing, data []byte, dir Dir, idFields []string, info *Info) {
	switch f {
	case FramingHTTP, FramingRESP, FramingMsgpack, FramingVarlink, FramingHTTP2:
		m.intID = 0
		ClassifyInto(f, data, dir, idFields, info)
		return
	}
	if len(idFields) == 0 {
		idFields = DefaultIDFields
	}
	if len(data) < 8 || data[0] != '{' || uint64(len(data)) >= math.MaxUint32 {
		m.intID = 0
		classifyInto(data, idFields, info)
		return
	}
	if m.n > 0 && same(idFields, m.fields) && m.match(data) {
		m.misses = 0
		m.matched++
		if m.usual {
			id := m.span(m.idVal)
			var method []byte
			if m.kind == KindRequest {
				v := m.span(m.methodVal)
				method = plainMethod(data[v.lo+1 : v.hi-1])
			}
			info.set(m.kind, data[id.lo:id.hi], method, m.isErr)
		} else {
			var s shape
			m.shapeInto(&s)
			s.infoInto(data, info)
		}
		if m.foldable != 0 {
			m.fold(data)
		}
		return
	}
	m.intID = 0 // match may have found one in a frame that did not fit
	if m.n > 0 && m.folded {
		if m.matched < foldRun {
			m.foldMisses = min(m.foldMisses+1, foldMax)
		} else {
			m.foldMisses = 0
		}
	}
	var s shape
	if !scanFast(data, idFields, &s) {
		*info = classify(data, idFields)
		return
	}
	// A stream of frames that never fit one skeleton learns one frame in
	// 16.
	if m.misses < 4 || m.misses%16 == 0 {
		m.learn(data, idFields, &s, 0)
	}
	m.misses++
	s.infoInto(data, info)
}

// shapeInto sets s to the shape of the frame match found: the values'
// spans in the slots they fill.
func (m *Memo) shapeInto(s *shape) {
	*s = shape{idRank: m.idRank, members: m.members, flags: m.flags}
	for k, e := range m.mems[:m.n] {
		v := m.span(uint8(k))
		s.tok[e.d0], s.tok[e.d1] = v, v
	}
}

// TakeIntID returns the IntID of the id of the Info the last ClassifyInto
// wrote, when the Memo found it (an integer id in its canonical spelling,
// of up to 18 digits, in a frame that fitted the skeleton), or 0; and
// forgets it: until the next ClassifyInto, it returns 0.
func (m *Memo) TakeIntID() IntID {
	n := m.intID
	m.intID = 0
	return n
}

// span is where match found the value of the k-th member.
func (m *Memo) span(k uint8) span {
	e := &m.mems[k]
	if !e.lit {
		return m.spans[e.host]
	}
	lo := uint32(e.off)
	if e.host > 0 {
		lo += m.spans[e.host-1].hi
	}
	return span{lo, lo + uint32(e.vlen)}
}
