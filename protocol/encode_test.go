package protocol

import (
	"strings"
	"testing"
)

// An encoded payload frames back to itself, with the framing and line
// ending it was encoded with.
func TestEncoderRoundTrip(t *testing.T) {
	payload := []byte(`{"rid":1,"method":"add","args":[1,2]}`)
	for _, e := range []Encoder{
		{Framing: FramingLines}, {Framing: FramingLines, CRLF: true},
		{Framing: FramingContentLength}, {Framing: FramingAuto},
	} {
		wire := e.Append([]byte("x"), payload)[1:]
		var got []Frame
		f := NewFramer(e.Framing, DefaultMaxFrame)
		f.Feed(wire, func(frp *Frame) {
			fr := *frp
			fr.Data = append([]byte(nil), fr.Data...)
			got = append(got, fr)
		})
		if len(got) != 1 || string(got[0].Data) != string(payload) || got[0].Wire != len(wire) {
			t.Fatalf("%+v: %q framed back as %+v", e, wire, got)
		}
		if again := EncoderOf(f.Framing(), got[0]); again.CRLF != e.CRLF ||
			(e.Framing != FramingAuto && again.Framing != e.Framing) {
			t.Errorf("%+v: EncoderOf the frame = %+v", e, again)
		}
		if e.Framing == FramingContentLength && !strings.HasPrefix(string(wire), "Content-Length: 37\r\n\r\n") {
			t.Errorf("header: %q", wire)
		}
	}
}

// A Content-Length frame re-framed through HeadOf keeps its other header
// lines, their order and bytes; only the Content-Length value changes. A
// plain header needs no Head.
func TestEncoderKeepsHeaderLines(t *testing.T) {
	for _, c := range []struct{ head, want string }{
		{"Content-Length: 2\r\n\r\n", ""},
		{"Content-Length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n",
			"Content-Length: 5\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n"},
		{"Content-Type: a/b\r\ncontent-LENGTH:\t 2  \r\nX: y\r\n\r\n", "Content-Type: a/b\r\ncontent-LENGTH:\t 5  \r\nX: y\r\n\r\n"},
		{"Content-Length: 2\nContent-Type: a/b\n\n", "Content-Length: 5\nContent-Type: a/b\n\n"},
	} {
		wire := []byte(c.head + "{}")
		var f Frame
		NewFramer(FramingContentLength, DefaultMaxFrame).Feed(wire, func(fr *Frame) { f = *fr })
		head := HeadOf(wire, f)
		if c.want == "" {
			if head != nil {
				t.Errorf("%q: Head %q, want none", c.head, head)
			}
			continue
		}
		got := Encoder{Framing: FramingContentLength, Head: head}.Append(nil, []byte(`[1,2]`))
		if string(got) != c.want+`[1,2]` {
			t.Errorf("%q re-framed as %q, want %q", c.head, got, c.want+`[1,2]`)
		}
	}
}

// HeadOf runs for every Content-Length frame that intercept or the id
// table looks at, edited or not: for the plain header it keeps nothing and
// allocates nothing (it built the plain header twice on the heap).
func TestHeadOfPlainAllocatesNothing(t *testing.T) {
	w := []byte("Content-Length: 2\r\n\r\n{}")
	f := Frame{Data: w[len(w)-2:], Size: 2, Wire: len(w)}
	if h := HeadOf(w, f); h != nil {
		t.Fatalf("HeadOf kept %q of a plain header", h)
	}
	if n := testing.AllocsPerRun(100, func() { HeadOf(w, f) }); n != 0 {
		t.Errorf("HeadOf of a plain header allocated %v times", n)
	}
}
