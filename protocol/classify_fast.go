package protocol

import (
	"encoding/binary"
	"math/bits"
	"sync/atomic"
)

// scanFast is Classify's scan of the frames most are: a top-level object
// at data[0], its keys and string values without escapes, nothing after
// it but whitespace, and valid UTF-8. It notes the members in s as
// scanObject does and reports whether data was such a frame; if not, it
// says nothing more (s is then of no use), and Classify scans data again
// the general way, which tells why a frame is not JSON. What it accepts
// the general scan accepts with the same shape: it is the same scan
// without the error reasons, the calls for each string and the skip of
// nested values that hold only numbers and separators.
func scanFast(data []byte, idFields []string, s *shape) bool {
	s.idRank = len(idFields)
	// What the loop knows of idFields is behind one pointer: it holds
	// few values in registers across its calls.
	ids := &defaultIDs
	if !same(idFields, ids.fields) {
		ids = idSetOf(idFields)
	}
	data = data[:len(data):len(data)]
	i := 1
	for {
		if i < len(data) && data[i] <= ' ' {
			i = skipSpace(data, i)
		}
		if i >= len(data) || data[i] != '"' {
			return false // "{}" too: rare enough
		}
		k := i + 1
		// A short key is read as one word (kw), a longer one found by
		// stringEnd (kw == 0; the empty key too, which notes nothing).
		var n int
		var kw uint64
		if b, w := shortString(data, k); b < 64 {
			n, kw = int(b>>3), keyWord(b, w)
		} else if n = stringEnd(data, k) - k; n < 0 {
			return false
		}
		i = k + n + 1
		if i < len(data) && data[i] <= ' ' {
			i = skipSpace(data, i)
		}
		if i >= len(data) || data[i] != ':' {
			return false
		}
		i++
		if i < len(data) && data[i] <= ' ' {
			i = skipSpace(data, i)
		}
		if i >= len(data) {
			return false
		}
		start := i
		switch data[i] {
		case '"':
			if b, _ := shortString(data, i+1); b < 64 {
				i += int(b>>3) + 2
			} else if i = stringEnd(data, i+1) + 1; i <= 0 {
				return false
			}
		case '[':
			if i = skipArray(data, i); i < 0 {
				return false
			}
		case '{':
			e, reason := skipNested(data, start, 1)
			if reason != "" {
				return false
			}
			i = e
		default:
			for i < len(data) && literal[data[i]] {
				i++
			}
			if i == start {
				return false
			}
		}
		if ids.lens>>(n&63)&1 != 0 {
			s.noteIDOf(ids, data, k, n, kw, start, i)
		}
		if kw != 0 {
			s.noteWord(kw, span{uint32(start), uint32(i)})
		} else {
			s.note(data[k:k+n], span{uint32(start), uint32(i)})
		}
		if i < len(data) && data[i] <= ' ' {
			i = skipSpace(data, i)
		}
		if i >= len(data) {
			return false
		}
		switch data[i] {
		case ',':
			i++
		case '}':
			return skipSpace(data, i+1) == len(data) && validUTF8(data)
		default:
			return false
		}
	}
}

// skipArray returns the offset after the array at data[i] == '[', a
// member's value, or -1 if it is not JSON. An array of numbers, literals
// and separators ends at the first byte that is none of those; others are
// for skipNested. Digits and the bytes between numbers (",+-.") are
// skipped eight at a time by arithmetic, other bytes of the run by a
// table.
func skipArray(data []byte, i int) int {
	start := i
	i++
	for i+8 <= len(data) {
		bad := notDigits(binary.LittleEndian.Uint64(data[i : i+8]))
		i += bits.TrailingZeros64(bad) >> 3 // 8 if none
		if bad != 0 {
			break
		}
	}
	if i+8 > len(data) && i < len(data) && len(data) >= 8 {
		i += bits.TrailingZeros64(notDigits(wordAt(data, i))) >> 3
	}
	if i < len(data) && data[i] == ']' {
		return i + 1
	}
	for i+8 <= len(data) {
		w := data[i : i+8 : i+8]
		if runByte[w[0]]&runByte[w[1]]&runByte[w[2]]&runByte[w[3]]&runByte[w[4]]&runByte[w[5]]&runByte[w[6]]&runByte[w[7]] == 0 {
			break
		}
		i += 8
	}
	for i < len(data) && class[data[i]] >= clsSkip {
		i++
	}
	if i < len(data) && data[i] == ']' {
		return i + 1
	}
	e, reason := skipNested(data, start, 1)
	if reason != "" {
		return -1
	}
	return e
}

// notDigits marks the bytes of w that are neither a digit nor one of
// ",+-." by their top bit; the lowest mark is exact, those above it may
// be false (the carries and borrows of a mark).
func notDigits(w uint64) uint64 {
	s := w ^ ('/' * lsb) // '/' lies between '+' and '9'
	return (^(w + (0x80-'+')*lsb) | (w + (0x80-':')*lsb) | w | (s-lsb)&^s) & msb
}

// wordAt returns the eight bytes of data from j, those past its end as
// zeros (data has eight bytes at least).
func wordAt(data []byte, j int) uint64 {
	if j+8 <= len(data) {
		return binary.LittleEndian.Uint64(data[j : j+8])
	}
	return binary.LittleEndian.Uint64(data[len(data)-8:]) >> ((j + 8 - len(data)) * 8)
}

// idSet is what scanFast knows of the id fields: lens, a set of lengths
// in which bit n%64 is set when one of fields is n bytes long (most keys
// are known not to be an id field at a glance), and the words of the
// fields (see keyTab; 0 for a long one).
type idSet struct {
	lens   uint64
	words  []uint64
	fields []string
}

// lastIDs is the idSet of the id fields Classify was last given that were
// not DefaultIDFields: a program classifies with one list (the flags'),
// made once, so it is worked out once (the elements of a list given must
// not change).
var lastIDs atomic.Pointer[idSet]

// defaultIDs is the idSet of DefaultIDFields.
var defaultIDs = *newIDSet(DefaultIDFields)

// newIDSet works out the idSet of fields.
func newIDSet(fields []string) *idSet {
	return &idSet{lensOf(fields), wordsOf(fields), fields}
}

// idSetOf is the idSet of idFields, not DefaultIDFields.
func idSetOf(idFields []string) *idSet {
	if s := lastIDs.Load(); s != nil && same(idFields, s.fields) {
		return s
	}
	s := newIDSet(idFields)
	lastIDs.Store(s)
	return s
}

// same reports whether a and b are one list (not only equal ones).
func same(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// noteIDOf is noteID for the member whose key is data[k:k+n], of word kw
// if short (else 0), and whose value is data[lo:hi].
func (s *shape) noteIDOf(ids *idSet, data []byte, k, n int, kw uint64, lo, hi int) {
	if kw != 0 {
		s.noteIDWord(ids.words, kw, data, lo, hi)
	} else {
		s.noteID(data, data[k:k+n], lo, hi, ids.fields)
	}
}

// lensOf returns the set of fields' lengths (idSet.lens).
func lensOf(fields []string) uint64 {
	var lens uint64
	for _, f := range fields {
		lens |= 1 << (len(f) & 63)
	}
	return lens
}

// stringEnd returns the offset of the '"' that ends the string whose
// contents start at data[j], or -1 if it has no end. It looks at eight
// bytes at a time for the first '"' or '\\' (the last eight bytes of data
// shifted when fewer are left); at an escape, or past 32 bytes,
// scanString goes on.
func stringEnd(data []byte, j int) int {
	for end := j + 32; j < end && j < len(data) && len(data) >= 8; j += 8 {
		// Past data's end, wordAt shifts in zeros: neither '"' nor '\\'.
		if t := stops(wordAt(data, j)); t != 0 {
			j += bits.TrailingZeros64(t) >> 3
			if data[j] == '"' {
				return j
			}
			break
		}
	}
	// The string goes on at data[j], which is no escaped byte: scanString
	// from j-1 sees it as it would from the opening quote (an escape is
	// at j, or after a byte that is none).
	e, reason := scanString(data, j-1)
	if reason != "" {
		return -1
	}
	return e - 1
}

// runByte is 1 for the bytes of class clsSkip or clsSpace.
var runByte [256]uint8

func init() {
	for b := range runByte {
		if class[b] >= clsSkip {
			runByte[b] = 1
		}
	}
}

// wordsOf returns the words (see keyTab) of fields, 0 for a long one.
func wordsOf(fields []string) []uint64 {
	words := make([]uint64, len(fields))
	for r, f := range fields {
		if len(f) <= 7 {
			var b [8]byte
			copy(b[:], f)
			words[r] = binary.LittleEndian.Uint64(b[:]) | uint64(len(f))<<56
		}
	}
	return words
}
