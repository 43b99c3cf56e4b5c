package protocol

import (
	"encoding/binary"
	"math"
	"math/bits"
	"unsafe"
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
	case FramingHTTP, FramingRESP, FramingMsgpack, FramingVarlink:
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
				method = data[v.lo+1 : v.hi-1]
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

// fold makes the skeleton, which data fits (m.spans are its values),
// that of data with the foldable string values it repeats folded into the
// literals. If that skeleton would be over a Memo's bounds, m keeps the
// one it has.
func (m *Memo) fold(data []byte) {
	var mask uint16
	for f := m.foldable; f != 0; f &= f - 1 {
		j := bits.TrailingZeros16(f)
		if v := m.span(uint8(j)); string(data[v.lo:v.hi]) == string(m.seen[j].b[:m.seen[j].n]) {
			mask |= 1 << j
		}
	}
	m.foldable = 0
	if mask == 0 {
		return
	}
	var s shape
	m.shapeInto(&s)
	c := *m
	if c.learn(data, m.fields, &s, mask); c.n > 0 {
		*m = c
	}
}

// match reports whether data fits the skeleton, noting where its values
// are in m.spans.
func (m *Memo) match(data []byte) bool {
	i := 0
	var high uint64 // the bytes of strings, or'd: ASCII if no top bit is set
	for j := range m.vals[:m.nv] {
		v := &m.vals[j]
		n := int(v.lit)
		// In uint64: a long literal's wide, MaxUint32, is no int on a
		// 32-bit platform.
		if uint64(i)+uint64(v.wide) <= uint64(len(data)) {
			if !v.eq(data, i) {
				return false
			}
		} else if !eqLit(data, i, n, m.lit[v.at:]) {
			return false
		}
		i += n
		start := i
		if i >= len(data) {
			return false
		}
		c := data[i]
		if c <= ' ' { // spaces after the colon, skipped as scanFast does
			if i = skipSpace(data, i); i >= len(data) {
				return false
			}
			start, c = i, data[i]
		}
		switch v.kind {
		case valStr:
			if c != '"' {
				return false
			}
			// A string of up to seven bytes ends in the word after its
			// quote; a longer one is memoString's.
			w := wordAt(data, i+1)
			if t := stops(w); t != 0 && data[i+1+bits.TrailingZeros64(t)>>3] == '"' {
				k := bits.TrailingZeros64(t)
				i += 2 + k>>3
				high |= w & (1<<k - 1)
				break
			}
			var h uint64
			if i, h = memoString(data, i+1); i < 0 {
				return false
			}
			high |= h
		case valIntID:
			// The id: an integer of up to seven digits ended by a byte that
			// is no literal's (one intKey takes, unless it starts with a
			// 0 that is not all of it) has its IntID found with its
			// digits; any other number is valNum's, without one.
			// (Past data's end, wordAt's zeros end it: then the tail
			// does not fit.)
			w := wordAt(data, i)
			if n, k := digits(w); uint(k-1) < 7 && !literal[byte(w>>(8*k&63))] {
				m.intID, i = 0, i+k
				if c != '0' || k == 1 {
					m.intID = n
				}
				break
			}
			m.intID = 0
			if !numStart(c) {
				return false
			}
			for i++; i < len(data) && literal[data[i]]; i++ {
			}
		case valNum:
			if !numStart(c) {
				return false
			}
			for i++; i < len(data) && literal[data[i]]; i++ {
			}
		case valArr:
			if c != '[' {
				return false
			}
			if i = skipArray(data, i); i < 0 || !validUTF8(data[start:i]) {
				return false
			}
		default: // valObj
			if c != '{' {
				return false
			}
			e, reason := skipNested(data, i, 1)
			if reason != "" || !validUTF8(data[start:e]) {
				return false
			}
			i = e
		}
		m.spans[j] = span{uint32(start), uint32(i)}
	}
	if i+m.tail != len(data) {
		return false
	}
	if m.tail <= 8 {
		if (ld(data, len(data)-8)^m.tailEnd)>>(64-8*m.tail) != 0 {
			return false
		}
	} else if t := &m.tailv; t.wide <= memoWide {
		// i+tail is len(data), and tail > 8: the words are in data.
		if !t.eq(data, i) {
			return false
		}
	} else if !eqLit(data, i, m.tail, m.lit[m.tailAt:]) {
		return false
	}
	// The literals are those of a frame of valid UTF-8 and lie between
	// ASCII bytes: the frame is valid if its values are.
	return high&msb == 0 || validUTF8(data)
}

// digits returns the number of digits w starts with (8 if all are) and,
// if 1 to 7, their value as an IntID.
func digits(w uint64) (IntID, int) {
	x := w - '0'*lsb
	// The bytes that are no digit have their top bit set, and maybe some
	// after the first (a borrow or a carry runs up from it).
	stop := (x | (x + 0x76*lsb)) & msb
	k := bits.TrailingZeros64(stop) >> 3
	// The k digits, most significant first, as the last bytes of an
	// eight-digit number with leading zeros; pairs, fours, then eight.
	v := x << ((64 - 8*k) & 63) // k = 0: not v, but no digits either
	v = (v*10 + v>>8) & 0x00ff00ff00ff00ff
	v = (v*100 + v>>16) & 0x0000ffff0000ffff
	v = (v*10000 + v>>32) & 0xffffffff
	return IntID(v | 1<<63), k
}

// memoString returns the offset after the string whose contents start at
// data[j], as scanFast finds it, or -1 if it has no end, and its bytes
// or'd (all ones if it did not look at them all).
func memoString(data []byte, j int) (int, uint64) {
	var high uint64
	for end := j + 32; j < len(data) && j < end; j += 8 {
		w := wordAt(data, j) // past data's end, zeros: no stop, no top bit
		if t := stops(w); t != 0 {
			k := bits.TrailingZeros64(t)
			if e := j + k>>3; data[e] == '"' {
				return e + 1, high | w&(1<<k-1)
			}
			break
		}
		high |= w
	}
	// No quote in the words: j is no escaped byte, as stringEnd wants.
	e := stringEnd(data, j)
	if e < 0 {
		return -1, 0
	}
	return e + 1, ^uint64(0)
}

// eqLit reports whether the n bytes of data from i (n > 0, len(data) >= 8)
// are those of the words w.
func eqLit(data []byte, i, n int, w []uint64) bool {
	if i+n > len(data) {
		return false
	}
	for ; n > 8; n -= 8 {
		if ld(data, i) != w[0] {
			return false
		}
		i += 8
		w = w[1:]
	}
	return wordAt(data, i)&(^uint64(0)>>(64-8*n)) == w[0]
}

// memoWide is the longest literal eq compares.
const memoWide = 32

// eq reports whether data from i holds v's literal; data holds v.wide
// bytes from i (which the caller checked: eq reads them without checking
// the bounds again).
func (v *memoVal) eq(data []byte, i int) bool {
	p := unsafe.Add(unsafe.Pointer(unsafe.SliceData(data)), i)
	return ((wordOff(p, 0)^v.w0)|(wordOff(p, v.mid)^v.w2)|(wordOff(p, v.mid2)^v.w3)|(wordOff(p, v.wide-8)^v.w1))&v.mask == 0
}

// wordOff returns the eight bytes from p+off, little endian.
func wordOff(p unsafe.Pointer, off uint32) uint64 {
	return binary.LittleEndian.Uint64((*[8]byte)(unsafe.Add(p, off))[:])
}

// ld returns the eight bytes of data from i, little endian.
func ld(data []byte, i int) uint64 { return binary.LittleEndian.Uint64(data[i : i+8]) }

// numStart reports whether b starts a number: a value that is never null.
func numStart(b byte) bool { return b-'0' < 10 || b == '-' }

// learn makes data, which scanFast took with shape s under idFields, the
// skeleton, with the string values whose bits fold has (the j-th value,
// bit j) folded into the literals; if it has more values or literals than
// a Memo holds, m knows none. Without fold, the next frame that fits may
// fold the values it repeats.
func (m *Memo) learn(data []byte, idFields []string, s *shape, fold uint16) {
	m.n, m.nv, m.foldable, m.folded, m.matched = 0, 0, 0, fold != 0, 0
	if m.foldMisses >= foldMax {
		m.foldMisses++ // wraps to 0 after about 250 skeletons: fold again
	}
	var foldable uint16
	var starts [memoVals]uint32
	nm, nv, nw := 0, 0, 0
	// addLit stores data[lo:hi] from word nw on, and returns its first word.
	addLit := func(lo, hi int) (int, bool) {
		at := nw
		for ; lo < hi; lo += 8 {
			if nw == memoWords {
				return 0, false
			}
			var b [8]byte
			copy(b[:], data[lo:min(hi, lo+8)])
			m.lit[nw] = binary.LittleEndian.Uint64(b[:])
			nw++
		}
		return at, true
	}
	// words sets v's words to those of the literal data[lo:hi], stored
	// from lit[at].
	words := func(v *memoVal, lo, hi, at int) {
		v.wide = math.MaxUint32
		if n := hi - lo; n <= memoWide {
			v.w0, v.w1, v.w2, v.w3, v.mask, v.wide = m.lit[at], m.lit[at], m.lit[at], m.lit[at], ^uint64(0), 8
			if n < 8 {
				v.mask = 1<<(8*n) - 1
			} else {
				v.w1, v.wide = ld(data, hi-8), uint32(n)
			}
			if n > 16 {
				v.w2, v.mid = m.lit[at+1], 8
			}
			if n > 24 {
				v.w3, v.mid2 = m.lit[at+2], 16
			}
		}
	}
	litAt, i := 0, 1 // litAt: where the literal before the next value starts
	for {
		if i = skipSpace(data, i); i >= len(data) || data[i] != '"' {
			return
		}
		e := stringEnd(data, i+1)
		if e < 0 {
			return
		}
		if i = skipSpace(data, e+1); i >= len(data) || data[i] != ':' {
			return
		}
		colon := i + 1
		if i = skipSpace(data, i+1); i >= len(data) || nm == memoVals {
			return
		}
		start := i
		var kind uint8
		switch c := data[i]; {
		case c == '"':
			kind, i = valStr, stringEnd(data, i+1)+1
			if fold&(1<<nm) != 0 {
				kind = valLit
			} else if n := i - start; i > start && n <= len(memoSeen{}.b) {
				m.seen[nm].n = uint8(copy(m.seen[nm].b[:], data[start:i]))
				foldable |= 1 << nm
			}
		case c == '[':
			kind, i = valArr, skipArray(data, i)
		case c == '{':
			kind = valObj
			if e, reason := skipNested(data, i, 1); reason == "" {
				i = e
			} else {
				i = -1
			}
		default:
			kind = valNum
			if !numStart(c) {
				kind = valLit
			}
			for i < len(data) && literal[data[i]] {
				i++
			}
		}
		if i <= start {
			return
		}
		e2 := memoMember{host: uint8(nv), d0: tokNone, d1: tokNone}
		if kind == valLit {
			// Part of the literal before the next value (or the tail).
			if i-litAt > math.MaxUint16 {
				return
			}
			e2.lit, e2.off, e2.vlen = true, uint16(start-litAt), uint16(i-start)
		} else {
			at, ok := addLit(litAt, colon)
			if !ok || colon-litAt > math.MaxUint16 {
				return
			}
			v := memoVal{lit: uint16(colon - litAt), at: uint8(at), kind: kind}
			words(&v, litAt, colon, at)
			m.vals[nv] = v
			nv++
			litAt = i
		}
		m.mems[nm] = e2
		starts[nm] = uint32(start)
		nm++
		if i = skipSpace(data, i); i >= len(data) {
			return
		}
		if data[i] == '}' {
			break
		}
		i++ // ','
	}
	at, ok := addLit(litAt, len(data))
	if !ok {
		return
	}
	m.tailv = memoVal{}
	if n := len(data) - litAt; n > 8 {
		words(&m.tailv, litAt, len(data), at)
	}
	valOf := func(t span) int { // the member whose value is at t
		j := 0
		for j < nm && starts[j] != t.lo {
			j++
		}
		return j
	}
	for k, t := range s.tok[:nTok] {
		if t.hi == 0 {
			continue
		}
		j := valOf(t)
		if j == nm {
			return // not a value's: cannot be
		}
		switch e := &m.mems[j]; {
		case e.d0 == tokNone:
			e.d0 = uint8(k)
		case e.d1 == tokNone:
			e.d1 = uint8(k)
		default:
			return // a third slot: cannot be
		}
	}
	var info Info
	m.usual = s.usual(data, &info)
	if m.usual {
		m.kind, m.isErr = info.Kind, info.IsError
		m.idVal, m.methodVal = uint8(valOf(s.tok[tokID])), uint8(valOf(s.tok[tokMethod]))
		if e := &m.mems[m.idVal]; !e.lit && m.vals[e.host].kind == valNum {
			m.vals[e.host].kind = valIntID // match finds the id's IntID
		}
	}
	m.fields, m.tail, m.tailAt, m.tailEnd = idFields, len(data)-litAt, at, ld(data, len(data)-8)
	m.idRank, m.members, m.flags = s.idRank, s.members, s.flags
	if fold == 0 && m.foldMisses < foldMax {
		m.foldable = foldable
	}
	m.n, m.nv = nm, nv
}
