package sessiongen

import (
	"time"

	"sockscope/protocol"
	"sockscope/session"
)

// Lines writes a session file by hand, for a test that needs one of its
// own: line-framed frames, each a millisecond after the last, on
// connections the test opens and closes through R.
type Lines struct {
	R  *session.Recorder
	At time.Time // the last frame's time
}

// Create starts the session file at path: lines framing, the default id
// fields, clients of /front.sock relayed to unix:/up.sock.
func Create(path string) (*Lines, error) {
	r, err := session.Create(path, session.Header{Started: time.Unix(1, 0), Upstream: "unix:/up.sock", Listen: "/front.sock",
		Framing: "lines", IDFields: protocol.DefaultIDFields})
	if err != nil {
		return nil, err
	}
	return &Lines{R: r, At: time.Unix(2, 0)}, nil
}

// Line writes payload, a line, as a frame of conn in dir, marked m.
func (l *Lines) Line(conn uint64, dir protocol.Dir, payload string, m session.Marks) {
	l.At = l.At.Add(time.Millisecond)
	l.R.Frame(conn, dir, l.At, protocol.Frame{Data: []byte(payload), Size: len(payload), Wire: len(payload) + 1}, protocol.FramingLines, m)
}

// End ends the file a second after the last frame.
func (l *Lines) End() error { return l.R.End(l.At.Add(time.Second), 0, 0) }
