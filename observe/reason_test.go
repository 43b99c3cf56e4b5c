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

// Lines over the cap are classified whole by the framer: their messages
// are stored truncated to the cap and still requests with their ids and
// methods, which the batch's copies keep once the framer's buffers hold the
// next line's, and they pair with their replies.
func TestOverCapClassifiedWhole(t *testing.T) {
	long := func(id, method string) string {
		return `{"id":` + id + `,"method":"` + method + `","params":"` + string(bytes.Repeat([]byte{'x'}, 200)) + `"}` + "\n"
	}
	a, b := long("7", "big"), long("8", "other")
	s := newScript().
		data(1, protocol.C2S, a[:100]).
		data(2, protocol.C2S, a[100:]+b[:100]).
		data(3, protocol.C2S, b[100:]).
		data(4, protocol.S2C, `{"id":7,"result":1}`+"\n"+`{"id":8,"result":2}`+"\n").
		close(5, nil)
	st := store.New(store.Config{})
	o := New(Config{Store: st, Framing: protocol.FramingLines, MaxFrame: 64})
	o.Handle(s.evs)
	for i, want := range []struct{ id, method, line string }{{"7", "big", a}, {"8", "other", b}} {
		m, ok := st.Message(uint64(i + 1))
		if !ok || m.Info.Kind != protocol.KindRequest || string(m.Info.ID) != want.id || string(m.Info.Method) != want.method ||
			!m.Frame.Truncated || len(m.Frame.Data) != 64 || m.Frame.Size != len(want.line)-1 {
			t.Fatalf("message %d %+v: want the request id %s %s, truncated to 64 of %d bytes", i+1, m, want.id, want.method, len(want.line)-1)
		}
	}
	var rows []store.Row
	st.Rows(0, func(r store.Row) bool { rows = append(rows, r); return true })
	if len(rows) != 2 || rows[0].Method != "big" || rows[1].Method != "other" ||
		rows[0].Status != protocol.StatusOK || rows[1].Status != protocol.StatusOK {
		t.Errorf("rows %+v: want the calls to big and other answered", rows)
	}
}
