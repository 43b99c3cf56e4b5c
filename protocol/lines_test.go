package protocol

import (
	"strings"
	"testing"
	"unsafe"
)

func TestLinesFrames(t *testing.T) {
	for _, tc := range []struct {
		name string
		max  int
		in   string
		want []fr
	}{
		{"two", 100, "{\"a\":1}\n{\"b\":2}\n", []fr{{`{"a":1}`, 7, 8, false, ""}, {`{"b":2}`, 7, 8, false, ""}}},
		{"crlf", 100, "ab\r\ncd\n", []fr{{"ab", 2, 4, false, ""}, {"cd", 2, 3, false, ""}}},
		{"utf8", 100, "héllo 世界\n{\"k\":\"😀\"}\n", []fr{{"héllo 世界", 13, 14, false, ""}, {`{"k":"😀"}`, 12, 13, false, ""}}},
		{"empty lines skipped", 100, "\n\r\nx\n\n", []fr{{"x", 1, 5, false, ""}}},
		{"partial at end", 100, "a\nbc", []fr{{"a", 1, 2, false, ""}, {"bc", 2, 2, false, ErrMidFrame}}},
		{"truncated", 4, "abcdefgh\nxy\n", []fr{{"abcd", 8, 9, true, ""}, {"xy", 2, 3, false, ""}}},
		{"truncated crlf", 4, "abcdefgh\r\n", []fr{{"abcd", 8, 10, true, ""}}},
		{"cr at cap", 4, "abc\r\n", []fr{{"abc", 3, 5, false, ""}}},
		{"exactly cap", 3, "abc\n", []fr{{"abc", 3, 4, false, ""}}},
		{"truncated partial", 3, "abcdef", []fr{{"abc", 6, 6, true, ErrMidFrame}}},
		{"lone cr line", 10, "\r\n\r\nz\n", []fr{{"z", 1, 6, false, ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := checkChunking(t, FramingLines, tc.max, tc.in)
			sameFrames(t, "whole", got, tc.want)
		})
	}
}

// within reports whether p's bytes lie inside buf.
func within(p, buf []byte) bool {
	if len(p) == 0 || len(buf) == 0 {
		return false
	}
	s, b := uintptr(unsafe.Pointer(&p[0])), uintptr(unsafe.Pointer(&buf[0]))
	return s >= b && s < b+uintptr(len(buf))
}

func TestLinesZeroCopyAndOwnership(t *testing.T) {
	f := NewFramer(FramingLines, 100)
	chunk1 := []byte("one\ntw")
	chunk2 := []byte("o\nthree\n")
	var frames []Frame
	emit := func(xp *Frame) { x := *xp; frames = append(frames, x) }
	f.Feed(chunk1, emit)
	f.Feed(chunk2, emit)
	if len(frames) != 3 {
		t.Fatalf("got %d frames", len(frames))
	}
	if !within(frames[0].Data, chunk1) || !within(frames[2].Data, chunk2) {
		t.Error("a frame within one chunk should alias the chunk")
	}
	if within(frames[1].Data, chunk1) || within(frames[1].Data, chunk2) {
		t.Error("a frame spanning chunks must be gathered in the framer's own buffer")
	}
	if cap(frames[0].Data) != len(frames[0].Data) || cap(frames[1].Data) != len(frames[1].Data) {
		t.Error("emitted data must have its capacity clipped")
	}
	// The next spanning line is gathered in the same buffer, without
	// allocating: the previous one's Data was valid until this Feed.
	var last Frame
	keep := func(xp *Frame) { x := *xp; last = x }
	xx, yy := []byte("xx"), []byte("yy\n")
	if n := testing.AllocsPerRun(100, func() {
		f.Feed(xx, keep)
		f.Feed(yy, keep)
	}); n != 0 {
		t.Errorf("a spanning line allocated %.0f times", n)
	}
	if string(last.Data) != "xxyy" || &last.Data[0] != &frames[1].Data[0] {
		t.Errorf("the last spanning line %q was not gathered in the first one's buffer", last.Data)
	}
}

func TestLinesBufferBounded(t *testing.T) {
	f := NewFramer(FramingLines, 10).(*linesFramer)
	for range 1000 {
		f.Feed([]byte(strings.Repeat("x", 100)), func(*Frame) { t.Fatal("no frame yet") })
		if cap(f.buf) > 10 {
			t.Fatalf("buffer grew to %d, cap is 10", cap(f.buf))
		}
	}
	got := run(t, f, 10, false, []byte("\n"))
	sameFrames(t, "long line", got, []fr{{"xxxxxxxxxx", 100000, 100001, true, ""}})
}

func TestLinesReset(t *testing.T) {
	f := NewFramer(FramingLines, 100)
	got := run(t, f, 100, false, []byte("{\"a\":1}\n{\"b\""))
	f.Reset()
	got = append(got, run(t, f, 100, true, []byte(":2}\n{\"c\":3}\n"))...)
	sameFrames(t, "after reset", got, []fr{{`{"a":1}`, 7, 8, false, ""}, {`{"c":3}`, 7, 12, false, ""}})

	// Reset skips to the next '\n' even across chunks.
	f.Reset()
	got = run(t, f, 100, true, []byte("tail "), []byte("of line\nnext\n"))
	sameFrames(t, "skip across chunks", got, []fr{{"next", 4, 18, false, ""}})

	// A gap that ended where a line begins: the line is a whole frame,
	// kept, and not taken for the tail of the line the gap cut. A line's
	// tail that is valid JSON but no object or array, or an object's tail
	// that starts with '{', is still skipped.
	for _, c := range []struct {
		name, in string
		want     []fr
	}{
		{"whole object", "{\"id\":1}\r\n{\"id\":2}\n", []fr{{`{"id":1}`, 8, 10, false, ""}, {`{"id":2}`, 8, 9, false, ""}}},
		{"whole array", `[{"id":1}]` + "\n", []fr{{`[{"id":1}]`, 10, 11, false, ""}}},
		{"a number's tail", "12}\n{\"id\":2}\n", []fr{{`{"id":2}`, 8, 13, false, ""}}},
		{"an inner object's tail", `{"b":1}}` + "\n" + `{"id":2}` + "\n", []fr{{`{"id":2}`, 8, 18, false, ""}}},
	} {
		f.Reset()
		sameFrames(t, c.name, run(t, f, 100, true, []byte(c.in)), c.want)
	}
}

func TestLinesFlushClears(t *testing.T) {
	f := NewFramer(FramingLines, 100)
	got := run(t, f, 100, true, []byte("abc"))
	got = append(got, run(t, f, 100, true, []byte("d\n"))...)
	sameFrames(t, "flush then more", got, []fr{{"abc", 3, 3, false, ErrMidFrame}, {"d", 1, 2, false, ""}})
}

// wholeJSON tells a line that is a JSON object or array from the tail of
// one a gap cut, which has a closing bracket too many or a string left
// open.
func TestWholeJSON(t *testing.T) {
	for line, want := range map[string]bool{
		`{"id":1,"params":{"x":[1,2]}}`: true,
		`[{"a":1},{"b":"}"}]`:           true,
		`{"id":1}` + "\r":               true,
		`{"id":1}  `:                    true,
		`{"x":1}}`:                      false, // the tail of {"p":{"x":1}}
		`{"b":2}]`:                      false, // of [{"a":1},{"b":2}]
		`{"s":"a\"}"`:                   false, // a string left open
		`"x":1}`:                        false,
		`,{"a":1}`:                      false,
		``:                              false,
		`{"a":1} {"b":2}`:               false,
	} {
		if got := wholeJSON([]byte(line)); got != want {
			t.Errorf("wholeJSON(%q) = %v, want %v", line, got, want)
		}
	}
}
