package replay

import (
	"context"
	"encoding/json"
	"sync/atomic"

	"sockscope/client"
	"sockscope/protocol"
)

// forwarder passes the requests `serve` cannot answer to a real server
// (--miss forward:ADDR), on one connection per client connection.
type forwarder struct {
	cl      *client.Conn
	to      *mockConn
	err     error
	started atomic.Bool // a request went: what the server sends now is the client's
}

func newForwarder(ctx context.Context, s *Server, c *mockConn) *forwarder {
	f := &forwarder{to: c}
	nc, err := s.cfg.Forward(ctx)
	if err != nil {
		f.err = err
		return f
	}
	f.cl = client.New(nc, client.Options{IDFields: s.rec.IDFields, Other: func(p []byte) {
		if f.started.Load() { // not the real server's greeting: the client had the recorded one
			c.send(p)
		}
	}})
	return f
}

// forward sends request p to the real server and its reply to the client.
func (f *forwarder) forward(ctx context.Context, p []byte) {
	if f.cl == nil {
		return
	}
	f.started.Store(true)
	go func() {
		if reply, err := f.cl.Call(ctx, p); err == nil {
			f.to.send(reply)
		}
	}()
}

func (f *forwarder) close() {
	if f.cl != nil {
		f.cl.Close()
	}
}

// missReply is the error reply to a request the recording cannot answer,
// in the request's protocol: JSON-RPC, QMP, DAP or the seed protocol.
func missReply(p []byte, info protocol.Info, ids []string, why string) []byte {
	var m map[string]json.RawMessage
	json.Unmarshal(p, &m)
	msg, _ := json.Marshal(why)
	id := json.RawMessage(info.ID)
	var out any
	switch {
	case m["jsonrpc"] != nil:
		out = map[string]any{"jsonrpc": "2.0", "id": id, "error": map[string]any{"code": -32000, "message": json.RawMessage(msg)}}
	case m["execute"] != nil:
		out = map[string]any{"id": id, "error": map[string]any{"class": "GenericError", "desc": json.RawMessage(msg)}}
	case m["type"] != nil && m["command"] != nil:
		out = map[string]any{"type": "response", "request_seq": id, "success": false, "command": m["command"], "message": json.RawMessage(msg)}
	default:
		field := "id"
		for _, k := range ids {
			if m[k] != nil {
				field = k
				break
			}
		}
		out = map[string]any{field: id, "success": false, "error": json.RawMessage(msg)}
	}
	b, _ := json.Marshal(out)
	return b
}
