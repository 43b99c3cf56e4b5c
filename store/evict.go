package store

import "sockscope/protocol"

// Eviction by count is deferred and done in batches: within an Update the
// rings may hold up to evictBatch records beyond MaxMessages, and when they
// reach that, or when the Update ends, the oldest are evicted down to
// MaxMessages in one pass (a record's bytes summed block by block, the
// arena released once) instead of one record, a row check and an arena
// check per record added. At the end of every Update the bound holds
// exactly, as if each record added had evicted the oldest; the byte bound
// is kept record by record as before (trim).
const evictBatch = ringBlock

// overCount evicts, at the end of an Update, the messages and rows beyond
// MaxMessages.
func (tx *Tx) overCount() {
	s := tx.s
	if s.msgs.len() > s.maxMessages {
		tx.evictMessagesTo(s.msgs.next - uint64(s.maxMessages))
	}
	if s.rows.len() > s.maxMessages {
		tx.evictRowsTo(s.rows.next - uint64(s.maxMessages))
	}
}

// capOf returns the count the rings may reach within an Update.
func capOf(maxMessages int) int { return maxMessages + min(evictBatch, 1<<62-maxMessages) }

// evictMessagesTo evicts the messages before seq first (at most those
// stored) and the oldest rows that refer to one of them.
func (tx *Tx) evictMessagesTo(first uint64) {
	s := tx.s
	first = min(first, s.msgs.next)
	if first <= s.msgs.first {
		return
	}
	k := first - s.msgs.first
	var n int64
	for seq := s.msgs.first; seq < first; {
		run := s.msgs.run(seq, first)
		for i := range run {
			n += int64(run[i].allocLen())
		}
		seq += uint64(len(run))
	}
	s.tot.StoredBytes -= n + int64(k)*RecordOverhead
	s.tot.StoredMessages -= int(k)
	s.tot.Evicted += k
	s.arena.free(int(n))
	s.msgs.dropTo(first)
	end := s.rows.first
	for end < s.rows.next {
		run, i := s.rows.run(end, s.rows.next), 0
		for i < len(run) && run[i].oldest < first {
			i++
		}
		end += uint64(i)
		if i < len(run) {
			break
		}
	}
	tx.evictRowsTo(end)
	s.releaseArena()
}

// evictRowsTo evicts the rows before seq first, remembering those still
// pending.
func (tx *Tx) evictRowsTo(first uint64) {
	s := tx.s
	first = min(first, s.rows.next)
	if first <= s.rows.first {
		return
	}
	var ext int64
	for seq := s.rows.first; seq < first; {
		run := s.rows.run(seq, first)
		for i := range run {
			r := &run[i]
			if r.status == protocol.StatusPending {
				s.forget(seq+uint64(i), r)
			}
			ext += int64(r.extLen())
		}
		seq += uint64(len(run))
	}
	s.tot.StoredBytes -= ext + int64(first-s.rows.first)*RecordOverhead
	if ext > 0 {
		s.arena.free(int(ext))
		for s.exts.len() > 0 && s.exts.at(s.exts.first).row < first {
			s.exts.drop()
		}
	}
	s.rows.dropTo(first)
	s.releaseArena()
}

// settle evicts the records beyond the count bound now if row may be among
// them, so that what Answer, SetStatus, SetGap, SetDuplicate and Row do to a
// row is what they would have done with eviction record by record: a row
// that would be gone is gone (its statistics kept as a pending row's).
func (tx *Tx) settle(row uint64) { tx.rec(row) }

// rec returns row's record, settled (see settle), or nil if it is not
// stored.
func (tx *Tx) rec(row uint64) *rowRec {
	s := tx.s
	if !s.rows.has(row) {
		return nil
	}
	r, max := s.rows.at(row), uint64(s.maxMessages)
	if s.rows.next-row > max || s.msgs.len() > s.maxMessages && r.oldest < s.msgs.next-max {
		tx.overCount()
		if !s.rows.has(row) {
			return nil
		}
	}
	return r
}
