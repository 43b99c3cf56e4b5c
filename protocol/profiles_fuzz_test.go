package protocol

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// fuzzProfile runs fuzzFraming on a scanning framer. Once a stream falls
// back to raw, each read is a frame of its own, so feeding it in two pieces
// gives other frames: the split is compared only when it stays framed.
func fuzzProfile(t *testing.T, framing Framing, data []byte, cut, maxFrame uint16) {
	max := int(maxFrame%512) + 1
	same := true
	for _, f := range run(t, NewFramer(framing, max), max, true, data) {
		if strings.HasSuffix(f.Err, "raw from here") {
			same = false
		}
	}
	fuzzFraming(t, framing, data, cut, maxFrame, same)
	for _, dir := range []Dir{C2S, S2C} {
		for _, f := range run(t, NewFramer(framing, max), max, true, data) {
			sameInto(t, framing, []byte(f.Data), dir)
			if p := ProfileOf(framing); p.View != nil && f.Err == "" {
				if v, err := p.View(nil, []byte(f.Data)); err == nil && !json.Valid(v) {
					t.Fatalf("view of %q is not JSON: %s", f.Data, v)
				}
			}
		}
	}
}

func FuzzHTTP(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"), uint16(20), uint16(100))
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"), uint16(50), uint16(30))
	f.Fuzz(func(t *testing.T, data []byte, cut, maxFrame uint16) {
		fuzzProfile(t, FramingHTTP, data, cut, maxFrame)
	})
}

func FuzzRESP(f *testing.F) {
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n+OK\r\n%1\r\n+a\r\n:1\r\n"), uint16(9), uint16(100))
	f.Add([]byte("|1\r\n+a\r\n:1\r\n>2\r\n$1\r\nx\r\n_\r\nPING\r\n"), uint16(3), uint16(8))
	f.Add([]byte("+FULLRESYNC x 1\r\n\n$5\r\nREDIS*1\r\n$4\r\nping\r\n"), uint16(20), uint16(100))
	f.Add([]byte("\n\n$12\r\nREDIS0011abc*1\r\n$4\r\nping\r\n"), uint16(20), uint16(100))
	f.Add([]byte("$EOF:"+strings.Repeat("m", 40)+"\r\nREDISmmm\xff"+strings.Repeat("m", 40)+"+OK\r\n"), uint16(60), uint16(100))
	f.Fuzz(func(t *testing.T, data []byte, cut, maxFrame uint16) {
		fuzzProfile(t, FramingRESP, data, cut, maxFrame)
	})
}

func FuzzMsgpack(f *testing.F) {
	f.Add([]byte("\x94\x00\x01\xa4ping\x90\x94\x01\x01\xc0\x82\xa1a\x01\xa1b\xc4\x02\xff\xfe"), uint16(7), uint16(100))
	f.Add([]byte("\xdd\x00\x00\x00\x02\xc7\x01\x05x\xcf\x00\x00\x00\x00\x00\x00\x00\x01"), uint16(2), uint16(4))
	f.Fuzz(func(t *testing.T, data []byte, cut, maxFrame uint16) {
		fuzzProfile(t, FramingMsgpack, data, cut, maxFrame)
	})
}

func FuzzVarlink(f *testing.F) {
	f.Add([]byte("{\"method\":\"a.B\"}\x00{\"parameters\":{}}\x00partial"), uint16(5), uint16(100))
	f.Fuzz(func(t *testing.T, data []byte, cut, maxFrame uint16) {
		fuzzProfile(t, FramingVarlink, data, cut, maxFrame)
	})
}

func FuzzHTTP2(f *testing.F) {
	f.Add([]byte(h2Preface+"\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x64"+
		"\x00\x00\x04\x01\x05\x00\x00\x00\x01\x82\x84\x86\x41"+"\x00\x00\x02\x00\x01\x00\x00\x00\x01{}"), uint16(30), uint16(100))
	f.Add([]byte("\x00\x00\x00\x04\x01\x00\x00\x00\x00\x00\x00\x03\x01\x04\x00\x00\x00\x01\x48\x82\x68\x01"+
		"\x00\x00\x08\x07\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00"), uint16(9), uint16(8))
	// A header block in HEADERS and CONTINUATION frames, padded, then a
	// block that is the dynamic table's (curl's, then Go's encoding).
	f.Add([]byte(h2Preface+"\x00\x00\x00\x04\x00\x00\x00\x00\x00"+
		"\x00\x00\x08\x01\x09\x00\x00\x00\x01\x02\x82\x86\x41\x83\x00\x00"+
		"\x00\x00\x04\x09\x00\x00\x00\x00\x01\xa0\xe4\x1d\x13"+
		"\x00\x00\x04\x09\x04\x00\x00\x00\x01\x44\x82\x61\x1b"+
		"\x00\x00\x04\x01\x05\x00\x00\x00\x03\x82\x86\xbf\xbe"), uint16(40), uint16(100))
	f.Add([]byte("\x00\x00\x00\x04\x00\x00\x00\x00\x00"+"\x00\x00\x06\x01\x04\x00\x00\x00\x01\x3f\xe1\x1f\x48\x01\x35"+
		"\x00\x00\x02\x01\x04\x00\x00\x00\x03\xbe\xff"), uint16(12), uint16(300))
	f.Fuzz(func(t *testing.T, data []byte, cut, maxFrame uint16) {
		fuzzProfile(t, FramingHTTP2, data, cut, maxFrame)
		// Decoded as an observer's framers decode: each header block's
		// fields read back, and its view with them is JSON.
		for _, dir := range []Dir{C2S, S2C} {
			fm := NewFramerPair(FramingHTTP2, int(maxFrame%512)+1, DefaultIDFields...)[dir]
			emit := func(fr *Frame) {
				if (fr.Fields != nil) != (fr.Whole != nil) {
					t.Fatalf("fields %q, whole %v", fr.Fields, fr.Whole)
				}
				if fr.Fields == nil {
					return
				}
				if _, ok := ParseH2Block(fr.Fields); !ok {
					t.Fatalf("fields %q do not read back", fr.Fields)
				}
				if v, err := AppendView(nil, FramingHTTP2, fr); err == nil && !json.Valid(v) {
					t.Fatalf("view of %q is not JSON: %s", fr.Data, v)
				}
			}
			fm.Feed(bytes.Clone(data), emit)
			fm.Flush(emit)
		}
	})
}
