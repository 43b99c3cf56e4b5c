package store

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"sockscope/protocol"
)

// snapshot is what a store shows: its bounds, totals, statistics, and every
// stored row and message.
type snapshot struct {
	MsgFirst, MsgNext, RowFirst, RowNext uint64
	Totals                               Totals
	Conns                                []Conn
	Methods                              []MethodStats
	Rows                                 []Row
	Messages                             []protocol.Message
}

func snap(s *Store) snapshot {
	var sn snapshot
	sn.MsgFirst, sn.MsgNext = s.MessageBounds()
	sn.RowFirst, sn.RowNext = s.RowBounds()
	sn.Totals, sn.Conns, sn.Methods = s.Totals(), s.Conns(), s.Methods(0)
	s.Rows(0, func(r Row) bool { sn.Rows = append(sn.Rows, r); return true })
	s.Messages(0, func(m *protocol.Message) bool { sn.Messages = append(sn.Messages, *m); return true })
	return sn
}

// TestOneUpdateMatchesMany: a store fed many messages and rows in one
// Update (more than its bound, so eviction runs within the Update, and the
// latencies it counts at the Update's end pile up) ends as one fed the same
// an Update at a time: same bounds, totals, statistics (of rows answered,
// given up and marked after they were evicted), rows and messages.
func TestOneUpdateMatchesMany(t *testing.T) {
	for _, cfg := range []Config{{MaxMessages: 100}, {MaxMessages: 7}, {MaxMessages: 100, MaxBytes: 40 << 10}} {
		t.Run(fmt.Sprint(cfg.MaxMessages, cfg.MaxBytes), func(t *testing.T) {
			// ops are the calls, each on the rows the ones before returned.
			var ops []func(tx *Tx, rows []uint64) []uint64
			for i := range 3 * ringBlock {
				at := ms(i)
				ops = append(ops, func(tx *Tx, rows []uint64) []uint64 {
					m := newMsg(uint64(1+i%3), protocol.C2S, at, fmt.Sprintf(`{"id":%d,"method":"m%d"}`, i, i%5))
					seq := tx.AddMessage(m)
					return append(rows, tx.AddRow(&Row{Conn: m.Conn, Kind: protocol.KindRequest, Method: fmt.Sprint("m", i%5),
						Status: protocol.StatusPending, Req: seq, ReqAt: at, ReqSize: m.Frame.Size, ID: fmt.Sprint(i)}))
				})
				switch {
				case i%4 == 1 && i >= 150: // answered late: evicted pending by then
					ops = append(ops, func(tx *Tx, rows []uint64) []uint64 {
						row := rows[i-150]
						r := newMsg(uint64(1+(i-150)%3), protocol.S2C, at.Add(time.Millisecond), `{"result":1}`)
						r.Info.IsError = i%8 == 1
						r.Seq = tx.AddMessage(r)
						tx.Answer(row, r)
						return rows
					})
				case i%4 == 2 && i >= 20:
					ops = append(ops, func(tx *Tx, rows []uint64) []uint64 {
						tx.SetGap(rows[i-20])
						tx.SetStatus(rows[i-20], protocol.StatusNoReply)
						return rows
					})
				case i%4 == 3:
					ops = append(ops, func(tx *Tx, rows []uint64) []uint64 {
						return append(rows, tx.AddRow(&Row{Conn: 2, Kind: protocol.KindNotification, Req: 0}))
					})
				}
			}
			one, all := New(cfg), New(cfg)
			var rows1, rowsAll []uint64
			for _, op := range ops {
				one.Update(func(tx *Tx) { rows1 = op(tx, rows1) })
			}
			all.Update(func(tx *Tx) {
				for _, op := range ops {
					rowsAll = op(tx, rowsAll)
				}
			})
			a, b := snap(one), snap(all)
			if len(a.Rows) == 0 || a.Totals.Evicted == 0 {
				t.Fatalf("nothing stored or nothing evicted: %+v", a.Totals)
			}
			if a.Totals.Latency.Count == 0 {
				t.Error("no latency counted")
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("one Update per call:\n%+v\nall in one Update:\n%+v", a.Totals, b.Totals)
				if a.MsgFirst != b.MsgFirst || a.RowFirst != b.RowFirst {
					t.Errorf("bounds %d %d, %d %d", a.MsgFirst, a.RowFirst, b.MsgFirst, b.RowFirst)
				}
				if !reflect.DeepEqual(a.Conns, b.Conns) {
					t.Errorf("conns\n%+v\n%+v", a.Conns, b.Conns)
				}
				if !reflect.DeepEqual(a.Methods, b.Methods) {
					t.Errorf("methods\n%+v\n%+v", a.Methods, b.Methods)
				}
			}
			if n := all.Totals().StoredMessages; n > all.maxMessages {
				t.Errorf("%d messages stored, bound %d", n, all.maxMessages)
			}
		})
	}
}
