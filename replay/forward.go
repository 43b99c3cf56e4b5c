package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"sockscope/client"
	"sockscope/protocol"
)

// forwardHandshake bounds the handshake on a forward connection.
const forwardHandshake = 10 * time.Second

// forwardDrain bounds how long a client connection that ended its side
// stays open for the replies to its forwarded requests.
const forwardDrain = 10 * time.Second

// forwarder passes the requests `serve` cannot answer to a real server
// (--miss forward:ADDR), on one connection per client connection, framed
// as the client frames.
type forwarder struct {
	cl  *client.Conn
	to  *mockConn
	ids []string

	mu      sync.Mutex
	asked   map[string][]byte // the forwarded requests not answered yet, by id
	theirs  map[string]bool   // the real server's requests to the client not answered yet, by id
	started bool              // one was answered: what the server sends now is the client's
	closing bool              // the client's connection ended
	sending int               // replies taken from asked, not yet sent to the client

	answered chan struct{} // gets a value when a reply was sent to the client
	watched  chan struct{} // closed once the real server's end is dealt with (watch)
}

// dialForward opens c's connection to the real server, and runs on it the
// handshake hello (the client's first request) says the protocol needs:
// LSP's initialize and initialized, QMP's qmp_capabilities (see
// client.Conn.Handshake). What the server sends before it answers the
// first forwarded request (its greeting, what followed the handshake) is
// not the client's, which had the recorded one: it is dropped, and a
// request of the server's among it gets the protocol's typed default.
func dialForward(ctx context.Context, c *mockConn, hello []byte) (*forwarder, error) {
	nc, err := c.s.cfg.Forward(ctx)
	if err != nil {
		return nil, err
	}
	framing := c.in.Framing()
	if framing == protocol.FramingAuto {
		framing = protocol.FramingLines
	}
	f := &forwarder{to: c, ids: c.s.rec.IDFields, asked: map[string][]byte{}, theirs: map[string]bool{},
		answered: make(chan struct{}, 1), watched: make(chan struct{})}
	f.cl = client.New(nc, client.Options{Framing: framing, IDFields: f.ids, Other: f.fromServer})
	if hello != nil {
		hctx, cancel := context.WithTimeout(ctx, forwardHandshake)
		defer cancel()
		info := protocol.Classify(hello, f.ids)
		if _, err := f.cl.Handshake(hctx, string(info.Method), hello); err != nil {
			f.cl.Close()
			return nil, fmt.Errorf("the handshake (%s) with the real server: %w", info.Method, err)
		}
	}
	go f.watch()
	return f, nil
}

// forward sends request p (info is its Info) to the real server; its
// reply goes to the client as it comes.
func (f *forwarder) forward(p []byte, info protocol.Info) error {
	key := string(protocol.IDKey(nil, info.ID))
	f.mu.Lock()
	f.asked[key] = p
	f.mu.Unlock()
	if err := f.cl.Send(p); err != nil {
		f.mu.Lock()
		delete(f.asked, key)
		f.mu.Unlock()
		return err
	}
	return nil
}

// fromServer takes what the real server sent that answers no call of the
// forwarder's own (the handshake's): the replies to the forwarded requests
// and, from the first of them on, everything else, go to the client.
func (f *forwarder) fromServer(p []byte) {
	info := protocol.Classify(p, f.ids)
	f.mu.Lock()
	answers := false
	if info.Kind == protocol.KindResponse && info.ID != nil {
		key := string(protocol.IDKey(nil, info.ID))
		if _, answers = f.asked[key]; answers {
			delete(f.asked, key)
			f.started = true
			f.sending++
		}
	}
	started := f.started
	if started && info.Kind == protocol.KindRequest && info.ID != nil {
		f.theirs[string(protocol.IDKey(nil, info.ID))] = true
	}
	f.mu.Unlock()
	switch {
	case started:
		f.to.send(p)
		if answers {
			f.mu.Lock()
			f.sending--
			f.mu.Unlock()
			select {
			case f.answered <- struct{}{}:
			default:
			}
		}
	case info.Kind == protocol.KindRequest && info.ID != nil: // the server waits for an answer
		f.cl.Send(typedDefault(p, info.ID, string(info.Method)))
	}
}

// reply passes the client's reply p (info is its Info) to the real server
// if it answers one of the real server's requests. The client's replies
// to the recorded server's requests, which `serve` played, are no answer
// the real server waits for. (A recorded request and a real one pending
// with the same id cannot be told apart: the first reply goes to the real
// server.)
func (f *forwarder) reply(p []byte, info protocol.Info) {
	if info.ID == nil {
		return
	}
	key := string(protocol.IDKey(nil, info.ID))
	f.mu.Lock()
	ok := f.theirs[key]
	delete(f.theirs, key)
	f.mu.Unlock()
	if ok {
		f.cl.Send(p)
	}
}

// watch answers the forwarded requests still waiting when the real server
// ends the connection, with an error saying so.
func (f *forwarder) watch() {
	defer close(f.watched)
	<-f.cl.Done()
	f.mu.Lock()
	pending, closing := f.asked, f.closing
	f.asked = map[string][]byte{}
	f.mu.Unlock()
	if closing || len(pending) == 0 {
		return
	}
	s := f.to.s
	why := fmt.Sprintf("sockscope serve: --miss forward: the real server closed the connection before it answered %d forwarded requests", len(pending))
	s.log(why)
	for _, p := range pending {
		f.to.send(missReply(p, protocol.Classify(p, f.ids), f.ids, why))
	}
}

// drain waits until every forwarded request was answered (its reply sent
// to the client), the real server's end was dealt with, ctx is done or d
// passed.
func (f *forwarder) drain(ctx context.Context, d time.Duration) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		f.mu.Lock()
		waiting := len(f.asked) + f.sending
		f.mu.Unlock()
		if waiting == 0 {
			return
		}
		select {
		case <-f.answered:
		case <-f.watched:
			return
		case <-ctx.Done():
			return
		case <-timer.C:
			return
		}
	}
}

// ended reports whether the real server's connection ended.
func (f *forwarder) ended() bool {
	select {
	case <-f.cl.Done():
		return true
	default:
		return false
	}
}

func (f *forwarder) close() {
	f.mu.Lock()
	f.closing = true
	f.mu.Unlock()
	f.cl.Close()
}

// missReply is the error reply to a request the recording cannot answer,
// in the request's protocol: JSON-RPC, QMP, DAP or the seed protocol.
func missReply(p []byte, info protocol.Info, ids []string, why string) []byte {
	if protocol.IsBatch(p) { // a JSON-RPC batch: an array of the replies to its requests
		out := []byte{'['}
		for _, e := range protocol.BatchElements(p) {
			if info := protocol.Classify(e, ids); info.Kind == protocol.KindRequest && info.ID != nil {
				if len(out) > 1 {
					out = append(out, ',')
				}
				out = append(out, missReply(e, info, ids, why)...)
			}
		}
		return append(out, ']')
	}
	var m map[string]json.RawMessage
	json.Unmarshal(p, &m)
	msg := marshal(why)
	id := json.RawMessage(info.ID)
	var out any
	switch {
	case m["jsonrpc"] != nil:
		out = map[string]any{"jsonrpc": "2.0", "id": id, "error": map[string]any{"code": -32000, "message": json.RawMessage(msg)}}
	case m["execute"] != nil:
		qmp := map[string]any{"error": map[string]any{"class": "GenericError", "desc": json.RawMessage(msg)}}
		if id != nil { // QMP answers a command without an id with none
			qmp["id"] = id
		}
		out = qmp
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
		if id == nil && info.ByOrder && bytes.HasPrefix(bytes.TrimSpace(m["command"]), []byte("[")) {
			field, id = "request_id", json.RawMessage("0") // mpv's command without one: mpv answers with 0
		}
		out = map[string]any{field: id, "success": false, "error": json.RawMessage(msg)}
	}
	return marshal(out)
}

// missReplyAs is missReply for a request framed with f: an HTTP request
// gets a 502 whose body says why, a RESP command an error reply.
func missReplyAs(f protocol.Framing, p []byte, info protocol.Info, ids []string, why string) []byte {
	switch f {
	case protocol.FramingHTTP:
		body := why + "\n"
		if strings.HasPrefix(string(info.Method), "HEAD ") {
			body = ""
		}
		return fmt.Appendf(nil, "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\n\r\n%s", len(why)+1, body)
	case protocol.FramingRESP:
		return fmt.Appendf(nil, "-ERR %s\r\n", strings.NewReplacer("\r", " ", "\n", " ").Replace(why))
	case protocol.FramingMsgpack:
		return protocol.MsgpackErrorReply(info.ID, why)
	}
	return missReply(p, info, ids, why)
}

// anyServersReply is the reply any server gives to RESP command p, which
// the recording has none like, and what it is, or nil: redis-cli --pipe
// ends with an ECHO of its own and waits for it, and clients PING to check
// the connection.
func anyServersReply(f protocol.Framing, p []byte) ([]byte, string) {
	if f != protocol.FramingRESP {
		return nil, ""
	}
	if args := protocol.RESPArgs(p); len(args) == 2 && bytes.EqualFold(args[0], []byte("ECHO")) {
		return fmt.Appendf(nil, "$%d\r\n%s\r\n", len(args[1]), args[1]), "its argument"
	} else if len(args) == 1 && bytes.EqualFold(args[0], []byte("PING")) {
		return []byte("+PONG\r\n"), "PONG"
	}
	return nil, ""
}
