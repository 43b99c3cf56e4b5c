package protocol

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
)

// Tokens of the top-level members that tell what a message is.
const (
	tokID = iota
	tokMethod
	tokAction
	tokExecute
	tokEvent
	tokCommand
	tokType
	tokSeq
	tokRequestSeq
	tokSuccess
	tokError
	nTok
	tokNone = nTok // where keyTab's keys that set only a flag write
)

// Flags for top-level members whose presence is all that matters.
const (
	hasResult uint8 = 1 << iota
	hasError
	hasReturn
	hasQMP
	hasMessage
	hasStack
	// idIsRequestID: the id found is a request_id member's (mpv's).
	idIsRequestID
)

// span is a value token's place in the data; hi == 0 means absent (no
// member value starts at offset 0, where the '{' is).
type span struct{ lo, hi uint32 }

// shape holds what scanObject learnt; it is small, so that Classify's
// frame stays cheap to clear.
type shape struct {
	tok     [nTok + 1]span
	idRank  int // index in idFields of the id found, len(idFields) if none
	members int
	flags   uint8
}

// noteID records the member whose key is key and whose value is
// data[lo:hi] as the id if key is one of idFields, before the one found so
// far, and the value is not null.
func (s *shape) noteID(data, key []byte, lo, hi int, idFields []string) {
	for r, f := range idFields[:s.idRank] {
		if string(key) == f && string(data[lo:hi]) != "null" {
			s.idRank, s.tok[tokID] = r, span{uint32(lo), uint32(hi)}
			s.flags &^= idIsRequestID
			if f == "request_id" {
				s.flags |= idIsRequestID
			}
			return
		}
	}
}

// noteIDWord is noteID for a short key whose word (see keyTab) is w, with
// the words of idFields.
func (s *shape) noteIDWord(words []uint64, w uint64, data []byte, lo, hi int) {
	for r, f := range words[:s.idRank] {
		if f == w {
			if hi-lo == 4 && binary.LittleEndian.Uint32(data[lo:lo+4]) == 'n'|'u'<<8|'l'<<16|'l'<<24 {
				continue // null: the id is a later field, if any
			}
			s.idRank, s.tok[tokID] = r, span{uint32(lo), uint32(hi)}
			s.flags &^= idIsRequestID // a short key: not request_id
			return
		}
	}
}

// note records the top-level member whose key is key and whose value is at
// sp. The key is told by its length first, then by comparisons the
// compiler makes inline.
func (s *shape) note(key []byte, sp span) {
	s.members++
	switch len(key) {
	case 3:
		if string(key) == "seq" {
			s.tok[tokSeq] = sp
		} else if string(key) == "QMP" {
			s.flags |= hasQMP
		}
	case 4:
		if string(key) == "type" {
			s.tok[tokType] = sp
		}
	case 5:
		if string(key) == "error" {
			s.flags |= hasError
			s.tok[tokError] = sp
		} else if string(key) == "event" {
			s.tok[tokEvent] = sp
		} else if string(key) == "stack" {
			s.flags |= hasStack
		}
	case 6:
		if string(key) == "method" {
			s.tok[tokMethod] = sp
		} else if string(key) == "result" {
			s.flags |= hasResult
		} else if string(key) == "action" {
			s.tok[tokAction] = sp
		} else if string(key) == "return" {
			s.flags |= hasReturn
		}
	case 7:
		if string(key) == "success" {
			s.tok[tokSuccess] = sp
		} else if string(key) == "command" {
			s.tok[tokCommand] = sp
		} else if string(key) == "execute" {
			s.tok[tokExecute] = sp
		} else if string(key) == "message" {
			s.flags |= hasMessage
		}
	case 8:
		if string(key) == "exec-oob" { // QMP's out-of-band command: as execute
			s.tok[tokExecute] = sp
		}
	case 11:
		if string(key) == "request_seq" {
			s.tok[tokRequestSeq] = sp
		}
	}
}

// get returns member k's value token, nil when absent.
func (s *shape) get(data []byte, k int) []byte {
	if t := s.tok[k]; t.hi != 0 {
		return data[t.lo:t.hi]
	}
	return nil
}

// str returns the contents of a string token, or nil if tok is not one.
func str(tok []byte) []byte {
	if len(tok) >= 2 && tok[0] == '"' {
		return tok[1 : len(tok)-1]
	}
	return nil
}

// info decides the kind from the members seen.
func (s *shape) info(data []byte) Info {
	var i Info
	s.infoInto(data, &i)
	return i
}

// infoInto is info into *out, which it overwrites whole.
func (s *shape) infoInto(data []byte, out *Info) {
	s.infoIntoEscaped(data, out)
	out.Method = plainMethod(out.Method)
}

// plainMethod returns the contents of a JSON string, a method, as the
// text it stands for: Neovim's vim.json writes "textDocument\/hover",
// whose method is textDocument/hover, as every other client's is, in the
// list, the filter, the rules and the statistics. Contents without a
// backslash, nearly all, are returned as they are (aliasing the frame);
// contents that do not read as a JSON string too.
func plainMethod(m []byte) []byte {
	if bytes.IndexByte(m, '\\') < 0 {
		return m
	}
	q := make([]byte, 0, len(m)+2)
	q = append(append(append(q, '"'), m...), '"')
	var text string
	if json.Unmarshal(q, &text) != nil {
		return m
	}
	return []byte(text)
}

// infoIntoEscaped is infoInto with the method as its JSON string's
// contents, escapes and all.
func (s *shape) infoIntoEscaped(data []byte, out *Info) {
	if s.usual(data, out) {
		return
	}
	id, success := s.get(data, tokID), s.get(data, tokSuccess)
	if s.tok[tokType].hi != 0 && s.dapInto(data, success, out) {
		return
	}
	if s.flags&hasQMP != 0 {
		*out = Info{Kind: KindNotification, Method: qmpMethod}
		return
	}
	m, qmp := str(s.get(data, tokMethod)), false
	if m == nil {
		m, qmp = str(s.get(data, tokExecute)), true
	}
	if m != nil {
		if id != nil {
			*out = Info{Kind: KindRequest, ID: id, Method: m}
			return
		}
		if qmp {
			// QMP answers a command without an id, in order, with a reply
			// without one: it pairs by order.
			*out = Info{Kind: KindRequest, Method: m, ByOrder: true}
			return
		}
		*out = Info{Kind: KindNotification, Method: m}
		return
	}
	// mpv answers a command without a request_id with request_id 0, in
	// the order they came: those pair by order.
	mpvNoID := id == nil || string(id) == "0" && s.flags&idIsRequestID != 0
	if c := s.get(data, tokCommand); len(c) > 0 && c[0] == '[' {
		// mpv's JSON IPC: {"command":["name",…],"request_id":N}.
		*out = Info{Kind: KindRequest, ID: id, Method: firstString(c), ByOrder: mpvNoID}
		return
	}
	e := s.get(data, tokError)
	failed := s.flags&hasError != 0 || (success != nil && string(success) != "true")
	if string(e) == `"success"` {
		failed = false // mpv's reply: {"error":"success","request_id":N}
	}
	if id != nil && (s.flags&(hasResult|hasReturn|hasError) != 0 || success != nil) {
		// mpv's reply has a string error, and no result, return or success.
		mpv := mpvNoID && str(e) != nil && s.flags&(hasResult|hasReturn) == 0 && success == nil
		*out = Info{Kind: KindResponse, ID: id, IsError: failed, ByOrder: mpv}
		return
	}
	if id == nil && qmpReply(e, s.flags, success) {
		*out = Info{Kind: KindResponse, IsError: s.flags&hasError != 0, ByOrder: true}
		return
	}
	if e := str(s.get(data, tokEvent)); e != nil {
		*out = Info{Kind: KindNotification, Method: e}
		return
	}
	if a := str(s.get(data, tokAction)); a != nil && id == nil {
		*out = Info{Kind: KindNotification, Method: a}
		return
	}
	if id == nil && (s.members == 0 || success != nil || s.flags&(hasError|hasMessage|hasStack) != 0) {
		// The seed's rejected promise: the error object, without rid.
		*out = Info{Kind: KindResponse, IsError: failed || s.members == 0 || s.flags&(hasMessage|hasStack) != 0}
		return
	}
	*out = Info{Kind: KindOther}
}

// usual is infoInto for the usual shapes of JSON-RPC, decided by fewer
// tests: a request (an id and a string method, no type and no QMP) and a
// reply (an id and a result, return or success, none of type, QMP,
// method, execute, command and error), which failed if success is there
// and not true. It reports whether the
// message was one; if not, infoInto decides the general way.
func (s *shape) usual(data []byte, out *Info) bool {
	id := s.tok[tokID]
	if id.hi == 0 || s.tok[tokType].hi != 0 || s.flags&(hasQMP|hasError) != 0 {
		return false
	}
	if m := s.tok[tokMethod]; m.hi != 0 {
		if m.hi-m.lo < 2 || data[m.lo] != '"' {
			return false
		}
		out.set(KindRequest, data[id.lo:id.hi], data[m.lo+1:m.hi-1], false)
		return true
	}
	if s.tok[tokExecute].hi|s.tok[tokCommand].hi != 0 {
		return false
	}
	if ok := s.tok[tokSuccess]; ok.hi != 0 {
		out.set(KindResponse, data[id.lo:id.hi], nil, string(data[ok.lo:ok.hi]) != "true")
		return true
	}
	if s.flags&(hasResult|hasReturn) == 0 {
		return false
	}
	out.set(KindResponse, data[id.lo:id.hi], nil, false)
	return true
}

// qmpReply reports whether a message without an id, whose error member is
// e (nil if none), whose flags are flags and whose success member is
// success, is QMP's reply to a command without an id: a return, or an
// error object with a class ({"class":"CommandNotFound","desc":…}), and
// none of JSON-RPC's result or the seed protocol's success, message and
// stack. (JSON-RPC's error object has a code, the seed's error a message.)
func qmpReply(e []byte, flags uint8, success []byte) bool {
	if success != nil || flags&(hasResult|hasMessage|hasStack) != 0 {
		return false
	}
	return flags&hasReturn != 0 || len(e) > 0 && e[0] == '{' && bytes.Contains(e, qmpClass)
}

// qmpClass is the key of a QMP error's class.
var qmpClass = []byte(`"class"`)

// set overwrites all of *i: field by field, where *i = Info{…} builds
// the Info aside and copies it.
func (i *Info) set(k Kind, id, method []byte, isError bool) {
	i.Kind, i.ID, i.Method, i.IsError, i.Continues, i.ByOrder, i.Err = k, id, method, isError, false, false, ""
}

// infoFields fails to compile when Info gains a field that set would not
// overwrite.
var _ = Info{KindOther, nil, nil, false, false, false, ""}

// dapInto is infoInto for a message with a type member, DAP's: it
// reports whether the message was one of DAP's kinds.
func (s *shape) dapInto(data, success []byte, out *Info) bool {
	switch string(str(s.get(data, tokType))) { // DAP
	case "request":
		if c, seq := str(s.get(data, tokCommand)), s.get(data, tokSeq); c != nil && seq != nil {
			*out = Info{Kind: KindRequest, ID: seq, Method: c}
			return true
		}
	case "response":
		if rs := s.get(data, tokRequestSeq); rs != nil {
			*out = Info{Kind: KindResponse, ID: rs, Method: str(s.get(data, tokCommand)), IsError: string(success) != "true"}
			return true
		}
	case "event":
		if e := str(s.get(data, tokEvent)); e != nil {
			*out = Info{Kind: KindNotification, Method: e}
			return true
		}
	}
	return false
}

// firstString returns the contents of the first element of array token a
// when it is a string, else nil.
func firstString(a []byte) []byte {
	i := skipSpace(a, 1)
	if i >= len(a) || a[i] != '"' {
		return nil
	}
	e, reason := scanString(a, i)
	if reason != "" {
		return nil
	}
	return a[i+1 : e-1]
}

// qmpMethod is the Method of a QMP greeting.
var qmpMethod = []byte("QMP")
