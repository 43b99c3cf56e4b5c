package protocol

import (
	"strings"
	"testing"
)

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Framing
		ok   bool
	}{
		{"Content-Length: 5\r\n", FramingContentLength, true},
		{"  \r\ncontent-length:", FramingContentLength, true},
		{"Content-", 0, false},
		{"cont", 0, false},
		{"Contents\n", FramingLines, true},
		{"", 0, false},
		{" \n\t", 0, false},
		{strings.Repeat(" ", autoWindow), FramingLines, true},
		{`{"rid":1}`, FramingLines, true},
		{"[1,2]", FramingLines, true},
		{"HELLO world\n", FramingLines, true},
		{"HELLO world", FramingRaw, true},
		{"\x00\x01\x02\n", FramingRaw, true},
		{"\xff\xfe bad utf8\n", FramingRaw, true},
		{strings.Repeat("a", autoWindow) + "\n", FramingRaw, true},
	} {
		got, ok := detect([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("detect(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestAutoContentLengthPrefixSplit(t *testing.T) {
	in := "\r\n" + lsp(`{"seq":1,"type":"request","command":"initialize"}`) + lsp("{}")
	got := checkChunking(t, FramingAuto, 1000, in)
	if len(got) != 2 || got[1].Data != "{}" || got[0].Err != "" {
		t.Fatalf("got %v", got)
	}
}

func TestAutoLines(t *testing.T) {
	in := `{"action":"register","methods":["add"]}` + "\n" + `{"rid":1,"method":"add","args":[1]}` + "\n"
	got := checkChunking(t, FramingAuto, 1000, in)
	if len(got) != 2 || got[1].Data != `{"rid":1,"method":"add","args":[1]}` {
		t.Fatalf("got %v", got)
	}
}

func TestAutoRaw(t *testing.T) {
	f := NewFramer(FramingAuto, 100)
	got := run(t, f, 100, true, []byte("\x00\x01binary"), []byte("more\n"))
	sameFrames(t, "raw", got, []fr{{"\x00\x01binary", 8, 8, false, ""}, {"more\n", 5, 5, false, ""}})
}

func TestAutoFlushUndecided(t *testing.T) {
	f := NewFramer(FramingAuto, 100)
	got := run(t, f, 100, true, []byte("  Content-Le"))
	sameFrames(t, "held prefix", got, []fr{{"  Content-Le", 12, 12, false, errMidFrame}})
	got = run(t, NewFramer(FramingAuto, 100), 100, true, []byte(" \r\n "))
	sameFrames(t, "only whitespace", got, nil)
}

func TestAutoResetDecidesAgain(t *testing.T) {
	f := NewFramer(FramingAuto, 100)
	got := run(t, f, 100, false, []byte("\x00\x01binary"))
	f.Reset()
	// Now the stream looks like content-length; the new framer
	// resynchronises at the header.
	got = append(got, run(t, f, 100, true, []byte(lsp("{}")))...)
	sameFrames(t, "after reset", got, []fr{{"\x00\x01binary", 8, 8, false, ""}, {"{}", 2, 23, false, ""}})

	// Decided lines after a Reset: the partial first line is skipped.
	f.Reset()
	got = run(t, f, 100, true, []byte("{\"tail\":1}\n{\"a\":1}\n"))
	sameFrames(t, "lines after reset", got, []fr{{`{"a":1}`, 7, 19, false, ""}})
}
