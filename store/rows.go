package store

import (
	"time"
	"unsafe"

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
// r.Latency is zero), orphan, or none. AddRow only reads *r (a pointer, not
// a copy of a couple of hundred bytes per row) and keeps nothing of it; it
// ignores r.Seq, which the caller sets.
func (tx *Tx) AddRow(r *Row) uint64 {
	s := tx.s
	for s.rows.len() >= s.maxMessages {
		tx.evictRow()
	}
	c := tx.conn(r.Conn)
	var gm, cm *methodAcc
	var method []byte // a name not interned, kept in the arena
	if r.Method != "" {
		gm = s.methodAcc(r.Method)
		cm = s.connMethod(c, gm)
		gm.st.Count++
		cm.st.Count++
		if !sameString(gm.st.Method, r.Method) && gm.st.Method != r.Method {
			method = bytesOf(r.Method)[:min(len(r.Method), maxPayload)]
		}
	}
	latency := r.Latency
	answered := r.Resp != 0 && (r.Status == protocol.StatusOK || r.Status == protocol.StatusError)
	if answered && latency == 0 && !r.ReqAt.IsZero() {
		latency = max(r.RespAt.Sub(r.ReqAt), 0)
	}
	// stamp leaves whether a time was in UTC in s.lastT.utc (read after the
	// call: Go leaves unordered a call and a field read of one statement).
	reqAt := s.stamp(&r.ReqAt)
	reqUTC := s.lastT.utc
	respAt, respUTC := int64(noTime), false // most rows start unanswered
	if !r.RespAt.IsZero() {
		respAt = s.stamp(&r.RespAt)
		respUTC = s.lastT.utc
	}
	id := bytesOf(r.ID)[:min(len(r.ID), maxPayload)]
	// Written in place, field by field: the record is 144 bytes, and a
	// composite literal stored through a pointer is built aside and copied.
	p, seq := s.rows.push()
	*p = rowRec{}
	p.conn, p.dir, p.kind, p.status = c.idx, r.Dir, r.Kind, r.Status
	p.flags = flag(r.Duplicate, rDuplicate) | flag(r.Injected, rInjected) | flag(reqUTC, rReqUTC) | flag(respUTC, rRespUTC)
	p.req, p.resp, p.oldest = r.Req, r.Resp, oldest(r.Req, r.Resp)
	p.reqSize, p.respSize, p.act = r.ReqSize, r.RespSize, r.Act
	p.code = uint16(min(max(r.Code, 0), 0xffff))
	p.reqAt, p.respAt, p.latency = reqAt, respAt, latency
	p.idLen, p.mLen = uint32(len(id)), uint32(len(method))
	if gm != nil {
		p.gm, p.cm = gm.idx, cm.idx
	}
	if len(id) <= idInline {
		copy(p.id[:], id)
		id = nil
	}
	if len(id)+len(method) > 0 {
		p.ext, p.extOff = s.arena.put(id, method)
		e, _ := s.exts.push()
		*e = extRef{row: seq, chunk: p.ext}
		s.tot.StoredBytes += int64(len(id) + len(method))
	}
	s.tot.Rows++
	s.tot.StoredBytes += RecordOverhead
	if r.Status == protocol.StatusPending {
		pend(c, gm, cm, 1)
	} else {
		transition(c, gm, cm, protocol.StatusNone, r.Status)
	}
	if answered {
		s.addLatency(c, gm, cm, latency)
	}
	tx.changed = true
	if s.tot.StoredBytes+s.arena.slack() > s.maxBytes {
		tx.trim()
	}
	return seq
}

// sameString reports whether a and b are the same bytes in memory: a quick
// way to tell they are equal.
func sameString(a, b string) bool {
	return len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b)
}

// oldest returns the smaller non-zero of two message seqs (0 if both are).
func oldest(a, b uint64) uint64 {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}

// accsOf returns the statistics a row counts in.
func (s *Store) accsOf(r *rowRec) (c *connAcc, gm, cm *methodAcc) {
	return s.accs[r.conn], s.mtab[r.gm], s.cms[r.cm]
}

// Answer records resp (already stored by AddMessage) as the reply of row:
// the row becomes StatusOK or StatusError (resp.Info.IsError) with its
// latency counted. Call it once per row. If the row was already evicted,
// only the statistics change.
func (tx *Tx) Answer(row uint64, resp *protocol.Message) {
	s := tx.s
	st := protocol.StatusOK
	if resp.Info.IsError {
		st = protocol.StatusError
	}
	respAt := s.stamp(&resp.At)
	utc := s.lastT.utc
	if !s.rows.has(row) {
		g, ok := s.gone[row]
		if !ok {
			return
		}
		delete(s.gone, row)
		transition(g.conn, g.gm, g.cm, protocol.StatusPending, st)
		s.addLatency(g.conn, g.gm, g.cm, latency(g.reqAt, respAt))
		tx.changed = true
		return
	}
	r := s.rows.at(row)
	c, gm, cm := s.accsOf(r)
	if r.status == protocol.StatusPending && st == protocol.StatusOK {
		pend(c, gm, cm, -1)
	} else {
		transition(c, gm, cm, r.status, st)
	}
	r.status = st
	r.resp, r.respAt, r.respSize = resp.Seq, respAt, resp.Frame.Size
	r.code = uint16(min(protocol.StatusCode(resp), 0xffff))
	r.flags = r.flags&^rRespUTC | flag(utc, rRespUTC)
	r.latency = latency(r.reqAt, respAt)
	r.oldest = oldest(r.oldest, resp.Seq)
	if r.act == protocol.ActNone && resp.Note != nil {
		r.act = resp.Note.Act
	}
	s.addLatency(c, gm, cm, r.latency)
	tx.changed = true
}

// latency returns the time between two stamps, 0 when either is missing.
func latency(req, resp int64) time.Duration {
	if req == noTime || resp == noTime {
		return 0
	}
	return max(time.Duration(resp-req), 0)
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
		transition(g.conn, g.gm, g.cm, protocol.StatusPending, counted(st, g.gap))
		tx.changed = true
		return
	}
	r := s.rows.at(row)
	if r.status == st {
		return
	}
	c, gm, cm := s.accsOf(r)
	gap := r.flags&rGap != 0
	transition(c, gm, cm, counted(r.status, gap), counted(st, gap))
	r.status = st
	tx.changed = true
}

// SetDuplicate marks a row as a request whose id was already in flight.
func (tx *Tx) SetDuplicate(row uint64) {
	s := tx.s
	if !s.rows.has(row) {
		return
	}
	r := s.rows.at(row)
	if r.flags&rDuplicate == 0 {
		r.flags |= rDuplicate
		tx.changed = true
	}
}

// SetGap marks a row whose missing half (reply or request) may have been in
// bytes the observer dropped (Row.Gap). As a no-reply or orphan it is then
// sockscope's blind spot, not the peers' failure, and the statistics do not
// count it as an error. Mark a pending row before SetStatus gives it up.
func (tx *Tx) SetGap(row uint64) {
	s := tx.s
	if !s.rows.has(row) {
		if g, ok := s.gone[row]; ok {
			g.gap = true
			s.gone[row] = g
		}
		return
	}
	r := s.rows.at(row)
	if r.flags&rGap != 0 {
		return
	}
	r.flags |= rGap
	c, gm, cm := s.accsOf(r)
	transition(c, gm, cm, r.status, counted(r.status, true))
	tx.changed = true
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
	return s.row(seq), true
}
