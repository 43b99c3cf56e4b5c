package capture

import (
	"context"

	"sockscope/client"
	"sockscope/event"
	"sockscope/protocol"
	"sockscope/store"
)

// Decoded is what the control port needs to know of the traffic the
// observer decoded: the store, when the observer runs in this process, or
// questions to the decoder's process (package split).
type Decoded interface {
	// Wire reports how many bytes of direction dir of conn the decoder has
	// seen end in whole frames, if it knows conn.
	Wire(conn uint64, dir protocol.Dir) (int64, bool)
	// Encoder says how direction dir of conn frames: as its last frame (or
	// the other direction's) did, else as the configured framing.
	Encoder(conn uint64, dir protocol.Dir) protocol.Encoder
	// Pending returns the ids of conn's requests asked in dir that still
	// wait for their replies.
	Pending(conn uint64, dir protocol.Dir) []string
	// HandshakeRequest returns the method and the payload of the request
	// that opened conn's handshake (client.IsHandshake), if one of the
	// first handshakeScan requests conn's client sent is still known.
	HandshakeRequest(conn uint64) (method string, payload []byte, ok bool)
}

// A Decoder decodes the engine's events somewhere else than in the
// engine's own observer (Config.Decoder): the engine then keeps no store,
// and its control port asks the Decoder what it needs.
type Decoder interface {
	// Run consumes q until it is closed and drained, releasing every
	// event it takes.
	Run(q *event.Queue)
	Decoded
}

// A Sender is a Source that acts on its connections for the engine: the
// engine's Send and SendNew go to it (a decoder process's source sends
// through the relay's process).
type Sender interface {
	Send(ctx context.Context, conn uint64, dir protocol.Dir, msg []byte) (Sent, error)
	SendNew(ctx context.Context, like uint64, msg []byte) (Sent, error)
}

// storeDecoded is a store as Decoded.
type storeDecoded struct {
	s       *store.Store
	framing protocol.Framing // the configured framing
}

// StoreDecoded returns s as Decoded, with framing the configured one.
func StoreDecoded(s *store.Store, framing protocol.Framing) Decoded {
	return storeDecoded{s, framing}
}

// FallbackEncoder is how to frame on a direction nothing is known of, with
// framing the configured one: Content-Length if configured, else lines.
func FallbackEncoder(framing protocol.Framing) protocol.Encoder {
	if framing == protocol.FramingContentLength {
		return protocol.Encoder{Framing: protocol.FramingContentLength}
	}
	return protocol.Encoder{Framing: protocol.FramingLines}
}

// Wire implements Decoded.
func (d storeDecoded) Wire(conn uint64, dir protocol.Dir) (int64, bool) {
	sc, ok := d.s.Conn(conn)
	return sc.Wire[dir], ok
}

// Encoder implements Decoded.
func (d storeDecoded) Encoder(conn uint64, dir protocol.Dir) protocol.Encoder {
	var found, other *protocol.Message
	first, next := d.s.MessageBounds()
	for seq, n := next-1, 0; seq >= first && seq > 0 && n < 100000 && found == nil; seq, n = seq-1, n+1 {
		m, ok := d.s.Message(seq)
		if !ok || m.Conn != conn || m.Injected {
			continue
		}
		if m.Dir == dir {
			found = &m
		} else if other == nil {
			other = &m
		}
	}
	if found == nil {
		found = other
	}
	if found == nil {
		return FallbackEncoder(d.framing)
	}
	switch found.Framing {
	case protocol.FramingHTTP, protocol.FramingRESP, protocol.FramingMsgpack, protocol.FramingVarlink, protocol.FramingHTTP2:
		// Framed as lines, a msgpack or varlink stream would be held
		// until a newline came, and HTTP's and RESP's cut mid-message.
		return protocol.Encoder{Framing: found.Framing}
	}
	switch extra := found.Frame.Wire - found.Frame.Size; {
	case extra > 2:
		return protocol.Encoder{Framing: protocol.FramingContentLength}
	case extra == 2:
		return protocol.Encoder{Framing: protocol.FramingLines, CRLF: true}
	}
	return protocol.Encoder{Framing: protocol.FramingLines}
}

// Pending implements Decoded.
func (d storeDecoded) Pending(conn uint64, dir protocol.Dir) []string {
	var ids []string
	_, next := d.s.RowBounds()
	n := 0
	d.s.RowsBefore(next, func(r store.Row) bool {
		if r.Conn == conn && r.Dir == dir && r.Status == protocol.StatusPending {
			ids = append(ids, r.ID)
		}
		n++
		return n < 100000
	})
	return ids
}

// handshakeScan is how many of a connection's first requests are looked
// at for the one that opens its handshake: `gopls -remote` sends
// gopls/handshake before initialize.
const handshakeScan = 5

// redisHello is the method HandshakeRequest gives a Redis
// connection's handshake: its payload is the commands that authenticate
// and set the connection up (AUTH, HELLO, SELECT among the first
// handshakeScan), as they were sent, one after the other.
const redisHello = "AUTH/HELLO/SELECT"

// isredisHello reports whether a Redis command of that name sets a
// connection up as a new one must be to run what the old one ran.
func isredisHello(name string) bool {
	return name == "AUTH" || name == "HELLO" || name == "SELECT"
}

// HandshakeRequest implements Decoded.
func (d storeDecoded) HandshakeRequest(conn uint64) (method string, payload []byte, ok bool) {
	first, _ := d.s.MessageBounds()
	n := 0
	d.s.Messages(first, func(m *protocol.Message) bool {
		if m.Conn != conn || m.Dir != protocol.C2S || m.Info.Kind != protocol.KindRequest {
			return true
		}
		if m.Framing == protocol.FramingRESP {
			if isredisHello(string(m.Info.Method)) && !m.Frame.Truncated {
				method, payload, ok = redisHello, append(payload, m.Frame.Data...), true
			}
			n++
			return n < handshakeScan
		}
		if client.IsHandshake(string(m.Info.Method)) {
			method, payload, ok = string(m.Info.Method), append([]byte(nil), m.Frame.Data...), true
			return false
		}
		n++
		return n < handshakeScan
	})
	return method, payload, ok
}
