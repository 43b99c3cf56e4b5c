package protocol

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

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
			// digits; any other number is scanned as valNum's, without one.
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
			fallthrough
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
