package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"sockscope/event"

	"sockscope/protocol"
)

// DefaultMaxHeld bounds the bytes every frame-aware direction of a Relay
// holds back together (partial frames waiting for their end) when
// Relay.MaxHeld is zero.
const DefaultMaxHeld = 64 << 20

// Conn is one relayed connection: a client and its upstream.
type Conn struct {
	id     uint64
	r      *Relay
	client net.Conn
	peer   *event.Peer
	own    bool // sockscope's own connection: what it sends is injected

	mu     sync.Mutex
	up     net.Conn // nil until dialled
	closed bool
	err    error         // the first real error
	done   chan struct{} // closed with the connection

	dirs [2]direction // by protocol.Dir
	// link is what the two directions' framers share, once frame-aware:
	// an HTTP response to HEAD has no body.
	link protocol.FramerLink
}

// direction is the forwarding state of one direction of a Conn.
type direction struct {
	mu  sync.Mutex // serialises writes to dst; guards the fields below
	dst net.Conn   // nil until dialled
	// framer, when set, makes forwarding frame-aware: only whole frames
	// are written, so a frame can be injected between two of them.
	framer  protocol.Framer
	verdict FrameFunc // nil: forward every frame
	waiting bool      // a Verdict's Wait holds a frame (the lock is let go)
	head    HeadFunc  // nil: every frame is held until it is whole
	held    []byte    // read, not yet written: the start of a partial frame
	heldAt  time.Time // when the last held byte was read
	since   time.Time // when the partial frame's first byte was read
	asked   bool      // head was asked about the partial frame
	owed    int       // bytes of the partial frame already written: it is forwarded as it arrives
	// stall, once made, fires when the partial frame may have waited
	// PartialWait for its end; armed: it is set.
	stall *time.Timer
	armed bool
	// forwarded counts the bytes read from the source that have been
	// written or dropped: the stream offset the direction has reached.
	forwarded int64
}

// FrameFunc decides what a frame-aware direction does with each whole
// frame: wire is the frame as read (framing included), f what the framer
// cut from it, framing how (what FramingAuto detected). It runs on the
// relay's path, under the direction's lock: it must be quick and must not
// call the Conn.
type FrameFunc func(wire []byte, f protocol.Frame, framing protocol.Framing) Verdict

// HeadFunc reports whether the FrameFunc of its direction forwards, as it
// is and with nothing to say, any frame that starts with head: the head of
// a frame whose body is still to come (an HTTP message's start line and
// headers, protocol.PendingHead). Then the frame is forwarded as it
// arrives, and the FrameFunc is not asked about it: a streamed body
// (Server-Sent Events, a log that follows) flows, and a request that waits
// for 100 Continue before it sends its body is not stuck. It runs where
// the FrameFunc does, and like it must be quick and must not call the
// Conn.
type HeadFunc func(head []byte, framing protocol.Framing) bool

// ID returns the connection's id, as in its Events.
func (c *Conn) ID() uint64 { return c.id }

// Peer describes the connection's two ends.
func (c *Conn) Peer() *event.Peer { return c.peer }

// SetFraming switches direction dir between plain copying (FramingRaw) and
// frame-aware forwarding with framing f, without interrupting the
// connection: from then on only whole frames are written, each through fn
// (nil forwards them all), so that a frame can be injected between two of
// them. Frame-aware forwarding must start at a frame boundary: at is the
// stream offset the caller knows to be one (see Forwarded), and SetFraming
// fails, changing nothing, when the direction has moved past it. at < 0
// skips the check. A partial frame held back when switching to plain
// copying is written first, so SetFraming may wait for the destination.
//
// In frame-aware mode a partial frame is held back until it is complete,
// up to the Relay's MaxFrame (and MaxHeld for all directions together)
// and for at most the Relay's PartialWait; beyond that it is forwarded as
// it arrives, unjudged (the Relay's Unjudged is told). A frame whose head
// says that fn would pass it (head, nil for never) is forwarded as it
// arrives at once.
func (c *Conn) SetFraming(dir protocol.Dir, f protocol.Framing, fn FrameFunc, head HeadFunc, at int64) error {
	s := &c.dirs[dir]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waiting {
		return fmt.Errorf("conn %d %s: a frame is held", c.id, dir)
	}
	if at >= 0 && s.forwarded != at {
		return fmt.Errorf("conn %d %s: the stream moved on (at %d, not %d)", c.id, dir, s.forwarded, at)
	}
	if len(s.held) > 0 && s.dst != nil {
		if err := c.flush(dir, len(s.held), s.heldAt); err != nil {
			c.fail(dir, err)
		}
	}
	c.r.unhold(len(s.held))
	s.held, s.owed, s.framer, s.verdict, s.head = nil, 0, nil, nil, nil
	if f != protocol.FramingRaw {
		s.framer = protocol.NewLinkedFramer(f, c.r.maxFrame(), &c.link)
		s.verdict, s.head = fn, head
	}
	return nil
}

// Forwarded returns the stream offset direction dir has reached (bytes
// read and passed on or dropped), and whether it is frame-aware.
func (c *Conn) Forwarded(dir protocol.Dir) (offset int64, framed bool) {
	s := &c.dirs[dir]
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.forwarded, s.framer != nil
}

// Inject writes frame to the destination of direction dir, between two
// whole frames, and reports it to the observer as Injected Data. The
// direction must be frame-aware (SetFraming); in plain copying the stream
// might be mid-frame. frame must carry its own framing (a trailing "\n", a
// Content-Length header).
func (c *Conn) Inject(dir protocol.Dir, frame []byte) error {
	return c.InjectNote(dir, frame, nil)
}

// InjectNote is Inject with a Note for the observer: what the frame is
// (a reply sockscope made up, say).
func (c *Conn) InjectNote(dir protocol.Dir, frame []byte, note *protocol.Note) error {
	s := &c.dirs[dir]
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.framer == nil:
		return fmt.Errorf("conn %d %s: inject needs frame-aware forwarding (SetFraming)", c.id, dir)
	case s.owed > 0:
		return fmt.Errorf("conn %d %s: inject: a frame is being forwarded as it arrives (a streamed body, or over the bound); try again once it ends", c.id, dir)
	case s.dst == nil:
		return fmt.Errorf("conn %d %s: inject: upstream not connected yet", c.id, dir)
	}
	at := time.Now()
	data := bytes.Clone(frame)
	if _, err := s.dst.Write(data); err != nil {
		return fmt.Errorf("conn %d %s: inject: %w", c.id, dir, err)
	}
	if c.own && dir == protocol.C2S {
		s.forwarded += int64(len(data)) // sockscope is the client: all of the stream is its (the store's Wire counts it)
	}
	c.r.put(event.Event{Type: event.Data, Conn: c.id, Dir: dir, At: at, Data: data, Injected: true, Note: note})
	return nil
}

// forward writes data, read at at into slab from, to the destination of d,
// then observes it. It reports whether the observer kept data (with a
// reference on from), so that the caller must not reuse those bytes. In
// frame-aware mode nothing is kept: the bytes held back are a copy.
func (c *Conn) forward(d protocol.Dir, data []byte, at time.Time, from *slab) (kept bool, err error) {
	s := &c.dirs[d]
	s.mu.Lock()
	var after []Verdict
	kept, err = c.forwardLocked(s, d, data, at, from, &after)
	s.mu.Unlock()
	for _, v := range after {
		if v.Answer != nil {
			// The connection may be ending; its close says so.
			c.InjectNote(d.Opposite(), v.Answer, v.AnswerNote)
		}
		if v.Close {
			c.abort(v.Reset)
			return kept, ErrClosedByRule
		}
	}
	return kept, err
}

// forwardLocked is forward under the direction's lock; verdicts with
// something to do once it is let go are appended to after.
func (c *Conn) forwardLocked(s *direction, d protocol.Dir, data []byte, at time.Time, from *slab, after *[]Verdict) (kept bool, err error) {
	if s.framer == nil {
		if _, err := s.dst.Write(data); err != nil {
			return false, err
		}
		s.forwarded += int64(len(data))
		from.retain()
		if !c.r.put(event.Event{Type: event.Data, Conn: c.id, Dir: d, At: at, Data: data, Buf: from, Injected: c.own && d == protocol.C2S}) {
			from.release()
			return false, nil
		}
		return true, nil
	}
	fresh := len(s.held) == 0
	s.held = append(s.held, data...)
	c.r.hold(len(data))
	s.heldAt = at
	f := framed{c: c, d: d, s: s, at: at, after: after}
	s.framer.Feed(data, f.frame)
	if f.err == nil {
		f.err = f.flushRun()
	}
	if f.err != nil {
		return false, f.err
	}
	if f.done > 0 {
		c.r.unhold(f.done)
		s.held = append(s.held[:0], s.held[f.done:]...)
	}
	if len(s.held) == 0 {
		return false, nil
	}
	if s.owed > 0 {
		// The rest of a frame already being forwarded as it arrives.
		return false, c.owe(d)
	}
	if fresh || f.done > 0 {
		s.since, s.asked = at, false // a new partial frame
	}
	switch {
	case c.passesHead(s):
		return false, c.owe(d)
	case len(s.held) > c.r.maxFrame()+protocol.MaxHeaderBytes || c.r.overHeld():
		c.r.unjudged(c, d, "it is too long to hold")
		return false, c.owe(d)
	}
	c.armStall(d)
	return false, nil
}

// passesHead reports whether the partial frame direction s holds has a
// head that its HeadFunc passes. It asks once a frame.
func (c *Conn) passesHead(s *direction) bool {
	if s.head == nil || s.asked {
		return false
	}
	n, _ := protocol.PendingHead(s.framer)
	if n == 0 || n > len(s.held) {
		return false
	}
	s.asked = true
	return s.head(s.held[:n], s.framer.Framing())
}

// owe forwards what direction d holds of its partial frame, which from
// now on is forwarded as it arrives: the framer is owed its start.
func (c *Conn) owe(d protocol.Dir) error {
	s := &c.dirs[d]
	n := len(s.held)
	s.owed += n
	return c.flush(d, n, s.heldAt)
}

// armStall makes sure the partial frame direction d holds is looked at
// again once it may have waited the Relay's PartialWait for its end.
func (c *Conn) armStall(d protocol.Dir) {
	s := &c.dirs[d]
	if s.armed {
		return
	}
	s.armed = true
	wait := c.r.partialWait() - time.Since(s.since)
	if s.stall == nil {
		s.stall = time.AfterFunc(wait, func() { c.stalled(d) })
	} else {
		s.stall.Reset(wait)
	}
}

// stalled forwards direction d's partial frame, unjudged, if it has
// waited the Relay's PartialWait for its end: a peer may be waiting for
// an answer to it (a prompt without its line end, a request waiting for
// 100 Continue), or it never ends (a stream). A frame whose head a rule
// may act on and whose body has a set length waits on: its sender will
// send the rest.
func (c *Conn) stalled(d protocol.Dir) {
	s := &c.dirs[d]
	s.mu.Lock()
	defer s.mu.Unlock()
	s.armed = false
	select {
	case <-c.done:
		return
	default:
	}
	if s.waiting || s.framer == nil || s.dst == nil || s.owed > 0 || len(s.held) == 0 {
		return // a Verdict's Wait holds it, and arms again once it is done
	}
	if n, open := protocol.PendingHead(s.framer); s.asked && n > 0 && !open {
		return
	}
	if time.Since(s.since) < c.r.partialWait() {
		c.armStall(d) // a newer frame
		return
	}
	c.r.unjudged(c, d, fmt.Sprintf("its end did not come within %v", c.r.partialWait()))
	if err := c.owe(d); err != nil {
		c.fail(d, err)
	}
}

// flush writes the first n held bytes of direction d and observes them.
// The caller holds the direction's lock.
func (c *Conn) flush(d protocol.Dir, n int, at time.Time) error {
	s := &c.dirs[d]
	out := bytes.Clone(s.held[:n])
	s.held = append(s.held[:0], s.held[n:]...)
	c.r.unhold(n)
	s.forwarded += int64(n)
	if _, err := s.dst.Write(out); err != nil {
		return err
	}
	c.r.put(event.Event{Type: event.Data, Conn: c.id, Dir: d, At: at, Data: out})
	return nil
}

// endStream passes an end of stream in direction d on: what is held is
// written, then the destination's write side is closed, so the other
// direction can go on. A destination without CloseWrite is closed.
func (c *Conn) endStream(d protocol.Dir) {
	s := &c.dirs[d]
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.held) > 0 {
		if err := c.flush(d, len(s.held), s.heldAt); err != nil {
			c.fail(d, err)
			return
		}
	}
	if s.dst == nil {
		return
	}
	if cw, ok := s.dst.(interface{ CloseWrite() error }); ok {
		// An error here means the peer is gone; the other direction
		// will find out.
		cw.CloseWrite()
	} else {
		s.dst.Close()
	}
}

// dropHeld lets go of what the directions still hold (the connection
// failed before it could be written).
func (c *Conn) dropHeld() {
	for d := range c.dirs {
		s := &c.dirs[d]
		s.mu.Lock()
		c.r.unhold(len(s.held))
		s.held = nil
		s.mu.Unlock()
	}
}

// connected records the upstream; false if the connection was closed
// meanwhile.
func (c *Conn) connected(up net.Conn) bool {
	c.mu.Lock()
	closed := c.closed
	if !closed {
		c.up = up
	}
	c.mu.Unlock()
	if closed {
		return false
	}
	s := &c.dirs[protocol.C2S]
	s.mu.Lock()
	s.dst = up
	s.mu.Unlock()
	return true
}

// fail ends the connection because direction d met err.
func (c *Conn) fail(d protocol.Dir, err error) {
	c.close(fmt.Errorf("%s: %w", d, err))
}

// close closes both sides. err, when it is the first real error, is what
// the connection's event.Close reports; a "use of closed network connection"
// (or, from a named pipe, "file already closed": go-winio's ErrFileClosed
// is os.ErrClosed) is only the echo of our own close.
func (c *Conn) close(err error) {
	c.mu.Lock()
	c.noteErrLocked(err)
	if !c.closed && c.done != nil {
		close(c.done)
	}
	c.closed = true
	up := c.up
	c.mu.Unlock()
	c.client.Close()
	if up != nil {
		up.Close()
	}
}

// noteErr keeps err as what the connection's end reports, if it is the
// first real error, without closing anything.
func (c *Conn) noteErr(err error) {
	c.mu.Lock()
	c.noteErrLocked(err)
	c.mu.Unlock()
}

func (c *Conn) noteErrLocked(err error) {
	if err != nil && c.err == nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, os.ErrClosed) {
		c.err = err
	}
}

func (c *Conn) firstErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// resetDst makes the close of direction d's destination abortive (SO_LINGER
// 0: an RST on TCP; other transports just close): its source was reset, and
// a peer that meets a clean end instead cannot tell a cut stream from a
// whole one.
func (c *Conn) resetDst(d protocol.Dir) {
	c.mu.Lock()
	dst := c.up
	c.mu.Unlock()
	if d == protocol.S2C {
		dst = c.client
	}
	if l, ok := dst.(interface{ SetLinger(int) error }); ok {
		l.SetLinger(0)
	}
}

// abort ends the connection as a Verdict asked: cleanly, or with reset
// abortively (SO_LINGER 0: an RST on TCP; other transports just close).
func (c *Conn) abort(reset bool) {
	if reset {
		c.resetDst(protocol.C2S)
		c.resetDst(protocol.S2C)
	}
	c.close(ErrClosedByRule)
}
