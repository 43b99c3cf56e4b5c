package feed

import (
	"cmp"
	"encoding/json"
	"net"
	"slices"
	"sync"
	"time"

	"sockscope/protocol"
	"sockscope/session"
)

// viewer is one attached connection: a bounded buffer of the lines it has
// not read yet, written out by a goroutine of its own, so that the
// observer, which puts records in the buffer, never waits for it.
type viewer struct {
	c   net.Conn
	max int // the bound of out (and of held), for records that may be skipped

	mu       sync.Mutex
	room     sync.Cond // out shrank, or the viewer closed
	out      []byte    // lines to write
	spare    []byte    // the buffer being written, to reuse
	held     []byte    // live records that came while the history was sent
	attached bool      // it asked for the stream
	live     bool      // the history is sent: live records go to out
	closed   bool
	ending   bool                 // the instance ends: write out what is queued, then close
	pending  skipped              // skipped since the last marker
	gaps     map[gapKey]*gapCount // skipped, by connection and direction
	wake     chan struct{}        // cap 1: out has something
	done     chan struct{}        // closed when the writer ended
}

// gapCount is what was skipped of a direction.
type gapCount struct {
	bytes  int64
	events uint64
}

// gapKey is a direction of a connection.
type gapKey struct {
	conn uint64
	dir  protocol.Dir
}

func newViewer(c net.Conn, max int) *viewer {
	v := &viewer{c: c, max: max, gaps: map[gapKey]*gapCount{}, wake: make(chan struct{}, 1), done: make(chan struct{})}
	v.room.L = &v.mu
	return v
}

// writeLoop writes out until the viewer closes or a write fails.
func (v *viewer) writeLoop() {
	defer close(v.done)
	for {
		<-v.wake
		v.mu.Lock()
		if v.closed {
			v.mu.Unlock()
			return
		}
		if v.ending && len(v.out) == 0 {
			v.closeLocked()
			v.mu.Unlock()
			return
		}
		buf := v.out
		v.out = v.spare[:0]
		v.mu.Unlock()
		_, err := v.c.Write(buf)
		v.mu.Lock()
		v.spare = buf[:0]
		v.room.Broadcast()
		if v.live && v.pending.Events > 0 {
			// The peer read again: tell it now what it missed, not with
			// the next record, which may never come (a burst's end).
			v.out = v.flushSkipped(v.out)
			v.poke()
		}
		if v.ending {
			v.poke() // what came meanwhile, then the close
		}
		v.mu.Unlock()
		if err != nil {
			v.close()
			return
		}
	}
}

// end asks the writer to write out what is queued and then close: the
// instance ends, and its last records (the closes, the run's end) are what
// a viewer wants to see.
func (v *viewer) end() {
	v.mu.Lock()
	v.ending = true
	v.poke()
	v.mu.Unlock()
}

// close ends the viewer: its connection closes and its writer stops.
func (v *viewer) close() {
	v.mu.Lock()
	v.closeLocked()
	v.mu.Unlock()
}

func (v *viewer) closeLocked() {
	if v.closed {
		return
	}
	v.closed = true
	v.c.Close()
	v.room.Broadcast()
	select {
	case v.wake <- struct{}{}:
	default:
	}
}

// poke wakes the writer. The caller holds mu.
func (v *viewer) poke() {
	select {
	case v.wake <- struct{}{}:
	default:
	}
}

// record queues one live record. A record that may be skipped (a frame, a
// gap) is dropped when the buffer has no room, and counted; the next record
// queued is preceded by the skipped marker and a gap record for every
// direction that lost bytes. A record that is never skipped (an open, a
// close) disconnects a viewer that is hardFactor times the bound behind.
func (v *viewer) record(rec []byte, skippable bool, k gapKey, wire int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed || !v.attached {
		return
	}
	dst := &v.out
	if !v.live {
		dst = &v.held
	}
	if skippable && len(*dst)+len(rec) > v.max {
		v.pending.Events++
		v.pending.Bytes += uint64(wire)
		g := v.gaps[k]
		if g == nil {
			g = &gapCount{}
			v.gaps[k] = g
		}
		g.bytes += wire
		g.events++
		return
	}
	if len(*dst) > hardFactor*v.max {
		v.closeLocked() // so far behind that even connections' ends pile up
		return
	}
	*dst = v.flushSkipped(*dst)
	*dst = append(*dst, rec...)
	if v.live {
		v.poke()
	}
}

// flushSkipped appends the skipped marker and the gap records, if anything
// was skipped. The caller holds mu.
func (v *viewer) flushSkipped(dst []byte) []byte {
	if v.pending.Events == 0 {
		return dst
	}
	v.pending.Type = typeSkipped
	keys := make([]gapKey, 0, len(v.gaps))
	for k := range v.gaps {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b gapKey) int { return cmp.Or(cmp.Compare(a.conn, b.conn), cmp.Compare(a.dir, b.dir)) })
	for _, k := range keys {
		if n := len(v.pending.Conns); n > 0 && v.pending.Conns[n-1].Conn == k.conn {
			v.pending.Conns[n-1].Events += v.gaps[k].events
		} else {
			v.pending.Conns = append(v.pending.Conns, connSkip{Conn: k.conn, Events: v.gaps[k].events})
		}
	}
	b, _ := json.Marshal(v.pending)
	dst = append(append(dst, b...), '\n')
	now := time.Now()
	for _, k := range keys {
		dst = session.AppendRecord(dst, session.Record{Type: session.TypeGap, Conn: k.conn, Dir: k.dir, At: now, Bytes: v.gaps[k].bytes})
		delete(v.gaps, k)
	}
	v.pending = skipped{}
	return dst
}

// send queues lines that are never skipped (a hello, a result), ahead of
// held live records.
func (v *viewer) send(line []byte) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return
	}
	if len(v.out) > hardFactor*v.max {
		v.closeLocked()
		return
	}
	v.out = append(v.out, line...)
	v.poke()
}

// history queues part of the history, waiting while the buffer is full:
// the viewer's own goroutine sends it, at the viewer's pace. It reports
// false once the viewer closed.
func (v *viewer) history(b []byte) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	for !v.closed && len(v.out) >= v.max {
		v.room.Wait()
	}
	if v.closed {
		return false
	}
	v.out = append(v.out, b...)
	v.poke()
	return true
}

// goLive ends the history: the live marker, then the live records that
// came meanwhile, and from now on live records go straight to out.
func (v *viewer) goLive() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.out = append(v.out, liveLine...)
	v.out = append(v.out, v.held...)
	v.out = v.flushSkipped(v.out)
	v.held, v.live = nil, true
	v.poke()
}
