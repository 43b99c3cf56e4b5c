package capture

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"sockscope/protocol"
	"sockscope/proxy"
)

// Timeouts of the way back, said once.
const (
	// switchWait bounds how long Send waits for a direction that is
	// plainly copied to reach a frame boundary.
	switchWait = time.Second
	// ownTimeout is how long an id of sockscope's own request stays
	// claimed without a reply.
	ownTimeout = 2 * time.Minute
	// handshakeTimeout bounds each step of a new connection's handshake.
	handshakeTimeout = 10 * time.Second
	// qmpGreetingWait bounds the wait for QMP's greeting, which QEMU sends
	// at once to a client it serves (and to no other: it serves one).
	qmpGreetingWait = 3 * time.Second
)

// Sent says what Send did.
type Sent struct {
	Conn   uint64 // the connection it went on
	WireID string // the id on the wire, if it was a request ("" otherwise)
}

// control is the Relay's state for acting on its connections.
type control struct {
	mu     sync.Mutex
	tables map[uint64]*idTable // connections sent on, by id
	owns   int                 // connections of sockscope's own opened
}

// relay returns the Source that can act on live connections.
func (e *Engine) relay() (*Relay, error) {
	for _, s := range e.sources {
		if r, ok := s.(*Relay); ok {
			return r, nil
		}
	}
	return nil, errNoSender
}

// sender returns the Source that sends for the engine, if not its relay.
func (e *Engine) sender() Sender {
	for _, s := range e.sources {
		if s, ok := s.(Sender); ok {
			return s
		}
	}
	return nil
}

// Send writes msg, one JSON message without its framing (on a msgpack-RPC
// connection, the JSON view of one, written back), on live connection
// conn in direction dir (C2S: to the server; S2C: to the client), framed
// as that direction is. A request's id (each of a
// JSON-RPC batch's requests') is replaced on the wire by one the peer
// cannot have in flight, and its reply is withheld from the other peer:
// the store shows the exchange as injected. Its
// progress tokens are left out (see withoutProgress), so that no progress
// notification for it reaches the other peer either. The
// connection switches to frame-aware forwarding first; Send fails, sending
// nothing, when a direction stays mid-frame.
func (e *Engine) Send(ctx context.Context, conn uint64, dir protocol.Dir, msg []byte) (Sent, error) {
	if s := e.sender(); s != nil {
		return s.Send(ctx, conn, dir, msg)
	}
	src, err := e.relay()
	if err != nil {
		return Sent{}, err
	}
	payload, err := compact(msg)
	if err != nil {
		return Sent{}, err
	}
	c := src.r.Conn(conn)
	if c == nil {
		return Sent{}, fmt.Errorf("connection %d is closed", conn)
	}
	enc := e.decoded.Encoder(conn, dir)
	msgpack := enc.Framing == protocol.FramingMsgpack // msg is its view
	switch {
	case msgpack:
		if payload, err = protocol.EncodeView(enc.Framing, payload); err != nil {
			return Sent{}, fmt.Errorf("not %s: %w", enc.Framing, err)
		}
	case protocol.Encodes(enc.Framing):
		return Sent{}, fmt.Errorf("conn %d speaks %s, whose replies its client takes in order: sockscope sends it on a new connection (SendNew, N)", conn, enc.Framing)
	case !protocol.IsJSON(enc.Framing):
		return Sent{}, fmt.Errorf("conn %d speaks %s, which sockscope does not write", conn, enc.Framing)
	}
	info := protocol.Classify(payload, e.cfg.IDFields)
	if msgpack {
		info = protocol.ClassifyAs(enc.Framing, payload, dir, e.cfg.IDFields)
	}
	if enc.Framing == protocol.FramingVarlink && dir == protocol.C2S &&
		protocol.ClassifyAs(enc.Framing, payload, dir, e.cfg.IDFields).Kind == protocol.KindRequest {
		// Its reply would go to the client as the answer to its own
		// first call unanswered: varlink pairs by order, with no id to
		// tell sockscope's apart.
		return Sent{}, fmt.Errorf(`conn %d speaks varlink, whose replies have no id: the client would take the reply to sockscope's call for its own; send a oneway call ("oneway": true), or use a new connection (N)`, conn)
	}
	if field := protocol.ByOrderIDField(payload); info.Kind == protocol.KindRequest && info.ID == nil && info.ByOrder && slices.Contains(e.cfg.IDFields, field) {
		// mpv's command without a request_id, QMP's without an id: mpv
		// answers it with request_id 0, QEMU with no id, as they answer
		// the client's own, which would take the reply for one of
		// theirs. It goes with an id of sockscope's, whose reply is
		// withheld.
		if p := protocol.AddMember(payload, field, []byte("0")); p != nil {
			payload, info = p, protocol.Classify(p, e.cfg.IDFields)
		}
	}
	request := info.Kind == protocol.KindRequest && info.ID != nil
	if request && !msgpack {
		if p, changed := withoutProgress(payload); changed {
			payload, info = p, protocol.Classify(p, e.cfg.IDFields)
		}
	}
	tbl := src.table(conn, e.cfg.IDFields)
	dirs := []protocol.Dir{dir}
	if request {
		dirs = append(dirs, dir.Opposite())
	}
	for _, d := range dirs {
		if err := e.frameAware(ctx, c, d, tbl); err != nil {
			return Sent{}, err
		}
	}
	if !request {
		return Sent{Conn: conn}, c.Inject(dir, enc.Append(nil, payload))
	}
	// Asked before claim takes the table's lock, which the relay's
	// forwarding takes per frame: the decoder may be a process away.
	pending := e.decoded.Pending(conn, dir)
	taken := func(id string) bool {
		return slices.ContainsFunc(pending, func(p string) bool { return protocol.SameID([]byte(p), []byte(id)) })
	}
	var wireID string
	var own *ownRequest
	if protocol.IsBatch(payload) {
		// Its id is its requests' (protocol.Classify): each is given one
		// of sockscope's own.
		if payload, wireID, own, err = tbl.claimBatch(dir, payload, ownTimeout, taken); err != nil {
			return Sent{}, err
		}
	} else {
		wireID, own = tbl.claim(dir, info.ID, ownTimeout, taken)
		payload = withWireID(enc.Framing, payload, info, []byte(wireID))
	}
	if err := c.Inject(dir, enc.Append(nil, payload)); err != nil {
		tbl.forget(dir, wireID, own)
		return Sent{}, err
	}
	return Sent{Conn: conn, WireID: wireID}, nil
}

// mpvID is the field of mpv's commands' ids.
const mpvID = "request_id"

// frameAware switches direction d of c to frame-aware forwarding through
// tbl, at a frame boundary: where the frames the store has of d end and
// the relay's stream offset agree. It waits up to switchWait for one.
func (e *Engine) frameAware(ctx context.Context, c *proxy.Conn, d protocol.Dir, tbl *idTable) error {
	enc := e.decoded.Encoder(c.ID(), d)
	deadline := time.Now().Add(switchWait)
	for {
		off, framed := c.Forwarded(d)
		if framed {
			return nil
		}
		if wire, ok := e.decoded.Wire(c.ID(), d); ok && wire == off {
			if c.SetFraming(d, enc.Framing, e.verdictFor(c, d, tbl), e.headFor(c, d), off) == nil {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("conn %d %s: no frame boundary within %v (the stream is mid-frame, or the decoder dropped some of it): nothing sent", c.ID(), d, switchWait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// compact returns msg as compact JSON, or the parser's complaint with the
// position.
func compact(msg []byte) ([]byte, error) {
	var v json.RawMessage
	if err := json.Unmarshal(msg, &v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := position(msg, se.Offset)
			return nil, fmt.Errorf("not JSON: %v (line %d, column %d)", err, line, col)
		}
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	var out []byte
	out, _ = json.Marshal(v) // compact, one line
	return out, nil
}

// position turns a byte offset into a line and a column, from 1.
func position(b []byte, off int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < off-1 && i < int64(len(b)); i++ {
		if b[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// table returns conn's id table, made on first use.
func (s *Relay) table(conn uint64, ids []string) *idTable {
	s.ctl.mu.Lock()
	defer s.ctl.mu.Unlock()
	if s.ctl.tables == nil {
		s.ctl.tables = map[uint64]*idTable{}
	}
	for id := range s.ctl.tables { // forget connections that ended
		if s.r.Conn(id) == nil {
			delete(s.ctl.tables, id)
		}
	}
	t := s.ctl.tables[conn]
	if t == nil {
		t = newIDTable(ids)
		s.ctl.tables[conn] = t
	}
	return t
}
