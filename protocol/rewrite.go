package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
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

// SetPath returns the JSON text payload with the value at path (steps as
// "name" or "[index]") replaced by value, a JSON text, the rest of payload
// left byte for byte as it was: its members' order, spacing and escapes.
// A member path names that is missing is added at the end of its object,
// with the objects the rest of path needs; a step that meets a value that
// is no object is given one. An index must name an element that exists.
// payload is not modified.
func SetPath(payload []byte, path []string, value []byte) ([]byte, error) {
	if !json.Valid(payload) {
		return nil, errors.New("the frame is not JSON")
	}
	if !json.Valid(value) {
		return nil, errors.New("the value is not JSON")
	}
	start, end, with, err := locate(payload, skipSpace(payload, 0), path, value)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(payload)-(end-start)+len(with))
	out = append(out, payload[:start]...)
	out = append(out, with...)
	return append(out, payload[end:]...), nil
}

// locate returns the bytes of p, [start, end), that setting path to value
// in the JSON value at p[i] replaces, and what replaces them. p is valid
// JSON.
func locate(p []byte, i int, path []string, value []byte) (start, end int, with []byte, err error) {
	if len(path) == 0 {
		end, _ = skipValue(p, i)
		return i, end, value, nil
	}
	step := path[0]
	if step[0] == '[' {
		k, _ := strconv.Atoi(step[1 : len(step)-1])
		if p[i] != '[' {
			return 0, 0, nil, fmt.Errorf("no element %s: not an array", step)
		}
		j := skipSpace(p, i+1)
		for n := 0; p[j] != ']'; n++ {
			if n == k {
				return locate(p, j, path[1:], value)
			}
			j, _ = skipValue(p, j)
			if j = skipSpace(p, j); p[j] == ',' {
				j = skipSpace(p, j+1)
			}
		}
		return 0, 0, nil, fmt.Errorf("no element %s", step)
	}
	if p[i] != '{' {
		end, _ = skipValue(p, i)
		with, err = build(path, value)
		return i, end, with, err
	}
	found, last := -1, -1 // the value of the (last) member named step; the end of the last value
	j := skipSpace(p, i+1)
	for p[j] != '}' {
		kEnd, _ := scanString(p, j)
		var name string
		v := skipSpace(p, skipSpace(p, kEnd)+1) // past the colon
		if json.Unmarshal(p[j:kEnd], &name) == nil && name == step {
			found = v
		}
		last, _ = skipValue(p, v)
		if j = skipSpace(p, last); p[j] == ',' {
			j = skipSpace(p, j+1)
		}
	}
	if found >= 0 {
		return locate(p, found, path[1:], value)
	}
	member, err := build(path[1:], value)
	if err != nil {
		return 0, 0, nil, err
	}
	with, _ = json.Marshal(step)
	with = append(with, ':')
	with = append(with, member...)
	if last < 0 { // an empty object
		return i + 1, i + 1, with, nil
	}
	return last, last, append([]byte{','}, with...), nil
}

// build returns value nested in the objects path names: {"a":{"b":value}}.
func build(path []string, value []byte) ([]byte, error) {
	if len(path) == 0 {
		return value, nil
	}
	if path[0][0] == '[' {
		return nil, fmt.Errorf("no element %s", path[0])
	}
	inner, err := build(path[1:], value)
	if err != nil {
		return nil, err
	}
	name, _ := json.Marshal(path[0])
	out := append(append([]byte{'{'}, name...), ':')
	return append(append(out, inner...), '}'), nil
}
