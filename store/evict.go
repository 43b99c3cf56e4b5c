package store

import "sockscope/protocol"

// Eviction. A full store evicts, on every message it adds, about as much
// as it adds: the oldest message, the rows that refer to it, and the arena
// chunks no longer used. The records it reads were written a bound's worth
// of records ago and are out of every cache: a message's is one line, and
// what a row's eviction reads is in the first line of its two.

// trim evicts oldest messages, then rows, until the byte bound holds: the
// counted bytes plus the arena's slack, so that the memory really held stays
// within it. Its callers call it when the bound does not hold (over).
func (tx *Tx) trim() {
	s := tx.s
	for {
		switch {
		case s.msgs.len() > 0:
			tx.evictMessage()
		case s.rows.len() > 0:
			tx.evictRow()
		default:
			return
		}
		if !s.over() {
			return
		}
	}
}

// over reports whether the store holds more than its byte bound.
func (s *Store) over() bool { return s.tot.StoredBytes+s.arena.slack() > s.maxBytes }

// makeRoom evicts oldest messages before the arena would grow by a chunk
// for n more bytes beyond the byte bound, until an evicted chunk can be
// reused instead; growing first and evicting after would release one chunk
// and allocate another, again and again, once the store is full.
func (tx *Tx) makeRoom(n int) {
	s := tx.s
	for s.msgs.len() > 0 {
		g := s.arena.growth(n)
		if g == 0 || s.tot.StoredBytes+s.arena.slack()+int64(g)+RecordOverhead <= s.maxBytes {
			return
		}
		tx.evictMessage()
	}
}

// evictMessage drops the oldest message and the oldest rows that refer to
// a message no longer stored.
func (tx *Tx) evictMessage() {
	s := tx.s
	r := s.msgs.front()
	n := int64(r.alen)
	if r.flags&mAside != 0 {
		delete(s.aside, s.msgs.first)
	}
	s.tot.StoredBytes -= n + RecordOverhead
	s.arena.live -= n // arena.free
	s.msgs.drop()
	for s.rows.len() > 0 {
		r := s.rows.front()
		if oldest(r.req, r.resp) >= s.msgs.first {
			break
		}
		// Most rows go answered, with nothing in the arena: their
		// eviction is dropping them, counted.
		if r.status == protocol.StatusPending || r.idLen > idInline || r.mLen > 0 {
			tx.evictRow()
			continue
		}
		s.tot.StoredBytes -= RecordOverhead
		s.rows.drop()
	}
	// Most evictions leave the oldest message in the oldest chunk.
	if s.msgs.len() == 0 || chunkOf(s.msgs.front().loc) > s.arena.chunks.first {
		s.releaseArena()
	}
}

// evictRow drops the oldest row, remembering it if it is still pending.
func (tx *Tx) evictRow() {
	s := tx.s
	seq := s.rows.first
	r := s.rows.front()
	s.forget(seq, r)
	s.tot.StoredBytes -= RecordOverhead
	if n := r.extLen(); n > 0 {
		s.tot.StoredBytes -= int64(n)
		s.arena.free(n)
		for s.exts.len() > 0 && s.exts.front().row <= seq {
			s.exts.drop()
		}
		s.rows.drop()
		s.releaseArena()
		return
	}
	// A row without bytes in the arena leaves the oldest of them where
	// they were: there is nothing more to release than before.
	s.rows.drop()
}

// releaseArena releases the arena chunks older than the oldest stored
// message or row bytes.
func (s *Store) releaseArena() {
	// Nothing to release while the oldest message or row bytes are still
	// in the oldest chunk.
	first := s.arena.chunks.first
	if s.msgs.len() > 0 && chunkOf(s.msgs.front().loc) <= first ||
		s.exts.len() > 0 && s.exts.front().chunk <= first {
		return
	}
	oldest := s.arena.chunks.next
	if s.msgs.len() > 0 {
		oldest = min(oldest, chunkOf(s.msgs.front().loc))
	}
	if s.exts.len() > 0 {
		oldest = min(oldest, s.exts.front().chunk)
	}
	s.arena.release(oldest)
}
