package protocol

import (
	"bytes"
	"unicode/utf8"
)

// A frame longer than the cap is kept truncated, but it is still a message:
// a framer classifies it from all of its bytes as they pass, with a
// streamScan, whose state is bounded whatever the frame's size. The
// top-level members that tell a message's shape (an id field, method,
// result, error…) may come after megabytes of params.
//
// streamScan checks the frame's JSON structure as Classify does (strings,
// brackets, nesting depth, UTF-8) and keeps, of the top-level object, only
// the members Classify looks at: a short object of them is written as the
// frame goes by, and Classify reads that object at the end. So a frame
// over the cap is classified as Classify would classify it whole, except
// that an id, method or similar token over maxToken bytes is not kept.

// Bounds of a streamScan's state.
const (
	maxScanKey  = 256      // a longer top-level key is never one Classify looks at
	maxToken    = 4 << 10  // a longer member value is not kept (the member is counted)
	maxSummary  = 64 << 10 // what is kept of the members, in all
	placeholder = `"":0`   // stands for members not kept, so that {} stays apart
)

// Where a streamScan is in the top-level value.
const (
	ssBefore   uint8 = iota // before the value
	ssFirstKey              // after '{': a key or '}'
	ssNextKey               // after ',': a key
	ssKey                   // in a key
	ssColon                 // after a key
	ssValue                 // after ':'
	ssString                // in a member's string value
	ssScalar                // in a member's number or literal
	ssNested                // in a member's object or array, or a top-level array
	ssComma                 // after a member: ',' or '}'
	ssAfter                 // after the value: only whitespace may follow
)

// streamScan classifies one frame fed in pieces. Its zero value is not
// ready: call reset first.
type streamScan struct {
	ids []string
	// varlink classifies the frame as a varlink message (classifyVarlink),
	// keeping its oneway and continues members too.
	varlink bool
	st      uint8
	err     string
	array   bool // the top-level value is an array
	// Strings, in a key, a member value or a nested value.
	inStr, esc bool
	// Nesting inside a member value (or the top-level array): the levels
	// open in it, the depth of the value itself (Classify's limit counts
	// the top-level object), and whether each level is an array (a bit
	// stack, on the heap beyond 64 levels).
	lvl, base int
	small     uint64
	big       []uint64
	// UTF-8: a rune cut between two pieces, and whether any was invalid.
	carry  [utf8.UTFMax]byte
	ncarry int
	badUTF bool

	key     [maxScanKey]byte
	nkey    int
	keyLong bool
	keep    bool   // the current member's value is kept in val
	flag    bool   // the current member counts by its presence (result…)
	val     []byte // the current member's value, while kept
	others  bool   // members not kept were seen
	summary []byte // the kept members, as a JSON object without its '}'
	info    Info
}

// reset readies s for a new frame, keeping its buffers.
func (s *streamScan) reset() {
	*s = streamScan{ids: s.ids, varlink: s.varlink, big: s.big, val: s.val[:0], summary: append(s.summary[:0], '{')}
	clear(s.big)
	if len(s.ids) == 0 {
		s.ids = DefaultIDFields
	}
}

// feed scans the next bytes of the frame.
func (s *streamScan) feed(p []byte) {
	if s.err != "" {
		return
	}
	s.checkUTF8(p)
	for i := 0; i < len(p) && s.err == ""; {
		i = s.step(p, i)
	}
}

// result classifies the frame from what was fed; Info's ID and Method
// alias s, until the next reset.
func (s *streamScan) result() *Info {
	switch {
	case s.err != "":
		s.info = Info{Err: s.err}
	case s.st == ssBefore:
		s.info = Info{Err: errEmpty}
	case s.st != ssAfter && s.inStr:
		s.info = Info{Err: errUnterm}
	case s.st != ssAfter:
		s.info = Info{Err: errEnd}
	case s.badUTF || s.ncarry > 0:
		s.info = Info{Err: errUTF8}
	default:
		s.classify()
	}
	return &s.info
}

// prefix classifies the frame from its first bytes alone, its rest never
// seen (a recording kept only them): from the members that ended before
// the cut, and the one it cut if that one counts by its presence (a
// result, an error). A value cut short is not kept: an id or method not
// all seen is unknown, not wrong.
func (s *streamScan) prefix() *Info {
	switch {
	case s.err != "":
		s.info = Info{Err: s.err}
	case s.st == ssBefore:
		s.info = Info{Err: errEmpty}
	case s.badUTF:
		s.info = Info{Err: errUTF8}
	default:
		switch s.st {
		case ssValue, ssString, ssScalar, ssNested:
			if s.flag && !s.array {
				s.keep = false
				s.endMember()
				break
			}
			s.others = true
		case ssKey, ssColon:
			s.others = true
		}
		s.classify()
	}
	return &s.info
}

// classify classifies the frame from its top-level members kept.
func (s *streamScan) classify() {
	if s.array {
		s.info = Info{Kind: KindOther}
		return
	}
	if s.others {
		s.summary = append(s.comma(), placeholder...)
	}
	s.summary = append(s.summary, '}')
	if s.varlink {
		s.info = classifyVarlink(s.summary)
		return
	}
	s.info = Classify(s.summary, s.ids)
}

// step consumes bytes of p from i on, in the current state, and returns
// where it stopped.
func (s *streamScan) step(p []byte, i int) int {
	switch s.st {
	case ssBefore, ssFirstKey, ssNextKey, ssColon, ssValue, ssComma, ssAfter:
		for i < len(p) && class[p[i]] == clsSpace {
			i++
		}
		if i == len(p) {
			return i
		}
		s.token(p[i])
		return i + 1
	case ssKey:
		return s.keyBytes(p, i)
	case ssString:
		j := s.str(p, i)
		s.kept(p[i:j])
		if !s.inStr {
			s.endMember()
		}
		return j
	case ssScalar:
		j := i
		for j < len(p) && class[p[j]] == clsSkip && p[j] != ',' && p[j] != ':' {
			j++
		}
		s.kept(p[i:j])
		if j < len(p) {
			s.endMember()
		}
		return j
	}
	j := s.nested(p, i)
	if s.st == ssNested {
		s.kept(p[i:j])
		return j
	}
	if !s.array {
		s.kept(p[i:j])
		s.endMember()
	}
	return j
}

// token handles byte c outside any string, number or nested value.
func (s *streamScan) token(c byte) {
	switch s.st {
	case ssBefore:
		switch c {
		case '{':
			s.st = ssFirstKey
		case '[':
			s.array, s.st, s.base = true, ssNested, 0
			s.push(c)
		default:
			s.err = notJSON[c]
		}
	case ssFirstKey, ssNextKey:
		switch {
		case c == '"':
			s.st, s.inStr, s.nkey, s.keyLong = ssKey, true, 0, false
		case c == '}' && s.st == ssFirstKey:
			s.st = ssAfter
		default:
			s.err = errKey
		}
	case ssColon:
		if c != ':' {
			s.err = errColon
			return
		}
		s.st = ssValue
		s.startMember()
	case ssValue:
		switch {
		case c == '"':
			s.st, s.inStr = ssString, true
		case c == '{' || c == '[':
			s.st, s.base = ssNested, 1
			s.push(c)
		case class[c] == clsSkip && c != ',' && c != ':':
			s.st = ssScalar
		default:
			s.err = errChar
			return
		}
		s.kept([]byte{c})
	case ssComma:
		switch c {
		case ',':
			s.st = ssNextKey
		case '}':
			s.st = ssAfter
		default:
			s.err = errObjectComma
		}
	case ssAfter:
		s.err = errTrailing
	}
}

// keyBytes consumes bytes of a top-level key, keeping up to maxScanKey.
func (s *streamScan) keyBytes(p []byte, i int) int {
	j := s.str(p, i)
	part := p[i:j]
	if !s.inStr {
		part = part[:len(part)-1] // the closing quote
		s.st = ssColon
	}
	if s.nkey+len(part) > maxScanKey {
		s.keyLong = true
	} else {
		s.nkey += copy(s.key[s.nkey:], part)
	}
	return j
}

// str consumes string bytes from i on, up to and including the closing
// quote, and returns where it stopped; s.inStr is cleared at the quote.
// Every byte is looked at once, however many escapes there are.
func (s *streamScan) str(p []byte, i int) int {
	for i < len(p) {
		if s.esc {
			s.esc = false
			i++
			continue
		}
		q := bytes.IndexByte(p[i:], '"')
		end := len(p)
		if q >= 0 {
			end = i + q
		}
		for i < end {
			b := bytes.IndexByte(p[i:end], '\\')
			if b < 0 {
				i = end
				break
			}
			i += b + 1 // after the backslash
			if i == len(p) {
				s.esc = true
				return i
			}
			i++ // the escaped byte, perhaps the quote at end
		}
		if i > end {
			continue // that quote was escaped
		}
		if q < 0 {
			return len(p)
		}
		s.inStr = false
		return end + 1
	}
	return i
}

// nested consumes the bytes of a nested value from i on and returns where
// it stopped; when the value ends, the state moves on.
func (s *streamScan) nested(p []byte, i int) int {
	for i < len(p) {
		if s.inStr {
			i = s.str(p, i)
			continue
		}
		c := p[i]
		switch class[c] {
		case clsOpen:
			if s.base+s.lvl >= maxDepth {
				s.err = errDeep
				return i
			}
			s.push(c)
		case clsClose:
			s.lvl--
			if s.isArray(s.lvl) != (c == ']') {
				s.err = errMismatch
				return i
			}
			if s.lvl == 0 {
				if s.array {
					s.st = ssAfter
				} else {
					s.st = ssComma
				}
				return i + 1
			}
		case clsQuote:
			s.inStr = true
		case clsSkip, clsSpace:
		default:
			s.err = errChar
			return i
		}
		i++
	}
	return i
}
