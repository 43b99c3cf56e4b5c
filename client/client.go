// Package client speaks to a JSON server over one connection, as a client
// of sockscope's own: it frames what it sends, frames what comes back,
// and hands each reply to the call that waits for it. `sockscope send`
// uses it, and so do the connections sockscope opens to an upstream.
//
//	c := client.New(conn, client.Options{})
//	reply, err := c.Call(ctx, []byte(`{"rid":1,"method":"add","args":[1,2]}`))
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"

	"sockscope/protocol"
)

// Options say how a Conn frames and finds ids.
type Options struct {
	// Framing frames what is sent. FramingAuto frames as the server's
	// first message was framed, or as lines when the server has not
	// spoken first.
	Framing protocol.Framing
	// Fallback frames what is sent with Framing FramingAuto while the
	// server has not spoken. If FramingAuto, lines.
	Fallback protocol.Framing
	// NullID, if set, hands a reply whose id is null (JSON-RPC's error
	// reply to a request the server could not read, a parse error) to
	// the call that waits, when only one does. Otherwise it goes to
	// Other.
	NullID bool
	// IDFields are the members that carry request ids. If nil,
	// protocol.DefaultIDFields.
	IDFields []string
	// Other, if set, gets every message from the server that answers no
	// call (a greeting, a notification, a request of the server's). It
	// runs on the reading goroutine.
	Other func(payload []byte)
	// MaxFrame bounds one message from the server, which the client takes
	// whole: a reply longer than it fails its call (ErrTooBig), another
	// message is skipped. If zero, DefaultMaxFrame.
	MaxFrame int
}

// DefaultMaxFrame is the longest message a Conn takes from its server, by
// default: a reply is needed whole (to print, to compare, to pass on),
// not cut at the cap the decoder keeps of a frame.
const DefaultMaxFrame = 256 << 20

// ErrTooBig is returned by a call whose reply is longer than MaxFrame.
var ErrTooBig = errors.New("the reply is longer than a client takes")

// result is what a call waits for: its reply, or why it has none.
type result struct {
	payload []byte
	err     error
}

// Conn is a client connection. Its methods may be called concurrently.
type Conn struct {
	nc   net.Conn
	opts Options

	mu      sync.Mutex
	waiting map[string]chan result // calls by id (protocol.IDKey: ids compare as JSON values)
	framing protocol.Framing       // what the server's frames were cut with
	crlf    bool
	err     error         // why reading stopped
	done    chan struct{} // closed when reading stops
	wmu     sync.Mutex    // serialises writes
}

// ErrClosed is returned by calls on a connection that ended.
var ErrClosed = errors.New("the connection closed")

// New starts reading nc's replies. Close it with Close.
func New(nc net.Conn, opts Options) *Conn {
	if opts.IDFields == nil {
		opts.IDFields = protocol.DefaultIDFields
	}
	if opts.MaxFrame <= 0 {
		opts.MaxFrame = DefaultMaxFrame
	}
	c := &Conn{nc: nc, opts: opts, waiting: map[string]chan result{}, done: make(chan struct{})}
	go c.read()
	return c
}

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }

// Done is closed when the server ended the connection (or Close).
func (c *Conn) Done() <-chan struct{} { return c.done }

func (c *Conn) read() {
	defer close(c.done)
	f := protocol.NewFramer(c.opts.Framing, c.opts.MaxFrame, c.opts.IDFields...)
	buf := make([]byte, 64<<10)
	emit := func(fr *protocol.Frame) {
		c.mu.Lock()
		if c.framing == protocol.FramingAuto {
			c.framing = f.Framing()
			c.crlf = protocol.EncoderOf(c.framing, *fr).CRLF
		}
		c.mu.Unlock()
		if fr.Truncated {
			// Only its start is kept: no reply, and nothing to pass on.
			if w := fr.Whole; w != nil && w.Kind == protocol.KindResponse && w.ID != nil {
				if ch, ok := c.take(w.ID); ok {
					ch <- result{err: fmt.Errorf("%w: %d bytes, over %d", ErrTooBig, fr.Size, c.opts.MaxFrame)}
				}
			}
			return
		}
		payload := append([]byte(nil), fr.Data...)
		info := protocol.Classify(payload, c.opts.IDFields)
		if info.Kind == protocol.KindResponse && info.ID != nil {
			if ch, ok := c.take(info.ID); ok {
				ch <- result{payload: payload}
				return
			}
		}
		if info.Kind == protocol.KindResponse && info.ID == nil && info.IsError && c.opts.NullID {
			c.mu.Lock()
			var ch chan result
			if len(c.waiting) == 1 {
				for key, w := range c.waiting {
					ch = w
					delete(c.waiting, key)
				}
			}
			c.mu.Unlock()
			if ch != nil {
				ch <- result{payload: payload}
				return
			}
		}
		if c.opts.Other != nil {
			c.opts.Other(payload)
		}
	}
	for {
		n, err := c.nc.Read(buf)
		f.Feed(buf[:n], emit)
		if err != nil {
			f.Flush(emit)
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			return
		}
	}
}

// take removes and returns the channel of the call waiting for the reply
// with id, if one is.
func (c *Conn) take(id []byte) (chan result, bool) {
	key := string(protocol.IDKey(nil, id))
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.waiting[key]
	delete(c.waiting, key)
	return ch, ok
}

// encoder returns how to frame what is sent.
func (c *Conn) encoder() protocol.Encoder {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.opts.Framing != protocol.FramingAuto:
		return protocol.Encoder{Framing: c.opts.Framing}
	case c.framing != protocol.FramingAuto:
		return protocol.Encoder{Framing: c.framing, CRLF: c.crlf}
	case c.opts.Fallback != protocol.FramingAuto:
		return protocol.Encoder{Framing: c.opts.Fallback}
	}
	return protocol.Encoder{Framing: protocol.FramingLines}
}

// Heard returns how the server's frames were cut, FramingAuto while it
// has sent nothing.
func (c *Conn) Heard() protocol.Framing {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.framing
}

// Send writes one message, framed, and waits for nothing.
func (c *Conn) Send(payload []byte) error {
	frame := c.encoder().Append(nil, payload)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.nc.Write(frame)
	return err
}

// Call sends request payload, which must carry an id, and waits for the
// reply with that id, until ctx is done or the connection ends.
func (c *Conn) Call(ctx context.Context, payload []byte) ([]byte, error) {
	p, err := c.Start(payload)
	if err != nil {
		return nil, err
	}
	return p.Wait(ctx)
}

// Pending is a request sent, its reply awaited.
type Pending struct {
	c  *Conn
	id string
	ch chan result
}

// Start sends request payload, which must carry an id, and returns what
// waits for its reply. The request is written when Start returns:
// requests started one after another go out in that order, whoever waits.
func (c *Conn) Start(payload []byte) (*Pending, error) {
	info := protocol.Classify(payload, c.opts.IDFields)
	if info.ID == nil {
		return nil, fmt.Errorf("the request has no id (in %v)", c.opts.IDFields)
	}
	p := &Pending{c: c, id: string(protocol.IDKey(nil, info.ID)), ch: make(chan result, 1)}
	c.mu.Lock()
	c.waiting[p.id] = p.ch
	c.mu.Unlock()
	if err := c.Send(payload); err != nil {
		p.forget()
		return nil, err
	}
	return p, nil
}

// Wait waits for the reply until ctx is done or the connection ends.
// Called once: then the request is forgotten.
func (p *Pending) Wait(ctx context.Context) ([]byte, error) {
	defer p.forget()
	select {
	case r := <-p.ch:
		return r.payload, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.c.done:
		select {
		case r := <-p.ch:
			return r.payload, r.err
		default:
		}
		return nil, ErrClosed
	}
}

func (p *Pending) forget() {
	p.c.mu.Lock()
	delete(p.c.waiting, p.id)
	p.c.mu.Unlock()
}

// Handshake sends what a protocol needs before a request, given the
// request (of method method) that opened the handshake of the connection
// this one stands beside (see IsHandshake): LSP's initialize (answered)
// and then initialized, QMP's qmp_capabilities (answered, after the
// greeting; without an id, as QMP's clients mostly send it, it goes with
// one of sockscope's, "sockscope-handshake"). It returns the server's
// reply to the request that opened it. DAP's initialize is refused with
// ErrDAP. For another method it sends nothing: the protocol has no
// handshake, or the server speaks first.
func (c *Conn) Handshake(ctx context.Context, method string, first []byte) ([]byte, error) {
	switch method {
	case "initialize":
		if IsDAP(first) {
			return nil, ErrDAP
		}
		reply, err := c.Call(ctx, first)
		if err != nil {
			return nil, err
		}
		return reply, c.Send([]byte(`{"jsonrpc":"2.0","method":"initialized","params":{}}`))
	case "qmp_capabilities":
		if protocol.Classify(first, c.opts.IDFields).ID == nil {
			if first = protocol.AddMember(first, "id", []byte(`"sockscope-handshake"`)); first == nil {
				return nil, fmt.Errorf("qmp_capabilities is no JSON object")
			}
		}
		return c.Call(ctx, first)
	}
	return nil, nil
}

// IsHandshake reports whether a request of method opens a handshake that
// Handshake replays. It may follow a few requests of the protocol's own:
// `gopls -remote` sends gopls/handshake before initialize.
func IsHandshake(method string) bool {
	return method == "initialize" || method == "qmp_capabilities"
}

// ErrDAP says why a DAP handshake is not replayed.
var ErrDAP = errors.New("a new DAP connection is no debug session until it launches or attaches, which would start a second one")

// IsDAP reports whether payload is a message of the Debug Adapter
// Protocol: a "type" of request, response or event, and no "jsonrpc".
func IsDAP(payload []byte) bool {
	var m struct {
		Type    string          `json:"type"`
		JSONRPC json.RawMessage `json:"jsonrpc"`
	}
	if json.Unmarshal(payload, &m) != nil || m.JSONRPC != nil {
		return false
	}
	return m.Type == "request" || m.Type == "response" || m.Type == "event"
}
