package protocol

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// memoSame fails t unless m classifies data as Classify does, with ID and
// Method at the same place.
func memoSame(t *testing.T, m *Memo, f Framing, data []byte, fields []string) {
	t.Helper()
	var got Info
	m.ClassifyInto(f, data, C2S, fields, &got)
	want := ClassifyAs(f, data, C2S, fields)
	if !reflect.DeepEqual(got, want) || !samePlaces(data, got, want) {
		t.Fatalf("Memo.ClassifyInto(%q, %q) = %+v, want %+v", data, fields, got, want)
	}
	// The IntID it found, if any, is the key the Pairer makes of the id;
	// and it is taken once.
	if n := m.TakeIntID(); n != 0 {
		k, ok := intKey(C2S, got.ID)
		if !ok || k != n.key(C2S) {
			t.Fatalf("Memo.ClassifyInto(%q, %q): IntID %#x for id %q, whose key is %#x, %v", data, fields, n, got.ID, k, ok)
		}
		if m.TakeIntID() != 0 {
			t.Fatalf("Memo.TakeIntID: an IntID taken twice")
		}
	}
}

// streamFrames are pipelined streams of the protocols: frames of one
// skeleton with other values, and the changes that must not fit it.
func streamFrames() [][]string {
	var rpc, seed, dap, mixed []string
	for _, id := range []int{1, 9, 10, 99, 100, 12345678} {
		rpc = append(rpc,
			fmt.Sprintf(`{"jsonrpc":"2.0","id":%8d,"method":"echo","params":"abcdefg"}`, id),
			fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"echo","params":"abcdefg"}`, id),
			fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"ec\"ho","params":"abcdefgé"}`, id),
			fmt.Sprintf(`{"jsonrpc":"2.0","id":"%d","method":"echo","params":[%d,2]}`, id, id),
			fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"result":{"a":[%d]}}`, id, id),
			fmt.Sprintf(`{"jsonrpc":"2.0","id":null,"id":%d,"result":null}`, id),
		)
		seed = append(seed,
			fmt.Sprintf(`{"rid":%d,"method":"add","args":[1,2,3]}`, id),
			fmt.Sprintf(`{"rid":%d,"success":true,"data":%d}`, id, id),
			fmt.Sprintf(`{"rid":%d,"success":false,"data":%d}`, id, id),
			fmt.Sprintf(`{"rid":%d,"success":true,"data":"%d"}`, id, id),
			fmt.Sprintf(`{"rid":-%d,"success":true,"data":"x"}`+"\n", id),
			fmt.Sprintf(`{"rid":nul%d,"success":true,"data":"x"}`, id),
		)
		dap = append(dap,
			fmt.Sprintf(`{"seq":%d,"type":"request","command":"next","arguments":{}}`, id),
			fmt.Sprintf(`{"seq":%d,"type":"response","request_seq":%d,"command":"next","success":true}`, id+1, id),
			fmt.Sprintf(`{"seq":%d,"type":"event","event":"stopped","body":{}}`, id),
			fmt.Sprintf(`{"seq":%d,"type":"eventx","event":"stopped","body":{}}`, id),
		)
		mixed = append(mixed,
			fmt.Sprintf(`{"execute":"query-status","id":"q%d"}`, id),
			fmt.Sprintf(`{"return":{"running":true},"id":"q%d"}`, id),
			fmt.Sprintf(`{"command":["get_property","volume"],"request_id":%d}`, id),
			fmt.Sprintf(`{"error":"success","request_id":%d,"data":1}`, id),
			fmt.Sprintf(`{"command":["get_property","volume"],"request_id":%d}`, id%2), // mpv's 0 is no id
			fmt.Sprintf(`{"request_id":%d,"error":"property not found"}`, id%2),
			`{"command":["get_property","volume"]}`,
			fmt.Sprintf(`{ "id" : %d , "result" : [ 1 , 2 ] } `, id),
			fmt.Sprintf(`{"id":%d,"result":[1,2]]}`, id),
			fmt.Sprintf(`{"id":%d,"result":[1,2]}x`, id),
		)
	}
	return [][]string{rpc, seed, dap, mixed, sameInputs}
}

// TestMemoMatchesClassify classifies the protocols' streams, the inputs
// TestClassifyMatchesReference varies, and every frame after every other
// through one Memo, and compares each Info with Classify's.
func TestMemoMatchesClassify(t *testing.T) {
	var all []string
	for _, stream := range streamFrames() {
		all = append(all, stream...)
	}
	for _, fields := range idFieldSets {
		for _, f := range []Framing{FramingLines, FramingContentLength, FramingAuto, FramingHTTP} {
			var m Memo
			for _, stream := range streamFrames() {
				for _, s := range stream {
					memoSame(t, &m, f, []byte(s), fields)
				}
			}
		}
		for _, a := range all {
			// m learnt a; mf saw it twice, and folded the strings it
			// repeats.
			var m Memo
			memoSame(t, &m, FramingLines, []byte(a), fields)
			mf := m
			memoSame(t, &mf, FramingLines, []byte(a), fields)
			for _, b := range all {
				m2, mf2 := m, mf
				memoSame(t, &m2, FramingLines, []byte(b), fields)
				memoSame(t, &mf2, FramingLines, []byte(b), fields)
			}
		}
	}
}

// TestMemoMutations classifies each input after the input itself (once,
// and twice: with its repeated strings folded into the skeleton), with a
// byte replaced by one that changes the scan, inserted or removed, and cut
// short.
func TestMemoMutations(t *testing.T) {
	subst := []byte("\x00\x1f \t\n\"\\{}[],:01-.aenu\x7f\x80\xc3\xff*+/;")
	var all []string
	for _, stream := range streamFrames() {
		all = append(all, stream...)
	}
	for _, fields := range idFieldSets[:3] {
		for _, in := range all {
			var m Memo
			memoSame(t, &m, FramingLines, []byte(in), fields)
			mf := m
			memoSame(t, &mf, FramingLines, []byte(in), fields)
			try := func(data []byte) {
				m2, mf2 := m, mf
				memoSame(t, &m2, FramingLines, data, fields)
				memoSame(t, &mf2, FramingLines, data, fields)
			}
			for n := 0; n <= len(in); n++ {
				try([]byte(in[:n]))
				try([]byte(in[:n] + in[min(n+1, len(in)):]))
			}
			for i := range in {
				for _, b := range subst {
					mut := []byte(in)
					mut[i] = b
					try(mut)
					try([]byte(in[:i] + string(b) + in[i:]))
				}
			}
		}
	}
}

// TestMemoFits checks that the frames of a pipelined stream fit the
// skeleton of the one before: the Memo is used, not only correct.
func TestMemoFits(t *testing.T) {
	var m Memo
	var info Info
	for id := range 1000 {
		data := fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%8d,"method":"echo","params":"%s"}`, id, strings.Repeat("x", id%40))
		before := m.n
		m.ClassifyInto(FramingLines, data, C2S, nil, &info)
		if id > 0 && (before == 0 || m.misses != 0) {
			t.Fatalf("frame %d did not fit the skeleton: %q", id, data)
		}
		if k, _ := intKey(C2S, info.ID); id > 0 && m.TakeIntID() != IntID(k|1<<63) {
			t.Fatalf("frame %d: the Memo did not find the IntID of id %q", id, info.ID)
		}
		if string(info.ID) != fmt.Sprint(id) || string(info.Method) != "echo" {
			t.Fatalf("frame %d: %+v", id, info)
		}
	}
}

// TestMemoFolds checks that the strings a stream repeats are folded into
// the skeleton, that a frame with another string there is classified as
// Classify does and taught, and that a stream whose strings keep changing
// stops folding.
func TestMemoFolds(t *testing.T) {
	const format = `{"jsonrpc":"2.0","id":%d,"method":"%s","params":"%s"}`
	var m Memo
	frame := func(id int, method, params string) {
		t.Helper()
		memoSame(t, &m, FramingLines, fmt.Appendf(nil, format, id, method, params), nil)
	}
	for id := range 3 {
		frame(id, "echo", fmt.Sprint("p", id))
	}
	kinds := func() string {
		var b []byte
		for _, e := range m.mems[:m.n] {
			k := m.vals[e.host].kind
			if e.lit {
				k = valLit
			}
			b = append(b, "sAONLI"[k])
		}
		return string(b)
	}
	if !m.folded || kinds() != "LILs" || m.misses != 0 || m.nv != 2 {
		t.Fatalf("after three frames: value kinds %s, folded %v, misses %d, values not literal %d; want LILs, folded, 0, 2", kinds(), m.folded, m.misses, m.nv)
	}
	frame(3, "ech0", "p3") // the folded method differs: not fitting, taught
	if m.folded || m.misses != 1 {
		t.Fatalf("a frame with another method fitted the folded skeleton")
	}
	frame(4, "ech0", "p4")
	frame(5, "ech0", "p5")
	if !m.folded || kinds() != "LILs" || m.misses != 0 {
		t.Fatalf("the new method was not folded: value kinds %s, misses %d", kinds(), m.misses)
	}
	// A method that changes every other frame: folded skeletons that
	// soon stop fitting end the folding.
	for id := range 40 {
		frame(id, fmt.Sprint("m", id/2), "p")
	}
	if m.folded || m.foldMisses < foldMax {
		t.Fatalf("folding went on in a stream whose method changes every other frame (%d misses)", m.foldMisses)
	}
}

// FuzzMemo classifies a sequence of frames made of two inputs and their
// mutations through one Memo, and compares each Info with Classify's.
func FuzzMemo(f *testing.F) {
	streams := streamFrames()
	for i, s := range streams[0] {
		f.Add([]byte(s), []byte(streams[1][i%len(streams[1])]), uint16(i), byte('0'+i))
	}
	for i, s := range sameInputs {
		f.Add([]byte(s), []byte(sameInputs[(i+1)%len(sameInputs)]), uint16(i*7), byte(" \"1a{"[i%5]))
	}
	f.Fuzz(func(t *testing.T, a, b []byte, at uint16, c byte) {
		mut := func(p []byte, insert bool) []byte {
			q := append([]byte(nil), p...)
			if len(q) == 0 {
				return q
			}
			i := int(at) % len(q)
			if insert {
				return append(q[:i], append([]byte{c}, p[i:]...)...)
			}
			q[i] = c
			return q
		}
		seq := [][]byte{a, a, mut(a, false), a, b, mut(b, true), mut(a, true), b, a}
		for _, fields := range idFieldSets {
			var m Memo
			for _, data := range seq {
				memoSame(t, &m, FramingLines, data, fields)
			}
		}
	})
}
