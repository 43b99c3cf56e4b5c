package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"sockscope/protocol"
)

// maxHeld bounds the partial frame a frame-aware direction holds back. A
// longer frame is forwarded as it arrives, and nothing can be injected until
// it ends.
const maxHeld = protocol.DefaultMaxFrame + protocol.MaxHeaderBytes

// Conn is one relayed connection: a client and its upstream.
type Conn struct {
	id     uint64
	r      *Relay
	client net.Conn
	peer   *Peer

	mu     sync.Mutex
	up     net.Conn // nil until dialled
	closed bool
	err    error // the first real error

	dirs [2]direction // by protocol.Dir
}

// direction is the forwarding state of one direction of a Conn.
type direction struct {
	mu  sync.Mutex // serialises writes to dst; guards the fields below
	dst net.Conn   // nil until dialled
	// framer, when set, makes forwarding frame-aware: only whole frames
	// are written, so a frame can be injected between two of them.
	framer protocol.Framer
	held   []byte    // read, not yet written: the start of a partial frame
	heldAt time.Time // when the last held byte was read
	owed   int       // bytes of the partial frame already written (it outgrew maxHeld)
}

// ID returns the connection's id, as in its Events.
func (c *Conn) ID() uint64 { return c.id }

// Peer describes the connection's two ends.
func (c *Conn) Peer() *Peer { return c.peer }

// SetFraming switches direction dir between plain copying (FramingRaw) and
// frame-aware forwarding with framing f, without interrupting the
// connection. The switch takes effect between two reads. Frame-aware
// forwarding assumes the stream is at a frame boundary at the switch. A
// partial frame held back when switching is written first, so SetFraming
// may wait for the destination.
//
// In frame-aware mode a partial frame is held back until it is complete,
// so a peer waiting on a frame that never ends waits for it.
func (c *Conn) SetFraming(dir protocol.Dir, f protocol.Framing) {
	s := &c.dirs[dir]
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.held) > 0 && s.dst != nil {
		if err := c.flush(dir, len(s.held), s.heldAt); err != nil {
			c.fail(dir, err)
		}
	}
	s.held, s.owed, s.framer = nil, 0, nil
	if f != protocol.FramingRaw {
		s.framer = protocol.NewFramer(f, protocol.DefaultMaxFrame)
	}
}

// Inject writes frame to the destination of direction dir, between two
// whole frames, and reports it to the observer as Injected Data. The
// direction must be frame-aware (SetFraming); in plain copying the stream
// might be mid-frame. frame must carry its own framing (a trailing "\n", a
// Content-Length header).
func (c *Conn) Inject(dir protocol.Dir, frame []byte) error {
	s := &c.dirs[dir]
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.framer == nil:
		return fmt.Errorf("conn %d %s: inject needs frame-aware forwarding (SetFraming)", c.id, dir)
	case s.owed > 0:
		return fmt.Errorf("conn %d %s: inject: an oversized frame is being forwarded", c.id, dir)
	case s.dst == nil:
		return fmt.Errorf("conn %d %s: inject: upstream not connected yet", c.id, dir)
	}
	at := time.Now()
	data := bytes.Clone(frame)
	if _, err := s.dst.Write(data); err != nil {
		return fmt.Errorf("conn %d %s: inject: %w", c.id, dir, err)
	}
	c.r.put(Event{Type: EventData, Conn: c.id, Dir: dir, At: at, Data: data, Injected: true})
	return nil
}

// forward writes data, read at at into slab from, to the destination of d,
// then observes it. It reports whether the observer kept data (with a
// reference on from), so that the caller must not reuse those bytes. In
// frame-aware mode nothing is kept: the bytes held back are a copy, and a
// framer keeps none of a chunk once Feed returns.
func (c *Conn) forward(d protocol.Dir, data []byte, at time.Time, from *slab) (kept bool, err error) {
	s := &c.dirs[d]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.framer == nil {
		if _, err := s.dst.Write(data); err != nil {
			return false, err
		}
		from.retain()
		if !c.r.put(Event{Type: EventData, Conn: c.id, Dir: d, At: at, Data: data, slab: from}) {
			from.release()
			return false, nil
		}
		return true, nil
	}
	complete := 0 // stream bytes in the frames this chunk completes
	s.framer.Feed(data, func(f protocol.Frame) { complete += f.Wire })
	s.held = append(s.held, data...)
	s.heldAt = at
	if complete > 0 {
		n := min(max(complete-s.owed, 0), len(s.held))
		s.owed = 0
		if err := c.flush(d, n, at); err != nil {
			return false, err
		}
	}
	if len(s.held) > maxHeld {
		n := len(s.held)
		s.owed += n
		if err := c.flush(d, n, at); err != nil {
			return false, err
		}
	}
	return false, nil
}

// flush writes the first n held bytes of direction d and observes them.
// The caller holds the direction's lock.
func (c *Conn) flush(d protocol.Dir, n int, at time.Time) error {
	s := &c.dirs[d]
	out := s.held[:n:n]
	s.held = append([]byte(nil), s.held[n:]...)
	if _, err := s.dst.Write(out); err != nil {
		return err
	}
	c.r.put(Event{Type: EventData, Conn: c.id, Dir: d, At: at, Data: out})
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
	if cw, ok := s.dst.(interface{ CloseWrite() error }); ok {
		// An error here means the peer is gone; the other direction
		// will find out.
		cw.CloseWrite()
	} else {
		s.dst.Close()
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
// the connection's EventClose reports; a "use of closed network connection"
// (or, from a named pipe, "file already closed": go-winio's ErrFileClosed
// is os.ErrClosed) is only the echo of our own close.
func (c *Conn) close(err error) {
	c.mu.Lock()
	if err != nil && c.err == nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, os.ErrClosed) {
		c.err = err
	}
	c.closed = true
	up := c.up
	c.mu.Unlock()
	c.client.Close()
	if up != nil {
		up.Close()
	}
}

func (c *Conn) firstErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}
