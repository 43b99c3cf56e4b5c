package protocol

import "math"

// maxDepth bounds the nesting Classify accepts; deeper input is reported
// as raw rather than scanned further.
const maxDepth = 10000

// Reasons Classify gives for a frame that is not JSON.
const (
	errEmpty       = "empty"
	errUnterm      = "unterminated string"
	errEnd         = "unexpected end"
	errTrailing    = "trailing data after JSON value"
	errDeep        = "nesting deeper than 10000"
	errUTF8        = "invalid UTF-8"
	errChar        = "unexpected character"
	errMismatch    = "mismatched brackets"
	errKey         = "expected a string key"
	errColon       = "expected ':' after key"
	errObjectComma = "expected ',' or '}' after member"
)

// notJSON holds "not JSON: starts with …" for every first byte, so that a
// raw stream costs no allocation per frame.
var notJSON [256]string

// Byte classes for scanning: what may appear between the tokens skipped
// inside nested values (numbers, literals, whitespace, ',' and ':'), and
// the bytes that change the scan.
const (
	clsBad uint8 = iota
	clsOpen
	clsClose
	clsQuote
	clsSkip  // number and literal bytes, ',' and ':'
	clsSpace // whitespace; >= clsSkip means skippable
)

var class [256]uint8

func init() {
	const hex = "0123456789abcdef"
	for b := 0; b < 256; b++ {
		s := "not JSON: starts with 0x" + string(hex[b>>4]) + string(hex[b&15])
		if b > 0x20 && b < 0x7f {
			s += " '" + string(rune(b)) + "'"
		}
		notJSON[b] = s
	}
	for _, b := range []byte("0123456789+-.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ,:") {
		class[b] = clsSkip
	}
	for _, b := range []byte(" \t\r\n") {
		class[b] = clsSpace
	}
	class['{'], class['['] = clsOpen, clsOpen
	class['}'], class[']'] = clsClose, clsClose
	class['"'] = clsQuote
}

// Classify decides what a frame is with one cheap scan of its top-level
// JSON value: nested values are skipped by matching strings and brackets,
// numbers and literals are not validated, and nothing is allocated. The
// first of idFields (if empty, DefaultIDFields) present at the top level
// with a value other than null is the id; DAP messages take theirs from
// seq or request_seq. Structurally broken input is KindRaw with a reason.
func Classify(data []byte, idFields []string) Info {
	var info Info
	classifyInto(data, idFields, &info)
	return info
}

// classifyInto is Classify into *info, which it overwrites whole.
func classifyInto(data []byte, idFields []string, info *Info) {
	if len(idFields) == 0 {
		idFields = DefaultIDFields
	}
	if len(data) > 0 && data[0] == '{' && uint64(len(data)) <= math.MaxUint32 {
		var s shape
		if scanFast(data, idFields, &s) {
			s.infoInto(data, info)
			return
		}
	}
	*info = classify(data, idFields)
}

// classify is Classify for any input: it says why a frame is not JSON.
func classify(data []byte, idFields []string) Info {
	i := skipSpace(data, 0)
	if i == len(data) {
		return Info{Err: errEmpty}
	}
	if uint64(len(data)) > math.MaxUint32 {
		return Info{Err: "too large to classify"}
	}
	var (
		s      shape
		end    int
		reason string
	)
	switch data[i] {
	case '{':
		end, reason = scanObject(data, i, idFields, &s)
	case '[':
		end, reason = skipNested(data, i, 0)
	default:
		return Info{Err: notJSON[data[i]]}
	}
	if reason == "" && skipSpace(data, end) != len(data) {
		reason = errTrailing
	}
	if reason == "" && !validUTF8(data) {
		reason = errUTF8
	}
	if reason != "" {
		return Info{Err: reason}
	}
	if data[i] == '[' {
		return classifyBatch(data[i:end], idFields, Classify)
	}
	return s.info(data)
}

// scanObject scans the top-level object starting at data[i] == '{',
// noting the members that tell its shape, and returns the offset after it.
// Whitespace is skipped where it is (most frames have none between
// tokens), numbers and literals by a table.
func scanObject(data []byte, i int, idFields []string, s *shape) (int, string) {
	s.idRank = len(idFields)
	// Bit n of idLens is set when an id field is n bytes long (bit 63: 63
	// or more), so that most keys are known not to be one at a glance.
	var idLens uint64
	for _, f := range idFields {
		idLens |= 1 << min(len(f), 63)
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return i + 1, ""
	}
	for {
		if i >= len(data) {
			return i, errEnd
		}
		if data[i] != '"' {
			return i, errKey
		}
		e, reason := scanString(data, i)
		if reason != "" {
			return e, reason
		}
		k := i + 1
		i = e
		if i < len(data) && data[i] <= ' ' {
			i = skipSpace(data, i)
		}
		if i >= len(data) {
			return i, errEnd
		}
		if data[i] != ':' {
			return i, errColon
		}
		i++
		if i < len(data) && data[i] <= ' ' {
			i = skipSpace(data, i)
		}
		if i >= len(data) {
			return i, errEnd
		}
		start := i
		switch c := data[i]; {
		case c == '"':
			if i, reason = scanString(data, i); reason != "" {
				return i, reason
			}
		case c == '{' || c == '[':
			if i, reason = skipNested(data, i, 1); reason != "" {
				return i, reason
			}
		default:
			for i < len(data) && literal[data[i]] {
				i++
			}
			if i == start {
				return i, errChar
			}
		}
		key := data[k : e-1]
		if idLens>>min(len(key), 63)&1 != 0 {
			s.noteID(data, key, start, i, idFields)
		}
		s.note(key, span{uint32(start), uint32(i)})
		if i < len(data) && data[i] <= ' ' {
			i = skipSpace(data, i)
		}
		if i >= len(data) {
			return i, errEnd
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return i + 1, ""
		default:
			return i, errObjectComma
		}
	}
}

// literal marks the bytes of numbers and literals: those skipped as a
// member's value that is no string, object or array.
var literal [256]bool

func init() {
	for b := range literal {
		literal[b] = class[b] == clsSkip && b != ',' && b != ':'
	}
}

// skipValue returns the offset after the JSON value at data[i], a member
// of the top-level object.
func skipValue(data []byte, i int) (int, string) {
	if i >= len(data) {
		return i, errEnd
	}
	switch c := data[i]; c {
	case '"':
		return scanString(data, i)
	case '{', '[':
		return skipNested(data, i, 1)
	}
	j := i
	for j < len(data) && literal[data[j]] {
		j++
	}
	if j == i {
		return i, errChar
	}
	return j, ""
}

// skipNested returns the offset after the object or array starting at
// data[i], which is nested depth levels deep. Brackets are matched with a
// bit stack, iteratively: deep input costs no recursion, and beyond 64
// levels a heap stack is made (only for such input).
func skipNested(data []byte, i, depth int) (int, string) {
	var small uint64 // bit d set: level d is an array
	var big []uint64
	base := depth
	for i < len(data) {
		switch c := data[i]; class[c] {
		case clsOpen:
			if depth >= maxDepth {
				return i, errDeep
			}
			d := depth - base
			if d == 64 && big == nil {
				big = make([]uint64, (maxDepth+63)/64)
				big[0] = small
			}
			isArr := uint64(0)
			if c == '[' {
				isArr = 1
			}
			if big != nil {
				w := &big[d/64]
				*w = *w&^(1<<(d%64)) | isArr<<(d%64)
			} else {
				small = small&^(1<<d) | isArr<<d
			}
			depth++
			i++
		case clsClose:
			depth--
			d := depth - base
			var bit uint64
			if big != nil {
				bit = big[d/64] >> (d % 64) & 1
			} else {
				bit = small >> d & 1
			}
			if (bit == 1) != (c == ']') {
				return i, errMismatch
			}
			i++
			if depth == base {
				return i, ""
			}
		case clsQuote:
			var reason string
			if i, reason = scanString(data, i); reason != "" {
				return i, reason
			}
		case clsSkip, clsSpace:
			i++
			for i < len(data) && class[data[i]] >= clsSkip {
				i++
			}
		default:
			return i, errChar
		}
	}
	return i, errEnd
}
