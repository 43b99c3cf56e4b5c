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
	p, seq, c, gm, cm := tx.newRow(r.Conn, r.Method, bytesOf(r.ID))
	p.dir, p.kind, p.status = r.Dir, r.Kind, r.Status
	hi, fhi := respHiOf(r.RespSize)
	p.flags = flag(r.Duplicate, rDuplicate) | flag(r.Injected, rInjected) | flag(reqUTC, rReqUTC) | flag(respUTC, rRespUTC) | fhi
	p.req, p.resp = r.Req, r.Resp
	p.reqSize, p.respSize, p.respHi, p.act = r.ReqSize, uint32(r.RespSize), hi, r.Act
	p.code = uint16(min(max(r.Code, 0), 0xffff))
	p.reqAt, p.respAt = reqAt, respAt
	if latency != p.lat() {
		p.latency = latency
		p.flags |= rLatency
	}
	if r.Status == protocol.StatusPending {
		pend(c, gm, cm, 1)
	} else {
		transition(c, gm, cm, protocol.StatusNone, r.Status)
	}
	if answered {
		s.addLatency(c, gm, cm, latency)
	}
	if s.over() {
		tx.trim()
	}
	return seq
}

// AddRequest is AddRow of the pending row that request m (already stored
// by AddMessage) starts, method being m.Info.Method interned (Intern): what
// AddRow stores of the Row an observer would build of m (its connection,
// direction, kind, id, method, message, read time, size, whether injected
// and its note's act), written from m without building the Row, whose 160
// bytes AddRow would read back. It returns the row's Seq.
func (tx *Tx) AddRequest(m *protocol.Message, method string) uint64 {
	s := tx.s
	reqAt := s.stamp(&m.At)
	reqUTC := s.lastT.utc
	p, seq, c, gm, cm := tx.newRow(m.Conn, method, m.Info.ID)
	p.dir, p.kind, p.status = m.Dir, m.Info.Kind, protocol.StatusPending
	p.flags = flag(m.Injected, rInjected) | flag(reqUTC, rReqUTC)
	p.req = m.Seq
	p.reqSize = m.Frame.Size
	if m.Note != nil {
		p.act = m.Note.Act
	}
	p.reqAt, p.respAt = reqAt, noTime
	pend(c, gm, cm, 1)
	if s.over() {
		tx.trim()
	}
	return seq
}

// newRow appends the record of a row of connection conn, method (none if
// "") and id (at most maxPayload bytes of it), and counts it: in the
// totals, and in its connection's and method's statistics, which it
// returns. The record is zero but for those; the method's bytes are kept
// beside it when the name is not interned. It evicts the oldest row if the
// rows are at their bound; the caller trims to the byte bound once it has
// filled the record in.
func (tx *Tx) newRow(conn uint64, method string, id []byte) (p *rowRec, seq uint64, c *connAcc, gm, cm *methodAcc) {
	s := tx.s
	for s.rows.len() >= s.maxMessages {
		tx.evictRow()
	}
	c = tx.conn(conn)
	var ext []byte // a method name not interned, kept in the arena
	if method != "" {
		gm = s.methodAcc(method)
		cm = s.connMethod(c, gm)
		gm.st.Count++
		cm.st.Count++
		if !sameString(gm.st.Method, method) && gm.st.Method != method {
			ext = bytesOf(method)[:min(len(method), maxPayload)]
		}
	}
	id = id[:min(len(id), maxPayload)]
	// Written in place, field by field: the record is 144 bytes, and a
	// composite literal stored through a pointer is built aside and copied.
	if !s.rows.room() {
		s.rows.addBlock()
	}
	p, seq = pushRow(&s.rows)
	*p = rowRec{}
	p.conn = c.idx
	p.idLen, p.mLen = uint32(len(id)), uint32(len(ext))
	if gm != nil {
		p.gm, p.cm = gm.idx, cm.idx
	}
	if len(id) <= idInline {
		copy(p.id[:], id)
		id = nil
	}
	if len(id)+len(ext) > 0 {
		p.ext, p.extOff = s.arena.put(id, ext)
		e, _ := s.exts.push()
		*e = extRef{row: seq, chunk: p.ext}
		s.tot.StoredBytes += int64(len(id) + len(ext))
	}
	s.tot.StoredBytes += RecordOverhead
	tx.changed = true
	return p, seq, c, gm, cm
}

// sameString reports whether a and b are the same bytes in memory: a quick
// way to tell they are equal.
func sameString(a, b string) bool {
	return len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b)
}

// oldest returns the smaller non-zero of two message seqs (0 if both are),
// without a branch: 0-1 wraps to the largest.
func oldest(a, b uint64) uint64 { return min(a-1, b-1) + 1 }

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
	r.resp, r.respAt, r.respSize = resp.Seq, respAt, uint32(resp.Frame.Size)
	r.code = uint16(min(protocol.StatusCode(resp), 0xffff))
	hi, fhi := respHiOf(resp.Frame.Size)
	if fhi != 0 { // rare: a reply of 4 GiB or more; the only write to the second line
		r.respHi = hi
	}
	r.flags = r.flags&^(rRespUTC|rLatency|rRespHi) | flag(utc, rRespUTC) | fhi
	d := latency(r.reqAt, respAt)
	if r.act == protocol.ActNone && resp.Note != nil {
		r.act = resp.Note.Act
	}
	s.addLatency(c, gm, cm, d)
	tx.changed = true
}

// Began times row, a pending request, from at, when its first bytes were
// read: a reply read before the request's end, but reported after it,
// answers it (an HTTP server's 413 before the body is in, its read
// overtaken by the client's next). If the row was already evicted, the
// latency its statistics will count runs from at too.
func (tx *Tx) Began(row uint64, at time.Time) {
	s := tx.s
	reqAt := s.stamp(&at)
	utc := s.lastT.utc
	if !s.rows.has(row) {
		if g, ok := s.gone[row]; ok {
			g.reqAt = reqAt
			s.gone[row] = g
		}
		return
	}
	r := s.rows.at(row)
	r.reqAt = reqAt
	r.flags = r.flags&^rReqUTC | flag(utc, rReqUTC)
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
