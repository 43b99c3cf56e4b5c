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
