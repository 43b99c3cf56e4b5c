package index

import (
	"bytes"
	"context"
	"io"
	"os"
	"sync"

	"sockscope/session"
)

// MaxHits bounds the rows a Search keeps: it stops at the first MaxHits.
const MaxHits = 100_000

// Search looks for a text in the payloads of every frame of a session
// file, in the background: each row whose request or reply holds it is a
// hit. Progress, Hits and Done may be read while it runs; Cancel stops it.
type Search struct {
	Text   string
	cancel context.CancelFunc
	done   chan struct{}

	mu         sync.Mutex
	hits       []uint64 // row seqs, ascending
	rows, of   uint64   // rows examined, of how many
	err        error
	overflowed bool
}

// Search starts looking for text in the payloads of every row's frames
// (read from the session file, not a bounded store).
func (v *View) Search(ctx context.Context, text string) *Search {
	ctx, cancel := context.WithCancel(ctx)
	s := &Search{Text: text, cancel: cancel, done: make(chan struct{})}
	go s.run(ctx, v, []byte(text))
	return s
}

func (s *Search) run(ctx context.Context, v *View, text []byte) {
	defer close(s.done)
	f, err := os.Open(v.path)
	if err != nil {
		s.finish(err)
		return
	}
	defer f.Close()
	w := &window{f: f, buf: make([]byte, 0, 1<<20)}
	_, next := v.RowBounds()
	s.mu.Lock()
	s.of = next - 1
	s.mu.Unlock()
	has := func(seq uint64) bool {
		r, ok := v.x.msg(seq)
		if !ok || r.n == 0 {
			return false
		}
		rec, err := session.ReadAt(w, r.off, int(r.n))
		return err == nil && bytes.Contains(rec.Data, text)
	}
	for seq := uint64(1); seq < next; seq++ {
		if seq%1024 == 0 {
			if err := ctx.Err(); err != nil {
				s.finish(err)
				return
			}
			s.mu.Lock()
			s.rows = seq
			s.mu.Unlock()
		}
		r, _, ok := v.x.row(seq)
		if !ok {
			break
		}
		if (r.Req != 0 && has(r.Req)) || (r.Resp != 0 && has(r.Resp)) {
			s.mu.Lock()
			s.hits = append(s.hits, seq)
			full := len(s.hits) >= MaxHits
			s.overflowed = full
			s.mu.Unlock()
			if full {
				break
			}
		}
	}
	s.mu.Lock()
	s.rows = s.of
	s.mu.Unlock()
	s.finish(nil)
}

func (s *Search) finish(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

// Cancel stops the search; the hits found so far stay.
func (s *Search) Cancel() { s.cancel() }

// Wait waits for the search to end and returns why it stopped early (the
// context's error when cancelled), if it did.
func (s *Search) Wait() error {
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Progress returns the rows examined, of how many, and whether the search
// is over (done, cancelled, or stopped at MaxHits: full).
func (s *Search) Progress() (rows, of uint64, over, full bool) {
	select {
	case <-s.done:
		over = true
	default:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rows, s.of, over, s.overflowed
}

// Hits returns how many rows hold the text so far.
func (s *Search) Hits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.hits)
}

// Next returns the first hit after row seq (before it, back), if any.
func (s *Search) Next(seq uint64, back bool) (uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if back {
		for i := len(s.hits) - 1; i >= 0; i-- {
			if s.hits[i] < seq {
				return s.hits[i], true
			}
		}
		return 0, false
	}
	for _, h := range s.hits {
		if h > seq {
			return h, true
		}
	}
	return 0, false
}

// window reads a file through a window of it kept in memory: frames read
// in file order cost one read per window, not one per frame.
type window struct {
	f   *os.File
	off int64
	buf []byte
}

func (w *window) ReadAt(p []byte, off int64) (int, error) {
	if off < w.off || off+int64(len(p)) > w.off+int64(len(w.buf)) {
		if len(p) > cap(w.buf) {
			return w.f.ReadAt(p, off)
		}
		n, err := w.f.ReadAt(w.buf[:cap(w.buf)], off)
		w.off, w.buf = off, w.buf[:n]
		if n < len(p) {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			copy(p, w.buf)
			return n, err
		}
	}
	return copy(p, w.buf[off-w.off:]), nil
}
