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

// Row returns row seq, if it is still stored.
func (s *Store) Row(seq uint64) (Row, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.rows.has(seq) {
		return Row{}, false
	}
	return s.rows.at(seq).Row, true
}

// Rows calls fn with the stored rows from seq from (or the oldest stored)
// upwards, while fn returns true. fn runs under the read lock: it must be
// quick and must not call the store.
func (s *Store) Rows(from uint64, fn func(Row) bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for seq := max(from, s.rows.first); seq < s.rows.next; seq++ {
		if !fn(s.rows.at(seq).Row) {
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
		if !fn(s.rows.at(seq - 1).Row) {
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

// Message returns message seq, if it is still stored. Its Frame.Data is
// shared, not copied: do not modify it.
func (s *Store) Message(seq uint64) (protocol.Message, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.msgs.has(seq) {
		return protocol.Message{}, false
	}
	return *s.msgs.at(seq), true
}

// Messages calls fn with the stored messages from seq from (or the oldest
// stored) upwards, while fn returns true. The pointer is valid only during
// fn, which runs under the read lock: it must be quick, must not modify the
// message and must not call the store.
func (s *Store) Messages(from uint64, fn func(*protocol.Message) bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for seq := max(from, s.msgs.first); seq < s.msgs.next; seq++ {
		if !fn(s.msgs.at(seq)) {
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
		s.forget(s.rows.at(seq))
	}
	s.msgs.reset()
	s.rows.reset()
	s.tot.StoredMessages = 0
	s.tot.StoredBytes = 0
	s.gen.Add(1)
}
