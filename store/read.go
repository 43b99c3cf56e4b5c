package store

import (
	"cmp"
	"slices"
	"time"

	"sockscope/protocol"
)

// Gen returns the generation: it moves whenever the store changes, so a
// reader that saw the same value last time has nothing new to read.
func (s *Store) Gen() uint64 { return s.gen.Load() }

// Totals returns the store-wide counters.
func (s *Store) Totals() Totals {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tot
	// Counted by the rings' sequence numbers, not per message (AddMessage
	// and AddRow number them from 1).
	t.Messages, t.Rows = s.msgs.next-1, s.rows.next-1
	t.StoredMessages = s.msgs.len()
	t.Evicted = s.msgs.first - 1 - s.cleared
	t.Latency = s.all.sum
	return t
}

// Conns returns a copy of every connection, by ID ascending.
func (s *Store) Conns() []Conn {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Conn, len(s.conns))
	for i, a := range s.conns {
		out[i] = a.view()
	}
	return out
}

// Conn returns connection id.
func (s *Store) Conn(id uint64) (Conn, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := s.byID[id]
	if a == nil {
		return Conn{}, false
	}
	return a.view(), true
}

// Methods returns the per-method statistics of connection conn, or of all
// connections when conn is 0, sorted by Count descending then name.
func (s *Store) Methods(conn uint64) []MethodStats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := s.methods
	if conn != 0 {
		a := s.byID[conn]
		if a == nil {
			return nil
		}
		m = a.methods
	}
	out := make([]MethodStats, 0, len(m))
	for _, a := range m {
		if a.st.Count == 0 {
			continue // interned, no row yet
		}
		st := a.st
		st.Latency = a.lat.sum
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b MethodStats) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Method, b.Method)
	})
	return out
}

// RecentLatencies appends the latest latencies (up to RecentLatencies of
// them), oldest first, to dst and returns it.
func (s *Store) RecentLatencies(dst []time.Duration) []time.Duration {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := min(s.nrecent, RecentLatencies)
	for i := s.nrecent - n; i < s.nrecent; i++ {
		dst = append(dst, s.recent[i%RecentLatencies])
	}
	return dst
}

// RowBounds returns the seqs of the stored rows: [first, next).
func (s *Store) RowBounds() (first, next uint64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.rows.first, s.rows.next
}

// Row returns row seq, if it is still stored. The Row is built from the
// stored record: its ID is a fresh string, its Method an interned one.
func (s *Store) Row(seq uint64) (Row, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.rows.has(seq) {
		return Row{}, false
	}
	return s.row(seq), true
}

// Rows calls fn with the stored rows from seq from (or the oldest stored)
// upwards, while fn returns true. fn runs under the read lock: it must be
// quick and must not call the store.
func (s *Store) Rows(from uint64, fn func(Row) bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for seq := max(from, s.rows.first); seq < s.rows.next; seq++ {
		if !fn(s.row(seq)) {
			return
		}
	}
}

// RowsBefore calls fn with the stored rows from seq before-1 downwards,
// while fn returns true. fn runs under the read lock, as for Rows.
func (s *Store) RowsBefore(before uint64, fn func(Row) bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for seq := min(before, s.rows.next); seq > s.rows.first; seq-- {
		if !fn(s.row(seq - 1)) {
			return
		}
	}
}

// MessageBounds returns the seqs of the stored messages: [first, next).
func (s *Store) MessageBounds() (first, next uint64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.msgs.first, s.msgs.next
}

// Message returns message seq, if it is still stored. Its Frame.Data is a
// copy, the caller's to keep (the store reuses its own memory); Info.ID and
// Info.Method alias that copy (or, for a method that was not in the
// payload, a copy of their own).
func (s *Store) Message(seq uint64) (protocol.Message, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.msgs.has(seq) {
		return protocol.Message{}, false
	}
	r := s.msgs.at(seq)
	b := s.arena.bytes(chunkOf(r.loc), offOf(r.loc), int(r.alen))
	return s.message(seq, r, append([]byte(nil), b...)), true
}

// Messages calls fn with the stored messages from seq from (or the oldest
// stored) upwards, while fn returns true. fn runs under the read lock: it
// must be quick, must not modify the message and must not call the store.
// The message and its bytes (Frame.Data, Info.ID, Info.Method alias the
// store's memory) are valid only during fn: copy what you keep.
func (s *Store) Messages(from uint64, fn func(*protocol.Message) bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var m protocol.Message
	for seq := max(from, s.msgs.first); seq < s.msgs.next; seq++ {
		r := s.msgs.at(seq)
		m = s.message(seq, r, s.arena.bytes(chunkOf(r.loc), offOf(r.loc), int(r.alen)))
		if !fn(&m) {
			return
		}
	}
}

// Clear forgets the stored messages and rows; statistics and connections
// stay, and seqs continue from where they were. Rows still pending keep
// counting when they are answered or end.
func (s *Store) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for seq := s.rows.first; seq < s.rows.next; seq++ {
		s.forget(seq, s.rows.at(seq))
	}
	s.cleared += uint64(s.msgs.len())
	s.msgs.reset()
	clear(s.aside)
	s.rows.reset()
	s.exts.reset()
	s.arena.reset()
	s.tot.StoredBytes = 0
	s.gen.Add(1)
}

// row builds row seq, which must be stored, from its record.
func (s *Store) row(seq uint64) Row {
	r := s.rows.at(seq)
	out := Row{Seq: seq, Conn: s.accs[r.conn].c.ID, Dir: r.dir, Kind: r.kind, Status: r.status,
		Duplicate: r.flags&rDuplicate != 0, Gap: r.flags&rGap != 0, Injected: r.flags&rInjected != 0, Act: r.act, Code: int(r.code), Req: r.req, Resp: r.resp,
		ReqAt: s.unstamp(r.reqAt, r.flags&rReqUTC != 0), RespAt: s.unstamp(r.respAt, r.flags&rRespUTC != 0),
		ReqSize: r.reqSize, RespSize: r.respBytes(), Latency: r.lat()}
	switch {
	case r.idLen == 0:
	case r.idLen <= idInline:
		out.ID = string(r.id[:r.idLen])
	default:
		out.ID = string(s.arena.bytes(r.ext, r.extOff, int(r.idLen)))
	}
	switch {
	case r.mLen > 0:
		out.Method = string(s.arena.bytes(r.ext, r.extOff+uint32(r.extIDLen()), int(r.mLen)))
	case r.gm != 0:
		out.Method = s.mtab[r.gm].st.Method
	}
	return out
}

// message builds message seq from its record r and its allocation b.
func (s *Store) message(seq uint64, r *msgRec, b []byte) protocol.Message {
	m := protocol.Message{Seq: seq, Conn: r.conn, Dir: r.dir, At: s.unstamp(r.at, r.flags&mUTC != 0),
		Frame: protocol.Frame{Data: b[:r.n:r.n], Size: int(r.size), Wire: int(r.wire),
			Truncated: r.flags&mTruncated != 0, Err: s.reasons[r.frameE]},
		Injected: r.flags&mInjected != 0, Withheld: r.flags&mWithheld != 0, Framing: r.frm,
		Info: protocol.Info{Kind: r.kind, IsError: r.flags&mIsError != 0, Err: s.reasons[r.infoEr]}}
	if r.n == 0 {
		m.Frame.Data = nil
	}
	if r.flags&mHasID != 0 {
		m.Info.ID = part(b, r.idOff, r.idLen)
	}
	if r.flags&mHasMethod != 0 {
		m.Info.Method = part(b, r.mOff, r.mLen)
	}
	var fields uint32
	if r.flags&mAside != 0 {
		a := s.aside[seq]
		m.Frame.Size, m.Frame.Wire = a.size, a.wire
		m.Info.Continues, m.Info.ByOrder = a.continues, a.byOrder
		if fields = a.fields; fields > 0 {
			off, _ := r.note(0)
			m.Frame.Fields = part(b, off, fields)
		}
	}
	if off, n := r.note(fields); n > 0 {
		m.Note = protocol.ParseNote(part(b, off, n))
	}
	return m
}

// part returns b[off:off+n], never nil.
func part(b []byte, off, n uint32) []byte {
	if n == 0 {
		return []byte{}
	}
	return b[off : off+n : off+n]
}
