package store

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"sockscope/protocol"
)

// fillLikeObserver stores n request/response pairs the way the observer
// does: frames cut from 32 KiB read slabs, ids and methods aliasing them.
func fillLikeObserver(s *Store, n int) {
	var slab []byte
	frame := func(data string) []byte {
		if len(slab)+len(data) > cap(slab) {
			slab = make([]byte, 0, 32<<10)
		}
		start := len(slab)
		slab = append(slab, data...)
		return slab[start:len(slab):len(slab)]
	}
	s.Update(func(tx *Tx) {
		for i := range n {
			at := t0.Add(time.Duration(i) * time.Microsecond)
			id := strconv.Itoa(i)
			req := frame(`{"rid":` + id + `,"method":"add","args":[1,2,3]}`)
			idAt := len(`{"rid":`)
			m := protocol.Message{Conn: 1, At: at, Frame: protocol.Frame{Data: req, Size: len(req)},
				Info: protocol.Info{Kind: protocol.KindRequest, ID: req[idAt : idAt+len(id)], Method: req[idAt+len(id)+11 : idAt+len(id)+14]}}
			m.Seq = tx.AddMessage(&m)
			row := tx.AddRow(&Row{Conn: 1, Kind: protocol.KindRequest, ID: string(m.Info.ID), Method: tx.Intern(m.Info.Method),
				Status: protocol.StatusPending, Req: m.Seq, ReqAt: at, ReqSize: len(req)})
			resp := frame(`{"rid":` + id + `,"success":true,"data":6}`)
			r := protocol.Message{Conn: 1, Dir: protocol.S2C, At: at.Add(40 * time.Microsecond),
				Frame: protocol.Frame{Data: resp, Size: len(resp)},
				Info:  protocol.Info{Kind: protocol.KindResponse, ID: resp[idAt : idAt+len(id)]}}
			r.Seq = tx.AddMessage(&r)
			tx.Answer(row, &r)
		}
	})
}

// BenchmarkGCFullStore measures one garbage collection while the store
// holds its default bound of messages: what the store costs every cycle.
func BenchmarkGCFullStore(b *testing.B) {
	s := New(Config{MaxBytes: 1 << 30})
	fillLikeObserver(s, DefaultMaxMessages/2)
	if tot := s.Totals(); tot.StoredMessages != DefaultMaxMessages {
		b.Fatalf("stored %d messages", tot.StoredMessages)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	for b.Loop() {
		runtime.GC()
	}
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MiB")
	runtime.KeepAlive(s)
}
