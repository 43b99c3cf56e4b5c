//go:build unix

package split

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"sockscope/event"
	"sockscope/protocol"
)

// reader decodes the stream into events. It reads the stream straight
// into chunks of memory, in reads as large as a chunk's free space, and a
// data event's bytes are cut from the chunk where they landed: a chunk is
// reused once the reader and every event cut from it let it go.
type reader struct {
	src    io.Reader
	cur    *chunk // the chunk read into, holding the reader's reference
	lo, hi int    // cur.b[lo:hi]: read, not yet decoded
	err    error  // the source's, kept until what it read before is decoded
	empty  int    // reads in a row that returned nothing

	dropEvents, dropBytes atomic.Uint64 // the relay's, as last said
	start                 time.Time     // this process's at the first time read
}

func newReader(r io.Reader) *reader { return &reader{src: r} }

// next reads the next event into ev. It returns io.EOF at the stream's
// clean end, and another error for a broken stream.
func (r *reader) next(ev *event.Event) error {
	for {
		if err := r.fill(headSize); err != nil {
			return err
		}
		h := r.take(headSize)
		typ, flags := h[0], h[1]
		*ev = event.Event{Conn: binary.LittleEndian.Uint64(h[2:]), Dir: protocol.C2S,
			Whole: flags&flagWhole != 0, Injected: flags&flagInjected != 0, Withheld: flags&flagWithheld != 0}
		if flags&flagS2C != 0 {
			ev.Dir = protocol.S2C
		}
		if ns := int64(binary.LittleEndian.Uint64(h[10:])); ns != 0 {
			ev.At = r.time(ns)
		}
		switch typ {
		case recDrops:
			x, err := r.extra(16)
			if err != nil {
				return err
			}
			r.dropEvents.Store(binary.LittleEndian.Uint64(x))
			r.dropBytes.Store(binary.LittleEndian.Uint64(x[8:]))
			continue
		case recData:
			x, err := r.extra(12)
			if err != nil {
				return err
			}
			ev.Type, ev.Gap = event.Data, int64(binary.LittleEndian.Uint64(x))
			n := binary.LittleEndian.Uint32(x[8:])
			if n > maxData {
				return fmt.Errorf("split: a data record of %d bytes", n)
			}
			if err := r.data(ev, int(n)); err != nil {
				return err
			}
			if flags&flagNote != 0 {
				b, err := r.meta()
				if err != nil {
					ev.Release() // a broken stream: the event is not handed out
					return err
				}
				ev.Note = protocol.ParseNote(b)
			}
		case recOpen:
			b, err := r.meta()
			if err != nil {
				return err
			}
			ev.Type, ev.Peer = event.Open, new(event.Peer)
			if err := json.Unmarshal(b, ev.Peer); err != nil {
				return fmt.Errorf("split: a peer: %w", err)
			}
		case recClose:
			x, err := r.extra(16)
			if err != nil {
				return err
			}
			ev.Type = event.Close
			ev.TailGaps = [2]int64{int64(binary.LittleEndian.Uint64(x)), int64(binary.LittleEndian.Uint64(x[8:]))}
			switch {
			case flags&flagStopped != 0:
				ev.Err = event.ErrStopped
			case flags&flagErr != 0:
				b, err := r.meta()
				if err != nil {
					return err
				}
				ev.Err = errors.New(string(b))
			}
		default:
			return fmt.Errorf("split: a record of type %d", typ)
		}
		return nil
	}
}

// time is the time of a record, ns Unix nanoseconds, with a monotonic
// clock reading: this process's at the first time read, plus how far the
// stream's times are from it. The stream's times are the relay's monotonic
// clock's, so that the order of the times is the order of the reads here
// too (time.Time compares by its monotonic reading when both have one).
func (r *reader) time(ns int64) time.Time {
	if r.start.IsZero() {
		r.start = time.Now()
	}
	return r.start.Add(time.Duration(ns - r.start.UnixNano()))
}

// fill makes at least n bytes (up to chunkSize) read and not yet decoded
// at cur.b[lo:], reading as much as the chunk has room for. When the chunk
// has no room for them, it goes on in a new one, into which it copies the
// bytes read and not yet decoded (a part of a record: few). At the
// stream's end it returns io.EOF if there were none, else
// io.ErrUnexpectedEOF.
func (r *reader) fill(n int) error {
	if r.hi-r.lo >= n {
		return nil
	}
	if r.cur == nil || chunkSize-r.lo < n {
		c := getChunk()
		if r.cur != nil {
			r.hi = copy(c.b, r.cur.b[r.lo:r.hi])
			r.cur.Release()
		}
		r.cur, r.lo = c, 0
	}
	for r.hi-r.lo < n {
		if err := r.readErr(); err != nil {
			if err == io.EOF && r.hi > r.lo {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		m, err := r.src.Read(r.cur.b[r.hi:])
		r.hi += m
		r.err = err
		if m > 0 || err != nil {
			r.empty = 0
		} else if r.empty++; r.empty == 100 {
			r.err = io.ErrNoProgress
		}
	}
	return nil
}

// readErr returns the source's error kept, once.
func (r *reader) readErr() error {
	err := r.err
	r.err = nil
	return err
}

// take decodes the next n bytes, which fill made read: valid until the
// next fill.
func (r *reader) take(n int) []byte {
	b := r.cur.b[r.lo : r.lo+n : r.lo+n]
	r.lo += n
	return b
}

// extra reads n more bytes of the head, valid until the next read.
func (r *reader) extra(n int) ([]byte, error) {
	if err := r.fill(n); err != nil {
		return nil, unexpected(err)
	}
	return r.take(n), nil
}

// meta reads a length and as many bytes, in memory of their own.
func (r *reader) meta() ([]byte, error) {
	x, err := r.extra(4)
	if err != nil {
		return nil, err
	}
	l := binary.LittleEndian.Uint32(x)
	if l > maxMeta {
		return nil, fmt.Errorf("split: %d bytes of metadata", l)
	}
	if l > chunkSize/2 {
		return r.own(int(l))
	}
	if err := r.fill(int(l)); err != nil {
		return nil, unexpected(err)
	}
	return append([]byte(nil), r.take(int(l))...), nil
}

// data reads n bytes into ev.Data: cut from the chunk they were read
// into, or in memory of their own when large.
func (r *reader) data(ev *event.Event, n int) error {
	if n > chunkSize/2 {
		var err error
		ev.Data, err = r.own(n)
		return err
	}
	if err := r.fill(n); err != nil {
		return unexpected(err)
	}
	r.cur.refs.Add(1)
	ev.Data, ev.Buf = r.take(n), r.cur
	return nil
}

// own reads n bytes into memory of their own: those read already, then
// the rest straight from the stream.
func (r *reader) own(n int) ([]byte, error) {
	b := make([]byte, n)
	k := 0
	if r.cur != nil {
		k = copy(b, r.cur.b[r.lo:r.hi])
		r.lo += k
	}
	if k == n {
		return b, nil
	}
	if err := r.readErr(); err != nil {
		return nil, unexpected(err)
	}
	if _, err := io.ReadFull(r.src, b[k:]); err != nil {
		return nil, unexpected(err)
	}
	return b, nil
}

// close drops the reader's reference to its chunk.
func (r *reader) close() {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
}

// unexpected turns an end inside a record into a broken stream.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// chunkSize is the memory events' bytes are cut from, at a time: an event
// of up to half of it (the relay's largest read, proxy.DefaultReadSize) is
// cut from one, a larger one has memory of its own.
const chunkSize = 512 << 10

// A chunk is memory events' bytes are cut from; it goes back to
// idleChunks when the reader and every event cut from it let it go.
type chunk struct {
	b    []byte
	refs atomic.Int32
}

// idle holds chunks let go, for reuse, the last let go first (its memory
// the likeliest in the cache): what the decoder's process has in flight
// (the reader's, and those of the events queued, 4 MiB, and of those being
// parsed and committed, as many again). Not a sync.Pool: a pool is
// emptied by the garbage collector, which runs often in the decoder's
// process (its heap is kept near the store's bound), and a chunk allocated
// again is 512 KiB of fresh memory, 128 page faults (about 1.7 ms on this
// project's VM).
var idle struct {
	sync.Mutex
	chunks []*chunk
}

// maxIdle is how many chunks idle keeps: 8 MiB. With 8, a decoder that
// rests (observe.Config.Busy) and then takes its full queue at once faulted
// in 480-790 pages per 1,000 16 KiB requests, with 16 200-250.
const maxIdle = 16

// chunksOut counts the chunks taken and not yet given back.
var chunksOut atomic.Int64

func getChunk() *chunk {
	var c *chunk
	idle.Lock()
	if n := len(idle.chunks); n > 0 {
		c = idle.chunks[n-1]
		idle.chunks[n-1] = nil
		idle.chunks = idle.chunks[:n-1]
	}
	idle.Unlock()
	if c == nil {
		c = &chunk{b: make([]byte, chunkSize)}
	}
	c.refs.Store(1)
	chunksOut.Add(1)
	return c
}

// Release implements event.Buffer.
func (c *chunk) Release() {
	if c.refs.Add(-1) == 0 {
		chunksOut.Add(-1)
		idle.Lock()
		if len(idle.chunks) < maxIdle {
			idle.chunks = append(idle.chunks, c)
		} // else more were out at once than are kept: the collector takes it
		idle.Unlock()
	}
}
