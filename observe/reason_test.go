package observe

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"sockscope/protocol"
	"sockscope/store"
)

// A header block the Content-Length framer rejects is shown raw with the
// framer's reason, not the classifier's "not JSON", and the valid frame
// after it is decoded.
func TestFramerReasonWins(t *testing.T) {
	s := newScript().
		data(1, protocol.C2S, "Content-Length: -5\r\n\r\n").
		data(2, protocol.C2S, "Content-Length: 21\r\n\r\n"+`{"id":2,"method":"x"}`).
		close(3, nil)
	var out bytes.Buffer
	o := New(Config{Store: store.New(store.Config{}), Framing: protocol.FramingContentLength, Sinks: []Sink{NewDump(&out)}})
	o.Handle(s.evs)
	o.finish(s.t0.Add(time.Second))
	var msgs []map[string]any
	for line := range bytes.Lines(out.Bytes()) {
		var l map[string]any
		if err := json.Unmarshal(line, &l); err != nil {
			t.Fatal(err)
		}
		if l["type"] == "message" {
			msgs = append(msgs, l)
		}
	}
	if len(msgs) != 2 || msgs[0]["kind"] != "raw" || msgs[0]["reason"] != "negative Content-Length" || msgs[1]["id"] != 2.0 {
		t.Errorf("messages %v: want the bad header raw with the framer's reason, then id 2", msgs)
	}
}
