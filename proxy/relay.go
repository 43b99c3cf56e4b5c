// Package proxy relays connections between clients and an upstream server,
// forwarding every byte first and reporting it to an observer after.
//
// Typical use:
//
//	ln, err := proxy.Listen(listenAddr, 0)
//	...
//	q := proxy.NewQueue(0, false)
//	r := &proxy.Relay{
//		Listener: ln,
//		Dial:     proxy.DialFunc(upstreamAddr),
//		Upstream: upstreamAddr.String(),
//		Queue:    q,
//	}
//	go func() {
//		var evs []proxy.Event
//		for ok := true; ok; {
//			evs, ok = q.Take(evs[:0])
//			for _, ev := range evs { ... }
//		}
//	}()
//	err = r.Serve(ctx)
//	q.Close()
//
// The observer never slows the traffic: the Queue drops Data it has no room
// for (and says how much), unless it was made lossless.
package proxy

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"sockscope/event"

	"sockscope/protocol"
)

// Read buffer sizes, said once.
const (
	// DefaultReadSize is the most a relay reads at once when Relay.ReadSize
	// is zero: as much as a peer that pipelines may have waiting (a Unix
	// socket's send buffer is about 208 KiB), so that a relay behind its
	// peers catches up in fewer reads and writes.
	DefaultReadSize = 256 << 10
	// minSlab and maxSlab bound the slabs reads land in: a slab starts small
	// and doubles while reads fill the space they are given.
	minSlab = 8 << 10
	maxSlab = 1 << 20
)

// errStopped closes the connections still open when the relay stops: they
// end as open at exit, not failed.
var errStopped = event.ErrStopped

// Relay accepts clients on Listener and connects each to the upstream
// server through Dial. Its zero value is inert: Serve needs a Listener and
// a Dial.
type Relay struct {
	// Listener is where clients connect. Serve closes it when its context
	// is done.
	Listener net.Listener
	// Dial connects to the upstream server, once per client.
	Dial func(ctx context.Context) (net.Conn, error)
	// Upstream names the upstream server in each Peer.
	Upstream string
	// Queue receives the Events. If nil, nothing is observed.
	Queue *event.Queue
	// ReadSize is the most read at once. If zero, DefaultReadSize.
	ReadSize int
	// MaxFrame bounds the partial frame a frame-aware direction holds back
	// (plus its headers); a longer frame is forwarded as it arrives. If
	// zero, protocol.DefaultMaxFrame.
	MaxFrame int
	// MaxHeld bounds the bytes all frame-aware directions hold back
	// together. If zero, DefaultMaxHeld.
	MaxHeld int64
	// PartialWait bounds how long a frame-aware direction holds a partial
	// frame waiting for its end before it forwards it as it arrives. If
	// zero, DefaultPartialWait.
	PartialWait time.Duration
	// Unjudged, if set, is told of each frame a frame-aware direction
	// forwards as it arrives without its FrameFunc's verdict, and why.
	Unjudged func(c *Conn, d protocol.Dir, why string)
	// Prepare, if set, is called for each connection once its upstream is
	// dialled, before any of its bytes are relayed: it may switch its
	// directions to frame-aware forwarding from offset 0 (Conn.SetFraming).
	Prepare func(c *Conn)

	nextID atomic.Uint64
	held   atomic.Int64 // bytes held back by frame-aware directions
	mu     sync.Mutex
	conns  map[uint64]*Conn
	done   bool // Serve has returned; no new connections
}

// Serve accepts clients until ctx is done or the Listener is closed, and
// relays each in its own goroutines. Before it returns, it closes every
// live connection and waits for its goroutines. It returns nil when stopped
// by ctx or a closed Listener, or the Accept error that stopped it. With a
// lossless Queue, someone must go on taking from it (or close it) for Serve
// to return.
func (r *Relay) Serve(ctx context.Context) error {
	if r.Listener == nil || r.Dial == nil {
		return errors.New("proxy: Relay needs a Listener and a Dial")
	}
	r.mu.Lock()
	r.done = false
	r.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { r.Listener.Close() })
	defer stop()
	connCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		r.closeAll()
		wg.Wait()
	}()
	var delay time.Duration
	for {
		nc, err := r.Listener.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			if t, ok := err.(interface{ Temporary() bool }); ok && t.Temporary() {
				// Out of file descriptors and the like: wait and retry, as
				// net/http does.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				select {
				case <-time.After(delay):
					continue
				case <-ctx.Done():
					return nil
				}
			}
			return err
		}
		delay = 0
		// Numbered here, in the order they were accepted: the first
		// client to connect is connection 1.
		id := r.nextID.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.serveConn(connCtx, id, nc, false)
		}()
	}
}

// ServeConn relays one client connection that did not come from the
// Listener (a child's stdio, a connection of sockscope's own) to the
// upstream, until both directions have ended or ctx is done. It needs a
// Dial. Serve, when it stops, closes such connections too.
func (r *Relay) ServeConn(ctx context.Context, client net.Conn) {
	r.serveConn(ctx, r.nextID.Add(1), client, false)
}

// ServeOwn is ServeConn for a connection sockscope itself opened to the
// upstream: its Peer says Own, and everything it sends is observed as
// Injected.
func (r *Relay) ServeOwn(ctx context.Context, client net.Conn) {
	r.serveConn(ctx, r.nextID.Add(1), client, true)
}

// serveConn relays client, connection id, until both directions have ended.
func (r *Relay) serveConn(ctx context.Context, id uint64, client net.Conn, own bool) {
	c := &Conn{id: id, r: r, client: client, own: own, done: make(chan struct{})}
	// Stopping ends the connection as open at exit, whichever of this and
	// closeAll comes first.
	stop := context.AfterFunc(ctx, func() { c.close(errStopped) })
	defer stop()
	c.dirs[protocol.S2C].dst = client
	// The peer is set before the connection is tracked: Conns hands it to
	// other goroutines (the control port looks for its own by Peer).
	c.peer = &event.Peer{
		Client:   addrString(client.RemoteAddr()),
		Listen:   r.listenAddr(),
		Upstream: r.Upstream,
		Own:      own,
	}
	c.peer.PID, c.peer.UID = PeerCred(client)
	c.peer.Process = acceptName(c.peer.PID)
	if !r.track(c) {
		client.Close()
		return
	}
	defer r.untrack(c)
	r.put(event.Event{Type: event.Open, Conn: c.id, At: time.Now(), Peer: c.peer})

	up, err := r.Dial(ctx)
	if err == nil && !c.connected(up) {
		up.Close()
		err = errStopped
	}
	if err != nil && ctx.Err() != nil {
		err = errStopped // the dial was cut short by the stop
	}
	if err != nil {
		client.Close()
		r.put(event.Event{Type: event.Close, Conn: c.id, At: time.Now(), Err: fmt.Errorf("dial upstream: %w", err)})
		return
	}
	if r.Prepare != nil {
		r.Prepare(c)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go pipe(&wg, c, protocol.C2S, client)
	go pipe(&wg, c, protocol.S2C, up)
	wg.Wait()
	client.Close()
	up.Close()
	c.dropHeld()
	r.put(event.Event{Type: event.Close, Conn: c.id, At: time.Now(), Err: c.firstErr()})
}

// pipe copies direction d of c from src to the other side until src ends.
// Each read is forwarded first and observed after. Reads land in a slab
// that is handed to the observer piece by piece, so nothing is copied, and
// that is reused once the observer has released every piece.
func pipe(wg *sync.WaitGroup, c *Conn, d protocol.Dir, src net.Conn) {
	defer wg.Done()
	readSize := c.r.ReadSize
	if readSize <= 0 {
		readSize = DefaultReadSize
	}
	size := minSlab
	if c.r.Queue == nil {
		size = readSize // nothing is kept: one buffer, reused
	}
	var cur *slab
	defer func() {
		if cur != nil {
			cur.release()
		}
	}()
	off, filled := 0, false
	for {
		grow := filled && size < maxSlab && c.r.Queue != nil
		if cur == nil || len(cur.buf)-off < min(size, readSize)/4 || grow {
			if grow {
				size *= 2
			}
			if cur != nil {
				cur.release()
			}
			cur, off, filled = getSlab(size), 0, false
		}
		buf := cur.buf[off:min(len(cur.buf), off+readSize)]
		n, err := src.Read(buf)
		if n > 0 {
			at := time.Now()
			filled = filled || n == len(buf)
			kept, werr := c.forward(d, buf[:n:n], at, cur)
			if kept {
				off += n
			}
			if errors.Is(werr, syscall.EPIPE) {
				// The destination stopped reading (a wrapped child that
				// closed its stdin, a peer that shut its reading side or
				// went away): this direction ends, the other goes on, as
				// without sockscope; the connection's end says why.
				c.noteErr(fmt.Errorf("%s: %w", d, werr))
				if cr, ok := src.(interface{ CloseRead() error }); ok {
					cr.CloseRead()
				}
				return
			}
			if werr != nil {
				c.fail(d, werr)
				return
			}
		}
		if err == io.EOF {
			c.endStream(d)
			return
		}
		if err != nil {
			if errors.Is(err, syscall.ECONNRESET) {
				c.resetDst(d) // what the other peer would have met without sockscope
			}
			c.fail(d, err)
			return
		}
	}
}

func (r *Relay) put(ev event.Event) bool {
	if r.Queue == nil {
		return false
	}
	return r.Queue.Put(ev)
}

// ReserveID takes the next connection id for a stream that is not relayed
// but shares the Relay's Queue (a wrapped child's stderr), so that no
// connection the Relay numbers later gets it.
func (r *Relay) ReserveID() uint64 { return r.nextID.Add(1) }

// Conn returns the live connection with the given id, or nil.
func (r *Relay) Conn(id uint64) *Conn {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.conns[id]
}

// Conns returns the live connections, oldest first.
func (r *Relay) Conns() []*Conn {
	r.mu.Lock()
	cs := make([]*Conn, 0, len(r.conns))
	for _, c := range r.conns {
		cs = append(cs, c)
	}
	r.mu.Unlock()
	slices.SortFunc(cs, func(a, b *Conn) int { return cmp.Compare(a.id, b.id) })
	return cs
}

func (r *Relay) track(c *Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return false
	}
	if r.conns == nil {
		r.conns = map[uint64]*Conn{}
	}
	r.conns[c.id] = c
	return true
}

func (r *Relay) untrack(c *Conn) {
	r.mu.Lock()
	delete(r.conns, c.id)
	r.mu.Unlock()
}

// closeAll stops new connections and closes the live ones.
func (r *Relay) closeAll() {
	r.mu.Lock()
	r.done = true
	cs := make([]*Conn, 0, len(r.conns))
	for _, c := range r.conns {
		cs = append(cs, c)
	}
	r.mu.Unlock()
	for _, c := range cs {
		c.close(errStopped)
	}
}

// listenAddr names the Listener, if there is one.
func (r *Relay) listenAddr() string {
	if r.Listener == nil {
		return ""
	}
	return addrString(r.Listener.Addr())
}

func (r *Relay) maxFrame() int {
	if r.MaxFrame > 0 {
		return r.MaxFrame
	}
	return protocol.DefaultMaxFrame
}

// DefaultPartialWait is how long a frame-aware direction holds a partial
// frame by default: local peers write a frame at once, so one that has
// not ended by then is a stream, or a prompt with no line end.
const DefaultPartialWait = 500 * time.Millisecond

func (r *Relay) partialWait() time.Duration { return cmp.Or(r.PartialWait, DefaultPartialWait) }

func (r *Relay) unjudged(c *Conn, d protocol.Dir, why string) {
	if r.Unjudged != nil {
		r.Unjudged(c, d, why)
	}
}

// hold and unhold count the bytes frame-aware directions hold back;
// overHeld reports whether together they pass MaxHeld.
func (r *Relay) hold(n int)   { r.held.Add(int64(n)) }
func (r *Relay) unhold(n int) { r.held.Add(-int64(n)) }
func (r *Relay) overHeld() bool {
	limit := r.MaxHeld
	if limit <= 0 {
		limit = DefaultMaxHeld
	}
	return r.held.Load() > limit
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}
