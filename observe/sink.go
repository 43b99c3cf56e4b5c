package observe

import (
	"time"

	"sockscope/event"
	"sockscope/protocol"
	"sockscope/store"
)

// Sink is an output of the observer besides its store: the session
// recorder, --dump, an attached viewer's feed. The observer calls it on its
// committing goroutine, in the order things happened per connection, so a
// Sink needs no lock of its own for that. Bytes it is handed (frames, ids)
// are valid only during the call: a Sink that keeps them copies them.
type Sink interface {
	// Open: connection conn opened at at; p says who is at each end.
	Open(conn uint64, at time.Time, p *event.Peer)
	// Frame: one frame of a connection, classified, cut with framing (the
	// framing detected, where known).
	Frame(m *protocol.Message, framing protocol.Framing)
	// Exchange: a row reached its final status (answered, no reply,
	// orphan).
	Exchange(r *store.Row)
	// Gap: n bytes of direction dir, read up to at, were dropped before
	// the observer saw them.
	Gap(conn uint64, dir protocol.Dir, at time.Time, n int64)
	// Close: the connection ended; err is empty for a clean end.
	Close(conn uint64, at time.Time, err string)
	// Flush writes out what the Sink buffers. It is called after every
	// batch. An error stops the observer from calling the Sink again.
	Flush() error
}

// RowSink is a Sink that also wants every row as it is added, before any
// Exchange for it: a request still pending, a notification, a raw frame
// (an index of the session keeps every row, in order).
type RowSink interface {
	Row(r *store.Row)
}

// EndSink is a Sink that also learns the end of a row the store no longer
// holds (a request pending so long that the bounded store evicted its row):
// its final status and the reply that answered it (nil for none). An index
// of the session, which keeps every row, completes the row from it.
type EndSink interface {
	Ended(row uint64, st protocol.Status, resp *protocol.Message, gap bool)
}

// sinks is the observer's list of Sinks, with the ones that failed left
// out.
//
// Frames and rows reach the Sinks through copies the list keeps (msg,
// r), so that the observer's own, on its stack, never escape to the
// heap: a call costs no allocation, with Sinks or without.
type sinks struct {
	list   []Sink
	failed func(Sink, error)
	msg    protocol.Message
	r      store.Row
}

func (ss *sinks) open(conn uint64, at time.Time, p *event.Peer) {
	for _, s := range ss.list {
		s.Open(conn, at, p)
	}
}

func (ss *sinks) frame(m *protocol.Message, framing protocol.Framing) {
	if len(ss.list) == 0 {
		return
	}
	ss.msg = *m
	for _, s := range ss.list {
		s.Frame(&ss.msg, framing)
	}
}

func (ss *sinks) exchange(r *store.Row) {
	if len(ss.list) == 0 {
		return
	}
	ss.r = *r
	for _, s := range ss.list {
		s.Exchange(&ss.r)
	}
}

func (ss *sinks) ended(row uint64, st protocol.Status, resp *protocol.Message, gap bool) {
	if len(ss.list) == 0 {
		return
	}
	var m *protocol.Message
	if resp != nil {
		ss.msg = *resp // a copy the list keeps: the observer's own does not escape
		m = &ss.msg
	}
	for _, s := range ss.list {
		if es, ok := s.(EndSink); ok {
			es.Ended(row, st, m, gap)
		}
	}
}

func (ss *sinks) row(r *store.Row) {
	if len(ss.list) == 0 {
		return
	}
	ss.r = *r
	for _, s := range ss.list {
		if rs, ok := s.(RowSink); ok {
			rs.Row(&ss.r)
		}
	}
}

func (ss *sinks) gap(conn uint64, dir protocol.Dir, at time.Time, n int64) {
	for _, s := range ss.list {
		s.Gap(conn, dir, at, n)
	}
}

func (ss *sinks) close(conn uint64, at time.Time, err string) {
	for _, s := range ss.list {
		s.Close(conn, at, err)
	}
}

// flush flushes every Sink, dropping from the list those that fail (after
// telling failed).
func (ss *sinks) flush() {
	for i := 0; i < len(ss.list); {
		s := ss.list[i]
		if err := s.Flush(); err != nil {
			ss.list = append(ss.list[:i], ss.list[i+1:]...)
			if ss.failed != nil {
				ss.failed(s, err)
			}
			continue
		}
		i++
	}
}
