package store

import (
	"testing"
	"time"

	"sockscope/protocol"
)

// batch is how many messages a benchmark adds per Update, as the observer
// does per read.
const batch = 64

func BenchmarkAddMessage(b *testing.B) {
	s := New(Config{MaxMessages: 100_000})
	payload := make([]byte, 64)
	m := protocol.Message{Conn: 1, At: t0, Frame: protocol.Frame{Data: payload, Size: len(payload)}}
	n := 0
	fn := func(tx *Tx) {
		for range batch {
			tx.AddMessage(&m)
		}
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if n%batch == 0 {
			s.Update(fn)
		}
		n++
	}
}

func BenchmarkAddRowAnswer(b *testing.B) {
	s := New(Config{MaxMessages: 100_000})
	reqData := []byte(`{"rid":1,"method":"add","args":[1,2,3,4,5]}`)
	respData := []byte(`{"rid":1,"success":true,"data":15}`)
	method := []byte("add")
	at := t0
	fn := func(tx *Tx) {
		for range batch / 2 {
			req := protocol.Message{Conn: 1, At: at, Frame: protocol.Frame{Data: reqData, Size: len(reqData)}}
			seq := tx.AddMessage(&req)
			row := tx.AddRow(&Row{Conn: 1, Kind: protocol.KindRequest, Method: tx.Intern(method),
				Status: protocol.StatusPending, Req: seq, ReqAt: at, ReqSize: len(reqData)})
			at = at.Add(time.Microsecond)
			resp := protocol.Message{Conn: 1, Dir: protocol.S2C, At: at.Add(37 * time.Microsecond),
				Frame: protocol.Frame{Data: respData, Size: len(respData)}}
			resp.Seq = tx.AddMessage(&resp)
			tx.Answer(row, &resp)
		}
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if n%(batch/2) == 0 {
			s.Update(fn)
		}
		n++
	}
}

func BenchmarkRowsWindow(b *testing.B) {
	s := New(Config{MaxBytes: 1 << 30})
	payload := make([]byte, 64)
	s.Update(func(tx *Tx) {
		for i := range DefaultMaxMessages / 2 {
			at := t0.Add(time.Duration(i) * time.Microsecond)
			seq := tx.AddMessage(&protocol.Message{Conn: 1, At: at, Frame: protocol.Frame{Data: payload, Size: 64}})
			row := tx.AddRow(&Row{Conn: 1, Method: "m", Status: protocol.StatusPending, Req: seq, ReqAt: at})
			resp := protocol.Message{Conn: 1, Dir: protocol.S2C, At: at.Add(time.Millisecond),
				Frame: protocol.Frame{Data: payload, Size: 64}}
			resp.Seq = tx.AddMessage(&resp)
			tx.Answer(row, &resp)
		}
	})
	if tot := s.Totals(); tot.StoredMessages != DefaultMaxMessages {
		b.Fatalf("stored %d messages", tot.StoredMessages)
	}
	first, next := s.RowBounds()
	window := make([]Row, 0, 50)
	from := first
	b.ReportAllocs()
	for b.Loop() {
		window = window[:0]
		s.Rows(from, func(r Row) bool {
			window = append(window, r)
			return len(window) < cap(window)
		})
		from += 7919
		if from+50 > next {
			from = first
		}
	}
}

// BenchmarkAddMessage16K adds 16 KiB frames to a store already full, so
// every payload copied in evicts one: the arena's chunks are reused.
func BenchmarkAddMessage16K(b *testing.B) {
	s := New(Config{MaxBytes: 64 << 20})
	payload := make([]byte, 16<<10)
	m := protocol.Message{Conn: 1, At: t0, Frame: protocol.Frame{Data: payload, Size: len(payload)}}
	fn := func(tx *Tx) { tx.AddMessage(&m) }
	for range 2 * (64 << 20) / len(payload) {
		s.Update(fn)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		s.Update(fn)
	}
}
