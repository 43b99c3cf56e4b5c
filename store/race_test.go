package store

import (
	"sync"
	"testing"
	"time"

	"sockscope/protocol"
)

// TestConcurrentReaders runs one writer against several readers that poll
// the way the UI does; run it with -race. Each reader checks what it can see
// without knowing the writer's progress: generations and totals never go
// back, windows are contiguous, rows point at their own seq.
func TestConcurrentReaders(t *testing.T) {
	s := New(Config{MaxMessages: 500, MaxBytes: 100 << 10})
	const batches = 400
	done := make(chan struct{})
	var wg sync.WaitGroup
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lastGen, lastMsgs uint64
			var lat []time.Duration
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				g := s.Gen()
				if g < lastGen {
					t.Errorf("reader %d: Gen went back from %d to %d", r, lastGen, g)
					return
				}
				lastGen = g
				tot := s.Totals()
				if tot.Messages < lastMsgs || tot.StoredBytes > 100<<10 || tot.StoredMessages > 500 {
					t.Errorf("reader %d: Totals %+v after %d messages", r, tot, lastMsgs)
					return
				}
				lastMsgs = tot.Messages
				first, next := s.RowBounds()
				from := max(first, next-min(next, 50))
				// The writer may have evicted past from since RowBounds:
				// the window starts at from or later, then is contiguous.
				want, n := from, 0
				s.Rows(from, func(row Row) bool {
					if row.Seq < want || (n > 0 && row.Seq != want) {
						t.Errorf("reader %d: row %d where %d was due", r, row.Seq, want)
						return false
					}
					want = row.Seq + 1
					n++
					return n < 50
				})
				s.RowsBefore(next, func(row Row) bool { return row.Seq+20 > next })
				if row, ok := s.Row(next - 1); ok && row.Seq != next-1 {
					t.Errorf("reader %d: Row(%d) has seq %d", r, next-1, row.Seq)
				}
				mf, _ := s.MessageBounds()
				if m, ok := s.Message(mf + 3); ok && m.Seq != mf+3 {
					t.Errorf("reader %d: Message(%d) has seq %d", r, mf+3, m.Seq)
				}
				s.Messages(mf, func(m *protocol.Message) bool { return len(m.Frame.Data) > 0 && m.Seq < mf+10 })
				s.Conns()
				s.Methods(uint64(i%3) + 1)
				s.Methods(0)
				lat = s.RecentLatencies(lat[:0])
			}
		}()
	}
	payload := []byte(`{"rid":1,"method":"add","args":[1,2,3]}`)
	for b := range batches {
		s.Update(func(tx *Tx) {
			conn := uint64(b%3) + 1
			if b < 3 {
				tx.OpenConn(Conn{ID: conn})
			}
			var rows [8]uint64
			for i := range rows {
				at := ms(b*10 + i)
				seq := tx.AddMessage(&protocol.Message{Conn: conn, At: at,
					Frame: protocol.Frame{Data: payload, Size: len(payload)}})
				rows[i] = tx.AddRow(&Row{Conn: conn, Method: tx.Intern([]byte("add")), Status: protocol.StatusPending,
					Req: seq, ReqAt: at})
			}
			for i, row := range rows {
				m := protocol.Message{Conn: conn, Dir: protocol.S2C, At: ms(b*10 + i + 3),
					Frame: protocol.Frame{Data: payload, Size: len(payload)}}
				m.Seq = tx.AddMessage(&m)
				if i%4 == 3 {
					tx.SetStatus(row, protocol.StatusNoReply)
				} else {
					tx.Answer(row, &m)
				}
			}
			tx.SetDropped(uint64(b), uint64(b)*10)
		})
	}
	close(done)
	wg.Wait()
	if tot := s.Totals(); tot.Messages != batches*16 || tot.Rows != batches*8 || tot.Latency.Count != batches*6 {
		t.Errorf("Totals = %+v", tot)
	}
	var inflight int
	for _, c := range s.Conns() {
		inflight += c.InFlight
	}
	if inflight != 0 {
		t.Errorf("%d rows in flight at the end", inflight)
	}
}
