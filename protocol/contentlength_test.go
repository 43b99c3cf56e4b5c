package protocol

import (
	"strings"
	"testing"
)

// lsp frames body with a Content-Length header.
func lsp(body string) string {
	return "Content-Length: " + itoa(len(body)) + "\r\n\r\n" + body
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestContentLengthFrames(t *testing.T) {
	a, b := `{"jsonrpc":"2.0","id":1,"method":"initialize"}`, `{"k":"世界"}`
	for _, tc := range []struct {
		name string
		max  int
		in   string
		want []fr
	}{
		{"two", 100, lsp(a) + lsp(b), []fr{{a, len(a), len(lsp(a)), false, ""}, {b, len(b), len(lsp(b)), false, ""}}},
		{"other headers, any case", 100, "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\ncontent-LENGTH:  2 \r\n\r\n{}",
			[]fr{{"{}", 2, 82, false, ""}}},
		{"bare newlines", 100, "Content-Length: 2\n\n{}", []fr{{"{}", 2, 21, false, ""}}},
		{"blank bytes between frames", 100, "\r\n" + lsp("{}") + "\r\n", []fr{{"{}", 2, 25, false, ""}}},
		{"zero length", 100, lsp("") + lsp("x"), []fr{{"", 0, 21, false, ""}, {"x", 1, 22, false, ""}}},
		{"truncated", 4, lsp("abcdefgh") + lsp("xy"), []fr{{"abcd", 8, 29, true, ""}, {"xy", 2, 23, false, ""}}},
		{"partial body", 100, "Content-Length: 10\r\n\r\nabc", []fr{{"abc", 3, 25, false, ErrMidFrame + ": 3 of the 10 body bytes its Content-Length announced"}}},
		{"partial header", 100, "Content-Len", []fr{{"Content-Len", 11, 11, false, ErrMidFrame}}},
		{"negative", 100, "Content-Length: -5\r\n\r\n" + lsp("{}"),
			[]fr{{"Content-Length: -5\r\n\r\n", 22, 22, false, "negative Content-Length"}, {"{}", 2, 23, false, ""}}},
		{"non-numeric", 100, "Content-Length: 1x\r\n\r\nzz\r\n" + lsp("{}"),
			[]fr{{"Content-Length: 1x\r\n\r\n", 22, 22, false, "non-numeric Content-Length"}, {"zz\r\n", 4, 4, false, errSkipped}, {"{}", 2, 23, false, ""}}},
		{"missing", 100, "Content-Type: x\r\n\r\n" + lsp("{}"),
			[]fr{{"Content-Type: x\r\n\r\n", 19, 19, false, "missing Content-Length"}, {"{}", 2, 23, false, ""}}},
		{"overflow", 100, "Content-Length: 99999999999999999999\r\n\r\n" + lsp("{}"),
			[]fr{{"Content-Length: 99999999999999999999\r\n\r\n", 40, 40, false, "Content-Length overflows"}, {"{}", 2, 23, false, ""}}},
		{"empty value", 100, "Content-Length:\r\n\r\n" + lsp("{}"),
			[]fr{{"Content-Length:\r\n\r\n", 19, 19, false, "empty Content-Length"}, {"{}", 2, 23, false, ""}}},
		{"garbage then resync", 100, "hello\nworld\n\nnoise Content-Type: x\r\nmore\n" + lsp("{}"),
			[]fr{{"hello\nworld\n\n", 13, 13, false, "malformed header line"}, {"noise Content-Type: x\r\nmore\n", 28, 28, false, errSkipped}, {"{}", 2, 23, false, ""}}},
		{"resync finds a header right after a body", 100, "x\n\n{\"lost\":\"tail\"}" + lsp("{}"),
			[]fr{{"x\n\n", 3, 3, false, "malformed header line"}, {`{"lost":"tail"}`, 15, 15, false, errSkipped}, {"{}", 2, 23, false, ""}}},
		{"skipped bytes over the cap", 4, "x\n\n0123456789" + lsp("{}"),
			[]fr{{"x\n\n", 3, 3, false, "malformed header line"}, {"0123", 10, 10, true, errSkipped}, {"{}", 2, 23, false, ""}}},
		{"skipped to the end", 100, "x\n\ntail",
			[]fr{{"x\n\n", 3, 3, false, "malformed header line"}, {"tail", 4, 4, false, errSkipped}}},
		{"resync is case-insensitive", 100, "x\n\nCONTENT-length: 2\r\n\r\n{}",
			[]fr{{"x\n\n", 3, 3, false, "malformed header line"}, {"{}", 2, 23, false, ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := checkChunking(t, FramingContentLength, tc.max, tc.in)
			sameFrames(t, "whole", got, tc.want)
		})
	}
}

func TestContentLengthHeaderTooLong(t *testing.T) {
	junk := strings.Repeat("X-Junk: y\r\n", MaxHeaderBytes/11+1)
	in := junk + "\r\n" + lsp("{}")
	got := checkChunkingSome(t, FramingContentLength, 100, in)
	if len(got) != 3 || got[0].Err != errHeaderTooLong || got[0].Size != MaxHeaderBytes || got[1].Err != errSkipped || got[2].Data != "{}" {
		t.Fatalf("got %v", got)
	}
}

// checkChunkingSome is checkChunking for long inputs: it tries a few
// split points and byte by byte rather than every split.
func checkChunkingSome(t *testing.T, framing Framing, max int, in string) []fr {
	t.Helper()
	want := run(t, NewFramer(framing, max, DefaultIDFields...), max, true, []byte(in))
	for _, at := range []int{1, 7, len(in) / 3, len(in) / 2, len(in) - 1} {
		got := run(t, NewFramer(framing, max, DefaultIDFields...), max, true, []byte(in[:at]), []byte(in[at:]))
		sameFrames(t, "split", got, want)
	}
	var bytewise [][]byte
	for i := range len(in) {
		bytewise = append(bytewise, []byte{in[i]})
	}
	sameFrames(t, "bytewise", run(t, NewFramer(framing, max, DefaultIDFields...), max, true, bytewise...), want)
	return want
}

func TestContentLengthNeverTrustsLength(t *testing.T) {
	f := NewFramer(FramingContentLength, 64).(*clFramer)
	f.Feed([]byte("Content-Length: 99999999999\r\n\r\n"), func(*Frame) { t.Fatal("no frame yet") })
	for range 100 {
		f.Feed([]byte(strings.Repeat("z", 1000)), func(*Frame) { t.Fatal("no frame yet") })
		if cap(f.body) > 64 {
			t.Fatalf("body buffer grew to %d, cap is 64", cap(f.body))
		}
	}
	if f.pending() != 31+100000 {
		t.Fatalf("pending %d", f.pending())
	}
	got := run(t, f, 64, true)
	if len(got) != 1 || got[0].Size != 100000 || !got[0].Truncated || len(got[0].Data) != 64 || got[0].Wire != 100031 ||
		got[0].Err != ErrMidFrame+": 100000 of the 99999999999 body bytes its Content-Length announced" {
		t.Fatalf("got %v", got)
	}

	// A small body declared huge-but-small allocates only what arrives.
	f = NewFramer(FramingContentLength, DefaultMaxFrame).(*clFramer)
	f.Feed([]byte("Content-Length: 1000000\r\n\r\nab"), func(*Frame) {})
	if cap(f.body) > 1024 {
		t.Fatalf("body buffer of %d bytes for 2 bytes received", cap(f.body))
	}
}

func TestContentLengthReset(t *testing.T) {
	f := NewFramer(FramingContentLength, 100)
	got := run(t, f, 100, false, []byte(lsp(`{"a":1}`)+"Content-Length: 50\r\n\r\n{\"par"))
	f.Reset()
	got = append(got, run(t, f, 100, true, []byte("tial\":1}\r\n"+lsp(`{"b":2}`)))...)
	sameFrames(t, "after reset", got, []fr{{`{"a":1}`, 7, 28, false, ""}, {"tial\":1}\r\n", 10, 10, false, errSkipped}, {`{"b":2}`, 7, 28, false, ""}})

	// Right after Reset, a chunk that starts with a header is read at once.
	f.Reset()
	got = run(t, f, 100, true, []byte(lsp("{}")))
	sameFrames(t, "header first", got, []fr{{"{}", 2, 23, false, ""}})
}

func TestContentLengthZeroCopy(t *testing.T) {
	f := NewFramer(FramingContentLength, 100)
	chunk := []byte(lsp(`{"a":1}`) + lsp(`{"b":2}`))
	var frames []Frame
	f.Feed(chunk, func(xp *Frame) { x := *xp; frames = append(frames, x) })
	if len(frames) != 2 || !within(frames[0].Data, chunk) || !within(frames[1].Data, chunk) {
		t.Fatalf("bodies within one chunk should alias it: %d frames", len(frames))
	}
}

// A body spanning chunks is gathered in a buffer the framer keeps for the
// next one: no allocation per frame once it has grown.
func TestContentLengthReusesItsBodyBuffer(t *testing.T) {
	f := NewFramer(FramingContentLength, 100)
	head, tail := []byte("Content-Length: 7\r\n\r\n{\"a\""), []byte(":1}")
	var got []string
	keep := func(xp *Frame) { x := *xp; got = append(got[:0], string(x.Data)) }
	f.Feed(head, keep)
	f.Feed(tail, keep)
	if len(got) != 1 || got[0] != `{"a":1}` {
		t.Fatalf("first frame %q", got)
	}
	var last Frame
	keepLast := func(xp *Frame) { x := *xp; last = x }
	if n := testing.AllocsPerRun(100, func() {
		f.Feed(head, keepLast)
		f.Feed(tail, keepLast)
	}); n != 0 {
		t.Errorf("a body spanning two chunks allocated %.0f times", n)
	}
	if string(last.Data) != `{"a":1}` {
		t.Errorf("last frame %q", last.Data)
	}
}
