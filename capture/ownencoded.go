package capture

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"time"

	"sockscope/protocol"
)

// sendNewEncoded is SendNew on a connection like one whose protocol
// sockscope writes from its JSON view (HTTP/1, Redis, msgpack-RPC): view
// is the message's view, written as framing f frames it. A Redis
// connection's handshake (RedisHandshake: AUTH, HELLO, SELECT) is sent
// first, and its replies waited for: the command runs as the client's
// did, authenticated, in the same database and protocol version.
func (e *Engine) sendNewEncoded(ctx context.Context, src *Relay, like uint64, f protocol.Framing, view []byte) (Sent, error) {
	wire, err := protocol.EncodeView(f, view)
	if err != nil {
		return Sent{}, fmt.Errorf("not %s: %w", f, err)
	}
	var hello []byte
	if f == protocol.FramingRESP {
		if method, p, ok := e.decoded.HandshakeRequest(like); ok && method == RedisHandshake {
			hello = p
		}
	}
	name := src.ownName()
	ours, theirs := net.Pipe()
	go src.r.ServeOwn(e.ctx, ownConn{theirs, name})
	names := commandNames(hello)
	replies := make(chan []byte, len(names)) // drainOwn never waits on it
	go drainOwn(ours, f, len(names), replies)
	id, err := e.ownID(ctx, src, name)
	if err != nil {
		ours.Close()
		return Sent{}, err
	}
	if len(hello) > 0 {
		if err := redisHandshake(ctx, ours, hello, names, replies); err != nil {
			ours.Close()
			return Sent{Conn: id}, fmt.Errorf("conn %d: handshake: %w", id, err)
		}
	}
	if _, err := ours.Write(wire); err != nil {
		return Sent{Conn: id}, err
	}
	return Sent{Conn: id}, nil
}

// redisHandshake sends a Redis connection's handshake commands on c and
// waits for their replies (drainOwn's on replies): one that is an error
// ends it (a password that no longer works, a database that is not
// there).
func redisHandshake(ctx context.Context, c net.Conn, hello []byte, names []string, replies <-chan []byte) error {
	if _, err := c.Write(hello); err != nil {
		return err
	}
	timeout := time.After(handshakeTimeout)
	for _, name := range names {
		select {
		case r, ok := <-replies:
			if !ok {
				return fmt.Errorf("the server closed the connection after %s", name)
			}
			if protocol.ClassifyAs(protocol.FramingRESP, r, protocol.S2C, nil).IsError {
				v, _ := protocol.AppendView(nil, protocol.FramingRESP, &protocol.Frame{Data: r})
				return fmt.Errorf("%s: the server answered %s", name, v)
			}
		case <-ctx.Done():
			return ctx.Err()
		case <-timeout:
			return fmt.Errorf("no reply to %s within %v", name, handshakeTimeout)
		}
	}
	return nil
}

// commandNames returns the names of the Redis commands in p, in order.
func commandNames(p []byte) []string {
	if len(p) == 0 {
		return nil
	}
	var names []string
	fr := protocol.NewFramer(protocol.FramingRESP, 0)
	fr.Feed(p, func(m *protocol.Frame) {
		names = append(names, string(protocol.ClassifyAs(protocol.FramingRESP, m.Data, protocol.C2S, nil).Method))
	})
	return names
}

// drainOwn reads what the server sends on a connection of sockscope's own
// until it ends (the relay has observed it already), giving the first n
// replies on replies (pushes and pub/sub messages are not replies), which
// must have room for them; replies is closed when the connection ends.
func drainOwn(c net.Conn, f protocol.Framing, n int, replies chan<- []byte) {
	defer close(replies)
	fr := protocol.NewFramer(f, 0)
	buf := make([]byte, 32<<10)
	for {
		k, err := c.Read(buf)
		if n > 0 {
			fr.Feed(buf[:k], func(m *protocol.Frame) {
				info := protocol.ClassifyAs(f, m.Data, protocol.S2C, nil)
				if n > 0 && info.Kind == protocol.KindResponse {
					n--
					replies <- bytes.Clone(m.Data)
				}
			})
		}
		if err != nil {
			c.Close()
			return
		}
	}
}
