package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"sockscope/event"
	"sockscope/protocol"
	"sockscope/session"
)

// File is a session file as a Source: its records become the events they
// were made from, each frame framed again as it was on the wire, so the
// observer decodes them as it did live. Connection numbers of later
// segments (runs appended to the same file) are shifted past earlier ones.
//
// A record cut short by a crash is skipped and the segments after it are
// read, as is a line that is no record (session.ErrBadRecord: the file was
// damaged); the connections a segment leaves open (its run crashed, or its
// file of a rotating recording ended) end at its last record, with an
// error that says why.
type File struct {
	r     *session.Reader
	first *session.Record // read by Header, not yet run
	err   error           // Header's

	// Segments and Cut count the segments read and the records a crash
	// cut short, Bad the lines skipped as no record, FirstBad saying what
	// the first of them was; read them once Run has returned (after
	// Engine.Wait).
	Segments, Cut, Bad int
	FirstBad           error
	// Gaps and GapBytes count the gap records, and their bytes: what the
	// recording sockscope's decoder never saw (forwarded, not observed).
	Gaps, GapBytes int64

	reads Reads                                  // Each's event held back
	put   func(ev event.Event, off int64, n int) // Each's
}

// Flush puts the event Each holds back to see whether the next record is
// of its read (Reads), as if the next were not: for a reader that waits
// for a growing file to grow, which calls it as it starts to wait (from
// its Read, under Each), so that the file's last frame is not held until
// more comes.
func (s *File) Flush() {
	if s.put != nil {
		s.reads.Flush(s.put)
	}
}

// Damaged says what was skipped of the file as no record, or nil.
func (s *File) Damaged() error {
	switch s.Bad {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("1 unreadable line skipped (%w)", s.FirstBad)
	}
	return fmt.Errorf("%d unreadable lines skipped (the first: %w)", s.Bad, s.FirstBad)
}

// NewFile returns the Source reading the session file r.
func NewFile(r io.Reader) *File { return &File{r: session.NewReader(r)} }

// Header returns the header of the file's first segment, which holds the
// settings it was recorded with (framing, id fields): an Engine that
// decodes the file should be configured with them. Call it before Run.
func (s *File) Header() (session.Header, error) {
	if s.first == nil && s.err == nil {
		rec, err := s.r.Next()
		if err != nil { // the reader checks that the file begins with a header
			s.err = err
			if errors.Is(err, io.EOF) {
				s.err = errors.New("empty: not a sockscope session file")
			}
		} else {
			s.first = &rec
		}
	}
	if s.err != nil {
		return session.Header{}, s.err
	}
	return *s.first.Header, nil
}

// errRecordingEnds ends the connections a crashed run left open.
var errRecordingEnds = errors.New("the recording ends here (sockscope did not exit cleanly, or is still recording)")

// Run implements Source. It ends at the file's end.
func (s *File) Run(ctx context.Context, q *event.Queue) error {
	return s.Each(ctx, func(ev event.Event, _ int64, _ int) { q.Put(ev) })
}

// Each calls put with the events the file's records become, in order, and
// for the event of a frame record the record's offset in the file and its
// length (0, 0 for the others): an index of the file keeps them. It ends at
// the file's end, or when ctx is done.
func (s *File) Each(ctx context.Context, put func(ev event.Event, off int64, n int)) error {
	if _, err := s.Header(); err != nil {
		return err
	}
	var (
		base, top uint64
		seg       segment
	)
	reads := &s.reads
	s.put = put
	defer func() { s.put = nil }()
	for ctx.Err() == nil {
		rec, err := s.next()
		if err == nil && rec.Type != session.TypeFrame && rec.Type != session.TypeGap {
			reads.Flush(put)
		}
		switch {
		case errors.Is(err, io.EOF):
			reads.Flush(put)
			seg.end(put)
			return nil
		case errors.Is(err, session.ErrTruncated):
			s.Cut++
			continue
		case errors.Is(err, session.ErrBadRecord):
			if s.Bad++; s.FirstBad == nil {
				s.FirstBad = err
			}
			continue
		case err != nil:
			return err
		}
		if rec.Type == session.TypeHeader {
			seg.end(put)
			base = top
			s.Segments++
			seg = segment{open: map[uint64]bool{}, last: rec.At}
			continue
		}
		id := base + rec.Conn
		top = max(top, id)
		seg.last = rec.At
		switch rec.Type {
		case session.TypeOpen:
			seg.open[id] = true
			put(event.Event{Type: event.Open, Conn: id, At: rec.At, Peer: &event.Peer{
				Client: rec.Client, Listen: rec.Listen, Upstream: rec.Upstream,
				PID: rec.PID, UID: rec.UID, Process: rec.Process, Own: rec.Own,
			}}, 0, 0)
		case session.TypeFrame:
			off, n := s.r.Offset() // the first record, read by Header, is a header
			ev := DataEvent(id, rec)
			if head, ok := Begun(&ev, rec.Began); ok {
				reads.Hold(head, 0, 0, put)
			}
			reads.Hold(ev, off, n, put)
		case session.TypeGap:
			s.Gaps++
			s.GapBytes += rec.Bytes
			reads.Hold(GapEvent(id, rec), 0, 0, put)
		case session.TypeClose:
			delete(seg.open, id)
			var cerr error
			if rec.Err != "" {
				cerr = errors.New(rec.Err)
			}
			put(event.Event{Type: event.Close, Conn: id, At: rec.At, Err: cerr}, 0, 0)
		case session.TypeEnd:
			seg.ended, seg.next = true, rec.Next
		}
	}
	return nil
}

// Consumed returns how many bytes of the file Each has read.
func (s *File) Consumed() int64 { return s.r.Consumed() }

// next returns the record Header read, then the following ones.
func (s *File) next() (session.Record, error) {
	if rec := s.first; rec != nil {
		s.first = nil
		return *rec, nil
	}
	return s.r.Next()
}

// segment is what File keeps of the segment being read.
type segment struct {
	open  map[uint64]bool // connections opened and not closed
	last  time.Time       // the time of its latest record
	ended bool            // an end record was read
	next  string          // the file the recording continues in
}

// end closes the connections the segment left open, at its last record.
func (g *segment) end(put func(event.Event, int64, int)) {
	if len(g.open) == 0 {
		return
	}
	err := errRecordingEnds
	switch {
	case g.ended && g.next != "":
		err = event.ErrStopped // open when this file ended: it goes on in the next, it did not fail
	case g.ended:
		err = nil
	}
	ids := make([]uint64, 0, len(g.open))
	for id := range g.open {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		put(event.Event{Type: event.Close, Conn: id, At: g.last, Err: err}, 0, 0)
	}
}

// GapEvent is the event of recorded gap rec, on connection id: Whole, the
// records are whole frames and the gap lies between them (a frame the gap
// went through counts it in: Cut), as a feed's does.
func GapEvent(id uint64, rec session.Record) event.Event {
	return event.Event{Type: event.Data, Conn: id, Dir: rec.Dir, At: rec.At, Gap: rec.Bytes, Whole: true}
}

// Reads puts the events of recorded frames and gaps one record late, each
// marked More when the next is of the same read: the same connection,
// direction and time (a frame's first bytes', Begun's). The live decoder
// had a read in one event (the bytes dropped before it, its frames) and
// settled what it left unanswered after its last frame; fed frame by
// frame, an orphan (a reply whose request a gap dropped) was settled
// before the read's next frames, and its row came before theirs: show's
// rows (the live index's) and export's exchange numbers differed (1 run of
// TestShowExportsGaps in 18 under load).
type Reads struct {
	held    event.Event
	off     int64
	n       int
	holding bool
}

// Hold holds ev, whose record lies at off for n bytes (0, 0 for none),
// and puts the event held before it.
func (r *Reads) Hold(ev event.Event, off int64, n int, put func(event.Event, int64, int)) {
	if r.holding {
		r.held.More = r.held.Conn == ev.Conn && r.held.Dir == ev.Dir && r.held.At.Equal(ev.At)
		put(r.held, r.off, r.n)
	}
	r.held, r.off, r.n, r.holding = ev, off, n, true
}

// Flush puts the event held, if any: the next record is of no read.
func (r *Reads) Flush(put func(event.Event, int64, int)) {
	if r.holding {
		r.holding = false
		put(r.held, r.off, r.n)
	}
}

// DataEvent is the event that feeds the recorded frame rec back to a
// framer, on connection id: its payload put back in its framing and, if the
// recording kept only the frame's start, what it did not keep (Cut), so
// that the framer ends the frame there rather than wait for bytes that
// will not come. Its marks are the record's.
func DataEvent(id uint64, rec session.Record) event.Event {
	ev := event.Event{Type: event.Data, Conn: id, Dir: rec.Dir, At: rec.At,
		Injected: rec.Injected, Withheld: rec.Withheld, Note: rec.Note}
	ev.Data, ev.Cut = reframe(rec)
	return ev
}

// Begun splits ev, the event of a recorded frame that began in an earlier
// read than its end (began, Marks.Began, not zero), in two as it was read:
// it returns all of it but its last byte, read at began, and leaves ev its
// last byte. The framer then holds the frame begun, as the live decoder
// did, and a reply read before its end answers it, timed from its start.
// (No frame ends before its last byte.) ok is false, and ev whole, for a
// frame read at once.
func Begun(ev *event.Event, began time.Time) (head event.Event, ok bool) {
	if began.IsZero() || len(ev.Data) < 2 {
		return event.Event{}, false
	}
	head = *ev
	head.At, head.Data, head.Cut = began, ev.Data[:len(ev.Data)-1], protocol.Cut{}
	ev.Data = ev.Data[len(ev.Data)-1:]
	return head, true
}

// reframe puts a recorded payload back in its framing, and says what of
// the frame the record did not keep. A frame the framer could not frame (a
// header block it could not read, bytes it skipped to the next header) was
// recorded as it came: framing it again would make a header up, and a
// frame of what was none.
func reframe(rec session.Record) ([]byte, protocol.Cut) {
	if rec.Err != "" && rec.Wire == len(rec.Data) && !rec.Truncated {
		return rec.Data, protocol.Cut{}
	}
	framing, _ := protocol.ParseFraming(rec.Framing)
	if framing == protocol.FramingAuto {
		framing = protocol.FramingLines
	}
	n := int64(rec.Size - len(rec.Data))
	if !rec.Truncated || n <= 0 {
		return protocol.EncoderOf(framing, protocol.Frame{Size: rec.Size, Wire: rec.Wire}).Append(nil, rec.Data), protocol.Cut{}
	}
	cut := protocol.Cut{N: n, Wire: n, Gap: min(protocol.GapBytes(rec.Err), n), Framing: framing, Whole: rec.Whole}
	switch framing {
	case protocol.FramingLines, protocol.FramingVarlink: // fed without its end, which Wire counts
		cut.Wire = int64(rec.Wire - len(rec.Data))
	case protocol.FramingContentLength: // the header says the true size
		h := strconv.AppendInt([]byte("Content-Length: "), int64(rec.Size), 10)
		return append(append(h, "\r\n\r\n"...), rec.Data...), cut
	}
	return rec.Data, cut
}
