package observe

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"sockscope/event"

	"sockscope/protocol"
	"sockscope/store"
)

// FuzzDump feeds any bytes, cut into two reads, through the observer in
// every framing with --dump on: every line it writes must be valid JSON
// and free of the bytes a terminal acts on, whatever the frames hold.
func FuzzDump(f *testing.F) {
	for _, s := range []string{
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\x1b]52;c;aGk=\x07\"}\n",
		"{\"id\":\"\x1b[2J\",\"method\":\"a\\qb\"}\n{\"id\":1,\"result\":\"\u009b\"}\n",
		"Content-Length: 5\r\n\r\n\x00\x01\x7f\xc2\x9b",
		"text \xe2\x80\xa8 line\r\n\xff\xfe\n",
	} {
		f.Add([]byte(s), uint8(7), uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut, framing uint8) {
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		at := int(cut) % (len(data) + 1)
		evs := []event.Event{{Type: event.Open, Conn: 1, At: t0, Peer: &event.Peer{Process: string(data[:at]), PID: -1, UID: -1}}}
		for i, part := range [][]byte{data[:at], data[at:]} {
			evs = append(evs,
				event.Event{Type: event.Data, Conn: 1, Dir: protocol.C2S, At: t0, Data: bytes.Clone(part)},
				event.Event{Type: event.Data, Conn: 1, Dir: protocol.Dir(1 - i%2), At: t0, Data: bytes.Clone(part)})
		}
		evs = append(evs, event.Event{Type: event.Close, Conn: 1, At: t0})
		var out bytes.Buffer
		o := New(Config{Store: store.New(store.Config{}), Framing: protocol.Framing(framing % 4), MaxFrame: 64, Sinks: []Sink{NewDump(&out)}})
		o.Handle(evs)
		o.finish(t0)
		for line := range bytes.Lines(out.Bytes()) {
			if !json.Valid(line) || !utf8.Valid(line) {
				t.Fatalf("dump line is not valid JSON: %q", line)
			}
			for _, r := range string(bytes.TrimSuffix(line, []byte("\n"))) {
				if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x2028 || r == 0x2029 {
					t.Fatalf("raw %U in dump line %q", r, line)
				}
			}
		}
	})
}
