package store

import (
	"time"

	"sockscope/protocol"
)

// Intern returns method as a string without allocating when the name was
// seen before (up to MaxMethods names of at most 256 bytes; others are
// returned as a fresh string). Use it to fill Row.Method from a frame.
func (tx *Tx) Intern(method []byte) string {
	s := tx.s
	if g := s.lastG; g != nil && g.st.Method == string(method) {
		return g.st.Method
	}
	if g, ok := s.names[string(method)]; ok {
		return g.st.Method
	}
	n, _ := s.methodOf(string(method))
	return n
}

// AddRow stores r, assigning and returning its Seq (its own sequence, from
// 1). r.Status is counted as it is: pending, answered (StatusOK or
// StatusError with Resp set: its latency counts, RespAt-ReqAt when
// r.Latency is zero), orphan, or none.
func (tx *Tx) AddRow(r Row) uint64 {
	s := tx.s
	for s.rows.len() >= s.maxMessages {
		tx.evictRow()
	}
	var gm, cm *methodAcc
	c := tx.conn(r.Conn)
	if r.Method != "" {
		r.Method, gm = s.methodOf(r.Method)
		cm = c.method(gm)
		gm.st.Count++
		cm.st.Count++
	}
	answered := r.Resp != 0 && (r.Status == protocol.StatusOK || r.Status == protocol.StatusError)
	if answered && r.Latency == 0 && !r.ReqAt.IsZero() {
		r.Latency = max(r.RespAt.Sub(r.ReqAt), 0)
	}
	p, seq := s.rows.push()
	r.Seq = seq
	*p = rowRec{Row: r, conn: c, gm: gm, cm: cm, oldest: oldest(r.Req, r.Resp)}
	s.tot.Rows++
	s.tot.StoredBytes += RecordOverhead
	transition(c, gm, cm, protocol.StatusNone, r.Status)
	if answered {
		s.addLatency(c, gm, cm, r.Latency)
	}
	tx.changed = true
	tx.trim()
	return seq
}

// oldest returns the smaller non-zero of two message seqs (0 if both are).
func oldest(a, b uint64) uint64 {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}

// Answer records resp (already stored by AddMessage) as the reply of row:
// the row becomes StatusOK or StatusError (resp.Info.IsError) with its
// latency counted. Call it once per row. If the row was already evicted,
// only the statistics change.
func (tx *Tx) Answer(row uint64, resp protocol.Message) {
	s := tx.s
	st := protocol.StatusOK
	if resp.Info.IsError {
		st = protocol.StatusError
	}
	if !s.rows.has(row) {
		g, ok := s.gone[row]
		if !ok {
			return
		}
		delete(s.gone, row)
		transition(g.conn, g.gm, g.cm, protocol.StatusPending, st)
		s.addLatency(g.conn, g.gm, g.cm, latency(g.reqAt, resp.At))
		tx.changed = true
		return
	}
	r := s.rows.at(row)
	transition(r.conn, r.gm, r.cm, r.Status, st)
	r.Status = st
	r.Resp, r.RespAt, r.RespSize = resp.Seq, resp.At, resp.Frame.Size
	r.Latency = latency(r.ReqAt, resp.At)
	r.oldest = oldest(r.oldest, resp.Seq)
	s.addLatency(r.conn, r.gm, r.cm, r.Latency)
	tx.changed = true
}

func latency(req, resp time.Time) time.Duration {
	if req.IsZero() {
		return 0
	}
	return max(resp.Sub(req), 0)
}

// SetStatus changes a row's status (a pending row that got no reply, say)
// and its statistics. If the row was already evicted while pending, only
// the statistics change.
func (tx *Tx) SetStatus(row uint64, st protocol.Status) {
	s := tx.s
	if !s.rows.has(row) {
		g, ok := s.gone[row]
		if !ok || st == protocol.StatusPending {
			return
		}
		delete(s.gone, row)
		transition(g.conn, g.gm, g.cm, protocol.StatusPending, st)
		tx.changed = true
		return
	}
	r := s.rows.at(row)
	if r.Status == st {
		return
	}
	transition(r.conn, r.gm, r.cm, r.Status, st)
	r.Status = st
	tx.changed = true
}

// SetDuplicate marks a row as a request whose id was already in flight.
func (tx *Tx) SetDuplicate(row uint64) {
	s := tx.s
	if !s.rows.has(row) {
		return
	}
	r := s.rows.at(row)
	if !r.Duplicate {
		r.Duplicate = true
		tx.changed = true
	}
}

// SetDropped records the relay queue's drop counters (absolute values).
func (tx *Tx) SetDropped(events, bytes uint64) {
	t := &tx.s.tot
	if t.DroppedEvents != events || t.DroppedBytes != bytes {
		t.DroppedEvents, t.DroppedBytes = events, bytes
		tx.changed = true
	}
}

// Row returns row seq as it stands now, if it is still stored: Store.Row
// for use inside Update.
func (tx *Tx) Row(seq uint64) (Row, bool) {
	s := tx.s
	if !s.rows.has(seq) {
		return Row{}, false
	}
	return s.rows.at(seq).Row, true
}
