package protocol

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// The word-at-a-time scans of strings, whitespace and ASCII that Classify
// and its fast path share.

// scanString returns the offset after the string starting at data[i] == '"'.
// It looks at eight bytes at a time for the first '"' or '\\' among them;
// past 32 bytes (a long string) it lets IndexByte find the quotes.
func scanString(data []byte, i int) (int, string) {
	j := i + 1
	for end := j + 32; j+8 <= len(data); {
		if j >= end {
			return scanLongString(data, j)
		}
		w := binary.LittleEndian.Uint64(data[j:])
		q, e := w^('"'*lsb), w^('\\'*lsb)
		// The lowest byte that is '"' or '\\' has its top bit set in t
		// (bytes above it may too: the borrow).
		t := ((q-lsb)&^q | (e-lsb)&^e) & msb
		if t == 0 {
			j += 8
			continue
		}
		j += bits.TrailingZeros64(t) >> 3
		if data[j] == '"' {
			return j + 1, ""
		}
		j += 2 // a backslash and the byte it escapes
	}
	for j < len(data) {
		switch data[j] {
		case '"':
			return j + 1, ""
		case '\\':
			j += 2
		default:
			j++
		}
	}
	return len(data), errUnterm
}

// scanLongString returns the offset after the string whose contents go on
// at data[j], which is no escaped byte: the first quote after an even run
// of backslashes (counted back, into what was scanned) ends it.
func scanLongString(data []byte, j int) (int, string) {
	for {
		k := bytes.IndexByte(data[j:], '"')
		if k < 0 {
			return len(data), errUnterm
		}
		q := j + k
		b := q - 1
		for data[b] == '\\' {
			b--
		}
		if (q-1-b)%2 == 0 {
			return q + 1, ""
		}
		j = q + 1
	}
}

// Constants of the eight-bytes-at-a-time scans.
const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// validUTF8 is utf8.Valid, 32 then 16 ASCII bytes at a time, the last
// eight to sixteen at once, until a byte that is not ASCII (most frames
// have none): utf8.Valid goes byte by byte through a short frame's end.
func validUTF8(p []byte) bool {
	n := len(p)
	q := p[:n:n]
	for len(q) > 32 && (word(q)|word(q[8:])|word(q[16:])|word(q[24:]))&msb == 0 {
		q = q[32:]
	}
	for len(q) > 16 && (word(q)|word(q[8:]))&msb == 0 {
		q = q[16:]
	}
	if m := len(q); m >= 8 && m <= 16 && (word(q)|word(q[m-8:]))&msb == 0 {
		return true
	}
	// Fewer than eight bytes left: the last eight of p cover them.
	if len(q) < 8 && n >= 8 && word(p[n-8:])&msb == 0 {
		return true
	}
	return utf8.Valid(q)
}

func word(p []byte) uint64 { return binary.LittleEndian.Uint64(p) }

// skipSpace returns the offset of the first byte at or after i that is no
// JSON whitespace: a run of spaces is skipped eight bytes at a time.
func skipSpace(data []byte, i int) int {
	for i+8 <= len(data) {
		n := bits.TrailingZeros64(word(data[i:i+8])^(' '*lsb)) >> 3 // leading spaces
		i += n
		if n < 8 {
			break
		}
	}
	for i < len(data) && class[data[i]] == clsSpace {
		i++
	}
	return i
}
