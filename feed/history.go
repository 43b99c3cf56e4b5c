package feed

import (
	"cmp"
	"slices"

	"sockscope/protocol"
	"sockscope/session"
	"sockscope/store"
)

// historyChunk bounds the history encoded under the store's read lock at
// once, in messages and bytes.
const (
	historyMessages = 512
	historyBytes    = 1 << 20
)

// stream sends a viewer the stream: the header, what the store holds, the
// live marker, then live records as they come. The viewer starts listening
// at the store's point of Watch, so no record is missed or sent twice.
func (s *Server) stream(v *viewer) {
	var (
		conns []store.Conn
		next  uint64
	)
	s.st.Watch(func(cs []store.Conn, n uint64) {
		conns, next = cs, n
		s.mu.Lock()
		v.mu.Lock()
		v.attached = true
		v.mu.Unlock()
		if !s.closed {
			s.viewers[v] = true
			s.attached.Store(int32(len(s.viewers)))
		}
		s.mu.Unlock()
	})
	s.tellWarning(v)
	h := s.cfg.Header
	buf := session.AppendRecord(nil, session.Record{Type: session.TypeHeader, Header: &h})
	slices.SortFunc(conns, func(a, b store.Conn) int { return cmp.Compare(a.ID, b.ID) })
	for _, c := range conns {
		buf = session.AppendRecord(buf, session.Record{Type: session.TypeOpen, Conn: c.ID, At: c.Opened,
			Client: c.Client, Listen: c.Listen, Upstream: c.Upstream, PID: c.PID, UID: c.UID, Process: c.Process, Own: c.Own})
	}
	if !v.history(buf) {
		return
	}
	for from := uint64(0); ; {
		buf, n := buf[:0], 0
		// Of the few that began in an earlier read than their end: the
		// viewer pairs them as the live decoder did.
		first, _ := s.st.MessageBounds()
		lo := max(from, first)
		began := s.st.Began(lo, min(next, lo+historyMessages))
		s.st.Messages(from, func(m *protocol.Message) bool {
			if m.Seq >= next {
				return false
			}
			buf = appendMessage(buf, m, protocol.FramingAuto, began[m.Seq])
			from, n = m.Seq+1, n+1
			return n < historyMessages && len(buf) < historyBytes
		})
		if n == 0 {
			break
		}
		if !v.history(buf) {
			return
		}
	}
	buf = buf[:0]
	for _, c := range conns {
		if c.State != store.ConnOpen {
			buf = session.AppendRecord(buf, session.Record{Type: session.TypeClose, Conn: c.ID, At: c.Closed, Err: c.Err})
		}
	}
	if !v.history(buf) {
		return
	}
	v.goLive()
}
