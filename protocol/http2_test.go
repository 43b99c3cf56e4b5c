package protocol

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// h2 builds an HTTP/2 frame: its header, then payload.
func h2(typ, flags byte, stream uint32, payload string) string {
	n := len(payload)
	return string([]byte{byte(n >> 16), byte(n >> 8), byte(n), typ, flags,
		byte(stream >> 24), byte(stream >> 16), byte(stream >> 8), byte(stream)}) + payload
}

// What curl --http2-prior-knowledge and nginx say: the client's preface,
// then frames; each is a frame, however the bytes are cut, and a HEADERS
// that opens a stream is a request, the server's HEADERS on it the reply.
func TestHTTP2Frames(t *testing.T) {
	settings := h2(h2Settings, 0, 0, "\x00\x03\x00\x00\x00\x64\x00\x04\x00\xa0\x00\x00")
	get := h2(h2Headers, 0x5, 1, "\x82\x84\x86\x41\x8a\x08\x9d\x5c\x0b\x81\x70\xdc\x78\x0f\x03") // GET / http, :authority huffman
	post := h2(h2Headers, 0x4, 3, "\x83\x04\x05/post\x86")                                       // POST, :path literal
	data := h2(h2Data, 0x1, 3, "{}")
	client := h2Preface + settings + h2(h2Settings, 1, 0, "") + get + post + data + h2(h2WindowUpdate, 0, 0, "\x00\x01\x00\x00")
	got := checkChunking(t, FramingHTTP2, 1000, client)
	if want := []string{h2Preface, settings, h2(h2Settings, 1, 0, ""), get, post, data, h2(h2WindowUpdate, 0, 0, "\x00\x01\x00\x00")}; strings.Join(datas(got), "|") != strings.Join(want, "|") {
		t.Fatalf("frames %q\nwant %q", datas(got), want)
	}
	var kinds []string
	for _, f := range got {
		info := ClassifyAs(FramingHTTP2, []byte(f.Data), C2S, nil)
		kinds = append(kinds, info.Kind.String()+" "+string(info.Method)+" "+string(info.ID))
	}
	if g, want := strings.Join(kinds, "|"), "notification PREFACE |notification SETTINGS |notification SETTINGS |request GET / 1|request POST /post 3|notification DATA 3|notification WINDOW_UPDATE "; g != want {
		t.Errorf("client's frames:\n%s\nwant\n%s", g, want)
	}

	for _, tc := range []struct{ block, want string }{
		{"\x88", "response 200 1 false"},
		{"\x8d\x0f\x10\x83\xf9\x63\xe7", "response 404 1 true"},          // 404, then a content-type
		{"\x48\x03413", "response 413 1 true"},                           // a literal
		{"\x48\x83\x68\x2c\xff", "response 413 1 true"},                  // Huffman: "413"
		{"\x08\x03103", "notification 103 1 false"},                      // interim
		{"\x20\x88", "response 200 1 false"},                             // after a table size update
		{"\xbe", "response HEADERS 1 false"},                             // the dynamic table's: not known
		{"\x40\x0bgrpc-status\x01\x30", "notification TRAILERS 1 false"}, // grpc-status: 0
	} {
		info := ClassifyAs(FramingHTTP2, []byte(h2(h2Headers, 0x4, 1, tc.block)), S2C, nil)
		if g := info.Kind.String() + " " + string(info.Method) + " " + string(info.ID) + " " + map[bool]string{true: "true", false: "false"}[info.IsError]; g != tc.want {
			t.Errorf("server's HEADERS %q: %s, want %s", tc.block, g, tc.want)
		}
	}
	// A pushed stream's (even) HEADERS answers nothing the client asked.
	if info := ClassifyAs(FramingHTTP2, []byte(h2(h2Headers, 0x4, 2, "\x88")), S2C, nil); info.Kind != KindNotification {
		t.Errorf("a pushed response: %v", info.Kind)
	}
}

// The JSON view: type, stream, flags, length, and what the payload says;
// a header block as hex, marked not decoded.
func TestHTTP2View(t *testing.T) {
	for _, tc := range []struct{ frame, want string }{
		{h2Preface, `{"preface":"PRI * HTTP/2.0"}`},
		{h2(h2Headers, 0x25, 1, "\x00\x00\x00\x00\x10\x82\x84"), `{"type":"HEADERS","stream":1,"flags":["END_STREAM","END_HEADERS","PRIORITY"],"length":7,"method":"GET","path":"/","hpack":"not decoded","block":"8284"}`},
		{h2(h2Headers, 0xc, 1, "\x02\x88\x00\x00"), `{"type":"HEADERS","stream":1,"flags":["END_HEADERS","PADDED"],"length":4,"status":200,"hpack":"not decoded","block":"88"}`},
		{h2(h2Data, 0x1, 5, "hi"), `{"type":"DATA","stream":5,"flags":["END_STREAM"],"length":2,"data":"hi"}`},
		{h2(h2Data, 0, 5, "\xff"), `{"type":"DATA","stream":5,"flags":[],"length":1,"data":{"b64":"/w=="}}`},
		{h2(h2Settings, 0, 0, "\x00\x03\x00\x00\x00\x80\x00\x07\x00\x00\x00\x01"), `{"type":"SETTINGS","stream":0,"flags":[],"length":12,"settings":{"MAX_CONCURRENT_STREAMS":128,"0x7":1}}`},
		{h2(h2WindowUpdate, 0, 0, "\x00\x00\x10\x00"), `{"type":"WINDOW_UPDATE","stream":0,"flags":[],"length":4,"increment":4096}`},
		{h2(h2RSTStream, 0, 3, "\x00\x00\x00\x08"), `{"type":"RST_STREAM","stream":3,"flags":[],"length":4,"error":"CANCEL"}`},
		{h2(h2GoAway, 0, 0, "\x00\x00\x00\x03\x00\x00\x00\x00bye"), `{"type":"GOAWAY","stream":0,"flags":[],"length":11,"last_stream":3,"error":"NO_ERROR","debug":"bye"}`},
		{h2(h2Ping, 1, 0, "\x00\x00\x00\x00\x00\x00\x00\x01"), `{"type":"PING","stream":0,"flags":["ACK"],"length":8,"opaque":"0000000000000001"}`},
		{h2(0x42, 0x80, 0, ""), `{"type":"0x42","stream":0,"flags":["0x80"],"length":0}`},
	} {
		v, err := viewHTTP2(nil, []byte(tc.frame))
		if err != nil || string(v) != tc.want || !json.Valid(v) {
			t.Errorf("%q: %s %v\nwant %s", tc.frame, v, err, tc.want)
		}
	}
}

// Auto detection: the client's preface, or a server's first SETTINGS;
// bytes that only start like one are waited for; h2c's Upgrade is HTTP/1.1.
func TestHTTP2Detect(t *testing.T) {
	for in, want := range map[string]Framing{
		h2Preface + h2(h2Settings, 0, 0, ""):                            FramingHTTP2,
		h2(h2Settings, 0, 0, "\x00\x03\x00\x00\x00\x64"):                FramingHTTP2,
		"GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n":                        FramingHTTP,
		"PRINT\n":                                                       FramingLines,
		h2(h2Settings, 1, 0, "") + "x":                                  FramingRaw, // an ACK is not a server's first frame
		"\x00\x00\x05\x04\x00\x00\x00\x00\x00" + "\x00\x03\x00\x00\x00": FramingRaw,
	} {
		if f, ok := detect([]byte(in)); !ok || f != want {
			t.Errorf("%q: %v %v, want %v", in, f, ok, want)
		}
	}
	for _, in := range []string{"PRI * HTTP/2", "\x00\x00\x06\x04"} {
		if _, ok := detect([]byte(in)); ok {
			t.Errorf("%q: decided, want more bytes", in)
		}
	}
}

// A gap inside a frame's payload is part of the frame; the next frame
// is framed.
func TestHTTP2Gap(t *testing.T) {
	f := NewFramer(FramingHTTP2, 100)
	var got []string
	emit := func(fr *Frame) { got = append(got, string(fr.Data)+"/"+fr.Err) }
	data := h2(h2Data, 0, 1, strings.Repeat("d", 50))
	f.Feed([]byte(data[:20]), emit)
	if !SkipGap(f, 20, emit) {
		t.Fatal("the gap inside DATA's payload was not taken")
	}
	f.Feed([]byte(data[40:]+h2(h2Ping, 0, 0, "12345678")), emit)
	if len(got) != 2 || !strings.Contains(got[0], "20 bytes of it not seen") || got[1] != h2(h2Ping, 0, 0, "12345678")+"/" {
		t.Fatalf("frames %q", got)
	}
}

// RST_STREAM and GOAWAY are named with their error code, and say which
// pending requests they end: RST_STREAM, from either peer, its stream's;
// the server's GOAWAY the client's streams above its last. The Pairer
// takes them, holding nothing when none is pending.
func TestHTTP2Ending(t *testing.T) {
	for _, tc := range []struct {
		frame string
		dir   Dir
		want  string
	}{
		{h2(h2RSTStream, 0, 3, "\x00\x00\x00\x08"), C2S, "RST_STREAM CANCEL true false 0"},
		{h2(h2RSTStream, 0, 3, "\x00\x00\x00\x07"), S2C, "RST_STREAM REFUSED_STREAM true false 0"},
		{h2(h2RSTStream, 0, 3, "\x00\x00\x01\x00"), S2C, "RST_STREAM 0x100 true false 0"},
		{h2(h2GoAway, 0, 0, "\x00\x00\x00\x05\x00\x00\x00\x00"), S2C, "GOAWAY NO_ERROR true true 5"},
		{h2(h2GoAway, 0, 0, "\x00\x00\x00\x05\x00\x00\x00\x00"), C2S, "GOAWAY NO_ERROR false false 0"}, // the server's streams: none paired
		{h2(h2RSTStream, 0, 0, "\x00\x00\x00\x08"), S2C, "RST_STREAM CANCEL false false 0"},
		{h2(h2Data, 0, 3, "x"), S2C, "DATA false false 0"},
	} {
		m := Message{Dir: tc.dir, Framing: FramingHTTP2, Frame: Frame{Data: []byte(tc.frame)}}
		m.Info = ClassifyAs(FramingHTTP2, m.Frame.Data, tc.dir, nil)
		e, ok := EndingOf(&m)
		if g := fmt.Sprint(string(m.Info.Method), " ", ok, " ", e.Above, " ", e.Last); g != tc.want || e.Dir != C2S {
			t.Errorf("%q %v: %s, want %s", tc.frame, tc.dir, g, tc.want)
		}
		if ok && !e.Above && e.Stream != 3 {
			t.Errorf("%q %v: stream %d, want 3", tc.frame, tc.dir, e.Stream)
		}
	}

	p := NewPairer(0)
	for i, id := range []string{"1", "3", "5", "7", `"a"`} {
		p.Request(C2S, []byte(id), int64(10-i), uint64(i+1))
	}
	p.Request(S2C, []byte("9"), 0, 9)
	if _, ok := p.End(C2S, []byte("11")); ok {
		t.Error("End took a request never made")
	}
	if req, ok := p.End(C2S, []byte("3")); !ok || req.Token != 2 {
		t.Errorf("End 3: %v %v", req, ok)
	}
	var toks []uint64
	for _, r := range p.EndAbove(C2S, 3) {
		toks = append(toks, r.Token)
	}
	if fmt.Sprint(toks) != "[4 3]" || p.Len() != 3 { // in read order; 1, "a" and the other direction's 9 stay
		t.Errorf("EndAbove 3: %v, %d left", toks, p.Len())
	}
	if _, orphans := p.Close(); len(orphans) != 0 {
		t.Errorf("orphans %v", orphans)
	}

	// A reset read before its request: held, it answers the request when
	// it comes; not held when the stream's answer is held early already;
	// settled when the client's side is read past it.
	p = NewPairer(0)
	if !p.EndEarly(C2S, []byte("13"), 20, 100) {
		t.Error("EndEarly 13 held nothing")
	}
	if r := p.Request(C2S, []byte("13"), 19, 1); !r.Answered || r.Reply.Token != 100 || r.Reply.Dir != S2C {
		t.Errorf("the request on 13: %+v", r)
	}
	p.Response(S2C, []byte("15"), 30, 101)
	if p.EndEarly(C2S, []byte("15"), 31, 102) {
		t.Error("EndEarly 15 held a reset after the stream's answer")
	}
	p.EndEarly(C2S, []byte("17"), 40, 103)
	if s := p.Settle(C2S, 45); len(s) != 2 || s[0].Token != 101 || s[1].Token != 103 {
		t.Errorf("settled %v, want the answer on 15 and the reset of 17", s)
	}
}
