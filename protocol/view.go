package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxViewDepth bounds the nesting a view decodes; deeper values show as a
// string saying so.
const maxViewDepth = 64

var errView = errors.New("does not decode (truncated?)")

// appendText appends p as a JSON string when it is UTF-8, else as
// {"b64":…}.
func appendText(dst, p []byte) []byte {
	if utf8.Valid(p) {
		return appendJSONString(dst, p)
	}
	dst = append(dst, `{"b64":"`...)
	dst = base64.StdEncoding.AppendEncode(dst, p)
	return append(dst, `"}`...)
}

// appendKey appends p as a JSON string, bytes that are not UTF-8 as U+FFFD.
func appendKey(dst, p []byte) []byte {
	return appendJSONString(dst, bytes.ToValidUTF8(p, []byte("\uFFFD")))
}

// appendJSONString appends p, valid UTF-8, as a JSON string, with <, > and &
// as they are: json.Marshal's HTML escapes (\u003c) are for JSON put in a
// web page, and a view is read by a person (the detail pane, --dump).
func appendJSONString(dst, p []byte) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(string(p)) // a string always encodes
	return append(dst, bytes.TrimSuffix(b.Bytes(), []byte("\n"))...)
}

// HTTPMessage is an HTTP/1 message cut into its parts.
type HTTPMessage struct {
	// Start is the request or status line, without its line end.
	Start []byte
	// Headers are the header fields in their order, values trimmed.
	Headers []HTTPHeader
	// Body is the body as sent (Raw) and joined when it was chunked
	// (as far as the frame goes); Trailers are a chunked body's trailer.
	Body, Raw []byte
	Trailers  []HTTPHeader
	// HeadSize is the bytes of the start line and headers, with the empty
	// line that ends them.
	HeadSize int
}

// HTTPHeader is one header field.
type HTTPHeader struct{ Name, Value []byte }

// StartParts cuts the start line at its first two spaces: a request's
// method, target and version, or a response's version, status code and
// reason.
func (m *HTTPMessage) StartParts() (a, b, c []byte) {
	a, rest, _ := bytes.Cut(m.Start, []byte(" "))
	b, c, _ = bytes.Cut(rest, []byte(" "))
	return a, b, c
}

// Get returns the value of the first header named name (in any case).
func (m *HTTPMessage) Get(name string) ([]byte, bool) {
	for _, h := range m.Headers {
		if bytes.EqualFold(h.Name, []byte(name)) {
			return h.Value, true
		}
	}
	return nil, false
}

// ParseHTTP cuts an HTTP message (a frame of FramingHTTP) into its parts;
// ok is false when data holds no whole head.
func ParseHTTP(data []byte) (m HTTPMessage, ok bool) {
	head, body, ok := bytes.Cut(data, []byte("\r\n\r\n"))
	m.HeadSize = len(head) + 4
	if !ok {
		if head, body, ok = bytes.Cut(data, []byte("\n\n")); !ok {
			return HTTPMessage{}, false
		}
		m.HeadSize = len(head) + 2
	}
	lines := bytes.Split(head, []byte("\n"))
	m.Start = bytes.TrimSuffix(lines[0], []byte("\r"))
	m.Headers = headerFields(lines[1:])
	m.Body, m.Raw = body, body
	if te, _ := m.Get("Transfer-Encoding"); bytes.Contains(bytes.ToLower(te), []byte("chunked")) {
		var trailer [][]byte
		m.Body, trailer = dechunk(body)
		m.Trailers = headerFields(trailer)
	}
	return m, true
}

// headerFields parses header lines.
func headerFields(lines [][]byte) []HTTPHeader {
	var hs []HTTPHeader
	for _, l := range lines {
		name, val, _ := bytes.Cut(bytes.TrimSuffix(l, []byte("\r")), []byte(":"))
		if len(name) == 0 && len(val) == 0 {
			continue
		}
		hs = append(hs, HTTPHeader{Name: name, Value: bytes.TrimSpace(val)})
	}
	return hs
}

// viewHTTP shows an HTTP message as {"start":…,"headers":{…},"body":…}:
// a header sent more than once as an array of its values (Set-Cookie), a
// chunked body joined (its trailer as "trailers"), a JSON body as JSON,
// other text as a string.
func viewHTTP(dst, data []byte) ([]byte, error) {
	m, ok := ParseHTTP(data)
	if !ok {
		return dst, errView
	}
	dst = append(dst, `{"start":`...)
	dst = appendText(dst, m.Start)
	dst = append(dst, `,"headers":`...)
	dst = appendHeaders(dst, m.Headers)
	if body := m.Body; len(body) > 0 {
		dst = append(dst, `,"body":`...)
		if t := bytes.TrimSpace(body); len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid(t) {
			var b bytes.Buffer
			json.Compact(&b, t)
			dst = append(dst, b.Bytes()...)
		} else {
			dst = appendText(dst, body)
		}
	}
	if len(m.Trailers) > 0 {
		dst = append(dst, `,"trailers":`...)
		dst = appendHeaders(dst, m.Trailers)
	}
	return append(dst, '}'), nil
}

// appendHeaders appends header fields as a JSON object, in their order: a
// name that comes more than once (in any case) has the array of its
// values, under its first spelling.
func appendHeaders(dst []byte, fields []HTTPHeader) []byte {
	type header struct {
		name []byte
		vals [][]byte
	}
	var hs []header
	for _, f := range fields {
		i := 0
		for i < len(hs) && !bytes.EqualFold(hs[i].name, f.Name) {
			i++
		}
		if i == len(hs) {
			hs = append(hs, header{name: f.Name})
		}
		hs[i].vals = append(hs[i].vals, f.Value)
	}
	dst = append(dst, '{')
	for i, h := range hs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendKey(dst, h.name)
		dst = append(dst, ':')
		if len(h.vals) == 1 {
			dst = appendText(dst, h.vals[0])
			continue
		}
		dst = append(dst, '[')
		for j, v := range h.vals {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = appendText(dst, v)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

// dechunk joins the data of a chunked body (as far as it goes), and
// returns the trailer's lines, if the last chunk came.
func dechunk(p []byte) (out []byte, trailer [][]byte) {
	for {
		line, rest, ok := bytes.Cut(p, []byte("\n"))
		if !ok {
			return out, nil
		}
		size, _, _ := bytes.Cut(bytes.TrimSpace(line), []byte(";"))
		n, err := strconv.ParseInt(string(size), 16, 64)
		if err == nil && n == 0 { // the last chunk: the trailer, to an empty line
			for {
				l, more, ok := bytes.Cut(rest, []byte("\n"))
				if l = bytes.TrimSuffix(l, []byte("\r")); !ok || len(l) == 0 {
					return out, trailer
				}
				trailer, rest = append(trailer, l), more
			}
		}
		if err != nil || n < 0 || n > int64(len(rest)) {
			return out, nil
		}
		out = append(out, rest[:n]...)
		p = bytes.TrimPrefix(rest[n:], []byte("\r\n"))
	}
}

// viewRESP shows a RESP value as JSON: arrays, sets and pushes as arrays,
// maps as objects, strings as strings, errors as {"error":…}.
func viewRESP(dst, data []byte) ([]byte, error) {
	if len(data) > 0 && !bytes.ContainsAny(data[:1], "+-:$*%~>_#,(=!|") {
		// An inline command: its arguments, as Redis splits them.
		dst = append(dst, '[')
		for i, w := range inlineArgs(data) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendText(dst, w)
		}
		return append(dst, ']'), nil
	}
	if n, ok := rdbSize(data); ok {
		dst = append(dst, `{"rdb":`...)
		return append(strconv.AppendInt(dst, int64(n), 10), '}'), nil
	}
	dst, rest, err := respView(dst, data, 0, inOrder)
	if err == nil && len(rest) != 0 {
		err = errView
	}
	return dst, err
}

// respOrder is what a view of a RESP reply puts in an order of its own,
// for a comparison that must not tell two orders of the same members
// apart: Redis gives a set's members, and a hash's fields, in the order of
// its hash table, which a server seeds anew each time it starts.
type respOrder uint8

const (
	inOrder    respOrder = iota // as sent: the detail pane's view
	sortedSets                  // a set's (~) members sorted by their views
	sortedTop                   // and the reply's own array's elements (SMEMBERS in RESP2)
	pairedTop                   // sets sorted, and the reply's own array as an object of its pairs (HGETALL in RESP2)
)

// unorderedReplies are the commands whose reply is an array in no
// particular order (a set's members or a hash's fields, in RESP2 and 3),
// and pairedReplies those whose RESP2 reply is a hash's fields and values
// in turn (RESP3 sends a map, an object already).
var (
	unorderedReplies = map[string]bool{"SMEMBERS": true, "SINTER": true, "SUNION": true, "SDIFF": true, "HKEYS": true, "HVALS": true, "KEYS": true}
	pairedReplies    = map[string]bool{"HGETALL": true}
)

// ViewRESPUnordered is a RESP reply's view (as AppendView shows it) for
// comparing replies: what Redis sends in no particular order is put in
// one, a set's members and, for the reply to command (a request's
// method: SMEMBERS, HKEYS, KEYS, …), its array's elements, sorted by
// their views; HGETALL's RESP2 array of fields and values is an object,
// as RESP3's map is. Two replies with the same members then compare
// equal however the server ordered them. The reply to an EXEC is an array
// of the replies to the commands queued since its MULTI (queued, in
// order): each is ordered as the reply to its command, when there are as
// many.
func ViewRESPUnordered(dst, data []byte, command string, queued []string) ([]byte, error) {
	if len(data) == 0 || !bytes.ContainsAny(data[:1], "*~%>|") {
		return viewRESP(dst, data) // no aggregate: nothing to order
	}
	if strings.EqualFold(command, "EXEC") {
		if v, ok := respExecView(dst, data, queued); ok {
			return v, nil
		}
	}
	dst, rest, err := respView(dst, data, 0, orderOf(command))
	if err == nil && len(rest) != 0 {
		err = errView
	}
	return dst, err
}

// orderOf is what the reply to command is put in order by.
func orderOf(command string) respOrder {
	switch c := strings.ToUpper(command); {
	case unorderedReplies[c]:
		return sortedTop
	case pairedReplies[c]:
		return pairedTop
	}
	return sortedSets
}

// respExecView is the view of EXEC's reply data whose elements reply to
// the commands queued, in order, each ordered as its command's reply; ok
// is false, and nothing appended, when data is no array of as many.
func respExecView(dst, data []byte, queued []string) ([]byte, bool) {
	line, rest, ok := bytes.Cut(data, []byte("\r\n"))
	if n, isNum := respInt(line[min(1, len(line)):]); !ok || line[0] != '*' || !isNum || n != int64(len(queued)) {
		return dst, false
	}
	out := append(dst, '[')
	for i, c := range queued {
		if i > 0 {
			out = append(out, ',')
		}
		var err error
		if out, rest, err = respView(out, rest, 0, orderOf(c)); err != nil {
			return dst, false
		}
	}
	if len(rest) != 0 {
		return dst, false
	}
	return append(out, ']'), true
}

// rdbSize returns the size of the snapshot (RDB) a RESP frame is, one a
// master sends a replica: "$EOF:<mark>\r\n", the snapshot and the mark
// again, or "$<n>\r\n" and n bytes without the CRLF that ends a bulk
// string.
func rdbSize(data []byte) (int, bool) {
	line, rest, ok := bytes.Cut(data, []byte("\r\n"))
	switch {
	case !ok || len(line) < 2 || line[0] != '$':
		return 0, false
	case len(line) == 5+rdbMark && bytes.HasPrefix(line, []byte("$EOF:")):
		return len(rest) - rdbMark, bytes.HasSuffix(rest, line[5:]) && len(rest) >= rdbMark
	}
	n, ok := respInt(line[1:])
	return int(n), ok && n > 0 && n == int64(len(rest))
}

// RESPArgs returns the words of a RESP command, a frame of FramingRESP:
// an array of bulk strings (as bytes: redis-cli --pipe's ECHO is 20 random
// ones), or an inline command's words as Redis splits them; nil for
// anything else.
func RESPArgs(p []byte) [][]byte {
	if len(p) == 0 || p[0] != '*' {
		return inlineArgs(p)
	}
	line, rest, _ := bytes.Cut(p[1:], []byte("\r\n"))
	n, err := strconv.Atoi(string(line))
	if err != nil || n < 0 || n > 1<<10 {
		return nil
	}
	args := make([][]byte, 0, n)
	for range n {
		if len(rest) == 0 || rest[0] != '$' {
			return nil
		}
		line, rest, _ = bytes.Cut(rest[1:], []byte("\r\n"))
		size, err := strconv.Atoi(string(line))
		if err != nil || size < 0 || size+2 > len(rest) {
			return nil
		}
		args, rest = append(args, rest[:size]), rest[size+2:]
	}
	return args
}

// inlineArgs splits an inline command into its arguments as Redis does
// (sdssplitargs): by spaces, but "a b" and 'a b' are one, with \" \n \r
// \t \b \a \\ \xHH in double quotes and \' in single ones. Unbalanced
// quotes, which Redis refuses, split by spaces alone.
func inlineArgs(line []byte) [][]byte {
	var args [][]byte
	p := bytes.TrimRight(line, "\r\n")
	for {
		p = bytes.TrimLeft(p, " \t")
		if len(p) == 0 {
			return args
		}
		var arg []byte
		switch q := p[0]; q {
		case '"', '\'':
			i := 1
			for ; i < len(p) && p[i] != q; i++ {
				c := p[i]
				if c == '\\' && i+1 < len(p) {
					i++
					c = p[i]
					if q == '"' {
						switch c {
						case 'n':
							c = '\n'
						case 'r':
							c = '\r'
						case 't':
							c = '\t'
						case 'b':
							c = '\b'
						case 'a':
							c = '\a'
						case 'x':
							if i+2 < len(p) && unhex(p[i+1]) >= 0 && unhex(p[i+2]) >= 0 {
								c = byte(unhex(p[i+1])<<4 | unhex(p[i+2]))
								i += 2
							}
						}
					} else if c != '\'' {
						arg = append(arg, '\\')
					}
				}
				arg = append(arg, c)
			}
			if i == len(p) || i+1 < len(p) && p[i+1] != ' ' && p[i+1] != '\t' {
				return bytes.Fields(line) // unbalanced, or glued to what follows: Redis refuses it
			}
			p = p[i+1:]
		default:
			i := bytes.IndexAny(p, " \t")
			if i < 0 {
				i = len(p)
			}
			arg, p = p[:i], p[i:]
		}
		args = append(args, arg)
	}
}

func respView(dst, p []byte, depth int, order respOrder) ([]byte, []byte, error) {
	line, rest, ok := bytes.Cut(p, []byte("\r\n"))
	if !ok || len(line) == 0 {
		return dst, nil, errView
	}
	t, v := line[0], line[1:]
	switch t {
	case '+':
		return appendText(dst, v), rest, nil
	case '-':
		dst = append(dst, `{"error":`...)
		return append(appendText(dst, v), '}'), rest, nil
	case ':', '(':
		if jsonInteger(v) && string(v) != "-1" {
			return append(dst, v...), rest, nil
		}
		return appendText(dst, v), rest, nil
	case ',':
		if f, err := strconv.ParseFloat(string(v), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return strconv.AppendFloat(dst, f, 'g', -1, 64), rest, nil
		}
		return appendText(dst, v), rest, nil
	case '#':
		return strconv.AppendBool(dst, string(v) == "t"), rest, nil
	case '_':
		return append(dst, "null"...), rest, nil
	case '$', '=', '!':
		n, ok := respInt(v)
		if !ok || n > int64(len(rest)) {
			return dst, nil, errView
		}
		if n < 0 {
			return append(dst, "null"...), rest, nil
		}
		s := rest[:n]
		if t == '=' && len(s) >= 4 {
			s = s[4:] // "txt:"
		}
		if t == '!' {
			dst = append(dst, `{"error":`...)
			dst = append(appendText(dst, s), '}')
		} else {
			dst = appendText(dst, s)
		}
		return dst, bytes.TrimPrefix(rest[n:], []byte("\r\n")), nil
	case '*', '~', '>', '%', '|':
		n, ok := respInt(v)
		if !ok {
			return dst, nil, errView
		}
		if n < 0 {
			return append(dst, "null"...), rest, nil
		}
		if depth >= maxViewDepth {
			return dst, nil, errView
		}
		var err error
		if t == '|' { // an attribute: show the value it is about
			for range 2 * n {
				if _, rest, err = respView(nil, rest, depth+1, order); err != nil {
					return dst, nil, err
				}
			}
			return respView(dst, rest, depth, order)
		}
		top := depth == 0 && t == '*'
		if t == '~' && order != inOrder || top && order == sortedTop {
			return respSorted(dst, rest, n, depth, order)
		}
		isMap := t == '%'
		if top && order == pairedTop && n%2 == 0 {
			isMap, n = true, n/2
		}
		open, close := byte('['), byte(']')
		if isMap {
			open, close = '{', '}'
		}
		dst = append(dst, open)
		for i := range n {
			if top && len(rest) == 0 {
				break // EXEC's array, short of the replies CLIENT REPLY silenced (respexec.go)
			}
			if i > 0 {
				dst = append(dst, ',')
			}
			if isMap {
				var key []byte
				if key, rest, err = respView(nil, rest, depth+1, order); err != nil {
					return dst, nil, err
				}
				if len(key) == 0 || key[0] != '"' {
					key = appendKey(nil, key)
				}
				dst = append(append(dst, key...), ':')
			}
			if dst, rest, err = respView(dst, rest, depth+1, order); err != nil {
				return dst, nil, err
			}
		}
		return append(dst, close), rest, nil
	}
	return dst, nil, errView
}

// respSorted is respView's array of the n values p starts with, sorted by
// their views (respOrder).
func respSorted(dst, p []byte, n int64, depth int, order respOrder) ([]byte, []byte, error) {
	var views [][]byte
	for range n {
		v, rest, err := respView(nil, p, depth+1, order)
		if err != nil {
			return dst, nil, err
		}
		views, p = append(views, v), rest
	}
	slices.SortFunc(views, bytes.Compare)
	dst = append(dst, '[')
	for i, v := range views {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, v...)
	}
	return append(dst, ']'), p, nil
}

// viewMsgpack shows a msgpack value as JSON: binary as {"b64":…},
// extension types (Neovim's buffer, window and tabpage handles) as
// {"ext":type,"data":…}, map keys that are not strings by their JSON.
func viewMsgpack(dst, data []byte) ([]byte, error) {
	dst, rest, err := mpView(dst, data, 0)
	if err == nil && len(rest) != 0 {
		err = errView
	}
	return dst, err
}

func mpView(dst, p []byte, depth int) ([]byte, []byte, error) {
	if len(p) == 0 {
		return dst, nil, errView
	}
	b := p[0]
	h := msgpackHead(b)
	if h < 0 || len(p) < 1+h {
		return dst, nil, errView
	}
	hd, rest := p[1:1+h], p[1+h:]
	be := func() uint64 {
		var v uint64
		for _, c := range hd {
			v = v<<8 | uint64(c)
		}
		return v
	}
	var n uint64
	kind := byte(0) // 's' string, 'b' bin, 'a' array, 'm' map, 'e' ext
	switch {
	case b <= 0x7f:
		return strconv.AppendUint(dst, uint64(b), 10), rest, nil
	case b >= 0xe0:
		return strconv.AppendInt(dst, int64(int8(b)), 10), rest, nil
	case b <= 0x8f:
		n, kind = uint64(b&0x0f), 'm'
	case b <= 0x9f:
		n, kind = uint64(b&0x0f), 'a'
	case b <= 0xbf:
		n, kind = uint64(b&0x1f), 's'
	case b == 0xc0:
		return append(dst, "null"...), rest, nil
	case b == 0xc2, b == 0xc3:
		return strconv.AppendBool(dst, b == 0xc3), rest, nil
	case b >= 0xc4 && b <= 0xc6:
		n, kind = be(), 'b'
	case b >= 0xc7 && b <= 0xc9:
		n, kind = be()>>8, 'e'
	case b == 0xca:
		return appendFloat(dst, float64(math.Float32frombits(binary.BigEndian.Uint32(hd))), 32), rest, nil
	case b == 0xcb:
		return appendFloat(dst, math.Float64frombits(binary.BigEndian.Uint64(hd)), 64), rest, nil
	case b >= 0xcc && b <= 0xcf:
		return strconv.AppendUint(dst, be(), 10), rest, nil
	case b >= 0xd0 && b <= 0xd3:
		v := be()
		shift := 64 - 8*uint(len(hd))
		return strconv.AppendInt(dst, int64(v<<shift)>>shift, 10), rest, nil
	case b >= 0xd4 && b <= 0xd8:
		n, kind = 1<<(b-0xd4), 'e'
	case b >= 0xd9 && b <= 0xdb:
		n, kind = be(), 's'
	case b == 0xdc || b == 0xdd:
		n, kind = be(), 'a'
	case b == 0xde || b == 0xdf:
		n, kind = be(), 'm'
	}
	switch kind {
	case 's', 'b':
		if n > uint64(len(rest)) {
			return dst, nil, errView
		}
		if kind == 'b' {
			dst = append(dst, `{"b64":"`...)
			dst = base64.StdEncoding.AppendEncode(dst, rest[:n])
			return append(dst, `"}`...), rest[n:], nil
		}
		return appendText(dst, rest[:n]), rest[n:], nil
	case 'e':
		typ := int8(hd[len(hd)-1])
		if n > uint64(len(rest)) {
			return dst, nil, errView
		}
		dst = append(dst, `{"ext":`...)
		dst = strconv.AppendInt(dst, int64(typ), 10)
		dst = append(dst, `,"data":`...)
		if v, r, err := mpView(nil, rest[:n], depth+1); err == nil && len(r) == 0 {
			dst = append(dst, v...) // Neovim's handles are msgpack integers
		} else {
			dst = append(dst, '"')
			dst = base64.StdEncoding.AppendEncode(dst, rest[:n])
			dst = append(dst, '"')
		}
		return append(dst, '}'), rest[n:], nil
	}
	if depth >= maxViewDepth || n > uint64(len(rest)) {
		return dst, nil, errView
	}
	open, close := byte('['), byte(']')
	if kind == 'm' {
		open, close = '{', '}'
	}
	dst = append(dst, open)
	var err error
	for i := range n {
		if i > 0 {
			dst = append(dst, ',')
		}
		if kind == 'm' {
			var key []byte
			if key, rest, err = mpView(nil, rest, depth+1); err != nil {
				return dst, nil, err
			}
			if key[0] != '"' {
				key = appendKey(nil, key)
			}
			dst = append(append(dst, key...), ':')
		}
		if dst, rest, err = mpView(dst, rest, depth+1); err != nil {
			return dst, nil, err
		}
	}
	return append(dst, close), rest, nil
}

// classifyMsgpack classifies a msgpack-RPC message: [0,msgid,method,params]
// a request, [1,msgid,error,result] a response (an error when error is not
// nil), [2,method,params] a notification. The id is msgid as JSON text.
func classifyMsgpack(data []byte, _ Dir, _ []string) Info {
	if len(data) < 3 || (data[0] != 0x93 && data[0] != 0x94) {
		return Info{Err: "msgpack: not an RPC message (an array of 3 or 4)"}
	}
	typ := data[1]
	p := data[2:]
	var id []byte
	if typ == 0 || typ == 1 {
		v, rest, ok := mpUint(p)
		if !ok {
			return Info{Err: "msgpack: bad msgid"}
		}
		id, p = strconv.AppendUint(nil, v, 10), rest
	}
	switch {
	case typ == 0 && data[0] == 0x94:
		return Info{Kind: KindRequest, ID: id, Method: mpStr(p)}
	case typ == 1 && data[0] == 0x94:
		return Info{Kind: KindResponse, ID: id, IsError: len(p) > 0 && p[0] != 0xc0}
	case typ == 2 && data[0] == 0x93:
		return Info{Kind: KindNotification, Method: mpStr(p)}
	}
	return Info{Err: "msgpack: not an RPC message type"}
}

// mpUint reads a msgpack unsigned integer.
func mpUint(p []byte) (uint64, []byte, bool) {
	if len(p) == 0 {
		return 0, nil, false
	}
	b := p[0]
	if b <= 0x7f {
		return uint64(b), p[1:], true
	}
	if b < 0xcc || b > 0xcf {
		return 0, nil, false
	}
	n := 1 << (b - 0xcc)
	if len(p) < 1+n {
		return 0, nil, false
	}
	var v uint64
	for _, c := range p[1 : 1+n] {
		v = v<<8 | uint64(c)
	}
	return v, p[1+n:], true
}

// mpStr returns the bytes of the msgpack string at the start of p.
func mpStr(p []byte) []byte {
	if len(p) == 0 {
		return nil
	}
	b := p[0]
	var n, h int
	switch {
	case b >= 0xa0 && b <= 0xbf:
		n, h = int(b&0x1f), 1
	case b == 0xd9 && len(p) >= 2:
		n, h = int(p[1]), 2
	case b == 0xda && len(p) >= 3:
		n, h = int(binary.BigEndian.Uint16(p[1:])), 3
	default:
		return nil
	}
	if len(p) < h+n {
		return nil
	}
	return p[h : h+n]
}

// jsonInteger reports whether v is an integer as JSON spells one: an
// optional '-', then digits without a leading zero (RESP allows "007").
func jsonInteger(v []byte) bool {
	v = bytes.TrimPrefix(v, []byte("-"))
	if len(v) == 0 || len(v) > 1 && v[0] == '0' {
		return false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// appendFloat appends f as a JSON number, or as a string where JSON has no
// number for it (NaN, ±Inf).
func appendFloat(dst []byte, f float64, bits int) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return appendText(dst, []byte(strconv.FormatFloat(f, 'g', -1, bits)))
	}
	return strconv.AppendFloat(dst, f, 'g', -1, bits)
}
