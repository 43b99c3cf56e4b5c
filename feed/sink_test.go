package feed

import (
	"bytes"
	"testing"
	"time"

	"sockscope/protocol"
	"sockscope/session"
)

// A stored message goes to a viewer (its history) in the framing the
// store kept, not one guessed from its size on the wire (a varlink frame's
// NUL read as a line's end), and with what sockscope did to it.
func TestAppendMessageKeepsFramingAndNote(t *testing.T) {
	m := &protocol.Message{Conn: 1, Dir: protocol.C2S, Framing: protocol.FramingVarlink,
		Frame: protocol.Frame{Data: []byte(`{"method":"org.example.Ping"}`), Size: 29, Wire: 30},
		Note:  &protocol.Note{Act: protocol.ActEdited, Rule: "r1"}}
	b := appendMessage(nil, m, protocol.FramingAuto, time.Time{})
	rec, err := session.ReadAt(bytes.NewReader(b), 0, len(b))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Framing != "varlink" || rec.Note == nil || rec.Note.Act != protocol.ActEdited || rec.Note.Rule != "r1" {
		t.Errorf("record framing %q, note %+v; want varlink and the note", rec.Framing, rec.Note)
	}
}
