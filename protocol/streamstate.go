package protocol

import "unicode/utf8"

// The parts of a streamScan's state that it keeps bounded: the nesting
// stack, the members kept for Classify, and the UTF-8 check of a rune cut
// between two pieces.

// push opens a level, an array or an object as c says.
func (s *streamScan) push(c byte) {
	d := s.lvl
	s.lvl++
	bit := uint64(0)
	if c == '[' {
		bit = 1
	}
	if d == 64 && s.big == nil {
		s.big = make([]uint64, (maxDepth+63)/64)
	}
	if d >= 64 {
		w := &s.big[d/64]
		*w = *w&^(1<<(d%64)) | bit<<(d%64)
		return
	}
	s.small = s.small&^(1<<d) | bit<<d
}

// isArray reports whether level d is an array.
func (s *streamScan) isArray(d int) bool {
	if d >= 64 {
		return s.big[d/64]>>(d%64)&1 == 1
	}
	return s.small>>d&1 == 1
}

// startMember decides, at a member's ':', whether its value is kept.
func (s *streamScan) startMember() {
	s.keep, s.flag, s.val = false, false, s.val[:0]
	if s.keyLong {
		s.others = true
		return
	}
	key := s.key[:s.nkey]
	switch string(key) {
	case "error": // its presence, and its value if short (mpv's "success")
		s.keep, s.flag = true, true
		return
	case "result", "return", "QMP", "message", "stack":
		s.flag = true
		return
	case "method", "action", "execute", "exec-oob", "event", "command", "type", "seq", "request_seq", "success":
		s.keep = true
		return
	case "oneway", "continues":
		if s.varlink {
			s.keep = true
			return
		}
	}
	for _, f := range s.ids {
		if string(key) == f {
			s.keep = true
			return
		}
	}
	s.others = true
}

// kept adds p to the current member's value if it is kept.
func (s *streamScan) kept(p []byte) {
	if !s.keep {
		return
	}
	if len(s.val)+len(p) > maxToken {
		s.keep, s.val = false, s.val[:0]
		s.others = s.others || !s.flag // a flag member is still written
		return
	}
	s.val = append(s.val, p...)
}

// endMember writes the member just scanned into the summary, if it is
// one Classify looks at.
func (s *streamScan) endMember() {
	s.st = ssComma
	if !s.keep && !s.flag {
		return
	}
	n := len(s.summary)
	s.summary = append(append(append(s.comma(), '"'), s.key[:s.nkey]...), '"', ':')
	if s.keep {
		s.summary = append(s.summary, s.val...)
	} else {
		s.summary = append(s.summary, '0')
	}
	if len(s.summary) > maxSummary {
		s.summary, s.others = s.summary[:n], true
	}
	s.keep, s.flag = false, false
}

// comma returns the summary ready for one more member.
func (s *streamScan) comma() []byte {
	if len(s.summary) > 1 {
		return append(s.summary, ',')
	}
	return s.summary
}

// checkUTF8 checks that p, following what was fed before, is UTF-8; a
// rune cut at the end of p is carried to the next piece.
func (s *streamScan) checkUTF8(p []byte) {
	if s.badUTF {
		return
	}
	if s.ncarry > 0 {
		k := min(len(p), utf8.UTFMax-s.ncarry)
		var tmp [2 * utf8.UTFMax]byte
		t := append(append(tmp[:0], s.carry[:s.ncarry]...), p[:k]...)
		if !utf8.FullRune(t) {
			s.ncarry = copy(s.carry[:], t)
			return
		}
		r, size := utf8.DecodeRune(t)
		if r == utf8.RuneError && size == 1 {
			s.badUTF = true
			return
		}
		p = p[size-s.ncarry:]
		s.ncarry = 0
	}
	// The last rune may be cut: find where it starts.
	cut := len(p)
	for j := len(p) - 1; j >= 0 && j >= len(p)-utf8.UTFMax; j-- {
		if !utf8.RuneStart(p[j]) {
			continue
		}
		if !utf8.FullRune(p[j:]) {
			cut = j
		}
		break
	}
	if !utf8.Valid(p[:cut]) {
		s.badUTF = true
		return
	}
	s.ncarry = copy(s.carry[:], p[cut:])
}
