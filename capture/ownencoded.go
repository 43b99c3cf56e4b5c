package capture

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"slices"
	"time"

	"sockscope/protocol"
)

// sendNewEncoded is SendNew on a connection like one whose protocol
// sockscope writes from its JSON view (HTTP/1, Redis, msgpack-RPC): view
// is the message's view, written as framing f frames it. A Redis
// connection's handshake (redisHello: AUTH, HELLO, SELECT) is sent
// first, and its replies waited for: the command runs as the client's
// did, authenticated, in the same database and protocol version.
func (e *Engine) sendNewEncoded(ctx context.Context, src *Relay, like uint64, f protocol.Framing, view []byte) (Sent, error) {
	wire, err := protocol.EncodeView(f, view)
	if err != nil {
		return Sent{}, fmt.Errorf("not %s: %w", f, err)
	}
	var hello []byte
	if f == protocol.FramingRESP {
		if method, p, ok := e.decoded.HandshakeRequest(like); ok && method == redisHello {
			hello = p
		}
	}
	name := src.ownName()
	ours, theirs := net.Pipe()
	go src.r.ServeOwn(e.ctx, ownConn{theirs, name})
	names := commandNames(hello)
	replies := make(chan []byte, len(names)) // drainOwn never waits on it
	go drainOwn(ours, f, len(names), answered(f, wire), replies)
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

// answered reports whether a connection of sockscope's own that sent
// frame wire (of framing f) after its handshake is done once its reply
// comes: an HTTP/1 request's, a Redis command's, unless the command makes
// the connection a stream (SUBSCRIBE, MONITOR, SYNC: what comes after is
// what was asked for). A msgpack-RPC connection stays open, as a JSON one
// does: its server may call or notify later.
func answered(f protocol.Framing, wire []byte) bool {
	switch f {
	case protocol.FramingHTTP:
		return true
	case protocol.FramingRESP:
		name := commandNames(wire)
		return len(name) == 1 && !slices.Contains([]string{"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "MONITOR", "SYNC", "PSYNC"}, name[0])
	}
	return false
}

// drainOwn reads what the server sends on a connection of sockscope's own
// until it ends (the relay has observed it already), giving the first hs
// replies (the handshake's) on replies, which must have room for them;
// replies is closed when the connection ends. With done, it closes the
// connection once the reply after those comes (to the one request sent),
// unless that is an HTTP 101, which switches the connection to another
// protocol: a resend leaves no connection open behind it.
func drainOwn(c net.Conn, f protocol.Framing, hs int, done bool, replies chan<- []byte) {
	defer close(replies)
	defer c.Close()
	fr := protocol.NewFramer(f, 0)
	buf := make([]byte, 32<<10)
	n := 0                           // replies so far
	framing, answered := true, false // framing: still looking at the replies
	for {
		k, err := c.Read(buf)
		if framing {
			fr.Feed(buf[:k], func(m *protocol.Frame) {
				info := protocol.ClassifyAs(f, m.Data, protocol.S2C, nil)
				if !framing || info.Kind != protocol.KindResponse {
					return
				}
				switch n++; {
				case n <= hs:
					replies <- bytes.Clone(m.Data)
				case done && !(f == protocol.FramingHTTP && protocol.CodeOf(info.Method) == 101):
					answered = true
				default:
					framing = false // the rest is only drained
				}
			})
		}
		if err != nil || answered {
			return
		}
	}
}
