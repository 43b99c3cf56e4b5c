package proxy

import (
	"io"
	"testing"

	"sockscope/event"
	"sockscope/protocol"
)

func BenchmarkRelay64B(b *testing.B) { benchRelay(b, 64, false) }
func BenchmarkRelay16K(b *testing.B) { benchRelay(b, 16<<10, false) }

// The same with both directions frame-aware, as they are once sockscope has
// sent a message on the connection: every frame goes through a verdict.
func BenchmarkRelayFramed64B(b *testing.B) { benchRelay(b, 64, true) }
func BenchmarkRelayFramed16K(b *testing.B) { benchRelay(b, 16<<10, true) }

// benchRelay pipelines b.N messages of size bytes through the relay to an
// echo server and reads them back, while an observer drains the queue. With
// framed, both directions forward whole frames through a verdict that lets
// every frame pass.
func benchRelay(b *testing.B, size int, framed bool) {
	q := event.NewQueue(0, false)
	drained := make(chan struct{})
	go func() { // an observer that looks at every event and keeps none
		defer close(drained)
		var evs []event.Event
		for ok := true; ok; {
			evs, ok = q.Take(evs[:0])
		}
	}()
	r, relay := startRelay(b, "unix", serve(b, "unix", echo), q)
	c := dial(b, relay)
	if framed {
		conn := onlyConn(b, r)
		pass := func([]byte, protocol.Frame, protocol.Framing) Verdict { return Verdict{} }
		for _, d := range []protocol.Dir{protocol.C2S, protocol.S2C} {
			if err := conn.SetFraming(d, protocol.FramingLines, pass, nil, 0); err != nil {
				b.Fatal(err)
			}
		}
	}
	msg := randomBytes(1, size)
	msg[size-1] = '\n'
	b.SetBytes(int64(size))
	b.ResetTimer()
	go func() {
		for range b.N {
			if _, err := c.Write(msg); err != nil {
				return
			}
		}
	}()
	if _, err := io.CopyN(io.Discard, c, int64(b.N*size)); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	c.Close()
	q.Close()
	<-drained
	if ev, _ := q.Dropped(); ev > 0 {
		b.ReportMetric(float64(ev), "dropped")
	}
}
