package capture

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"sockscope/client"
	"sockscope/protocol"
)

// ownAddr names the client end of a connection of sockscope's own.
type ownAddr string

func (a ownAddr) Network() string { return "sockscope" }
func (a ownAddr) String() string  { return string(a) }

// ownConn is the relay's end of a connection of sockscope's own.
type ownConn struct {
	net.Conn
	name ownAddr
}

func (c ownConn) RemoteAddr() net.Addr { return c.name }

// SendNew opens a connection of sockscope's own to the upstream, replays
// the handshake connection like had (LSP initialize and initialized, QMP
// qmp_capabilities; none for a server that speaks first), and sends msg on
// it. The connection shows as sockscope's in the store, everything it sent
// marked injected; it stays open until the capture stops, so that the
// reply (and anything after) is seen. DAP is refused before a connection
// is opened: a debug session starts with a launch or an attach, which
// sockscope does not replay.
func (e *Engine) SendNew(ctx context.Context, like uint64, msg []byte) (Sent, error) {
	if s := e.sender(); s != nil {
		return s.SendNew(ctx, like, msg)
	}
	src, err := e.relay()
	if err != nil {
		return Sent{}, err
	}
	if src.one != nil { // said before a connection is opened and fails
		return Sent{}, errOneConn
	}
	enc := e.decoded.Encoder(like, protocol.C2S) // a question to the decoder's process
	if protocol.Encodes(enc.Framing) {
		return e.sendNewEncoded(ctx, src, like, enc.Framing, msg)
	}
	payload, err := compact(msg)
	if err != nil {
		return Sent{}, err
	}
	method, first, hello := e.decoded.HandshakeRequest(like)
	if client.IsDAP(payload) || hello && client.IsDAP(first) {
		return Sent{}, fmt.Errorf("conn %d speaks DAP: %w; send on the live connection (n)", like, client.ErrDAP)
	}
	if !protocol.IsJSON(enc.Framing) {
		return Sent{}, fmt.Errorf("conn %d speaks %s, which sockscope does not write", like, enc.Framing)
	}
	name := src.ownName()
	ours, theirs := net.Pipe()
	go src.r.ServeOwn(e.ctx, ownConn{theirs, name})
	var cl *client.Conn
	greeted := make(chan struct{}) // closed at QMP's greeting
	greet := sync.OnceFunc(func() { close(greeted) })
	answer := func(p []byte) { // a server that asks the client waits for an answer
		info := protocol.Classify(p, e.cfg.IDFields)
		if info.Kind == protocol.KindNotification && string(info.Method) == "QMP" {
			greet()
		}
		if info.Kind == protocol.KindRequest && info.ID != nil {
			reply := append([]byte(`{"jsonrpc":"2.0","id":`), info.ID...)
			cl.Send(append(reply, `,"result":null}`...))
		}
	}
	cl = client.New(ours, client.Options{Framing: enc.Framing, IDFields: e.cfg.IDFields, Other: answer})
	id, err := e.ownID(ctx, src, name)
	if err != nil {
		ours.Close()
		return Sent{}, err
	}
	if method == "qmp_capabilities" {
		// QEMU greets a client at once, but serves one at a time on a
		// socket: the next waits, ungreeted, for the one before to leave.
		select {
		case <-greeted:
		case <-ctx.Done():
		case <-time.After(qmpGreetingWait):
		}
		select {
		case <-greeted:
		default:
			ours.Close()
			return Sent{Conn: id}, fmt.Errorf("conn %d: the server sent no QMP greeting: QEMU serves one client at a time on a QMP socket, and conn %d is connected; send on it (n)", id, like)
		}
	}
	hctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	_, err = cl.Handshake(hctx, method, first) // none for method "": no handshake known
	cancel()
	if err != nil {
		ours.Close()
		return Sent{Conn: id}, fmt.Errorf("conn %d: handshake: %w", id, err)
	}
	sent := Sent{Conn: id}
	info := protocol.Classify(payload, e.cfg.IDFields)
	if info.Kind == protocol.KindRequest && info.ID != nil {
		sent.WireID = string(info.ID)
	}
	if err := cl.Send(payload); err != nil {
		return sent, err
	}
	return sent, nil
}

// ownName names the next connection of sockscope's own.
func (s *Relay) ownName() ownAddr {
	s.ctl.mu.Lock()
	defer s.ctl.mu.Unlock()
	s.ctl.owns++
	return ownAddr("sockscope#" + strconv.Itoa(s.ctl.owns))
}

// ownID waits for the relay to number the connection named name.
func (e *Engine) ownID(ctx context.Context, src *Relay, name ownAddr) (uint64, error) {
	deadline := time.Now().Add(handshakeTimeout)
	for time.Now().Before(deadline) {
		for _, c := range src.r.Conns() {
			if p := c.Peer(); p != nil && p.Client == string(name) {
				return c.ID(), nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	return 0, fmt.Errorf("the relay never took the connection")
}
