package protocol

// The classifier as it was before it was made faster (classify.go and
// shape.go at a3736f0), kept to check that the fast one gives the same
// Info for every input: TestClassifyMatchesReference and the
// FuzzClassify target compare them.

import (
	"bytes"
	"encoding/json"
	"math"
	"unicode/utf8"
)

// Classify decides what a frame is with one cheap scan of its top-level
// JSON value: nested values are skipped by matching strings and brackets,
// numbers and literals are not validated, and nothing is allocated. The
// first of idFields (if empty, DefaultIDFields) present at the top level
// with a value other than null is the id; DAP messages take theirs from
// seq or request_seq. Structurally broken input is KindRaw with a reason.
func refClassify(data []byte, idFields []string) Info {
	if len(idFields) == 0 {
		idFields = DefaultIDFields
	}
	i := refSkipSpace(data, 0)
	if i == len(data) {
		return Info{Err: errEmpty}
	}
	if uint64(len(data)) > math.MaxUint32 {
		return Info{Err: "too large to classify"}
	}
	var (
		s      refShape
		end    int
		reason string
	)
	switch data[i] {
	case '{':
		end, reason = refScanObject(data, i, idFields, &s)
	case '[':
		end, reason = refSkipNested(data, i, 0)
	default:
		return Info{Err: notJSON[data[i]]}
	}
	if reason == "" && refSkipSpace(data, end) != len(data) {
		reason = errTrailing
	}
	if reason == "" && !utf8.Valid(data) {
		reason = errUTF8
	}
	if reason != "" {
		return Info{Err: reason}
	}
	if data[i] == '[' {
		return classifyBatch(data[i:end], idFields, refClassify) // batches came later: their elements as the reference classifies them
	}
	info := s.info(data)
	info.Method = refText(info.Method)
	return info
}

// refText is a method's text: its JSON string's contents with the
// escapes read (came later: methods were the contents as they came).
func refText(m []byte) []byte {
	if !bytes.ContainsRune(m, '\\') {
		return m
	}
	var text string
	if json.Unmarshal([]byte(`"`+string(m)+`"`), &text) != nil {
		return m
	}
	return []byte(text)
}

// refScanObject scans the top-level object starting at data[i] == '{',
// noting the members that tell its refShape, and returns the offset after it.
func refScanObject(data []byte, i int, idFields []string, s *refShape) (int, string) {
	s.idRank = len(idFields)
	for _, f := range idFields {
		s.idLens |= 1 << min(len(f), 63)
	}
	i = refSkipSpace(data, i+1)
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
		e, reason := refScanString(data, i)
		if reason != "" {
			return e, reason
		}
		key := data[i+1 : e-1]
		i = refSkipSpace(data, e)
		if i >= len(data) {
			return i, errEnd
		}
		if data[i] != ':' {
			return i, errColon
		}
		i = refSkipSpace(data, i+1)
		start := i
		if i, reason = refSkipValue(data, i); reason != "" {
			return i, reason
		}
		s.note(data, key, start, i, idFields)
		i = refSkipSpace(data, i)
		if i >= len(data) {
			return i, errEnd
		}
		switch data[i] {
		case ',':
			i = refSkipSpace(data, i+1)
		case '}':
			return i + 1, ""
		default:
			return i, errObjectComma
		}
	}
}

// refSkipValue returns the offset after the JSON value at data[i], a member
// of the top-level object.
func refSkipValue(data []byte, i int) (int, string) {
	if i >= len(data) {
		return i, errEnd
	}
	switch c := data[i]; c {
	case '"':
		return refScanString(data, i)
	case '{', '[':
		return refSkipNested(data, i, 1)
	}
	j := i
	for j < len(data) && class[data[j]] == clsSkip && data[j] != ',' && data[j] != ':' {
		j++
	}
	if j == i {
		return i, errChar
	}
	return j, ""
}

// refScanString returns the offset after the string starting at data[i] == '"'.
func refScanString(data []byte, i int) (int, string) {
	// Short strings (most keys and methods) end within a few bytes: a
	// plain loop beats the call to IndexByte.
	j := i + 1
	for n := min(len(data), j+16); j < n; {
		switch data[j] {
		case '"':
			return j + 1, ""
		case '\\':
			j += 2
		default:
			j++
		}
	}
	if j >= len(data) {
		return len(data), errUnterm
	}
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

// refSkipNested returns the offset after the object or array starting at
// data[i], which is nested depth levels deep. Brackets are matched with a
// bit stack, iteratively: deep input costs no recursion, and beyond 64
// levels a heap stack is made (only for such input).
func refSkipNested(data []byte, i, depth int) (int, string) {
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
			if i, reason = refScanString(data, i); reason != "" {
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

func refSkipSpace(data []byte, i int) int {
	for i < len(data) && class[data[i]] == clsSpace {
		i++
	}
	return i
}

// refSpan is a value token's place in the data; hi == 0 means absent (no
// member value starts at offset 0, where the '{' is).
type refSpan struct{ lo, hi uint32 }

// refShape holds what refScanObject learnt; it is small, so that Classify's
// frame stays cheap to clear.
type refShape struct {
	tok    [nTok]refSpan
	idRank int // index in idFields of the id found, len(idFields) if none
	// idLens has bit n set when an id field is n bytes long (bit 63: 63
	// or more), so that most keys are known not to be one at a glance.
	idLens  uint64
	members int
	flags   uint8
}

// note records the top-level member key whose value is data[lo:hi].
func (s *refShape) note(data, key []byte, lo, hi int, idFields []string) {
	s.members++
	sp := refSpan{uint32(lo), uint32(hi)}
	if s.idLens>>min(len(key), 63)&1 != 0 {
		for r, f := range idFields[:s.idRank] {
			if string(key) == f && string(data[lo:hi]) != "null" {
				s.idRank, s.tok[tokID] = r, sp
				s.flags &^= idIsRequestID
				if f == "request_id" {
					s.flags |= idIsRequestID
				}
				break
			}
		}
	}
	switch string(key) {
	case "method":
		s.tok[tokMethod] = sp
	case "action":
		s.tok[tokAction] = sp
	case "execute", "exec-oob":
		s.tok[tokExecute] = sp
	case "event":
		s.tok[tokEvent] = sp
	case "command":
		s.tok[tokCommand] = sp
	case "type":
		s.tok[tokType] = sp
	case "seq":
		s.tok[tokSeq] = sp
	case "request_seq":
		s.tok[tokRequestSeq] = sp
	case "success":
		s.tok[tokSuccess] = sp
	case "result":
		s.flags |= hasResult
	case "error":
		s.flags |= hasError
		s.tok[tokError] = sp
	case "return":
		s.flags |= hasReturn
	case "QMP":
		s.flags |= hasQMP
	case "message":
		s.flags |= hasMessage
	case "stack":
		s.flags |= hasStack
	}
}

// get returns member k's value token, nil when absent.
func (s *refShape) get(data []byte, k int) []byte {
	if t := s.tok[k]; t.hi != 0 {
		return data[t.lo:t.hi]
	}
	return nil
}

// str returns the contents of a string token, or nil if tok is not one.
func refStr(tok []byte) []byte {
	if len(tok) >= 2 && tok[0] == '"' {
		return tok[1 : len(tok)-1]
	}
	return nil
}

// info decides the kind from the members seen.
func (s *refShape) info(data []byte) Info {
	id, success := s.get(data, tokID), s.get(data, tokSuccess)
	switch string(refStr(s.get(data, tokType))) { // DAP
	case "request":
		if c, seq := refStr(s.get(data, tokCommand)), s.get(data, tokSeq); c != nil && seq != nil {
			return Info{Kind: KindRequest, ID: seq, Method: c}
		}
	case "response":
		if rs := s.get(data, tokRequestSeq); rs != nil {
			return Info{Kind: KindResponse, ID: rs, Method: refStr(s.get(data, tokCommand)), IsError: string(success) != "true"}
		}
	case "event":
		if e := refStr(s.get(data, tokEvent)); e != nil {
			return Info{Kind: KindNotification, Method: e}
		}
	}
	if s.flags&hasQMP != 0 {
		return Info{Kind: KindNotification, Method: qmpMethod}
	}
	for _, k := range [...]int{tokMethod, tokExecute} {
		if m := refStr(s.get(data, k)); m != nil {
			if id != nil {
				return Info{Kind: KindRequest, ID: id, Method: m}
			}
			if k == tokExecute { // QMP: by order
				return Info{Kind: KindRequest, Method: m, ByOrder: true}
			}
			return Info{Kind: KindNotification, Method: m}
		}
	}
	// mpv: no request_id, or 0, pairs by order.
	noID := id == nil || string(id) == "0" && s.flags&idIsRequestID != 0
	if c := s.get(data, tokCommand); len(c) > 0 && c[0] == '[' {
		// mpv's JSON IPC: {"command":["name",…],"request_id":N}.
		return Info{Kind: KindRequest, ID: id, Method: refFirstString(c), ByOrder: noID}
	}
	failed := s.flags&hasError != 0 || (success != nil && string(success) != "true")
	if string(s.get(data, tokError)) == `"success"` {
		failed = false // mpv's reply: {"error":"success","request_id":N}
	}
	if id != nil && (s.flags&(hasResult|hasReturn|hasError) != 0 || success != nil) {
		mpv := noID && refStr(s.get(data, tokError)) != nil && s.flags&(hasResult|hasReturn) == 0 && success == nil
		return Info{Kind: KindResponse, ID: id, IsError: failed, ByOrder: mpv}
	}
	if e := s.get(data, tokError); id == nil && success == nil && s.flags&(hasResult|hasMessage|hasStack) == 0 &&
		(s.flags&hasReturn != 0 || len(e) > 0 && e[0] == '{' && bytes.Contains(e, []byte(`"class"`))) {
		// QMP's reply to a command without an id.
		return Info{Kind: KindResponse, IsError: s.flags&hasError != 0, ByOrder: true}
	}
	if e := refStr(s.get(data, tokEvent)); e != nil {
		return Info{Kind: KindNotification, Method: e}
	}
	if a := refStr(s.get(data, tokAction)); a != nil && id == nil {
		return Info{Kind: KindNotification, Method: a}
	}
	if id == nil && (s.members == 0 || success != nil || s.flags&(hasError|hasMessage|hasStack) != 0) {
		// The seed's rejected promise: the error object, without rid.
		return Info{Kind: KindResponse, IsError: failed || s.members == 0 || s.flags&(hasMessage|hasStack) != 0}
	}
	return Info{Kind: KindOther}
}

// refFirstString returns the contents of the first element of array token a
// when it is a string, else nil.
func refFirstString(a []byte) []byte {
	i := refSkipSpace(a, 1)
	if i >= len(a) || a[i] != '"' {
		return nil
	}
	e, reason := refScanString(a, i)
	if reason != "" {
		return nil
	}
	return a[i+1 : e-1]
}

// qmpMethod is the Method of a QMP greeting.
