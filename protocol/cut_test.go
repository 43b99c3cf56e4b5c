package protocol

import (
	"strconv"
	"strings"
	"testing"
)

// A frame a recording kept only the start of ends where the recording
// says (SkipCut): it is emitted at once, its true size and wire counted
// in, kept truncated, classified from what was kept where its framer
// classifies, and the next frame frames as it came. Without SkipCut the
// framer waited for the bytes the recording did not keep and took the
// next frame for them.
func TestSkipCut(t *testing.T) {
	big := strings.Repeat("y", 300)
	str16 := string([]byte{0xda, 0x01, 0x2c}) // a msgpack string of 300 bytes
	for _, c := range []struct {
		name              string
		framing, recorded Framing
		payload, end      string // the frame's payload, and what ends it on the wire
		next              string // the next frame, as on the wire
		nextPayload       string
		kept              int
		kind              Kind // of the cut frame, from its start; KindRaw: not classified by its framer
		method            string
	}{
		{name: "a JSON line", framing: FramingLines, recorded: FramingLines,
			payload: `{"jsonrpc":"2.0","id":7,"method":"echo","params":"` + big + `"}`, end: "\n",
			next: `{"jsonrpc":"2.0","id":8,"method":"m"}` + "\n", nextPayload: `{"jsonrpc":"2.0","id":8,"method":"m"}`,
			kept: 45, kind: KindRequest, method: "echo"},
		{name: "a reply's line, CRLF, the framing not decided yet", framing: FramingAuto, recorded: FramingLines,
			payload: `{"jsonrpc":"2.0","id":7,"result":"` + big + `"}`, end: "\r\n",
			next: `{"jsonrpc":"2.0","id":8,"result":1}` + "\r\n", nextPayload: `{"jsonrpc":"2.0","id":8,"result":1}`,
			kept: 40, kind: KindResponse},
		{name: "an LSP body", framing: FramingContentLength, recorded: FramingContentLength,
			payload: `{"jsonrpc":"2.0","id":7,"method":"textDocument/didOpen","params":"` + big + `"}`,
			next:    "Content-Length: 2\r\n\r\n{}", nextPayload: "{}",
			kept: 60, kind: KindRequest, method: "textDocument/didOpen"},
		{name: "a varlink call", framing: FramingVarlink, recorded: FramingVarlink,
			payload: `{"method":"org.example.Echo","parameters":{"s":"` + big + `"}}`, end: "\x00",
			next: `{"parameters":{}}` + "\x00", nextPayload: `{"parameters":{}}`, kept: 30, kind: KindRequest, method: "org.example.Echo"},
		{name: "a Redis command", framing: FramingRESP, recorded: FramingRESP,
			payload: "*2\r\n$4\r\nECHO\r\n$300\r\n" + big + "\r\n",
			next:    "*1\r\n$4\r\nPING\r\n", nextPayload: "*1\r\n$4\r\nPING\r\n", kept: 30},
		{name: "a Redis snapshot sent as $EOF:<mark>", framing: FramingRESP, recorded: FramingRESP,
			payload: "$EOF:" + strings.Repeat("m", 40) + "\r\nREDIS" + big + strings.Repeat("m", 40),
			next:    "*1\r\n$4\r\nPING\r\n", nextPayload: "*1\r\n$4\r\nPING\r\n", kept: 60},
		{name: "a msgpack-RPC request", framing: FramingMsgpack, recorded: FramingMsgpack,
			payload: "\x94\x00\x01\xa4echo\x91" + str16 + big,
			next:    "\x94\x01\x01\xc0\xa2ok", nextPayload: "\x94\x01\x01\xc0\xa2ok", kept: 20},
		{name: "an HTTP response", framing: FramingHTTP, recorded: FramingHTTP,
			payload: "HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n" + big,
			next:    "HTTP/1.1 204 No Content\r\n\r\n", nextPayload: "HTTP/1.1 204 No Content\r\n\r\n", kept: 50},
	} {
		t.Run(c.name, func(t *testing.T) {
			head := "" // what the wire has before the payload
			if c.framing == FramingContentLength {
				head = "Content-Length: " + strconv.Itoa(len(c.payload)) + "\r\n\r\n"
			}
			f := NewFramer(c.framing, 1<<20, DefaultIDFields...)
			var got []Frame
			emit := func(fr *Frame) {
				fr.Data = append([]byte(nil), fr.Data...)
				if fr.Whole != nil {
					w := *fr.Whole
					fr.Whole = &w
				}
				got = append(got, *fr)
			}
			f.Feed([]byte(head+c.payload[:c.kept]), emit)
			n := int64(len(c.payload) - c.kept)
			if !SkipCut(f, Cut{N: n, Wire: n + int64(len(c.end)), Framing: c.recorded}, emit) {
				t.Fatal("SkipCut: false")
			}
			if len(got) != 1 {
				t.Fatalf("%d frames after SkipCut, want the cut one", len(got))
			}
			f.Feed([]byte(c.next), emit)
			if len(got) != 2 {
				t.Fatalf("%d frames, want the cut one and the next", len(got))
			}
			cut := got[0]
			if cut.Size != len(c.payload) || cut.Wire != len(head)+len(c.payload)+len(c.end) || !cut.Truncated ||
				string(cut.Data) != c.payload[:c.kept] || cut.Err != "" {
				t.Errorf("the cut frame %q: size %d, wire %d, truncated %v, err %q; want %q, size %d, wire %d, truncated",
					cut.Data, cut.Size, cut.Wire, cut.Truncated, cut.Err, c.payload[:c.kept], len(c.payload), len(head)+len(c.payload)+len(c.end))
			}
			if c.kind != KindRaw && (cut.Whole == nil || cut.Whole.Kind != c.kind || string(cut.Whole.Method) != c.method) {
				t.Errorf("the cut frame classified as %+v, want a %v %q", cut.Whole, c.kind, c.method)
			}
			if string(got[1].Data) != c.nextPayload || got[1].Truncated || got[1].Err != "" {
				t.Errorf("the next frame %q (err %q), want %q", got[1].Data, got[1].Err, c.nextPayload)
			}
		})
	}
}

// A gap met live inside a Redis bulk string or a msgpack string is part
// of the value (SkipGap): the value goes on, its true size counted, said
// not all seen; a gap that may hold the next value's start is not taken.
func TestSkipGapInAString(t *testing.T) {
	big := strings.Repeat("y", 300)
	for _, c := range []struct {
		name            string
		framing         Framing
		before, after   string
		gap             int64
		ok              bool
		next, nextFrame string
	}{
		{"a Redis bulk string", FramingRESP, "*2\r\n$4\r\nECHO\r\n$300\r\n" + big[:10], big[110:] + "\r\n", 100, true, "+OK\r\n", "+OK\r\n"},
		{"to a bulk string's CRLF", FramingRESP, "*2\r\n$4\r\nECHO\r\n$300\r\n" + big[:10], "", 292, true, "+OK\r\n", "+OK\r\n"},
		{"past a bulk string", FramingRESP, "*2\r\n$4\r\nECHO\r\n$300\r\n" + big[:10], "", 293, false, "", ""},
		{"between a Redis array's elements", FramingRESP, "*2\r\n$4\r\nECHO\r\n", "", 5, false, "", ""},
		{"a Redis snapshot sent as $EOF:<mark>", FramingRESP, "$EOF:" + strings.Repeat("m", 40) + "\r\nREDIS" + big[:10], "", 100, false, "", ""},
		{"a msgpack string", FramingMsgpack, "\x94\x00\x01\xa4echo\x91\xda\x01\x2c" + big[:10], big[110:], 100, true, "\xc0", "\xc0"},
		{"past a msgpack string", FramingMsgpack, "\x94\x00\x01\xa4echo\x91\xda\x01\x2c" + big[:10], "", 291, false, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := NewFramer(c.framing, 1<<20)
			var got []Frame
			emit := func(fr *Frame) { fr.Data = append([]byte(nil), fr.Data...); got = append(got, *fr) }
			f.Feed([]byte(c.before), emit)
			if ok := SkipGap(f, c.gap, emit); ok != c.ok {
				t.Fatalf("SkipGap: %v, want %v", ok, c.ok)
			}
			if !c.ok {
				return
			}
			f.Feed([]byte(c.after+c.next), emit)
			if len(got) != 2 {
				t.Fatalf("%d frames, want the value and the next", len(got))
			}
			size := len(c.before) + int(c.gap) + len(c.after)
			if v := got[0]; v.Size != size || string(v.Data) != c.before || !v.Truncated || !IsGapErr(v.Err) {
				t.Errorf("the value %q: size %d, truncated %v, err %q; want size %d, the bytes before the gap, a gap's error", v.Data, v.Size, v.Truncated, v.Err, size)
			}
			if string(got[1].Data) != c.nextFrame {
				t.Errorf("the next frame %q, want %q", got[1].Data, c.nextFrame)
			}
		})
	}
}

// A JSON frame's start alone is classified from the members that ended
// before the cut, and one the cut went through if it counts by its
// presence; a value cut short is not kept.
func TestClassifyPrefix(t *testing.T) {
	for _, c := range []struct {
		prefix string
		kind   Kind
		id     string
		method string
	}{
		{`{"jsonrpc":"2.0","id":3,"method":"echo","params":{"a":[1,`, KindRequest, "3", "echo"},
		{`{"jsonrpc":"2.0","id":3,"result":"abc`, KindResponse, "3", ""},
		{`{"jsonrpc":"2.0","id":3,"error":{"code":`, KindResponse, "3", ""},
		{`{"jsonrpc":"2.0","method":"log","params":["`, KindNotification, "", "log"},
		{`{"jsonrpc":"2.0","method":"ech`, KindOther, "", ""}, // the method cut short: unknown
		{`{"jsonrpc":"2.0","id":12`, KindOther, "", ""},       // the id cut short: unknown, not 12
		{`{"jsonrpc":"2.0","id":3,"meth`, KindOther, "", ""},  // a key cut short
		{`[{"jsonrpc":"2.0","id":3,"method":"a"},`, KindOther, "", ""},
	} {
		var w whole
		w.ids = DefaultIDFields
		w.unseen([]byte(c.prefix))
		in := w.done()
		if in.Kind != c.kind || string(in.ID) != c.id || string(in.Method) != c.method {
			t.Errorf("%s: %v id %q method %q, want %v id %q method %q", c.prefix, in.Kind, in.ID, in.Method, c.kind, c.id, c.method)
		}
	}
}
