package observe

import (
	"fmt"
	"testing"
	"time"

	"sockscope/event"

	"sockscope/protocol"
	"sockscope/store"
)

// benchObserveInOrder decodes, pairs by order and stores pipelined calls
// of a protocol that pairs by order, as BenchmarkObserve64B does for
// JSON-RPC: 512 requests per read, then their 512 replies. One op is one
// call (a request and its reply).
func benchObserveInOrder(b *testing.B, framing protocol.Framing, req, resp []byte) {
	const perRead = 512
	var reqs, resps []byte
	for range perRead {
		reqs, resps = append(reqs, req...), append(resps, resp...)
	}
	o := New(Config{Store: store.New(store.Config{}), Framing: framing})
	t0 := time.Now()
	o.Handle([]event.Event{{Type: event.Open, Conn: 1, At: t0, Peer: &event.Peer{PID: -1, UID: -1}}})
	batch := make([]event.Event, 2)
	b.SetBytes(int64(len(req) + len(resp)))
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n += perRead {
		at := t0.Add(time.Duration(n) * time.Microsecond)
		batch[0] = event.Event{Type: event.Data, Conn: 1, Dir: protocol.C2S, At: at, Data: reqs}
		batch[1] = event.Event{Type: event.Data, Conn: 1, Dir: protocol.S2C, At: at.Add(time.Microsecond), Data: resps}
		o.Handle(batch)
	}
	b.StopTimer()
	if c := o.Counts(); c.OK < int64(b.N) || c.Orphan+c.NoReply > 0 {
		b.Fatalf("counts %+v after %d calls", c, b.N)
	}
}

// BenchmarkObserveRESP64B: redis SET commands of 64 bytes and their +OK.
func BenchmarkObserveRESP64B(b *testing.B) {
	v := "abcdefghijklmnopqrstuvwxyz012"
	req := fmt.Appendf(nil, "*3\r\n$3\r\nSET\r\n$8\r\nkey:0001\r\n$%d\r\n%s\r\n", len(v), v)
	benchObserveInOrder(b, protocol.FramingRESP, req, []byte("+OK\r\n"))
}

// BenchmarkObserveHTTP: small GETs and their JSON answers.
func BenchmarkObserveHTTP(b *testing.B) {
	benchObserveInOrder(b, protocol.FramingHTTP, []byte("GET /v1/ping HTTP/1.1\r\nHost: d\r\n\r\n"),
		[]byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}"))
}
