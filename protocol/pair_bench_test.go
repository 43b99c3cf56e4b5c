package protocol

import (
	"strconv"
	"testing"
	"time"
)

// BenchmarkPairerInFlight16K pairs requests sent 16,384 ahead of their
// replies, as a client pipelining many thousands of calls does: the ids
// grow without end and the pending ones are a sliding window. Its table
// (32K slots of a few lines each) outgrows the first cache levels, which
// BenchmarkPairer's 64 in flight never do. One op is one request and its
// reply.
func BenchmarkPairerInFlight16K(b *testing.B) {
	benchPairerInFlight(b, 1<<14, 1)
}

// BenchmarkPairerInFlight16KStride1024 is BenchmarkPairerInFlight16K with
// ids that are multiples of 1024.
func BenchmarkPairerInFlight16KStride1024(b *testing.B) {
	benchPairerInFlight(b, 1<<14, 1024)
}

// BenchmarkPairerInFlight16KLost is BenchmarkPairerInFlight16K with one
// reply in 64 lost (dropped by a decoder that fell behind, or never sent):
// their requests stay pending, scattered among the others, until the
// pending bound gives them up.
func BenchmarkPairerInFlight16KLost(b *testing.B) {
	benchPairerInFlightLost(b, 1<<14, 1, 64)
}

// benchPairerInFlight pairs requests inFlight ahead of their replies, with
// ids stride apart. Each reply comes before the next request: the table
// holds inFlight at most and does not grow while timed.
func benchPairerInFlight(b *testing.B, inFlight, stride int) {
	benchPairerInFlightLost(b, inFlight, stride, 0)
}

// benchPairerInFlightLost is benchPairerInFlight with one reply in lost
// never sent (none if lost is 0).
func benchPairerInFlightLost(b *testing.B, inFlight, stride, lost int) {
	p := NewPairer(0)
	at := time.Now().UnixNano()
	var req, resp []byte
	for i := range inFlight {
		req = strconv.AppendInt(req[:0], int64(i*stride), 10)
		p.Request(C2S, req, at, uint64(i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := inFlight; i < inFlight+b.N; i++ {
		req = strconv.AppendInt(req[:0], int64(i*stride), 10)
		resp = strconv.AppendInt(resp[:0], int64((i-inFlight)*stride), 10)
		if lost == 0 || i%lost != 0 {
			if _, ok := p.Response(S2C, resp, at, uint64(i)); !ok {
				b.Fatal("unpaired")
			}
		}
		p.Request(C2S, req, at, uint64(i))
	}
}
