package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzFraming checks a framer's invariants on data: no panic, no Data over
// the cap, Wire plus pending accounts for every byte, and (when same is
// set) feeding data in two pieces cut at cut gives the frames one piece
// gives.
func fuzzFraming(t *testing.T, framing Framing, data []byte, cut, maxFrame uint16, same bool) {
	max := int(maxFrame%512) + 1
	whole := NewFramer(framing, max, DefaultIDFields...)
	want := run(t, whole, max, false, bytes.Clone(data))
	if n := wireTotal(want) + whole.(pender).pending(); n != len(data) {
		t.Fatalf("wire %d + pending %d != %d input bytes", wireTotal(want), whole.(pender).pending(), len(data))
	}
	want = append(want, run(t, whole, max, true)...)
	if len(data) == 0 {
		return
	}
	at := int(cut) % len(data)
	split := NewFramer(framing, max, DefaultIDFields...)
	got := run(t, split, max, false, bytes.Clone(data[:at]), bytes.Clone(data[at:]))
	if n := wireTotal(got) + split.(pender).pending(); n != len(data) {
		t.Fatalf("split at %d: wire %d + pending %d != %d input bytes", at, wireTotal(got), split.(pender).pending(), len(data))
	}
	got = append(got, run(t, split, max, true)...)
	if same {
		sameFrames(t, "split vs whole", got, want)
		// Frames over the cap are classified alike, however they are cut.
		w1 := wholes(NewFramer(framing, max, DefaultIDFields...), data)
		w2 := wholes(NewFramer(framing, max, DefaultIDFields...), data[:at], data[at:])
		if fmt.Sprint(w1) != fmt.Sprint(w2) {
			t.Fatalf("split at %d: frames over the cap classified\n%q\nwhole\n%q", at, w2, w1)
		}
	}
	// Reset and go on: no panic, the cap still holds.
	split.Reset()
	run(t, split, max, true, bytes.Clone(data))
}

func FuzzLines(f *testing.F) {
	f.Add([]byte("{\"rid\":1}\n{\"rid\":2}\r\n\npartial"), uint16(5), uint16(100))
	f.Add([]byte("héllo 世界\nx\n"), uint16(2), uint16(3))
	f.Fuzz(func(t *testing.T, data []byte, cut, maxFrame uint16) {
		fuzzFraming(t, FramingLines, data, cut, maxFrame, true)
	})
}

func FuzzContentLength(f *testing.F) {
	f.Add([]byte(lsp(`{"id":1}`)+lsp("{}")), uint16(17), uint16(100))
	f.Add([]byte("Content-Length: -1\r\n\r\nxx\ncontent-length: 2\n\n{}"), uint16(30), uint16(4))
	f.Add([]byte("Content-Length: 99999999999999999999\r\n\r\n"), uint16(3), uint16(10))
	f.Fuzz(func(t *testing.T, data []byte, cut, maxFrame uint16) {
		fuzzFraming(t, FramingContentLength, data, cut, maxFrame, true)
	})
}

func FuzzRaw(f *testing.F) {
	f.Add([]byte("\x00\x01binary\n"), uint16(3), uint16(4))
	f.Fuzz(func(t *testing.T, data []byte, cut, maxFrame uint16) {
		fuzzFraming(t, FramingRaw, data, cut, maxFrame, false)
		max := int(maxFrame%512) + 1
		for _, fr := range run(t, NewFramer(FramingRaw, max, DefaultIDFields...), max, true, data) {
			if !bytes.HasPrefix(data, []byte(fr.Data)) || fr.Size != len(data) {
				t.Fatalf("raw frame %v is not the chunk", fr)
			}
		}
	})
}

func FuzzAuto(f *testing.F) {
	f.Add([]byte("\r\nContent-Length: 2\r\n\r\n{}"), uint16(4), uint16(100))
	f.Add([]byte("{\"a\":1}\n"), uint16(1), uint16(100))
	f.Add([]byte("text line\nmore"), uint16(6), uint16(100))
	f.Fuzz(func(t *testing.T, data []byte, cut, maxFrame uint16) {
		// The decision depends on the first chunk only when the first
		// piece alone decides differently from the whole input. And a
		// stream that falls back to raw (a scanning framer's, as
		// fuzzProfile says) makes a frame of each read.
		same := true
		if len(data) > 0 {
			first, ok := detect(data[:int(cut)%len(data)])
			all, _ := detect(data)
			same = (!ok || first == all) && all != FramingRaw
		}
		max := int(maxFrame%512) + 1
		for _, f := range run(t, NewFramer(FramingAuto, max), max, true, bytes.Clone(data)) {
			if strings.HasSuffix(f.Err, "raw from here") {
				same = false
			}
		}
		fuzzFraming(t, FramingAuto, data, cut, maxFrame, same)
	})
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{
		`{"rid":1,"method":"add","args":[1,2]}`, `{}`, `[1,{"a":"}"}]`, `{"a":"\"\\"}`,
		`{"seq":1,"type":"request","command":"x"}`, `{"QMP":{}}`, "{\"a\":\"\xff\"}", `{"a":[}`, `[{"jsonrpc":"2.0","id":1,"method":"m"}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameClassify(t, data)
		for _, fr := range []Framing{FramingLines, FramingContentLength, FramingAuto} {
			sameInto(t, fr, data, C2S)
		}
		info := Classify(data, nil)
		if (info.Kind == KindRaw) != (info.Err != "") {
			t.Fatalf("kind %v with Err %q", info.Kind, info.Err)
		}
		for i, b := range [][]byte{info.ID, info.Method} {
			read := i == 1 && bytes.ContainsRune(data, '\\') // a method with escapes read is a copy
			if len(b) > 0 && !within(b, data) && !bytes.Equal(b, qmpMethod) && !IsBatch(data) && !read {
				t.Fatalf("%q does not alias the data", b)
			}
		}
		if IsBatch(data) && info.ID != nil && !json.Valid(info.ID) {
			t.Fatalf("a batch's id %q is not JSON", info.ID)
		}
		trimmed := bytes.TrimLeft(data, " \t\r\n")
		if info.Kind == KindRaw && len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') && json.Valid(data) && utf8.Valid(data) {
			t.Fatalf("valid JSON classified raw: %s", info.Err)
		}
	})
}

// FuzzIDKey checks the id canonicalisation against encoding/json: a valid
// JSON value written again by encoding/json, with every object's members
// in reverse order, its strings escaped its way and its numbers spelt
// otherwise, has the same canonical spelling; the canonical spelling is
// canonical again; and a value the pairer keys as it is (no canonical
// pass) is already canonical.
func FuzzIDKey(f *testing.F) {
	for _, s := range []string{
		`{"tag":["x",1],"n":null}`, `"split-\u00e9"`, `1.0`, `-0`, `"a\/b<&>"`, `[1e2,{"b":{},"a":[]}]`,
		`"\ud83d\ude00"`, `12345678901234567890`, `0.000001e-3`, `true`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		data = bytes.Trim(data, " \t\r\n") // as Classify cuts an id token
		canon := canonID(nil, data)
		if again := canonID(nil, canon); !bytes.Equal(again, canon) {
			t.Fatalf("canonID(%s) = %s, whose canonID is %s", data, canon, again)
		}
		if !json.Valid(data) || !utf8.Valid(data) {
			return
		}
		if !needsCanon(data) && !bytes.Equal(canon, data) {
			t.Fatalf("%s is keyed as it is, but its canonical spelling is %s", data, canon)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		other, ok := respell(dec)
		if !ok {
			return // duplicate keys or a lone surrogate: no single meaning
		}
		if got := canonID(nil, other); !bytes.Equal(got, canon) {
			t.Fatalf("%s canonicalises to %s, but %s (the same value) to %s", data, canon, other, got)
		}
		p := NewPairer(0)
		p.Request(C2S, data, t0, 1)
		if _, ok := p.Response(S2C, other, t0, 2); !ok {
			t.Fatalf("%s and %s did not pair", data, other)
		}
	})
}

// respell writes the next value of dec again: members reversed, strings
// as encoding/json escapes them, numbers with an exponent. It reports
// false for values without a single meaning (duplicate keys, lone
// surrogates).
func respell(dec *json.Decoder) ([]byte, bool) {
	tok, err := dec.Token()
	if err != nil {
		return nil, false
	}
	switch v := tok.(type) {
	case json.Delim:
		var items [][]byte
		keys := map[string]bool{}
		for dec.More() {
			var kv []byte
			if v == '{' {
				k, _ := dec.Token()
				ks, _ := k.(string)
				if keys[ks] || strings.ContainsRune(ks, utf8.RuneError) {
					return nil, false
				}
				keys[ks] = true
				kb, _ := json.Marshal(ks)
				kv = append(kb, ' ', ':', ' ')
			}
			val, ok := respell(dec)
			if !ok {
				return nil, false
			}
			items = append(items, append(kv, val...))
		}
		dec.Token() // the closing delimiter
		if v == '{' {
			slices.Reverse(items)
		}
		close := byte(']')
		if v == '{' {
			close = '}'
		}
		return append(append([]byte{byte(v), ' '}, bytes.Join(items, []byte(" , "))...), ' ', close), true
	case string:
		if strings.ContainsRune(v, utf8.RuneError) {
			return nil, false
		}
		b, _ := json.Marshal(v)
		return b, true
	case json.Number:
		s := string(v)
		if !strings.ContainsAny(s, ".eE") {
			return []byte(s + ".000e+0"), true
		}
		return []byte(s), true
	}
	b, _ := json.Marshal(tok)
	return b, true
}

// FuzzStreamScan checks that a frame classified from its bytes as they
// pass, in three pieces, is classified as Classify classifies it whole,
// but for a batch: over the cap it is of no kind (README, Limits); and a
// varlink message as classifyVarlink classifies it whole.
func FuzzStreamScan(f *testing.F) {
	for _, s := range []string{
		`{"rid":1,"method":"add","args":[1,2]}`, `{}`, `[1,{"a":"}"}]`, `{"a":"\"\\"}`,
		`{"seq":1,"type":"request","command":"x"}`, `{"QMP":{}}`, "{\"a\":\"\xff\"}", `{"a":[}`, `[{"jsonrpc":"2.0","id":1,"method":"m"}]`,
		`{"params":{"blob":"xx\"x"},"id":{"b":1,"a":[2]},"method":"m"}`, `{"result":[1,[2,{}]],"id":"é"}`,
		`{"method":"a.B","oneway":true}`, `{"parameters":{},"continues":true,"continues":false}`, `{"error":{"x":1}}`, `{"error":"a.E"}`,
		` {"error":{"code":1},"id":null,"id":3} `, `{"error":"success","request_id":1,"data":[1]}`, "{\"a\":1}\r", `{"a":1,}`, `{"a" 1}`, `{"a":1 "b":2}`,
	} {
		f.Add([]byte(s), uint16(3), uint16(9))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut1, cut2 uint16) {
		want := Classify(data, nil)
		if want.Kind != KindRaw && IsBatch(data) {
			want = Info{Kind: KindOther}
		}
		var s streamScan
		s.reset()
		a, b := 0, 0
		if len(data) > 0 {
			a, b = int(cut1)%len(data), int(cut2)%len(data)
			a, b = min(a, b), max(a, b)
		}
		s.feed(bytes.Clone(data[:a]))
		s.feed(bytes.Clone(data[a:b]))
		s.feed(bytes.Clone(data[b:]))
		got := *s.result()
		if got.Kind != want.Kind || string(got.ID) != string(want.ID) || string(got.Method) != string(want.Method) ||
			got.IsError != want.IsError || got.Err != want.Err {
			t.Fatalf("%q cut at %d, %d: streamed %+v, whole %+v", data, a, b, got, want)
		}
		want = classifyVarlink(data)
		v := streamScan{varlink: true}
		v.reset()
		v.feed(bytes.Clone(data[:a]))
		v.feed(bytes.Clone(data[a:b]))
		v.feed(bytes.Clone(data[b:]))
		got = *v.result()
		if got.Kind != want.Kind || string(got.Method) != string(want.Method) || got.IsError != want.IsError ||
			got.Continues != want.Continues || got.Err != want.Err {
			t.Fatalf("varlink %q cut at %d, %d: streamed %+v, whole %+v", data, a, b, got, want)
		}
	})
}
