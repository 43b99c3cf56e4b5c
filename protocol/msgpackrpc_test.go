package protocol

import (
	"bytes"
	"testing"
)

// A recorded msgpack-RPC reply is addressed to a new msgid, in the
// shortest encoding the msgid takes; an error reply says why.
func TestMsgpackReplyTo(t *testing.T) {
	resp := []byte{0x94, 0x01, 0xcd, 0x01, 0x00, 0xc0, 0x2a} // [1,256,nil,42]
	for _, c := range []struct {
		id   string
		want []byte
	}{
		{"7", []byte{0x94, 0x01, 0x07, 0xc0, 0x2a}},
		{"200", []byte{0x94, 0x01, 0xcc, 0xc8, 0xc0, 0x2a}},
		{"70000", []byte{0x94, 0x01, 0xce, 0x00, 0x01, 0x11, 0x70, 0xc0, 0x2a}},
		{"4294967296", nil}, // no msgid: over 32 bits
		{"x", nil},
	} {
		if got := MsgpackReplyTo(resp, []byte(c.id)); !bytes.Equal(got, c.want) {
			t.Errorf("msgid %s: % x, want % x", c.id, got, c.want)
		}
	}
	if got := MsgpackReplyTo([]byte{0x94, 0x00, 0x01, 0xa1, 'm', 0x90}, []byte("2")); got != nil {
		t.Errorf("a request readdressed as a reply: % x", got)
	}
	got := MsgpackErrorReply([]byte("3"), "no answer")
	if v, err := AppendView(nil, FramingMsgpack, &Frame{Data: got}); err != nil || string(v) != `[1,3,"no answer",null]` {
		t.Errorf("error reply: %s, %v", v, err)
	}
}
