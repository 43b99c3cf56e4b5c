package replay

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// Mark is what a line of an annotated response is in its comparison.
type Mark uint8

const (
	// MarkPlain: the same then and now.
	MarkPlain Mark = iota
	// MarkDiffers: at (or inside) a path that differs.
	MarkDiffers
	// MarkIgnored: at a path the comparison leaves out (--ignore, the ids).
	MarkIgnored
)

// Line is one line of a response pretty-printed for a diff view.
type Line struct {
	Text string
	Path string // the JSONPath of the value the line holds
	Mark Mark
}

// MaxAnnotated bounds the lines Annotate returns.
const MaxAnnotated = 2000

// Annotate pretty-prints a response (keys sorted, so that the recorded and
// the new one line up) and marks each line: MarkDiffers at a path of diff or
// inside one (a string holding JSON differs as a whole), Ignored at a path
// ig or skip leaves out. A message that is not JSON is one plain line per
// line of it.
func Annotate(resp []byte, diff []Difference, ig Ignore, skip []string) []Line {
	v, err := decode(resp)
	if err != nil {
		var out []Line
		for _, l := range strings.Split(string(resp), "\n") {
			if len(out) == MaxAnnotated {
				break
			}
			out = append(out, Line{Text: l, Path: "$", Mark: markOf(diff, "$", true)})
		}
		return out
	}
	a := annotator{diff: diff, ig: &ig, skip: skip}
	a.value(v, nil, "", "")
	return a.out
}

type annotator struct {
	diff []Difference
	ig   *Ignore
	skip []string
	out  []Line
}

// markOf marks a line at path: it differs when a difference is at path or
// above it, or, for a leaf, below it (inside a string holding JSON).
func markOf(diff []Difference, path string, leaf bool) Mark {
	for _, d := range diff {
		if d.Path == path || under(path, d.Path) || leaf && under(d.Path, path) {
			return MarkDiffers
		}
	}
	return MarkPlain
}

// under reports whether path is inside the value at parent.
func under(path, parent string) bool {
	return len(path) > len(parent) && strings.HasPrefix(path, parent) && (path[len(parent)] == '.' || path[len(parent)] == '[')
}

func (a *annotator) line(indent int, text string, path []string, leaf bool) {
	if len(a.out) >= MaxAnnotated {
		return
	}
	p := pathString(path)
	mark := markOf(a.diff, p, leaf)
	if mark == MarkPlain && (a.ig.ignored(path) || len(path) == 1 && slices.Contains(a.skip, path[0]) || a.ignoredAbove(path)) {
		mark = MarkIgnored
	}
	a.out = append(a.out, Line{Text: strings.Repeat("  ", indent) + text, Path: p, Mark: mark})
}

// ignoredAbove reports whether a parent of path is ignored.
func (a *annotator) ignoredAbove(path []string) bool {
	for i := 1; i < len(path); i++ {
		if a.ig.ignored(path[:i]) || i == 1 && slices.Contains(a.skip, path[0]) {
			return true
		}
	}
	return false
}

// value writes v at path: prefix is `"key": ` (or ""), suffix "," when
// more follows.
func (a *annotator) value(v any, path []string, prefix, suffix string) {
	indent := len(path)
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			a.line(indent, prefix+"{}"+suffix, path, true)
			return
		}
		a.line(indent, prefix+"{", path, false)
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			a.value(x[k], append(slices.Clip(path), k), textOf(k)+": ", comma(i, len(keys)))
		}
		a.line(indent, "}"+suffix, path, false)
	case []any:
		if len(x) == 0 {
			a.line(indent, prefix+"[]"+suffix, path, true)
			return
		}
		a.line(indent, prefix+"[", path, false)
		for i, e := range x {
			a.value(e, append(slices.Clip(path), "["+strconv.Itoa(i)+"]"), "", comma(i, len(x)))
		}
		a.line(indent, "]"+suffix, path, false)
	default:
		a.line(indent, prefix+textOf(x)+suffix, path, true)
	}
}

func comma(i, n int) string {
	if i < n-1 {
		return ","
	}
	return ""
}

// textOf is v as compact JSON, <, > and & as they are.
func textOf(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "?"
	}
	return strings.TrimSuffix(b.String(), "\n")
}
