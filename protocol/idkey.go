package protocol

import (
	"bytes"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Ids are compared as JSON values: a peer that parses a request and writes
// its id back may reorder an object's keys, escape a string differently or
// spell a number another way. An id token is brought to a canonical
// spelling before it is used as a key, but only when it needs it: a plain
// integer or a string without a backslash is already canonical and is used
// as it is, without a copy.
//
// The canonical spelling: no whitespace; object members sorted by key
// (bytewise, after unescaping); strings with only '"', '\\' and control
// characters escaped (as \" \\ \b \f \n \r \t or \u00xx), the rest as
// UTF-8; numbers as a plain integer when the value is one (up to
// maxIntDigits digits), else as d.ddde±N with no redundant digit. So 1,
// 1.0, 10e-1 and 1E0 are one id, "é" and "\u00e9" are one id, and 1 and
// "1" stay two.

// maxIntDigits bounds the integer a number is expanded to: 1e1000000 is
// spelt as such, not as a million digits.
const maxIntDigits = 64

// maxCanonDepth bounds the nesting canonicalised; a deeper id is compared
// as its bytes.
const maxCanonDepth = 64

// needsCanon reports whether id may have another spelling than the
// canonical one.
func needsCanon(id []byte) bool {
	if len(id) == 0 {
		return false
	}
	switch c := id[0]; {
	case c == '"':
		return bytes.IndexByte(id, '\\') >= 0
	case c == '-' || ('0' <= c && c <= '9'):
		if len(id) >= 2 && id[0] == '-' && id[1] == '0' || len(id) > maxIntDigits {
			return true // -0 is 0; a long integer is spelt with an exponent
		}
		for _, b := range id {
			if b == '.' || b == 'e' || b == 'E' {
				return true
			}
		}
		return false
	case c == '{' || c == '[':
		return true
	}
	return false
}

// canonID appends the canonical spelling of the JSON value id to dst. If
// id is not a JSON value it can read, it appends id as it is.
func canonID(dst, id []byte) []byte {
	start := len(dst)
	out, rest, ok := canonValue(dst, id, 0)
	if !ok || len(skipSpaces(rest)) != 0 {
		return append(dst[:start], id...)
	}
	return out
}

func skipSpaces(p []byte) []byte {
	for len(p) > 0 && class[p[0]] == clsSpace {
		p = p[1:]
	}
	return p
}

// canonValue appends the canonical form of the value at the start of p and
// returns the bytes after it.
func canonValue(dst, p []byte, depth int) ([]byte, []byte, bool) {
	p = skipSpaces(p)
	if len(p) == 0 || depth > maxCanonDepth {
		return dst, p, false
	}
	switch c := p[0]; {
	case c == '"':
		return canonString(dst, p)
	case c == '{':
		return canonObject(dst, p, depth)
	case c == '[':
		return canonArray(dst, p, depth)
	case c == '-' || ('0' <= c && c <= '9'):
		return canonNumber(dst, p)
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(p) >= len(lit) && string(p[:len(lit)]) == lit {
			return append(dst, lit...), p[len(lit):], true
		}
	}
	return dst, p, false
}

func canonArray(dst, p []byte, depth int) ([]byte, []byte, bool) {
	dst = append(dst, '[')
	p = skipSpaces(p[1:])
	if len(p) > 0 && p[0] == ']' {
		return append(dst, ']'), p[1:], true
	}
	for {
		var ok bool
		if dst, p, ok = canonValue(dst, p, depth+1); !ok {
			return dst, p, false
		}
		p = skipSpaces(p)
		if len(p) == 0 {
			return dst, p, false
		}
		switch p[0] {
		case ',':
			dst = append(dst, ',')
			p = p[1:]
		case ']':
			return append(dst, ']'), p[1:], true
		default:
			return dst, p, false
		}
	}
}

// member is a canonicalised object member: its key and key:value, in the
// buffer they were written to.
type member struct{ key, kv []byte }

func canonObject(dst, p []byte, depth int) ([]byte, []byte, bool) {
	// The members are written after dst, then sorted into place.
	base := len(dst)
	var msBuf [8]member
	var offsBuf [8][3]int
	ms := msBuf[:0]
	offs := offsBuf[:0] // key start, key end, member end, in dst
	p = skipSpaces(p[1:])
	if len(p) > 0 && p[0] == '}' {
		return append(dst, '{', '}'), p[1:], true
	}
	for {
		p = skipSpaces(p)
		if len(p) == 0 || p[0] != '"' {
			return dst, p, false
		}
		k := len(dst)
		var ok bool
		if dst, p, ok = canonString(dst, p); !ok {
			return dst, p, false
		}
		ke := len(dst)
		p = skipSpaces(p)
		if len(p) == 0 || p[0] != ':' {
			return dst, p, false
		}
		dst = append(dst, ':')
		if dst, p, ok = canonValue(dst, p[1:], depth+1); !ok {
			return dst, p, false
		}
		offs = append(offs, [3]int{k, ke, len(dst)})
		p = skipSpaces(p)
		if len(p) == 0 {
			return dst, p, false
		}
		if p[0] == '}' {
			p = p[1:]
			break
		}
		if p[0] != ',' {
			return dst, p, false
		}
		p = p[1:]
	}
	written := bytes.Clone(dst[base:])
	for _, o := range offs {
		ms = append(ms, member{key: written[o[0]-base : o[1]-base], kv: written[o[0]-base : o[2]-base]})
	}
	// Keys compare by their canonical spelling, which orders them as their
	// unescaped bytes would, but for the escaped '"', '\\' and controls.
	slices.SortStableFunc(ms, func(a, b member) int { return bytes.Compare(a.key, b.key) })
	dst = append(dst[:base], '{')
	for i, m := range ms {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, m.kv...)
	}
	return append(dst, '}'), p, true
}

// canonString appends the canonical form of the string at the start of p.
func canonString(dst, p []byte) ([]byte, []byte, bool) {
	dst = append(dst, '"')
	i := 1
	for i < len(p) {
		c := p[i]
		switch {
		case c == '"':
			return append(dst, '"'), p[i+1:], true
		case c == '\\':
			if i+1 >= len(p) {
				return dst, p, false
			}
			e := p[i+1]
			i += 2
			switch e {
			case '"', '\\', '/':
				dst = appendStringByte(dst, e)
			case 'b':
				dst = appendStringByte(dst, '\b')
			case 'f':
				dst = appendStringByte(dst, '\f')
			case 'n':
				dst = appendStringByte(dst, '\n')
			case 'r':
				dst = appendStringByte(dst, '\r')
			case 't':
				dst = appendStringByte(dst, '\t')
			case 'u':
				r, ok := hex4(p[i:])
				if !ok {
					return dst, p, false
				}
				i += 4
				if utf16.IsSurrogate(r) {
					if r < 0xdc00 && i+6 <= len(p) && p[i] == '\\' && p[i+1] == 'u' {
						if r2, ok := hex4(p[i+2:]); ok {
							if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
								dst = utf8.AppendRune(dst, d)
								i += 6
								continue
							}
						}
					}
					// A lone surrogate has no UTF-8 form: keep it escaped.
					dst = append(dst, `\u`...)
					dst = appendHex4(dst, r)
					continue
				}
				if r < 0x80 {
					dst = appendStringByte(dst, byte(r))
				} else {
					dst = utf8.AppendRune(dst, r)
				}
			default:
				return dst, p, false
			}
		default:
			dst = appendStringByte(dst, c)
			i++
		}
	}
	return dst, p, false
}

// appendStringByte appends byte c of a string's contents, escaped if the
// canonical form escapes it.
func appendStringByte(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	if c < 0x20 {
		return appendHex4(append(dst, '\\', 'u'), rune(c))
	}
	return append(dst, c)
}

func hex4(p []byte) (rune, bool) {
	if len(p) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range p[:4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

func appendHex4(dst []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	return append(dst, hex[r>>12&15], hex[r>>8&15], hex[r>>4&15], hex[r&15])
}

// canonNumber appends the canonical form of the number at the start of p:
// its exact decimal value, not a float's, so that two large ids that a
// float64 cannot tell apart stay apart.
func canonNumber(dst, p []byte) ([]byte, []byte, bool) {
	i := 0
	neg := p[0] == '-'
	if neg {
		i++
	}
	// digits holds the significant digits of integer and fraction parts;
	// exp is the power of ten of the digit after the last one held.
	var digits []byte
	var small [32]byte
	digits = small[:0]
	intStart := i
	for i < len(p) && '0' <= p[i] && p[i] <= '9' {
		digits = append(digits, p[i])
		i++
	}
	if i == intStart || (p[intStart] == '0' && i-intStart > 1) {
		return dst, p, false
	}
	exp, absurd := int64(0), false
	if i < len(p) && p[i] == '.' {
		i++
		fs := i
		for i < len(p) && '0' <= p[i] && p[i] <= '9' {
			digits = append(digits, p[i])
			i++
		}
		if i == fs {
			return dst, p, false
		}
		exp = -int64(i - fs)
	}
	if i < len(p) && (p[i] == 'e' || p[i] == 'E') {
		i++
		es := i
		if i < len(p) && (p[i] == '+' || p[i] == '-') {
			i++
		}
		ds := i
		for i < len(p) && '0' <= p[i] && p[i] <= '9' {
			i++
		}
		if i == ds {
			return dst, p, false
		}
		e, err := strconv.ParseInt(string(p[es:i]), 10, 64)
		if err != nil || e > 1<<40 || e < -1<<40 {
			absurd = true // compared as bytes, unless the value is 0
		}
		exp += e
	}
	// Strip leading zeros, and trailing zeros into the exponent.
	for len(digits) > 0 && digits[0] == '0' {
		digits = digits[1:]
	}
	for len(digits) > 0 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
		exp++
	}
	rest := p[i:]
	if len(digits) == 0 {
		return append(dst, '0'), rest, true
	}
	if absurd {
		return dst, p, false
	}
	if neg {
		dst = append(dst, '-')
	}
	if exp >= 0 && int64(len(digits))+exp <= maxIntDigits {
		dst = append(dst, digits...)
		for range exp {
			dst = append(dst, '0')
		}
		return dst, rest, true
	}
	// d.ddd e±N, N the power of ten of the first digit.
	dst = append(dst, digits[0])
	if len(digits) > 1 {
		dst = append(dst, '.')
		dst = append(dst, digits[1:]...)
	}
	dst = append(dst, 'e')
	return strconv.AppendInt(dst, exp+int64(len(digits))-1, 10), rest, true
}

// IDKey returns the key id is compared by, as JSON values are (see above):
// id itself when it has no other spelling (a plain integer, a string
// without a backslash), else its canonical spelling appended to dst.
func IDKey(dst, id []byte) []byte {
	if !needsCanon(id) {
		return id
	}
	return canonID(dst, id)
}

// SameID reports whether ids a and b are the same JSON value (1 and 1.0,
// "é" and "\u00e9", objects with their keys in another order; 1 and "1"
// differ).
func SameID(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	if !needsCanon(a) && !needsCanon(b) {
		return false
	}
	return bytes.Equal(IDKey(nil, a), IDKey(nil, b))
}
