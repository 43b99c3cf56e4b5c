package feed

import (
	"time"

	"sockscope/event"
	"sockscope/observe"
	"sockscope/protocol"
	"sockscope/session"
)

// Sink returns the feed as an output of the observer: each record is
// encoded once and queued for every attached viewer. With no viewer
// attached it costs an atomic load. (A viewer attaches at a point of the
// store, Watch, which no Update spans: the observer calls its sinks inside
// its Updates, so a record is either in a viewer's history or sent live.)
func (s *Server) Sink() observe.Sink { return sink{s} }

// sink is a Server as an observe.Sink.
type sink struct{ s *Server }

// Open implements observe.Sink.
func (k sink) Open(conn uint64, at time.Time, p *event.Peer) {
	if k.s.attached.Load() == 0 {
		return
	}
	k.s.each(func() []byte {
		return session.AppendRecord(k.s.scratch[:0], session.Record{Type: session.TypeOpen, Conn: conn, At: at,
			Client: p.Client, Listen: p.Listen, Upstream: p.Upstream, PID: p.PID, UID: p.UID, Process: p.Process, Own: p.Own})
	}, false, gapKey{}, 0)
}

// Frame implements observe.Sink.
func (k sink) Frame(m *protocol.Message, framing protocol.Framing, began time.Time) {
	if k.s.attached.Load() == 0 {
		return
	}
	k.s.each(func() []byte { return appendMessage(k.s.scratch[:0], m, framing, began) }, true, gapKey{m.Conn, m.Dir}, int64(m.Frame.Wire))
}

// Gap implements observe.Sink.
func (k sink) Gap(conn uint64, dir protocol.Dir, at time.Time, n int64) {
	if k.s.attached.Load() == 0 {
		return
	}
	k.s.each(func() []byte {
		return session.AppendRecord(k.s.scratch[:0], session.Record{Type: session.TypeGap, Conn: conn, Dir: dir, At: at, Bytes: n})
	}, true, gapKey{conn, dir}, n)
}

// Close implements observe.Sink.
func (k sink) Close(conn uint64, at time.Time, err string) {
	if k.s.attached.Load() == 0 {
		return
	}
	k.s.each(func() []byte {
		return session.AppendRecord(k.s.scratch[:0], session.Record{Type: session.TypeClose, Conn: conn, At: at, Err: err})
	}, false, gapKey{}, 0)
}

// Flush implements observe.Sink: the viewers' writers flush as they go.
func (k sink) Flush() error { return nil }

// each encodes a record (only if a viewer is attached) and queues it for
// every viewer.
func (s *Server) each(encode func() []byte, skippable bool, k gapKey, wire int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.viewers) == 0 {
		return
	}
	s.scratch = encode()
	for v := range s.viewers {
		v.record(s.scratch, skippable, k, wire)
	}
}

// appendMessage encodes a stored or observed message as a frame record,
// with what sockscope did to it and, if it is truncated, what it was
// (Record.Whole), and when it began if in an earlier read (began: see
// observe.Sink). A framing not known (FramingAuto: the
// message's, else none) is read off the bytes the frame took on the wire.
func appendMessage(dst []byte, m *protocol.Message, framing protocol.Framing, began time.Time) []byte {
	if framing == protocol.FramingAuto {
		framing = m.Framing
	}
	if framing == protocol.FramingAuto {
		switch extra := m.Frame.Wire - m.Frame.Size; {
		case extra > 2:
			framing = protocol.FramingContentLength
		case extra > 0:
			framing = protocol.FramingLines
		default:
			framing = protocol.FramingRaw
		}
	}
	var whole *protocol.Info
	if m.Frame.Truncated {
		whole = &m.Info
	}
	return session.AppendRecord(dst, session.Record{
		Type: session.TypeFrame, Conn: m.Conn, Dir: m.Dir, At: m.At,
		Data: m.Frame.Data, Size: m.Frame.Size, Wire: m.Frame.Wire, Truncated: m.Frame.Truncated, Err: m.Frame.Err, Whole: whole,
		Framing: framing.String(), Marks: session.Marks{Injected: m.Injected, Withheld: m.Withheld, Note: m.Note, Began: began},
	})
}
