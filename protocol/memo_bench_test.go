package protocol

import (
	"bytes"
	"strings"
	"testing"
)

// benchMemo classifies msg through a Memo, as the frames of one stream
// are, with its "rid":12 made 12 and 13 by turns (a stream's ids differ).
func benchMemo(b *testing.B, msg []byte, want Kind) {
	other := bytes.Replace(msg, []byte(`"rid":12`), []byte(`"rid":13`), 1)
	msgs := [2][]byte{msg, other}
	var m Memo
	var info Info
	for _, p := range msgs {
		if m.ClassifyInto(FramingLines, p, C2S, nil, &info); info.Kind != want {
			b.Fatalf("classified %v, want %v", info.Kind, want)
		}
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for i := range b.N {
		m.ClassifyInto(FramingLines, msgs[i&1], C2S, nil, &info)
	}
	if m.misses != 0 {
		b.Fatal("the frames did not fit the skeleton")
	}
}

// BenchmarkMemoRequest64B is BenchmarkClassifyRequest64B through a Memo.
func BenchmarkMemoRequest64B(b *testing.B) {
	benchMemo(b, []byte(`{"rid":12,"method":"add","args":[1,2,3,4,5,6,7,8,9,10,11,12,13]}`), KindRequest)
}

// BenchmarkMemoResponse64B is BenchmarkClassifyResponse64B through a Memo.
func BenchmarkMemoResponse64B(b *testing.B) {
	benchMemo(b, []byte(`{"rid":12,"success":true,"data":[1,2,3,4,5,6,7,8,9,10,11,12,13]}`), KindResponse)
}

// BenchmarkMemoRPC64B classifies a JSON-RPC request of 64 bytes, the
// observer's benchmark's, through a Memo.
func BenchmarkMemoRPC64B(b *testing.B) {
	benchMemo(b, []byte(`{"jsonrpc":"2.0","rid":12,"method":"echo","params":"abcdefgh"}`), KindRequest)
}

// BenchmarkClassifyRPC64B is BenchmarkMemoRPC64B without the Memo.
func BenchmarkClassifyRPC64B(b *testing.B) {
	benchClassify(b, []byte(`{"jsonrpc":"2.0","rid":12,"method":"echo","params":"abcdefgh"}`), KindRequest)
}

// BenchmarkMemoString16K is BenchmarkClassifyString16K through a Memo.
func BenchmarkMemoString16K(b *testing.B) {
	benchMemo(b, []byte(`{"rid":12,"success":true,"data":"`+strings.Repeat("abcdefgh", 2<<10)+`"}`), KindResponse)
}
