package replay

import "testing"

// --map-path rewrites a path and its file URI's percent-encoded spelling,
// to NEW in what is sent and back to OLD in what comes back, and only a
// whole path or its start, not a longer name that begins the same.
func TestMapPaths(t *testing.T) {
	spaced, _ := ParsePathMap("/tmp/rv1/my ws=/tmp/rv1/other ws")
	src, _ := ParsePathMap("/home/a/src=/home/b/src")
	for _, c := range []struct {
		m            PathMap
		recorded, to string
	}{
		{spaced, `{"rootUri":"file:///tmp/rv1/my%20ws","uri":"file:///tmp/rv1/my%20ws/main.go"}`,
			`{"rootUri":"file:///tmp/rv1/other%20ws","uri":"file:///tmp/rv1/other%20ws/main.go"}`},
		{spaced, `{"rootPath":"/tmp/rv1/my ws","file":"/tmp/rv1/my ws/main.go"}`,
			`{"rootPath":"/tmp/rv1/other ws","file":"/tmp/rv1/other ws/main.go"}`},
		{src, `{"uri":"file:///home/a/src/a.go","dir":"/home/a/src","other":"/home/a/src2/b.go","in":"/x/home/a/src/c.go","at":"/home/a/src:3"}`,
			`{"uri":"file:///home/b/src/a.go","dir":"/home/b/src","other":"/home/a/src2/b.go","in":"/x/home/a/src/c.go","at":"/home/b/src:3"}`},
		{src, `{"a":"/home/a/src.bak","b":"/home/a/src%20x","c":"/home/a/srcs"}`,
			`{"a":"/home/a/src.bak","b":"/home/a/src%20x","c":"/home/a/srcs"}`},
	} {
		if got := string(mapPaths([]byte(c.recorded), []PathMap{c.m}, true)); got != c.to {
			t.Errorf("%v sending\n%s:\n%s, want\n%s", c.m, c.recorded, got, c.to)
		}
		if got := string(mapPaths([]byte(c.to), []PathMap{c.m}, false)); got != c.recorded {
			t.Errorf("%v coming back\n%s:\n%s, want\n%s", c.m, c.to, got, c.recorded)
		}
	}
}
