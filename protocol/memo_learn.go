package protocol

import (
	"encoding/binary"
	"math"
	"math/bits"
)

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
