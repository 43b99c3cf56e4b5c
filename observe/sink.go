package observe

import (
	"slices"
	"time"

	"sockscope/event"
	"sockscope/protocol"
	"sockscope/store"
)

// Sink is an output of the observer besides its store: the session
// recorder, --dump, an attached viewer's feed. The observer calls it on its
// own goroutine, in the order things happened per connection, so a
// Sink needs no lock of its own for that. Bytes it is handed (frames, ids)
// are valid only during the call: a Sink that keeps them copies them.
type Sink interface {
	// Open: connection conn opened at at; p says who is at each end.
	Open(conn uint64, at time.Time, p *event.Peer)
	// Frame: one frame of a connection, classified, cut with framing (the
	// framing detected, where known); began, if not zero, is when its first
	// bytes were read, in an earlier read than its last (m.At): a frame of
	// a protocol paired by order, whose reply may come before its end.
	Frame(m *protocol.Message, framing protocol.Framing, began time.Time)
	// Gap: n bytes of direction dir, read up to at, were dropped before
	// the observer saw them.
	Gap(conn uint64, dir protocol.Dir, at time.Time, n int64)
	// Close: the connection ended; err is empty for a clean end.
	Close(conn uint64, at time.Time, err string)
	// Flush writes out what the Sink buffers. It is called after every
	// batch. An error stops the observer from calling the Sink again.
	Flush() error
}

// ExchangeSink is a Sink that also wants each row once it reaches its
// final status (answered, no reply, orphan). The observer reads the row
// back from the store for it, so a Sink that has no use for it (a feed,
// whose viewers pair again) does not implement it.
type ExchangeSink interface {
	Exchange(r *store.Row)
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

// StreamGapSink is a Sink that also wants the bytes of a stream that no
// frame holds, as the store keeps them (store.Gap): those a gap dropped
// and what the observer had of the frame it cut, before the message of
// seq Before. An index of the session keeps them, so that an export from
// it skips them where they were, as one from the store does.
type StreamGapSink interface {
	StreamGap(g store.Gap)
}

// sinks is the observer's list of Sinks, with the ones that failed left
// out, and those of them that want more than frames.
//
// Rows and ended replies reach the Sinks through copies the list keeps
// (r, msg), so that the observer's own, on its stack, never escape to the
// heap: a call costs no allocation, with Sinks or without. (Frames are
// the batch's, on the heap already.)
type sinks struct {
	list      []Sink
	rows      []RowSink
	exchanges []ExchangeSink
	ends      []EndSink
	gaps      []StreamGapSink
	failed    func(Sink, error)
	msg       protocol.Message
	r         store.Row
}

// newSinks returns list as the observer's, failed to be told of a Sink
// that fails.
func newSinks(list []Sink, failed func(Sink, error)) sinks {
	ss := sinks{failed: failed}
	ss.set(slices.Clone(list))
	return ss
}

// set makes list the Sinks.
func (ss *sinks) set(list []Sink) {
	ss.list, ss.rows, ss.exchanges, ss.ends, ss.gaps = list, nil, nil, nil, nil
	for _, s := range list {
		if rs, ok := s.(RowSink); ok {
			ss.rows = append(ss.rows, rs)
		}
		if es, ok := s.(ExchangeSink); ok {
			ss.exchanges = append(ss.exchanges, es)
		}
		if es, ok := s.(EndSink); ok {
			ss.ends = append(ss.ends, es)
		}
		if gs, ok := s.(StreamGapSink); ok {
			ss.gaps = append(ss.gaps, gs)
		}
	}
}

// wantEnds says whether a Sink wants rows as they end (Exchange, Ended):
// only then does the observer read a row back from the store.
func (ss *sinks) wantEnds() bool { return len(ss.exchanges)+len(ss.ends) > 0 }

func (ss *sinks) open(conn uint64, at time.Time, p *event.Peer) {
	for _, s := range ss.list {
		s.Open(conn, at, p)
	}
}

// frame hands m, a frame in the batch, to every Sink.
func (ss *sinks) frame(m *protocol.Message, framing protocol.Framing, began time.Time) {
	for _, s := range ss.list {
		s.Frame(m, framing, began)
	}
}

func (ss *sinks) exchange(r *store.Row) {
	if len(ss.exchanges) == 0 {
		return
	}
	ss.r = *r
	for _, s := range ss.exchanges {
		s.Exchange(&ss.r)
	}
}

func (ss *sinks) ended(row uint64, st protocol.Status, resp *protocol.Message, gap bool) {
	if len(ss.ends) == 0 {
		return
	}
	var m *protocol.Message
	if resp != nil {
		ss.msg = *resp // a copy the list keeps: the observer's own does not escape
		m = &ss.msg
	}
	for _, s := range ss.ends {
		s.Ended(row, st, m, gap)
	}
}

func (ss *sinks) row(r *store.Row) {
	if len(ss.rows) == 0 {
		return
	}
	ss.r = *r
	for _, s := range ss.rows {
		s.Row(&ss.r)
	}
}

func (ss *sinks) gap(conn uint64, dir protocol.Dir, at time.Time, n int64) {
	for _, s := range ss.list {
		s.Gap(conn, dir, at, n)
	}
}

func (ss *sinks) streamGap(g store.Gap) {
	for _, s := range ss.gaps {
		s.StreamGap(g)
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
			ss.set(append(ss.list[:i], ss.list[i+1:]...))
			if ss.failed != nil {
				ss.failed(s, err)
			}
			continue
		}
		i++
	}
}
