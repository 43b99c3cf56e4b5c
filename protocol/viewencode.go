package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// Encodes reports whether sockscope can write a message of framing f from
// its JSON view (EncodeView): HTTP/1 requests, Redis commands and
// msgpack-RPC messages.
func Encodes(f Framing) bool {
	p := ProfileOf(f)
	return p != nil && p.encode != nil
}

// EncodesDir reports whether sockscope writes a frame of framing f going in
// direction d from its JSON view: an HTTP/1 request, a Redis command, any
// msgpack-RPC message (a reply's view is no request's: an HTTP status line,
// a Redis reply, whose strings do not say which kind they were, are not
// written).
func EncodesDir(f Framing, d Dir) bool {
	return Encodes(f) && (f == FramingMsgpack || d == C2S)
}

// EncodeView returns the frame of framing f whose JSON view (as AppendView
// shows it) is view: the way back from what a user edits to the bytes
// sent. For a framing whose frames are JSON it is the view itself. It
// fails, saying what is wrong and where, on a view no frame of f has.
func EncodeView(f Framing, view []byte) ([]byte, error) {
	p := ProfileOf(f)
	if p == nil || p.View == nil {
		return view, nil
	}
	if p.encode == nil {
		return nil, fmt.Errorf("sockscope does not write %s", f)
	}
	v, err := parseOrdered(view)
	if err != nil {
		return nil, err
	}
	return p.encode(nil, v)
}

// jvalue is a JSON value with its object members in their order (a
// msgpack map and HTTP headers keep it).
type jvalue struct {
	kind  byte // 's' string, 'n' number, 'b' bool, 'z' null, 'a' array, 'o' object
	str   string
	num   json.Number
	bool  bool
	elems []jvalue // an array's elements, an object's values
	keys  []string // an object's keys
}

// parseOrdered parses one JSON value.
func parseOrdered(b []byte) (jvalue, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	v, err := parseValue(d, 0)
	if err == nil {
		if _, e := d.Token(); e != io.EOF {
			err = errors.New("more than one JSON value")
		}
	}
	if err != nil {
		return jvalue{}, fmt.Errorf("invalid JSON: %v", err)
	}
	return v, nil
}

func parseValue(d *json.Decoder, depth int) (jvalue, error) {
	if depth > maxViewDepth {
		return jvalue{}, errors.New("nested too deep")
	}
	t, err := d.Token()
	if err != nil {
		return jvalue{}, err
	}
	switch t := t.(type) {
	case string:
		return jvalue{kind: 's', str: t}, nil
	case json.Number:
		return jvalue{kind: 'n', num: t}, nil
	case bool:
		return jvalue{kind: 'b', bool: t}, nil
	case nil:
		return jvalue{kind: 'z'}, nil
	}
	v := jvalue{kind: 'a'}
	if t == json.Delim('{') {
		v.kind = 'o'
	}
	for d.More() {
		if v.kind == 'o' {
			k, err := d.Token()
			if err != nil {
				return jvalue{}, err
			}
			v.keys = append(v.keys, k.(string))
		}
		e, err := parseValue(d, depth+1)
		if err != nil {
			return jvalue{}, err
		}
		v.elems = append(v.elems, e)
	}
	_, err = d.Token() // the closing ] or }
	return v, err
}

// get returns the value of member k of object v.
func (v *jvalue) get(k string) (*jvalue, bool) {
	for i, key := range v.keys {
		if key == k {
			return &v.elems[i], true
		}
	}
	return nil, false
}

// bytesOf returns the bytes a view shows as a string (appendText): its
// text, or the bytes of {"b64":…}; ok is false for any other value.
func (v *jvalue) bytesOf() ([]byte, bool) {
	switch {
	case v.kind == 's':
		return []byte(v.str), true
	case v.kind == 'o' && len(v.keys) == 1 && v.keys[0] == "b64" && v.elems[0].kind == 's':
		b, err := base64.StdEncoding.DecodeString(v.elems[0].str)
		return b, err == nil
	}
	return nil, false
}

// encodeRESP writes a Redis command from its view: an array of its
// words, each a string (or {"b64":…}, or a number, written as its digits).
func encodeRESP(dst []byte, v jvalue) ([]byte, error) {
	if v.kind != 'a' || len(v.elems) == 0 {
		return nil, errors.New(`a Redis command is a non-empty array of its words: ["SET", "key", "value"]`)
	}
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(v.elems)), 10)
	dst = append(dst, "\r\n"...)
	for i := range v.elems {
		e := &v.elems[i]
		w, ok := e.bytesOf()
		if e.kind == 'n' {
			w, ok = []byte(e.num), true
		}
		if !ok {
			return nil, fmt.Errorf("word %d of the command is not a string or a number", i+1)
		}
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(w)), 10)
		dst = append(dst, "\r\n"...)
		dst = append(append(dst, w...), "\r\n"...)
	}
	return dst, nil
}

// encodeHTTP writes an HTTP/1 request from its view,
// {"start":…,"headers":{…},"body":…}: the body a string (its bytes), a
// {"b64":…} or any other JSON (written compact), sent with a
// Content-Length that counts it (one the headers had is set in its place;
// a chunked Transfer-Encoding is left out, the body being whole).
func encodeHTTP(dst []byte, v jvalue) ([]byte, error) {
	if v.kind != 'o' {
		return nil, errors.New(`an HTTP request is an object: {"start": "GET /path HTTP/1.1", "headers": {"Host": "localhost"}, "body": …}`)
	}
	for _, k := range v.keys {
		switch k {
		case "start", "headers", "body":
		case "trailers":
			return nil, errors.New(`"trailers" go with a chunked body, which sockscope does not write: leave them out`)
		default:
			return nil, fmt.Errorf(`unknown member %q: an HTTP request has "start", "headers" and "body"`, k)
		}
	}
	s, ok := v.get("start")
	var start []byte
	if ok {
		start, ok = s.bytesOf()
	}
	parts := strings.Split(string(start), " ")
	if !ok || len(parts) != 3 || !isToken([]byte(parts[0])) || parts[1] == "" || !strings.HasPrefix(parts[2], "HTTP/1.") ||
		bytes.ContainsAny(start, "\r\n") {
		return nil, errors.New(`"start" is the request line: "METHOD TARGET HTTP/1.1"`)
	}
	var body []byte
	hasBody := false
	if b, ok := v.get("body"); ok && b.kind != 'z' {
		hasBody = true
		if body, ok = b.bytesOf(); !ok {
			body = compactValue(nil, b)
		}
	}
	dst = append(append(dst, start...), "\r\n"...)
	wroteLength := false
	if h, ok := v.get("headers"); ok {
		if h.kind != 'o' {
			return nil, errors.New(`"headers" is an object of names and values (an array of values for a name sent more than once)`)
		}
		for i, name := range h.keys {
			vals := []jvalue{h.elems[i]}
			if h.elems[i].kind == 'a' {
				vals = h.elems[i].elems
			}
			if !isFieldName(name) {
				return nil, fmt.Errorf("header name %q is not a token", name)
			}
			switch strings.ToLower(name) {
			case "transfer-encoding":
				continue // the body goes whole, with a Content-Length
			case "content-length":
				if wroteLength {
					continue
				}
				wroteLength = true
				dst = append(dst, name...)
				dst = append(dst, ": "...)
				dst = strconv.AppendInt(dst, int64(len(body)), 10)
				dst = append(dst, "\r\n"...)
				continue
			}
			for _, e := range vals {
				val, ok := e.bytesOf()
				if e.kind == 'n' {
					val, ok = []byte(e.num), true
				}
				if !ok || bytes.ContainsAny(val, "\r\n") {
					return nil, fmt.Errorf("header %q: a value is a string on one line", name)
				}
				dst = append(dst, name...)
				dst = append(dst, ": "...)
				dst = append(append(dst, val...), "\r\n"...)
			}
		}
	}
	if hasBody && !wroteLength {
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, int64(len(body)), 10)
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, "\r\n"...)
	return append(dst, body...), nil
}

// compactValue appends v as compact JSON, its members in their order.
func compactValue(dst []byte, v *jvalue) []byte {
	switch v.kind {
	case 's':
		b, _ := json.Marshal(v.str)
		return append(dst, b...)
	case 'n':
		return append(dst, v.num...)
	case 'b':
		return strconv.AppendBool(dst, v.bool)
	case 'z':
		return append(dst, "null"...)
	}
	open, close := byte('['), byte(']')
	if v.kind == 'o' {
		open, close = '{', '}'
	}
	dst = append(dst, open)
	for i := range v.elems {
		if i > 0 {
			dst = append(dst, ',')
		}
		if v.kind == 'o' {
			b, _ := json.Marshal(v.keys[i])
			dst = append(append(dst, b...), ':')
		}
		dst = compactValue(dst, &v.elems[i])
	}
	return append(dst, close)
}

// encodeMsgpack writes a msgpack value from its view: numbers as the
// shortest integer that holds them (a float64 if they have a fraction or
// an exponent), strings as str, {"b64":…} as bin, {"ext":T,"data":…} as
// ext type T (data a value, as Neovim's handles are, or base64 bytes),
// objects as maps with string keys.
func encodeMsgpack(dst []byte, v jvalue) ([]byte, error) {
	size := map[string]int{"0": 4, "1": 4, "2": 3} // a request, a response, a notification
	if v.kind != 'a' || len(v.elems) == 0 || v.elems[0].kind != 'n' || size[string(v.elems[0].num)] != len(v.elems) {
		return nil, errors.New(`a msgpack-RPC message is [0, msgid, "method", [params]], [1, msgid, error, result] or [2, "method", [params]]`)
	}
	return mpEncode(dst, &v)
}

func mpEncode(dst []byte, v *jvalue) ([]byte, error) {
	switch v.kind {
	case 'z':
		return append(dst, 0xc0), nil
	case 'b':
		if v.bool {
			return append(dst, 0xc3), nil
		}
		return append(dst, 0xc2), nil
	case 's':
		return appendMpStr(dst, v.str), nil
	case 'n':
		if u, err := strconv.ParseUint(string(v.num), 10, 64); err == nil {
			return appendMpUint(dst, u), nil
		}
		if i, err := strconv.ParseInt(string(v.num), 10, 64); err == nil {
			return appendMpInt(dst, i), nil
		}
		f, err := strconv.ParseFloat(string(v.num), 64)
		if err != nil {
			return nil, fmt.Errorf("number %s: %v", v.num, err)
		}
		return binary.BigEndian.AppendUint64(append(dst, 0xcb), math.Float64bits(f)), nil
	case 'a':
		dst = appendMpHead(dst, 0x90, 0xdc, len(v.elems))
		for i := range v.elems {
			var err error
			if dst, err = mpEncode(dst, &v.elems[i]); err != nil {
				return nil, err
			}
		}
		return dst, nil
	}
	if len(v.keys) == 1 && v.keys[0] == "b64" {
		b, ok := v.bytesOf()
		if !ok {
			return nil, errors.New(`{"b64": …} holds base64`)
		}
		return appendMpBin(dst, b), nil
	}
	if t, ok := v.get("ext"); ok && len(v.keys) == 2 {
		return mpExt(dst, v, t)
	}
	dst = appendMpHead(dst, 0x80, 0xde, len(v.elems))
	for i := range v.elems {
		dst = appendMpStr(dst, v.keys[i])
		var err error
		if dst, err = mpEncode(dst, &v.elems[i]); err != nil {
			return nil, err
		}
	}
	return dst, nil
}

// mpExt writes {"ext":T,"data":…}.
func mpExt(dst []byte, v, t *jvalue) ([]byte, error) {
	typ, err := strconv.ParseInt(string(t.num), 10, 8)
	d, ok := v.get("data")
	if t.kind != 'n' || err != nil || !ok {
		return nil, errors.New(`an ext is {"ext": type (-128 to 127), "data": …}`)
	}
	var data []byte
	if d.kind == 's' {
		if data, err = base64.StdEncoding.DecodeString(d.str); err != nil {
			return nil, errors.New(`an ext's "data" string is base64`)
		}
	} else if data, err = mpEncode(nil, d); err != nil {
		return nil, err
	}
	switch n := len(data); n {
	case 1, 2, 4, 8, 16: // fixext 1 to 16: 0xd4 to 0xd8
		dst = append(dst, 0xd4+byte(bits.TrailingZeros(uint(n))))
	default:
		dst = appendMpLen(dst, 0xc7, n)
	}
	return append(append(dst, byte(int8(typ))), data...), nil
}

// appendMpInt appends negative v as the shortest msgpack signed integer.
func appendMpInt(dst []byte, v int64) []byte {
	switch {
	case v >= -32:
		return append(dst, byte(int8(v)))
	case v >= math.MinInt8:
		return append(dst, 0xd0, byte(v))
	case v >= math.MinInt16:
		return append(dst, 0xd1, byte(v>>8), byte(v))
	case v >= math.MinInt32:
		return append(dst, 0xd2, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return append(dst, 0xd3, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// appendMpHead appends the head of an array or a map of n: fix (n < 16),
// else big (16-bit count) or big+1 (32-bit).
func appendMpHead(dst []byte, fix, big byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, fix|byte(n))
	case n <= math.MaxUint16:
		return append(dst, big, byte(n>>8), byte(n))
	}
	return append(dst, big+1, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// appendMpBin appends b as msgpack bin.
func appendMpBin(dst, b []byte) []byte {
	return append(appendMpLen(dst, 0xc4, len(b)), b...)
}

// isFieldName reports whether s is an HTTP field name: a token (RFC 9110).
func isFieldName(s string) bool {
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return s != ""
}
