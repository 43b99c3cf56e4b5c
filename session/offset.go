package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Offset returns where the record Next returned last begins in the input,
// and how many bytes it takes, its newline included: an index of the file
// keeps them to read the record again with ReadAt.
func (r *Reader) Offset() (off int64, n int) { return r.start, int(r.off - r.start) }

// Consumed returns how many bytes of the input Next has read, up to the end
// of the last line it returned or skipped.
func (r *Reader) Consumed() int64 { return r.off }

// ReadAt reads the record of n bytes at off in f, as Reader.Offset located
// it. It reads no more than n bytes (at most MaxLine).
func ReadAt(f io.ReaderAt, off int64, n int) (Record, error) {
	if n <= 0 || n > MaxLine+1 {
		return Record{}, fmt.Errorf("session: record of %d bytes at %d: out of range", n, off)
	}
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, off); err != nil && !(errors.Is(err, io.EOF) && len(bytes.TrimSpace(buf)) > 0) {
		return Record{}, fmt.Errorf("session: record at %d: %w", off, err)
	}
	line := bytes.TrimRight(buf, "\r\n")
	if !json.Valid(line) {
		return Record{}, fmt.Errorf("session: record at %d: not valid JSON", off)
	}
	return parse(line)
}

// Offset returns where the next record will begin in the file being
// written (what it holds plus what is buffered): a live index of the file
// calls it before each record.
func (r *Recorder) Offset() int64 {
	if r == nil || r.w == nil {
		return 0
	}
	return r.size.Load() + int64(r.w.Buffered())
}

// Rotating reports whether the recording spreads over several files.
func (r *Recorder) Rotating() bool { return r != nil && r.rot.MaxSize > 0 }
