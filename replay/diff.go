package replay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MaxDifferences bounds the differences Diff reports for one pair.
const MaxDifferences = 100

// Difference is one place where two JSON values differ.
type Difference struct {
	// Path is where, JSONPath-like: $.data, $.result.items[2].label. Inside
	// a string that holds JSON, the path goes on into it.
	Path string `json:"path"`
	// Then and Now are the values there, as short JSON ("" when absent).
	Then string `json:"then,omitempty"`
	Now  string `json:"now,omitempty"`
}

// String says the difference in one line.
func (d Difference) String() string {
	return fmt.Sprintf("%s: %s → %s", d.Path, orAbsent(oneLine(d.Then)), orAbsent(oneLine(d.Now)))
}

func orAbsent(s string) string {
	if s == "" {
		return "(absent)"
	}
	return s
}

// Ignore is what a comparison leaves out: JSONPath-like paths ($.data.time,
// $.result.items[*].id; * matches any member or index) and bare member
// names matched at any depth (timestamp).
type Ignore struct {
	paths [][]string
	keys  map[string]bool
}

// ParseIgnore parses --ignore values.
func ParseIgnore(specs []string) (Ignore, error) {
	ig := Ignore{keys: map[string]bool{}}
	for _, s := range specs {
		if s == "" {
			continue
		}
		if !strings.HasPrefix(s, "$") {
			if strings.ContainsAny(s, ".[]") {
				return ig, fmt.Errorf("--ignore %q: a path starts with $ ($.data.time), a bare key has no . or [", s)
			}
			ig.keys[s] = true
			continue
		}
		segs, err := parsePath(s)
		if err != nil {
			return ig, err
		}
		ig.paths = append(ig.paths, segs)
	}
	return ig, nil
}

// With returns ig with more paths or keys (already valid).
func (ig Ignore) With(specs ...string) Ignore {
	more, _ := ParseIgnore(specs)
	out := Ignore{paths: append(slices.Clip(ig.paths), more.paths...), keys: map[string]bool{}}
	for k := range ig.keys {
		out.keys[k] = true
	}
	for k := range more.keys {
		out.keys[k] = true
	}
	return out
}

// parsePath splits $.a.b[0][*] into a, b, [0], [*].
func parsePath(s string) ([]string, error) {
	var segs []string
	rest := s[1:]
	for rest != "" {
		switch rest[0] {
		case '.':
			end := strings.IndexAny(rest[1:], ".[")
			if end < 0 {
				end = len(rest) - 1
			}
			if end == 0 {
				return nil, fmt.Errorf("--ignore %q: empty member name", s)
			}
			segs = append(segs, rest[1:1+end])
			rest = rest[1+end:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("--ignore %q: [ without ]", s)
			}
			in := rest[1:end]
			if q, err := strconv.Unquote(in); err == nil {
				segs = append(segs, q)
			} else {
				segs = append(segs, "["+in+"]")
			}
			rest = rest[end+1:]
		default:
			return nil, fmt.Errorf("--ignore %q: want .member or [index] after %q", s, s[:len(s)-len(rest)])
		}
	}
	return segs, nil
}

// ignored reports whether the value at path is left out.
func (ig *Ignore) ignored(path []string) bool {
	if len(path) > 0 && ig.keys[path[len(path)-1]] {
		return true
	}
	for _, p := range ig.paths {
		if len(p) == len(path) && segsMatch(p, path) {
			return true
		}
	}
	return false
}

func segsMatch(pattern, path []string) bool {
	for i, p := range pattern {
		if p == "*" || p == "[*]" && strings.HasPrefix(path[i], "[") {
			continue
		}
		if p != path[i] {
			return false
		}
	}
	return true
}

// pathString writes path as $.a.b[0].
func pathString(path []string) string {
	var b strings.Builder
	b.WriteByte('$')
	for _, s := range path {
		switch {
		case strings.HasPrefix(s, "["):
			b.WriteString(s)
		case s != "" && !strings.ContainsAny(s, ".[]\" "):
			b.WriteByte('.')
			b.WriteString(s)
		default:
			b.WriteString("[" + strconv.Quote(s) + "]")
		}
	}
	return b.String()
}

// decode parses JSON keeping numbers as they were written.
func decode(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return v, nil
}

// Diff compares two JSON messages structurally and returns where they
// differ, leaving out what ig ignores and the top-level members in skip
// (the id fields, which the pairing already matched). Messages that are not
// JSON are compared as bytes.
func Diff(then, now []byte, ig Ignore, skip []string) []Difference {
	a, errA := decode(then)
	b, errB := decode(now)
	if errA != nil || errB != nil {
		if bytes.Equal(then, now) {
			return nil
		}
		return []Difference{{Path: "$", Then: short(then), Now: short(now)}}
	}
	d := differ{ig: &ig, skip: skip}
	d.walk(a, b, nil)
	return d.out
}

type differ struct {
	ig   *Ignore
	skip []string
	out  []Difference
}

func (d *differ) add(path []string, a, b any, absentA, absentB bool) {
	if len(d.out) >= MaxDifferences {
		return
	}
	diff := Difference{Path: pathString(path)}
	if !absentA {
		diff.Then = shortValue(a)
	}
	if !absentB {
		diff.Now = shortValue(b)
	}
	d.out = append(d.out, diff)
}

func (d *differ) walk(a, b any, path []string) {
	if len(d.out) >= MaxDifferences || d.ig.ignored(path) {
		return
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			d.add(path, a, b, false, false)
			return
		}
		keys := make([]string, 0, len(x)+len(y))
		for k := range x {
			keys = append(keys, k)
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			if len(path) == 0 && slices.Contains(d.skip, k) {
				continue
			}
			p := append(slices.Clip(path), k)
			va, okA := x[k]
			vb, okB := y[k]
			if okA && okB {
				d.walk(va, vb, p)
			} else if !d.ig.ignored(p) {
				d.add(p, va, vb, !okA, !okB)
			}
		}
	case []any:
		y, ok := b.([]any)
		if !ok {
			d.add(path, a, b, false, false)
			return
		}
		for i := 0; i < max(len(x), len(y)); i++ {
			p := append(slices.Clip(path), "["+strconv.Itoa(i)+"]")
			switch {
			case i < len(x) && i < len(y):
				d.walk(x[i], y[i], p)
			case !d.ig.ignored(p):
				d.add(p, elem(x, i), elem(y, i), i >= len(x), i >= len(y))
			}
		}
	case string:
		y, ok := b.(string)
		switch {
		case ok && x == y:
		case ok && holdsJSON(x) && holdsJSON(y):
			ja, errA := decode([]byte(x))
			jb, errB := decode([]byte(y))
			if errA == nil && errB == nil {
				d.walk(ja, jb, path)
				return
			}
			d.add(path, a, b, false, false)
		default:
			d.add(path, a, b, false, false)
		}
	case json.Number:
		if y, ok := b.(json.Number); !ok || !sameNumber(x, y) {
			d.add(path, a, b, false, false)
		}
	default: // bool, nil
		if a != b {
			d.add(path, a, b, false, false)
		}
	}
}

func elem(s []any, i int) any {
	if i < len(s) {
		return s[i]
	}
	return nil
}

// holdsJSON reports whether a string looks like a JSON object or array.
func holdsJSON(s string) bool {
	s = strings.TrimSpace(s)
	return len(s) >= 2 && (s[0] == '{' && s[len(s)-1] == '}' || s[0] == '[' && s[len(s)-1] == ']')
}

func sameNumber(a, b json.Number) bool {
	if a == b {
		return true
	}
	fa, errA := a.Float64()
	fb, errB := b.Float64()
	return errA == nil && errB == nil && fa == fb
}

// shortValue is v as JSON, cut to a readable length.
func shortValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return short(b)
}

// maxShort bounds a value shown in a difference.
const maxShort = 120

// oneLine escapes the control characters of s (\r, \n, \t, \xNN), so
// that what is not JSON (a RESP command, an HTTP head, a raw line) stays
// on the line that shows it and sends no escape sequence to a terminal.
func oneLine(s string) string {
	i := strings.IndexFunc(s, isControl)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		switch {
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case isControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 }

func short(b []byte) string {
	if len(b) <= maxShort {
		return string(b)
	}
	n := maxShort
	for n > 0 && b[n]&0xC0 == 0x80 { // not in the middle of a UTF-8 character
		n--
	}
	return string(b[:n]) + "…"
}
