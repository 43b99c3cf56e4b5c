package capture

import (
	"context"
	"errors"
	"io"

	"sockscope/event"
	"sockscope/protocol"
	"sockscope/session"
)

// File is a session file as a Source: its records become the events they
// were made from, each frame framed again as it was on the wire, so the
// observer decodes them as it did live. Connection numbers of later
// segments (runs appended to the same file) are shifted past earlier ones.
type File struct {
	r *session.Reader
}

// NewFile returns the Source reading the session file r.
func NewFile(r io.Reader) *File { return &File{r: session.NewReader(r)} }

// Run implements Source. It ends at the file's end, or at its last whole
// record when a crash cut it short.
func (s *File) Run(ctx context.Context, q *event.Queue) error {
	var base, top uint64
	for ctx.Err() == nil {
		rec, err := s.r.Next()
		if errors.Is(err, io.EOF) || errors.Is(err, session.ErrTruncated) {
			return nil
		}
		if err != nil {
			return err
		}
		id := base + rec.Conn
		top = max(top, id)
		switch rec.Type {
		case session.TypeHeader:
			base = top
		case session.TypeOpen:
			q.Put(event.Event{Type: event.Open, Conn: id, At: rec.At, Peer: &event.Peer{
				Client: rec.Client, Listen: rec.Listen, Upstream: rec.Upstream,
				PID: rec.PID, UID: rec.UID, Process: rec.Process,
			}})
		case session.TypeFrame:
			q.Put(event.Event{Type: event.Data, Conn: id, Dir: rec.Dir, At: rec.At, Data: reframe(rec),
				Injected: rec.Injected, Withheld: rec.Withheld})
		case session.TypeGap:
			q.Put(event.Event{Type: event.Data, Conn: id, Dir: rec.Dir, At: rec.At, Gap: rec.Bytes})
		case session.TypeClose:
			var cerr error
			if rec.Err != "" {
				cerr = errors.New(rec.Err)
			}
			q.Put(event.Event{Type: event.Close, Conn: id, At: rec.At, Err: cerr})
		}
	}
	return nil
}

// reframe puts a recorded payload back in its framing.
func reframe(rec session.Record) []byte {
	framing, _ := protocol.ParseFraming(rec.Framing)
	if framing == protocol.FramingAuto {
		framing = protocol.FramingLines
	}
	return protocol.EncoderOf(framing, protocol.Frame{Size: rec.Size, Wire: rec.Wire}).Append(nil, rec.Data)
}
