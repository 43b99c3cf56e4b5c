// Package indexbuild decodes a session file in the background, as show
// always did (capture.File through the observer), into the file's index
// (package index) and a bounded store of the whole file's statistics, and
// opens the file for the UI through the index: Open.
package indexbuild

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"sockscope/capture"
	"sockscope/event"
	"sockscope/index"
	"sockscope/observe"
	"sockscope/protocol"
	"sockscope/store"
)

// Settings are what a session is decoded with (index.Settings).
type Settings = index.Settings

// StatsBytes bounds the store the observer pairs through while a build
// decodes: the index holds every row, and the statistics (index.Stats)
// are counted from it.
const StatsBytes = 32 << 20

// PairConns bounds the connections that store keeps (store.Config.MaxConns):
// the index and the statistics keep them, the store needs only those
// whose rows it still holds.
const PairConns = 64

// pairBytes is the bound of that store (StatsBytes; a test makes it small).
var pairBytes int64 = StatsBytes

var _ index.Decoding = (*Build)(nil)

// batchEvents is how many events the build decodes at a time.
const batchEvents = 512

// flushEvery is how often a build writes the index out and tells readers.
const flushEvery = 100 * time.Millisecond

// Build decodes a session file as show always did (capture.File through
// the observer), into a bounded store that keeps the statistics of the
// whole file and, unless the file's index is already fresh, into the
// index. It runs in the background; a View reads it meanwhile. With Follow
// it does not end at the file's end but waits for more, as tail -f.
type Build struct {
	Path     string
	Settings Settings
	Follow   bool
	// stats are the whole file's statistics and connections, counted as
	// the index is written or read.
	stats *index.Stats
	// scan is the complete index to count the statistics from, when the
	// file need not be decoded.
	scan *index.Index
	// complete gives a row read from the index its whole method name.
	complete func(*store.Row)

	size     int64        // the file's size when the build began
	consumed atomic.Int64 // bytes decoded
	gen      atomic.Uint64
	done     chan struct{}
	mu       sync.Mutex
	err      error
	cut      int // records cut short
}

// Progress returns how many bytes of the file are decoded, of how many
// (the file's size when the build began, or now when following), and
// whether the build is over.
func (b *Build) Progress() (done, total int64, over bool) {
	select {
	case <-b.done:
		over = true
	default:
	}
	total = b.size
	if b.Follow {
		if st, err := os.Stat(b.Path); err == nil {
			total = st.Size()
		}
	}
	return b.consumed.Load(), total, over
}

// Stats implements index.Decoding.
func (b *Build) Stats() *index.Stats { return b.stats }

// Gen implements index.Decoding.
func (b *Build) Gen() uint64 { return b.gen.Load() + b.stats.Gen() }

// Following implements index.Decoding.
func (b *Build) Following() bool { return b.Follow }

// Err returns why the build stopped, once it has.
func (b *Build) Err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// Wait waits for the build to end and returns Err.
func (b *Build) Wait() error {
	<-b.done
	return b.Err()
}

// run decodes the file, writing w, or (w nil) counts the statistics of
// the complete index b.scan. Its caller closes b.done once it has also
// kept the index, so that Wait means the index is where the next show
// finds it.
func (b *Build) run(ctx context.Context, f *os.File, w *index.Writer) {
	if w == nil && b.scan != nil {
		err := index.Scan(ctx, b.scan, b.stats, b.complete, func(done, total int) {
			b.consumed.Store(b.size * int64(done) / int64(max(total, 1)))
		})
		if err == nil {
			b.consumed.Store(b.size)
		}
		b.mu.Lock()
		b.err = err
		b.mu.Unlock()
		b.gen.Add(1)
		return
	}
	if w != nil {
		w.SetStats(b.stats)
	}
	var r io.Reader = f
	tail := &tailReader{f: f, ctx: ctx}
	if b.Follow {
		r = tail
	}
	src := capture.NewFile(r)
	err := b.decode(ctx, src, w, tail)
	b.mu.Lock()
	b.err, b.cut = err, src.Cut
	if b.err == nil {
		b.err = src.Damaged() // all the rest is read and indexed
	}
	b.mu.Unlock()
	b.gen.Add(1)
}

func (b *Build) decode(ctx context.Context, src *capture.File, w *index.Writer, tail *tailReader) error {
	if _, err := src.Header(); err != nil {
		return fmt.Errorf("%s: %w", b.Path, err)
	}
	sink := &buildSink{w: w, offs: map[connDir][]span{}}
	pairing := store.New(store.Config{MaxBytes: pairBytes, MaxConns: PairConns})
	obs := observe.New(observe.Config{Store: pairing, Framing: b.Settings.Framing,
		IDFields: b.Settings.IDFields, MaxFrame: b.Settings.MaxFrame, Sinks: []observe.Sink{sink}})
	var batch []event.Event
	last := time.Now()
	commit := func() {
		if len(batch) > 0 {
			obs.Handle(batch)
			clear(batch)
			batch = batch[:0]
		}
		if w != nil {
			w.Flush(src.Consumed(), false)
		}
		// After the flush: what Progress says is decoded is in the index
		// (an export waits for it, ui's exportReady).
		b.consumed.Store(src.Consumed())
		b.gen.Add(1)
		last = time.Now()
	}
	tail.idle = func() {
		src.Flush() // the last frame read, held to see whether the next is of its read
		commit()
	}
	err := src.Each(ctx, func(ev event.Event, off int64, n int) {
		if n > 0 {
			k := connDir{ev.Conn, ev.Dir}
			sink.offs[k] = append(sink.offs[k], span{off, n})
		}
		batch = append(batch, ev)
		if len(batch) >= batchEvents {
			obs.Handle(batch)
			clear(batch)
			batch = batch[:0]
			if time.Since(last) >= flushEvery {
				commit()
			}
		}
	})
	commit()
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if w != nil {
		if ferr := w.Flush(src.Consumed(), err == nil && !b.Follow); ferr != nil && err == nil {
			err = fmt.Errorf("writing the index: %w", ferr)
		}
	}
	return err
}

// Cut returns how many records a crash had cut short, once the build is
// over.
func (b *Build) Cut() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cut
}

// connDir keys the frames of one direction of a connection.
type connDir struct {
	conn uint64
	dir  protocol.Dir
}

// span is where a frame's record lies in the session file.
type span struct {
	off int64
	n   int
}

// buildSink hands the observer's frames and rows to the index, each frame
// with the place of the record it came from: every frame record becomes
// one event, framed again whole, so one frame, in order per direction.
type buildSink struct {
	w    *index.Writer
	offs map[connDir][]span
}

func (s *buildSink) Open(conn uint64, at time.Time, p *event.Peer) {
	if s.w != nil {
		s.w.OpenConn(connOf(conn, at, p))
	}
}

// connOf is the description of connection id, opened at at by p.
func connOf(id uint64, at time.Time, p *event.Peer) store.Conn {
	c := store.Conn{ID: id, Opened: at, PID: -1, UID: -1, State: store.ConnOpen}
	if p != nil {
		c.Client, c.Listen, c.Upstream, c.PID, c.UID, c.Process, c.Own = p.Client, p.Listen, p.Upstream, p.PID, p.UID, p.Process, p.Own
	}
	return c
}

// Ended implements observe.EndSink: the index completes a row the
// observer's bounded store evicted before it ended.
func (s *buildSink) Ended(row uint64, st protocol.Status, resp *protocol.Message, gap bool) {
	if s.w != nil {
		s.w.Ended(row, st, resp, gap)
	}
}

func (s *buildSink) Frame(m *protocol.Message, _ protocol.Framing, _ time.Time) {
	k := connDir{m.Conn, m.Dir}
	q := s.offs[k]
	var sp span
	if len(q) > 0 {
		sp, q = q[0], q[1:]
		if len(q) == 0 {
			delete(s.offs, k)
		} else {
			s.offs[k] = q
		}
	}
	if s.w != nil {
		s.w.Frame(m, sp.off, sp.n)
	}
}

func (s *buildSink) Row(r *store.Row) {
	if s.w != nil {
		s.w.Row(r)
	}
}

func (s *buildSink) Exchange(r *store.Row) { s.Row(r) }

func (s *buildSink) Gap(uint64, protocol.Dir, time.Time, int64) {}

// StreamGap implements observe.StreamGapSink: the index keeps the bytes
// of a stream that no frame holds, for an export from it.
func (s *buildSink) StreamGap(g store.Gap) {
	if s.w != nil {
		s.w.Gap(g)
	}
}

func (s *buildSink) Close(conn uint64, at time.Time, err string) {
	if s.w != nil {
		s.w.CloseConn(conn, at, err)
	}
}

func (s *buildSink) Flush() error { return nil }

// tailReader reads a file that another process is still appending to: at
// its end it calls idle, then waits for more, until ctx is done.
type tailReader struct {
	f    *os.File
	ctx  context.Context
	idle func()
}

// tailPoll is how often a followed file is looked at for more.
const tailPoll = 100 * time.Millisecond

func (t *tailReader) Read(p []byte) (int, error) {
	for {
		n, err := t.f.Read(p)
		if n > 0 || !errors.Is(err, io.EOF) {
			return n, err
		}
		if t.idle != nil {
			t.idle()
		}
		select {
		case <-t.ctx.Done():
			return 0, io.EOF
		case <-time.After(tailPoll):
		}
	}
}

// tempPath names a build's index until it is complete.
func tempPath(path string) string {
	return index.PathOf(path) + ".tmp" + strconv.Itoa(os.Getpid())
}
