package protocol

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"
)

// frameOf returns a JSON line of exactly n bytes, '\n' included.
func frameOf(n int) []byte {
	head := `{"rid":1,"method":"add","args":"`
	pad := n - len(head) - len(`"}`) - 1
	return []byte(head + strings.Repeat("x", pad) + `"}` + "\n")
}

// benchFramer feeds chunk to f b.N times, counting frames.
func benchFramer(b *testing.B, f Framer, chunk []byte) {
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	frames := 0
	emit := func(*Frame) { frames++ }
	b.ResetTimer()
	for range b.N {
		f.Feed(chunk, emit)
	}
	if frames == 0 {
		b.Fatal("no frames")
	}
}

// BenchmarkLines64B feeds 32 KiB reads of 64-byte frames, each read
// holding 512 whole frames.
func BenchmarkLines64B(b *testing.B) {
	benchFramer(b, NewFramer(FramingLines, 0), bytes.Repeat(frameOf(64), 512))
}

// BenchmarkLines16K feeds 32 KiB reads that end mid-frame, so that half
// the 16 KiB frames span two reads and are copied.
func BenchmarkLines16K(b *testing.B) {
	frame := frameOf(16 << 10)
	stream := bytes.Repeat(frame, 3)
	// A rotation of two frames: fed again and again it is a valid stream
	// whose frame boundaries fall mid-read.
	benchFramer(b, NewFramer(FramingLines, 0), stream[8<<10:8<<10+2*len(frame)])
}

// BenchmarkContentLength feeds reads of whole LSP frames with 1 KiB bodies.
func BenchmarkContentLength(b *testing.B) {
	body := frameOf(1024)
	chunk := bytes.Repeat([]byte(lsp(string(body[:len(body)-1]))), 16)
	benchFramer(b, NewFramer(FramingContentLength, 0), chunk)
}

func benchClassify(b *testing.B, msg []byte, want Kind) {
	if k := Classify(msg, nil).Kind; k != want {
		b.Fatalf("classified %v, want %v", k, want)
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for range b.N {
		Classify(msg, nil)
	}
}

// BenchmarkClassifyRequest64B classifies a seed request of 64 bytes.
func BenchmarkClassifyRequest64B(b *testing.B) {
	msg := []byte(`{"rid":12,"method":"add","args":[1,2,3,4,5,6,7,8,9,10,11,12,13]}`)
	benchClassify(b, msg, KindRequest)
}

// BenchmarkClassifyResponse64B classifies a seed reply of 64 bytes, the
// other half of a pipelined call.
func BenchmarkClassifyResponse64B(b *testing.B) {
	msg := []byte(`{"rid":12,"success":true,"data":[1,2,3,4,5,6,7,8,9,10,11,12,13]}`)
	benchClassify(b, msg, KindResponse)
}

// BenchmarkClassifyResponse16K classifies a 16 KiB response whose data is
// an array of small objects.
func BenchmarkClassifyResponse16K(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"rid":12,"success":true,"data":[`)
	for i := 0; sb.Len() < 16<<10-64; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"id":1234,"name":"entry","tags":["a","b"],"ok":true}`)
	}
	sb.WriteString(`]}`)
	benchClassify(b, []byte(sb.String()), KindResponse)
}

// BenchmarkClassifyString16K classifies a 16 KiB response whose data is
// one string.
func BenchmarkClassifyString16K(b *testing.B) {
	msg := []byte(`{"rid":12,"success":true,"data":"` + strings.Repeat("abcdefgh", 2<<10) + `"}`)
	benchClassify(b, msg, KindResponse)
}

// BenchmarkPairer pairs pipelined requests with their replies, 64 in
// flight, as a busy JSON-RPC connection does. One op is one request and its
// reply.
func BenchmarkPairer(b *testing.B) {
	p := NewPairer(0)
	ids := make([][]byte, 1024)
	for i := range ids {
		ids[i] = []byte(strconv.Itoa(i))
	}
	at := time.Now().UnixNano()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Request(C2S, ids[i%1024], at, uint64(i))
		if i >= 64 {
			if _, ok := p.Response(S2C, ids[(i-64)%1024], at, uint64(i)); !ok {
				b.Fatal("unpaired")
			}
		}
	}
}

// BenchmarkPairerCanonical pairs requests whose ids need a canonical
// spelling (an object whose keys the reply reorders, an escaped string),
// 64 in flight. One op is one request and its reply.
func BenchmarkPairerCanonical(b *testing.B) {
	p := NewPairer(0)
	reqs, resps := make([][]byte, 1024), make([][]byte, 1024)
	for i := range reqs {
		if i%2 == 0 {
			reqs[i] = []byte(`{"tag":["x",` + strconv.Itoa(i) + `],"n":null}`)
			resps[i] = []byte(`{"n":null,"tag":["x",` + strconv.Itoa(i) + `]}`)
		} else {
			reqs[i] = []byte(`"split-é-` + strconv.Itoa(i) + `"`)
			resps[i] = []byte(`"split-\u00e9-` + strconv.Itoa(i) + `"`)
		}
	}
	at := time.Now().UnixNano()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Request(C2S, reqs[i%1024], at, uint64(i))
		if i >= 64 {
			if _, ok := p.Response(S2C, resps[(i-64)%1024], at, uint64(i)); !ok {
				b.Fatal("unpaired")
			}
		}
	}
}

// BenchmarkPairerUnanswered records requests whose replies never come (a
// peer that does not answer, or replies the decoder dropped), past the
// pending bound, so that the oldest are given up a tenth at a time. One op
// is one request.
func BenchmarkPairerUnanswered(b *testing.B) {
	p := NewPairer(0)
	at := time.Now().UnixNano()
	var id []byte
	evicted := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id = strconv.AppendInt(id[:0], int64(i), 10)
		evicted += len(p.Request(C2S, id, at+int64(i), uint64(i+1)).Evicted)
	}
	if b.N > DefaultMaxPending && evicted == 0 {
		b.Fatal("nothing evicted")
	}
}
