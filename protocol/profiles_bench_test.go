package protocol

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The profiles' framers on the shapes of traffic the JSON framers are
// measured on (bench_test.go): 32 KiB reads of 64-byte messages, and
// 16 KiB messages whose boundaries fall mid-read.

// benchSpanning feeds messages of 16 KiB so that every one spans two
// reads, as in BenchmarkLines16K: after the first half of one message, a
// rotation of two, fed again and again. Every frame must be whole.
func benchSpanning(b *testing.B, framing Framing, msg []byte) {
	f := NewFramer(framing, 0)
	stream := bytes.Repeat(msg, 3)
	check := func(frp *Frame) {
		fr := *frp
		if fr.Err != "" || fr.Wire != len(msg) {
			b.Fatalf("frame %d of %d bytes: %s", fr.Size, len(msg), fr.Err)
		}
	}
	f.Feed(stream[:len(msg)/2], check)
	rotation := stream[len(msg)/2 : len(msg)/2+2*len(msg)]
	f.Feed(rotation, check)
	benchFramer(b, f, rotation)
}

// httpOf returns a request of n bytes with a Content-Length body.
func httpOf(n int) []byte {
	head := "POST /v1/containers/json HTTP/1.1\r\nHost: d\r\nContent-Length: "
	body := n - len(head) - 4 - 4
	if body >= 1000 {
		body = n - len(head) - 4 - len(fmt.Sprint(n))
	}
	s := fmt.Sprintf("%s%d\r\n\r\n%s", head, body, strings.Repeat("x", body))
	return []byte(s)
}

// respOf returns a RESP SET command of about n bytes.
func respOf(n int) []byte {
	v := n - 32
	return fmt.Appendf(nil, "*3\r\n$3\r\nSET\r\n$8\r\nkey:0001\r\n$%d\r\n%s\r\n", v, strings.Repeat("v", v))
}

// msgpackOf returns a msgpack-RPC request of about n bytes.
func msgpackOf(n int) []byte {
	b := []byte{0x94, 0x00, 0xcd, 0x01, 0x00, 0xa9}
	b = append(b, "nvim_eval"...)
	b = append(b, 0x91, 0xdb, 0, 0, 0, 0)
	s := n - len(b)
	b[len(b)-4], b[len(b)-3], b[len(b)-2], b[len(b)-1] = byte(s>>24), byte(s>>16), byte(s>>8), byte(s)
	return append(b, strings.Repeat("s", s)...)
}

// varlinkOf returns a varlink call of n bytes, its NUL included.
func varlinkOf(n int) []byte {
	head := `{"method":"io.systemd.Ping","parameters":{"x":"`
	return []byte(head + strings.Repeat("x", n-len(head)-4) + `"}}` + "\x00")
}

func BenchmarkHTTP64B(b *testing.B) {
	benchFramer(b, NewFramer(FramingHTTP, 0), bytes.Repeat(httpOf(96), 32<<10/96))
}

func BenchmarkHTTP16K(b *testing.B) {
	benchSpanning(b, FramingHTTP, httpOf(16<<10))
}

func BenchmarkRESP64B(b *testing.B) {
	benchFramer(b, NewFramer(FramingRESP, 0), bytes.Repeat(respOf(64), 512))
}

func BenchmarkRESP16K(b *testing.B) {
	benchSpanning(b, FramingRESP, respOf(16<<10))
}

func BenchmarkMsgpack64B(b *testing.B) {
	benchFramer(b, NewFramer(FramingMsgpack, 0), bytes.Repeat(msgpackOf(64), 512))
}

func BenchmarkMsgpack16K(b *testing.B) {
	benchSpanning(b, FramingMsgpack, msgpackOf(16<<10))
}

func BenchmarkVarlink64B(b *testing.B) {
	benchFramer(b, NewFramer(FramingVarlink, 0), bytes.Repeat(varlinkOf(64), 512))
}

func BenchmarkVarlink16K(b *testing.B) {
	benchSpanning(b, FramingVarlink, varlinkOf(16<<10))
}

func benchClassifyAs(b *testing.B, f Framing, dir Dir, msg []byte, want Kind) {
	if k := ClassifyAs(f, msg, dir, nil).Kind; k != want {
		b.Fatalf("classified %v, want %v", k, want)
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for range b.N {
		ClassifyAs(f, msg, dir, nil)
	}
}

func BenchmarkClassifyHTTP(b *testing.B) {
	benchClassifyAs(b, FramingHTTP, C2S, httpOf(96), KindRequest)
}

func BenchmarkClassifyHTTPResponse(b *testing.B) {
	benchClassifyAs(b, FramingHTTP, S2C, []byte("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}"), KindResponse)
}

func BenchmarkClassifyRESP(b *testing.B) {
	benchClassifyAs(b, FramingRESP, C2S, respOf(64), KindRequest)
}

func BenchmarkClassifyRESPReply(b *testing.B) {
	benchClassifyAs(b, FramingRESP, S2C, []byte("$5\r\nhello\r\n"), KindResponse)
}

func BenchmarkClassifyMsgpack(b *testing.B) {
	benchClassifyAs(b, FramingMsgpack, C2S, msgpackOf(64), KindRequest)
}

func BenchmarkClassifyVarlink(b *testing.B) {
	benchClassifyAs(b, FramingVarlink, C2S, varlinkOf(64)[:63], KindRequest)
}

// BenchmarkOrderPairer pairs by order with 16 requests in flight (as
// redis-benchmark -P 16 does). One op is one request and its reply.
func BenchmarkOrderPairer(b *testing.B) {
	p := NewOrderPairer(0)
	at := time.Now().UnixNano()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p.Request(C2S, at, uint64(i))
		if i >= 16 {
			if _, ok := p.Response(S2C, at, uint64(i), false); !ok {
				b.Fatal("unpaired")
			}
		}
	}
}

// BenchmarkRESPLinked64B is BenchmarkRESP64B through the framers of a
// connection's two directions, as the observer makes them: SET commands
// of about 64 bytes one way, and redis-benchmark's GET commands (36
// bytes, short enough to be looked at for MULTI, CLIENT REPLY and SYNC)
// and their +OK replies.
func BenchmarkRESPLinked64B(b *testing.B) {
	p := NewFramerPair(FramingRESP, 0)
	get := []byte("*2\r\n$3\r\nGET\r\n$16\r\nkey:000000000001\r\n")
	chunk := append(bytes.Repeat(respOf(64), 256), bytes.Repeat(get, 256)...)
	replies := bytes.Repeat([]byte("+OK\r\n$3\r\nxxx\r\n"), 256)
	b.SetBytes(int64(len(chunk) + len(replies)))
	b.ReportAllocs()
	emit := func(*Frame) {}
	for range b.N {
		p[C2S].Feed(chunk, emit)
		p[S2C].Feed(replies, emit)
	}
}
