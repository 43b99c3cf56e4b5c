package store

// Watch calls fn, under the store's read lock, with a copy of every
// connection and the seq the next message will get: a consistent point in
// the store's history. Everything the observer adds to the store after it
// (and tells its sinks) comes after that point, so a sink that starts
// listening inside fn misses nothing and sees nothing twice. fn must be
// quick and must not call the store.
func (s *Store) Watch(fn func(conns []Conn, next uint64)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	conns := make([]Conn, len(s.conns))
	for i, a := range s.conns {
		conns[i] = a.view()
	}
	fn(conns, s.msgs.next)
}
