package session

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"sockscope/protocol"
)

// Reader reads the records of a session file, segment after segment.
type Reader struct {
	br     *bufio.Reader
	buf    []byte
	line   int   // number of the last line read
	err    error // sticky: io.EOF or a read error
	header bool  // a header has been read
	// refused is set by a header past the first that this sockscope can't
	// read (a newer version): the records of its segment are skipped, up
	// to the next header.
	refused bool
	off     int64 // bytes of the input consumed
	start   int64 // offset of the line read last
	// maxLine bounds a line; MaxLine but for tests.
	maxLine int
}

// NewReader returns a Reader of the session file in r.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 64<<10), maxLine: MaxLine}
}

// Next returns the next record, or io.EOF after the last. Blank lines and
// records of types this version does not know are skipped.
//
// A line cut short by a crash (the last line of the file without its
// newline, or a line that is not JSON and is followed by the header of a
// new segment) is reported once as an error wrapping ErrTruncated; the next
// call carries on. Any other bad line is an error naming its line number,
// and the next call carries on with the line after it: past the first
// header, one wrapping ErrBadRecord. A header past the first that this
// sockscope can't read (a newer format version) is such an error, and the
// records of its segment are skipped with it, up to the next header. Read
// errors of the underlying reader are returned for good.
func (r *Reader) Next() (Record, error) {
	for r.err == nil {
		line, complete, err := r.readLine()
		if err != nil {
			if errors.Is(err, errTooLong) {
				return Record{}, r.bad(err)
			}
			r.err = err
			break
		}
		if !complete {
			r.err = io.EOF
			if len(line) == 0 {
				break
			}
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if r.refused && !isHeader(line) {
			continue // a record of the segment refused
		}
		if !json.Valid(line) {
			if r.cutShort(line, complete) {
				return Record{}, fmt.Errorf("session: line %d: %w", r.line, ErrTruncated)
			}
			if !r.header {
				return Record{}, fmt.Errorf("session: line %d: not a sockscope session file", r.line)
			}
			return Record{}, r.bad(errors.New("not valid JSON"))
		}
		rec, err := parse(line)
		if err != nil {
			if rec.Type == TypeHeader && r.header {
				// A segment this sockscope can't read: none of its
				// records is taken for the segment before it.
				r.refused = true
				return Record{}, r.bad(fmt.Errorf("%w: its segment is skipped", err))
			}
			return Record{}, r.bad(err)
		}
		r.refused = false
		if !r.header && rec.Type != TypeHeader {
			return Record{}, fmt.Errorf("session: line %d: not a sockscope session file (no header)", r.line)
		}
		switch rec.Type {
		case TypeHeader:
			r.header = true
		case TypeOpen, TypeFrame, TypeGap, TypeClose, TypeEnd:
		default:
			continue // a newer writer's record: skip it
		}
		return rec, nil
	}
	return Record{}, r.err
}

// isHeader reports whether line is a header record.
func isHeader(line []byte) bool {
	var w struct {
		Type string `json:"type"`
	}
	return json.Unmarshal(line, &w) == nil && w.Type == TypeHeader
}

// bad is Next's error for the line just read: one wrapping ErrBadRecord
// past the first header, where reading carries on.
func (r *Reader) bad(err error) error {
	if r.header {
		return &badRecord{line: r.line, err: err}
	}
	return fmt.Errorf("session: line %d: %w", r.line, err)
}

// badRecord is an error wrapping ErrBadRecord: what is wrong with a line.
type badRecord struct {
	line int
	err  error
}

func (e *badRecord) Error() string   { return fmt.Sprintf("session: line %d: %v", e.line, e.err) }
func (e *badRecord) Unwrap() []error { return []error{ErrBadRecord, e.err} }

// cutShort reports whether line, which is not valid JSON, was cut short by a
// crash: it is the last line of the file, or a new segment follows it.
func (r *Reader) cutShort(line []byte, complete bool) bool {
	if !r.header { // the first header itself was cut: line is a prefix of it
		n := min(len(line), len(headerPrefix))
		if !bytes.Equal(line[:n], []byte(headerPrefix[:n])) {
			return false
		}
	}
	if !complete {
		return true
	}
	next, _ := r.br.Peek(len(headerPrefix))
	return string(next) == headerPrefix
}

var errTooLong = errors.New("line too long")

// readLine reads the next line without its newline. complete is false when
// the input ended before a newline; an empty incomplete line is the end.
// A line over maxLine is skipped and reported as errTooLong.
func (r *Reader) readLine() (line []byte, complete bool, err error) {
	r.line++
	r.start = r.off
	r.buf = r.buf[:0]
	tooLong := false
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.off += int64(len(chunk))
		if !tooLong && len(r.buf)+len(chunk) > r.maxLine+1 {
			tooLong, r.buf = true, nil
		}
		if !tooLong {
			r.buf = append(r.buf, chunk...)
		}
		switch {
		case err == nil && tooLong:
			return nil, true, errTooLong
		case err == nil:
			return r.buf[:len(r.buf)-1], true, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && tooLong:
			return nil, false, errTooLong
		case errors.Is(err, io.EOF):
			return r.buf, false, nil
		default:
			return nil, false, err
		}
	}
}

// wireRecord is a line as JSON: the union of every record type's members.
type wireRecord struct {
	Type          string     `json:"type"`
	Format        string     `json:"format"`
	Version       int        `json:"version"`
	Started       string     `json:"started"`
	Upstream      string     `json:"upstream"`
	Listen        string     `json:"listen"`
	Framing       string     `json:"framing"`
	IDFields      []string   `json:"id_fields"`
	Conn          uint64     `json:"conn"`
	Dir           string     `json:"dir"`
	At            string     `json:"at"`
	Began         string     `json:"began"`
	Client        string     `json:"client"`
	Process       string     `json:"process"`
	PID           *int       `json:"pid"`
	UID           *int       `json:"uid"`
	Own           bool       `json:"own"`
	Size          int        `json:"size"`
	Wire          int        `json:"wire"`
	Truncated     bool       `json:"truncated"`
	Injected      bool       `json:"injected"`
	Withheld      bool       `json:"withheld"`
	Note          *wireNote  `json:"note"`
	Err           string     `json:"err"`
	Text          *string    `json:"text"`
	B64           *string    `json:"b64"`
	Bytes         int64      `json:"bytes"`
	DroppedEvents uint64     `json:"dropped_events"`
	DroppedBytes  uint64     `json:"dropped_bytes"`
	Continues     string     `json:"continues"`
	Whole         *wireWhole `json:"whole"`
}

// wireWhole is a frame record's "whole": what a truncated frame was.
type wireWhole struct {
	Kind      string          `json:"kind"`
	ID        json.RawMessage `json:"id"`
	Method    *string         `json:"method"`
	Error     bool            `json:"error"`
	Continues bool            `json:"continues"`
	ByOrder   bool            `json:"by_order"`
	Reason    string          `json:"reason"`
}

// info returns what w says, or an error.
func (w *wireWhole) info() (*protocol.Info, error) {
	k, ok := protocol.ParseKind(w.Kind)
	if !ok {
		return nil, fmt.Errorf("frame: whole: kind %q", w.Kind)
	}
	i := &protocol.Info{Kind: k, ID: w.ID, IsError: w.Error, Continues: w.Continues, ByOrder: w.ByOrder, Err: w.Reason}
	if w.Method != nil {
		i.Method = []byte(*w.Method)
	}
	return i, nil
}

// parse decodes and checks one line of valid JSON.
func parse(line []byte) (Record, error) {
	var w wireRecord
	if err := json.Unmarshal(line, &w); err != nil {
		return Record{}, err
	}
	rec := Record{Type: w.Type, Conn: w.Conn}
	var err error
	switch w.Type {
	case "":
		return rec, errors.New(`no "type"`)
	case TypeHeader:
		if w.Format != FormatName {
			return rec, fmt.Errorf("header: format %q, want %q", w.Format, FormatName)
		}
		if w.Version < 1 || w.Version > FormatVersion {
			return rec, fmt.Errorf("header: format version %d; this sockscope reads versions 1 to %d", w.Version, FormatVersion)
		}
		h := &Header{Version: w.Version, Upstream: w.Upstream, Listen: w.Listen, Framing: w.Framing, IDFields: w.IDFields}
		if h.Started, err = parseTime("started", w.Started); err != nil {
			return rec, err
		}
		rec.At, rec.Header = h.Started, h
		return rec, nil
	case TypeOpen, TypeFrame, TypeGap, TypeClose, TypeEnd:
		if rec.At, err = parseTime("at", w.At); err != nil {
			return rec, fmt.Errorf("%s: %w", w.Type, err)
		}
	default:
		return rec, nil
	}
	switch w.Type {
	case TypeOpen:
		rec.Client, rec.Listen, rec.Upstream, rec.Process, rec.Own = w.Client, w.Listen, w.Upstream, w.Process, w.Own
		rec.PID, rec.UID = -1, -1
		if w.PID != nil {
			rec.PID = *w.PID
		}
		if w.UID != nil {
			rec.UID = *w.UID
		}
	case TypeFrame:
		if rec.Dir, err = protocol.ParseDir(w.Dir); err != nil {
			return rec, fmt.Errorf("frame: %w", err)
		}
		switch {
		case w.Text != nil && w.B64 != nil:
			return rec, errors.New(`frame: both "text" and "b64"`)
		case w.Text != nil:
			rec.Data = []byte(*w.Text)
		case w.B64 != nil:
			if rec.Data, err = base64.StdEncoding.DecodeString(*w.B64); err != nil {
				return rec, fmt.Errorf("frame: b64: %w", err)
			}
		default:
			return rec, errors.New(`frame: no "text" or "b64"`)
		}
		if w.Size < len(rec.Data) || w.Wire < 0 {
			return rec, fmt.Errorf("frame: size %d, wire %d, for %d bytes of payload", w.Size, w.Wire, len(rec.Data))
		}
		rec.Size, rec.Wire, rec.Truncated = w.Size, w.Wire, w.Truncated
		if w.Whole != nil && w.Truncated {
			if rec.Whole, err = w.Whole.info(); err != nil {
				return rec, err
			}
		}
		rec.Marks = Marks{Injected: w.Injected, Withheld: w.Withheld, Note: w.Note.note()}
		if w.Began != "" {
			if rec.Began, err = parseTime("began", w.Began); err != nil {
				return rec, fmt.Errorf("frame: %w", err)
			}
		}
		rec.Framing, rec.Err = w.Framing, w.Err
	case TypeGap:
		if rec.Dir, err = protocol.ParseDir(w.Dir); err != nil {
			return rec, fmt.Errorf("gap: %w", err)
		}
		rec.Bytes = w.Bytes
	case TypeClose:
		rec.Err = w.Err
	case TypeEnd:
		rec.DroppedEvents, rec.DroppedBytes, rec.Next = w.DroppedEvents, w.DroppedBytes, w.Continues
	}
	return rec, nil
}

func parseTime(key, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("no %q", key)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: %w", key, err)
	}
	return t.UTC(), nil
}

// ReadFile reads every record of the session file at path. A last record
// cut short by a crash is left out without error (a segment without an
// "end" record was not ended cleanly). On a bad line it returns the records
// before it and the error.
func ReadFile(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := NewReader(f)
	var recs []Record
	for {
		rec, err := r.Next()
		switch {
		case err == nil:
			recs = append(recs, rec)
		case errors.Is(err, io.EOF):
			return recs, nil
		case errors.Is(err, ErrTruncated):
		default:
			return recs, fmt.Errorf("%s: %w", path, err)
		}
	}
}

// wireNote is a frame's "note" as written.
type wireNote struct {
	Act    string  `json:"act"`
	Rule   string  `json:"rule"`
	HeldUS int64   `json:"held_us"`
	Diff   string  `json:"diff"`
	Was    *string `json:"was"`
	WasB64 []byte  `json:"was_b64"`
}

// note returns the Note w says, nil for none; an act this sockscope does
// not know reads as "edit" (it changed the frame somehow).
func (w *wireNote) note() *protocol.Note {
	if w == nil {
		return nil
	}
	act, ok := protocol.ParseAct(w.Act)
	if !ok || act == protocol.ActNone {
		act = protocol.ActEdited
	}
	n := &protocol.Note{Act: act, Rule: w.Rule, Held: time.Duration(w.HeldUS) * time.Microsecond, Diff: w.Diff, Was: w.WasB64}
	if w.Was != nil {
		n.Was = []byte(*w.Was)
	}
	return n
}
