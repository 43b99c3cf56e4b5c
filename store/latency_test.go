package store

import (
	"testing"
	"time"

	"sockscope/protocol"
)

// TestLatencyRunAcrossOctaves answers, in one Update, calls of one method
// on one connection whose latencies go from octave to octave and back (a
// run that flushLatencies counts together): the connection's and the
// method's summaries are those of a Hist given the same latencies one by
// one.
func TestLatencyRunAcrossOctaves(t *testing.T) {
	s := New(Config{})
	var lats []time.Duration
	for i := range 40 {
		d := time.Duration(1+i%5) * time.Millisecond
		if i/5%2 == 1 {
			d *= 37 // five octaves up, then down again
		}
		lats = append(lats, d)
	}
	var rows []uint64
	for i := range lats {
		rows = append(rows, request(s, 1, "m", ms(i)))
	}
	s.Update(func(tx *Tx) {
		for i, d := range lats {
			m := newMsg(1, protocol.S2C, ms(i).Add(d), `{"result":1}`)
			m.Seq = tx.AddMessage(m)
			tx.Answer(rows[i], m)
		}
	})
	var h Hist
	for _, d := range lats {
		h.Add(d)
	}
	want := h.Summary()
	if c, _ := s.Conn(1); c.Latency != want {
		t.Errorf("connection's latency %+v, want %+v", c.Latency, want)
	}
	for _, m := range s.Methods(0) {
		if m.Method == "m" && m.Latency != want {
			t.Errorf("method's latency %+v, want %+v", m.Latency, want)
		}
	}
}
