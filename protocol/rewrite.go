package protocol

import (
	"bytes"
	"unsafe"
)

// ReplaceID returns payload with its id token (info.ID, as Classify found
// it in payload) replaced by id, a JSON value. It returns nil when info.ID
// does not lie in payload. payload is not modified.
func ReplaceID(payload []byte, info Info, id []byte) []byte {
	off, ok := offsetOf(info.ID, payload)
	if !ok {
		return nil
	}
	out := make([]byte, 0, len(payload)-len(info.ID)+len(id))
	out = append(out, payload[:off]...)
	out = append(out, id...)
	return append(out, payload[off+len(info.ID):]...)
}

// RemoveID returns payload without the member that holds its id token
// (info.ID, as Classify found it in payload), and the comma that
// separated it. It returns nil when info.ID does not lie in payload as a
// member's value. payload is not modified.
func RemoveID(payload []byte, info Info) []byte {
	off, ok := offsetOf(info.ID, payload)
	if !ok {
		return nil
	}
	back := func(i int) int { // the last byte before i that is no space
		for i--; i >= 0 && isSpace(payload[i]); i-- {
		}
		return i
	}
	colon := back(off)
	if colon < 0 || payload[colon] != ':' {
		return nil
	}
	quote := back(colon)
	if quote < 0 || payload[quote] != '"' {
		return nil
	}
	start := bytes.LastIndexByte(payload[:quote], '"') // an id field's name holds no quote
	if start < 0 {
		return nil
	}
	end := off + len(info.ID)
	if comma := back(start); comma >= 0 && payload[comma] == ',' {
		start = comma
	} else {
		for end < len(payload) && isSpace(payload[end]) {
			end++
		}
		if end < len(payload) && payload[end] == ',' {
			end++
		}
	}
	out := make([]byte, 0, len(payload)-(end-start))
	out = append(out, payload[:start]...)
	return append(out, payload[end:]...)
}

// AddMember returns the JSON object payload with member name set to value
// (a JSON value) as its first member. payload must be an object.
func AddMember(payload []byte, name string, value []byte) []byte {
	i := bytes.IndexByte(payload, '{')
	if i < 0 {
		return nil
	}
	rest := bytes.TrimLeft(payload[i+1:], " \t\r\n")
	out := make([]byte, 0, len(payload)+len(name)+len(value)+4)
	out = append(out, payload[:i+1]...)
	out = appendQuoted(out, name)
	out = append(out, ':')
	out = append(out, value...)
	if len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	return append(out, rest...)
}

// appendQuoted appends s, a plain member name, as a JSON string.
func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}

// offsetOf returns where b starts in in, if it lies there.
func offsetOf(b, in []byte) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	s := uintptr(unsafe.Pointer(unsafe.SliceData(in)))
	if p < s || p+uintptr(len(b)) > s+uintptr(len(in)) {
		return 0, false
	}
	return int(p - s), true
}
