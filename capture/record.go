package capture

import (
	"time"

	"sockscope/event"
	"sockscope/protocol"
	"sockscope/session"
)

// recorderSink writes the observer's output to a session file.
type recorderSink struct{ r *session.Recorder }

// Open implements observe.Sink.
func (s recorderSink) Open(conn uint64, at time.Time, p *event.Peer) {
	s.r.Open(conn, at, p.Client, p.Listen, p.Upstream, p.PID, p.UID, p.Process, p.Own)
}

// Frame implements observe.Sink. A truncated frame is recorded with what
// it was (Frame.Whole): the observer classified it from all of its bytes;
// a frame begun in an earlier read with when (Marks.Began).
func (s recorderSink) Frame(m *protocol.Message, framing protocol.Framing, began time.Time) {
	f := m.Frame
	if f.Truncated {
		f.Whole = &m.Info
	}
	s.r.Frame(m.Conn, m.Dir, m.At, f, framing, session.Marks{Injected: m.Injected, Withheld: m.Withheld, Note: m.Note, Began: began})
}

// Gap implements observe.Sink.
func (s recorderSink) Gap(conn uint64, dir protocol.Dir, at time.Time, n int64) {
	s.r.Gap(conn, dir, at, n)
}

// Close implements observe.Sink.
func (s recorderSink) Close(conn uint64, at time.Time, err string) { s.r.Close(conn, at, err) }

// Flush implements observe.Sink.
func (s recorderSink) Flush() error { return s.r.Flush() }
