package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sockscope/internal/plural"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"sockscope/client"
	"sockscope/protocol"
)

// Miss is what `serve` does with a request the recording cannot answer.
type Miss uint8

const (
	// MissError answers with an error in the protocol's shape that names
	// the method and the closest recorded request.
	MissError Miss = iota
	// MissClose closes the connection.
	MissClose
	// MissForward forwards the request to a real server.
	MissForward
)

// ParseMiss parses --miss error|close|forward:ADDR; it returns ADDR for
// forward.
func ParseMiss(s string) (Miss, string, error) {
	switch {
	case s == "error":
		return MissError, "", nil
	case s == "close":
		return MissClose, "", nil
	case strings.HasPrefix(s, "forward:") && len(s) > len("forward:"):
		return MissForward, s[len("forward:"):], nil
	}
	return 0, "", fmt.Errorf("--miss %q: want error, close or forward:ADDR", s)
}

// ServeConfig says how `serve` answers.
type ServeConfig struct {
	Match  Match
	Ignore Ignore
	Miss   Miss
	// Forward connects to the real server (MissForward), once per client
	// connection that misses.
	Forward func(ctx context.Context) (net.Conn, error)
	// Log, if set, gets a line per miss.
	Log io.Writer
}

// Server answers clients from a recording, as the recorded server did.
type Server struct {
	rec      *Recording
	cfg      ServeConfig
	requests *Matcher   // every recorded request of the clients
	notes    *Matcher   // every recorded notification of the clients
	played   []*Conn    // the recorded connections clients play: not a wrapped child's stderr, not sockscope's own, not one the client sent nothing on
	inOrder  []*Matcher // per played connection (sequential, strict)

	conns, answered, misses atomic.Int64
	logMu                   sync.Mutex
}

// NewServer returns the Server of rec. It fails on a recording of a
// protocol it cannot answer (varlink, HTTP/2), and on --miss forward with
// one that is not JSON (HTTP, RESP, msgpack-RPC).
func NewServer(rec *Recording, cfg ServeConfig) (*Server, error) {
	s := &Server{rec: rec, cfg: cfg}
	var reqs, notes []*Exchange
	var reqForms, noteForms [][]byte
	for _, c := range rec.Conns {
		if c.Stderr || c.Own || !c.clientSpoke() {
			// No client spoke on it: a wrapped child's stderr, one of
			// sockscope's own, a readiness probe's, whose framing says
			// nothing (an LSP client played on it got lines).
			continue
		}
		if err := s.canServe(c); err != nil {
			return nil, err
		}
		s.played = append(s.played, c)
		var mine []*Exchange
		var forms [][]byte
		for _, x := range c.Exchanges {
			form := requestForm(c.Framing[protocol.C2S], x.Req.Payload)
			switch {
			case x.Row.Dir != protocol.C2S:
			case x.Row.Kind == protocol.KindRequest:
				mine, forms = append(mine, x), append(forms, form)
			default:
				notes, noteForms = append(notes, x), append(noteForms, form)
			}
		}
		reqs, reqForms = append(reqs, mine...), append(reqForms, forms...)
		s.inOrder = append(s.inOrder, newMatcher(mine, forms, cfg.Match, cfg.Ignore, rec.IDFields))
	}
	s.requests = newMatcher(reqs, reqForms, MatchMethodParams, cfg.Ignore, rec.IDFields)
	s.notes = newMatcher(notes, noteForms, MatchMethodParams, cfg.Ignore, rec.IDFields)
	return s, nil
}

// canServe says why recorded connection c cannot be stood in for, if so.
func (s *Server) canServe(c *Conn) error {
	for _, f := range c.Framing {
		switch f {
		case protocol.FramingVarlink, protocol.FramingHTTP2:
			return fmt.Errorf("%s: conn %d speaks %s: serve answers JSON (lines, content-length), HTTP, RESP and msgpack-RPC recordings", s.rec.Path, c.ID, f)
		case protocol.FramingHTTP, protocol.FramingRESP, protocol.FramingMsgpack:
			if s.cfg.Miss == MissForward {
				return fmt.Errorf("%s: conn %d speaks %s: --miss forward takes JSON protocols only (use --miss error or close)", s.rec.Path, c.ID, f)
			}
		}
	}
	return nil
}

// Requests returns how many recorded requests the Server can answer.
func (s *Server) Requests() int { return s.requests.Len() }

// Summary is the line printed at exit.
func (s *Server) Summary() string {
	return fmt.Sprintf("sockscope serve: %s, %s answered from the recording, %s",
		plural.Of(s.conns.Load(), "connection"), plural.Of(s.answered.Load(), "request"), plural.Of(s.misses.Load(), "miss", "misses"))
}

// Serve answers the clients accepted on ln until ctx is done, then closes
// ln and every connection.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for k := 0; ; k++ {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		s.conns.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveConn(ctx, nc, k)
		}()
	}
}

// mockConn is one client connection of a Server.
type mockConn struct {
	s      *Server
	nc     net.Conn
	enc    protocol.Encoder
	in     protocol.Framer // the client's messages
	wmu    sync.Mutex
	reqs   *Matcher
	cur    Cursor // in the requests
	ncur   Cursor // in the notifications
	first  []byte // the client's handshake request, if it sent one (forward replays it)
	fwd    *forwarder
	closed bool
	seq    int // the seq of the latest DAP message sent (under wmu)
}

// send writes one message to the client, framed as the recorded server
// framed. A DAP message gets the next seq of the connection's own: the
// recorded ones count the recorded connection's messages, those serve
// makes up (a miss's error) have none.
func (c *mockConn) send(p []byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.enc.Framing == protocol.FramingContentLength && client.IsDAP(p) {
		c.seq++
		p = withSeq(p, c.seq)
	}
	c.nc.Write(c.enc.Append(nil, p))
}

// sendAll sends the recorded server's messages ms, but for HTTP's 100
// Continue: serve says its own when a request asks for it, once its head
// is in.
func (c *mockConn) sendAll(ms []*Msg) {
	for _, m := range ms {
		if c.enc.Framing != protocol.FramingHTTP || httpStatus(m.Payload) != 100 {
			c.send(m.Payload)
		}
	}
}

// continue100 is the interim response to a request that asks for it
// before it sends its body (Expect: 100-continue).
const continue100 = "HTTP/1.1 100 Continue\r\n\r\n"

func (s *Server) serveConn(ctx context.Context, nc net.Conn, k int) {
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	defer nc.Close()
	c := &mockConn{s: s, nc: nc, reqs: s.requests}
	in, out := protocol.FramingAuto, protocol.FramingLines
	if len(s.played) > 0 {
		played := s.played[k%len(s.played)]
		in = played.Framing[protocol.C2S]
		if f := played.Framing[protocol.S2C]; f != protocol.FramingAuto {
			out = f
		} else if in != protocol.FramingAuto {
			out = in
		}
		if s.cfg.Match != MatchMethodParams {
			c.reqs = s.inOrder[k%len(s.played)]
		}
		c.enc = protocol.Encoder{Framing: out}
		c.sendAll(played.Greeting())
	} else {
		c.enc = protocol.Encoder{Framing: out}
	}
	defer func() {
		if c.fwd != nil {
			c.fwd.close()
		}
	}()
	// A message is answered (or passed on) whole, not cut at the cap the
	// decoder keeps of a frame: cut, it would be no JSON.
	c.in = protocol.NewFramer(in, client.DefaultMaxFrame)
	buf := make([]byte, 64<<10)
	for !c.closed {
		n, err := nc.Read(buf)
		c.in.Feed(buf[:n], func(fr *protocol.Frame) {
			switch {
			case c.closed:
			case fr.Truncated:
				s.log(fmt.Sprintf("sockscope serve: a message of %d bytes, over the %d serve reads, was not answered", fr.Size, client.DefaultMaxFrame))
			default:
				c.handle(ctx, append([]byte(nil), fr.Data...))
			}
		})
		if err != nil {
			if err == io.EOF && !c.closed && c.fwd != nil {
				// The client ended its side (nc, a script's
				// printf | …) and still reads: the real server's
				// replies to what was forwarded go out before the
				// connection closes, as a server answers what it
				// read before it closes.
				c.fwd.drain(ctx, forwardDrain)
			}
			return
		}
		if !c.closed && protocol.WantsContinue(c.in) {
			// The head of a request that waits for a go-ahead before
			// its body (curl -T, a big --data-binary): it gets one, as
			// from a server that will read the body.
			c.wmu.Lock()
			io.WriteString(c.nc, continue100)
			c.wmu.Unlock()
		}
	}
}

// handle answers one message of the client's.
func (c *mockConn) handle(ctx context.Context, p []byte) {
	s := c.s
	framing := c.in.Framing()
	info := protocol.ClassifyAs(framing, p, protocol.C2S, s.rec.IDFields)
	method := string(info.Method)
	form := requestForm(framing, p)
	switch {
	case info.Kind == protocol.KindRequest && (info.ID != nil || info.ByOrder || protocol.PairingOf(framing) == protocol.PairByOrder):
		// A request: by its id, or (HTTP, RESP, QMP's and mpv's without
		// an id) by its place.
	case info.Kind == protocol.KindResponse: // the answer to a request of the recorded server's, or of the real one's
		if c.fwd != nil {
			c.fwd.reply(p, info)
		}
		return
	case info.Kind == protocol.KindRequest || info.Kind == protocol.KindNotification:
		// A notification: send what the recorded server sent after it; the
		// real server of --miss forward gets it too, once it has a
		// connection (initialized, didOpen, didChange).
		if c.fwd != nil {
			c.fwd.cl.Send(p)
		}
		if x, ok := s.notes.Find(form, method, &c.ncur); ok {
			c.sendAll(x.Followers)
		} else if protocol.IsBatch(p) {
			// A batch of notifications (and maybe what is no message)
			// the recording has none like: each notification gets what
			// followed it when it came alone; the batch gets no reply,
			// but for an Invalid Request per element that is no message.
			c.answerBatch(ctx, framing, p, info)
			return
		}
		if framing == protocol.FramingContentLength && method == "exit" {
			// LSP's exit: the server exits, which ends the connection,
			// and the client waits for that end.
			c.closed = true
			c.nc.Close()
		}
		return
	default:
		s.log(fmt.Sprintf("sockscope serve: not a message serve can answer (%s): %s", info.Err, oneLine(short(p))))
		if framing == protocol.FramingLines || framing == protocol.FramingContentLength {
			c.send(invalidReply(p, info))
		}
		return
	}
	if protocol.IsBatch(p) && !c.reqs.HasMethod(method) {
		// A JSON-RPC batch the recording has none like: its requests
		// were recorded one by one, if at all.
		c.answerBatch(ctx, framing, p, info)
		return
	}
	// The handshake is among the first requests, not always the first
	// (gopls -remote sends gopls/handshake before initialize).
	isHello := c.first == nil && client.IsHandshake(method)
	if isHello {
		c.first = p
	}
	x, ok := c.reqs.Find(form, method, &c.cur)
	if ok && (x.Resp == nil || x.Resp.Cut == 0) {
		s.answered.Add(1)
		before, after := x.Around() // HTTP's 103 Early Hints, LSP's $/progress: in the order they came
		c.sendAll(before)
		if x.Resp != nil && framing == protocol.FramingMsgpack {
			c.send(protocol.MsgpackReplyTo(x.Resp.Payload, info.ID)) // addressed to the client's msgid
		} else if x.Resp != nil {
			c.send(answerWith(x, p, info.ID, c.reqs.ids))
			if framing == protocol.FramingHTTP && httpEndsByClose(p, x.Resp.Payload) {
				// Its body ends where the connection does: the client
				// reads until then.
				c.closed = true
				c.nc.Close()
				return
			}
		}
		c.sendAll(after)
		return
	}
	s.misses.Add(1)
	why := fmt.Sprintf("sockscope serve: no recorded reply to %s %s; %s", method, oneLine(short([]byte(requestKey(form, s.rec.IDFields, nil)))),
		c.reqs.Why(form, method, &c.cur))
	if ok { // its start is no reply: a miss, that says why
		why = fmt.Sprintf("sockscope serve: the recorded reply to %s %s was kept truncated (%d of its %d bytes: it was over --max-frame)",
			method, oneLine(short([]byte(requestKey(form, s.rec.IDFields, nil)))), len(x.Resp.Payload), len(x.Resp.Payload)+x.Resp.Cut)
	}
	switch s.cfg.Miss {
	case MissClose:
		s.log(why)
		c.closed = true
		c.nc.Close()
	case MissForward:
		if err := c.forward(ctx, p, info, isHello); err != nil {
			why += "; forwarding it failed: " + err.Error()
			s.log(why)
			c.send(missReply(p, info, s.rec.IDFields, why))
			return
		}
		s.log(why + "; forwarded to the real server")
	default:
		if r, what := anyServersReply(framing, p); r != nil {
			s.log(why + "; answered " + what + ", as any server would")
			c.send(r)
			return
		}
		s.log(why)
		c.send(missReplyAs(framing, p, info, s.rec.IDFields, why))
	}
}

// answerBatch answers JSON-RPC batch p (info is its Info), which the
// recording has none like, element by element, as the server would: with
// an array of the replies to its requests, each the recorded reply to the
// same request sent alone, and an Invalid Request error for an element
// that is no request. What the recorded server sent around those replies
// goes before and after the array, in the order of the requests; what
// followed its notifications, after. A batch of notifications alone gets
// no array (JSON-RPC 2.0 answers it with nothing).
//
// A request the recording misses gets what --miss says, as one sent
// alone: an error reply in the array (error); the connection closed,
// nothing of the batch answered (close); or the whole batch sent to the
// real server, whose array is the answer (forward: a batch is one
// message, answered by one server, not recorded replies mixed with live
// ones, whose states may differ). Its requests the recording has then
// take none of the recorded replies (with method-params, the next
// identical request gets the one they would have had), and its
// notifications none of what followed them. When forwarding fails, the
// batch is answered from the recording with an error reply that says why
// for each request it misses. A batch answered from the recording on a
// connection that has one to the real server passes its notifications on
// to it (as a batch of them), as one sent alone is.
func (c *mockConn) answerBatch(ctx context.Context, framing protocol.Framing, p []byte, info protocol.Info) {
	s := c.s
	var cur, ncur Cursor // as they were, for a batch forwarded whole
	if s.cfg.Miss == MissForward {
		cur, ncur = c.cur.clone(), c.ncur.clone()
	}
	type part struct {
		e       []byte
		info    protocol.Info
		x       *Exchange // the recorded exchange that answers it, or whose followers follow it (a notification)
		invalid bool      // no request nor notification
		why     string    // a request the recording misses: why
	}
	var parts []part
	misses := 0
	for _, e := range protocol.BatchElements(p) {
		pt := part{e: e, info: protocol.ClassifyAs(framing, e, protocol.C2S, s.rec.IDFields)}
		method := string(pt.info.Method)
		form := requestForm(framing, e)
		switch {
		case pt.info.Kind == protocol.KindRequest && pt.info.ID != nil:
			x, ok := c.reqs.Find(form, method, &c.cur)
			switch {
			case ok && (x.Resp == nil || x.Resp.Cut == 0):
				pt.x = x
			case ok:
				pt.why = fmt.Sprintf("sockscope serve: the recorded reply to %s %s (in a batch) was kept truncated", method, oneLine(short([]byte(requestKey(form, s.rec.IDFields, nil)))))
			default:
				pt.why = fmt.Sprintf("sockscope serve: no recorded reply to %s %s (in a batch); %s", method, oneLine(short([]byte(requestKey(form, s.rec.IDFields, nil)))),
					c.reqs.Why(form, method, &c.cur))
			}
			if pt.why != "" {
				misses++
			}
		case pt.info.Kind == protocol.KindRequest || pt.info.Kind == protocol.KindNotification:
			pt.x, _ = s.notes.Find(form, method, &c.ncur)
		default:
			pt.invalid = true
		}
		parts = append(parts, pt)
	}
	s.misses.Add(int64(misses))
	if misses > 0 {
		switch s.cfg.Miss {
		case MissClose:
			for _, pt := range parts {
				if pt.why != "" {
					s.log(pt.why)
				}
			}
			c.closed = true
			c.nc.Close()
			return
		case MissForward:
			err := c.forward(ctx, p, info, false)
			for i, pt := range parts {
				switch {
				case pt.why == "":
				case err == nil:
					s.log(pt.why + "; forwarded to the real server, with its whole batch")
				default:
					parts[i].why += "; forwarding its batch failed: " + err.Error()
				}
			}
			if err == nil {
				if s.cfg.Match == MatchMethodParams {
					c.cur = cur
				}
				c.ncur = ncur
				return
			}
		}
	}
	if c.fwd != nil {
		var notes [][]byte
		for _, pt := range parts {
			if !pt.invalid && (pt.info.Kind != protocol.KindRequest || pt.info.ID == nil) { // a notification
				notes = append(notes, pt.e)
			}
		}
		if len(notes) > 0 {
			c.fwd.cl.Send(append(append([]byte{'['}, bytes.Join(notes, []byte{','})...), ']'))
		}
	}
	var before, after []*Msg
	out := []byte{'['}
	add := func(reply []byte) {
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, reply...)
	}
	for _, pt := range parts {
		switch {
		case pt.invalid:
			add(invalidReply(pt.e, pt.info))
		case pt.why != "":
			s.log(pt.why)
			add(missReply(pt.e, pt.info, s.rec.IDFields, pt.why))
		case pt.x == nil: // a notification the recording has none like
		case pt.info.Kind == protocol.KindRequest && pt.info.ID != nil:
			s.answered.Add(1)
			b, a := pt.x.Around()
			before, after = append(before, b...), append(after, a...)
			if pt.x.Resp != nil {
				add(answerWith(pt.x, pt.e, pt.info.ID, c.reqs.ids))
			}
		default:
			after = append(after, pt.x.Followers...)
		}
	}
	c.sendAll(before)
	if len(out) > 1 { // a batch of notifications alone gets no reply
		c.send(append(out, ']'))
	}
	c.sendAll(after)
}

// invalidReply is JSON-RPC's answer to what is no message serve can
// answer (info is p's Info): -32700 Parse error to what is not JSON,
// -32600 Invalid Request to JSON that is no request (one per element of
// a batch), each with a null id, as it has none to give.
func invalidReply(p []byte, info protocol.Info) []byte {
	rpcError := func(code int, message, why string) []byte {
		return marshal(map[string]any{"jsonrpc": "2.0", "id": nil, "error": map[string]any{"code": code, "message": message, "data": why}})
	}
	if !json.Valid(p) {
		why := "not JSON"
		if info.Err != "" {
			why += " (" + info.Err + ")"
		}
		return rpcError(-32700, "Parse error", "sockscope serve: "+why)
	}
	const why = "sockscope serve: not a request (an object with a method)"
	if es := protocol.BatchElements(p); protocol.IsBatch(p) && len(es) > 0 {
		out := []byte{'['}
		for i := range es {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, rpcError(-32600, "Invalid Request", why)...)
		}
		return append(out, ']')
	}
	return rpcError(-32600, "Invalid Request", why)
}

// forward sends request p, classified as info, to the real server of
// --miss forward, dialling it first when c has no connection to it open;
// isHello says p is the client's handshake.
func (c *mockConn) forward(ctx context.Context, p []byte, info protocol.Info, isHello bool) error {
	if c.fwd == nil || c.fwd.ended() {
		var hello []byte // the client's handshake, unless this is it: it goes on as it is
		if !isHello {
			hello = c.first
		}
		fwd, err := dialForward(ctx, c, hello)
		if err != nil {
			c.fwd = nil
			return err
		}
		c.fwd = fwd
	}
	return c.fwd.forward(p, info)
}

// httpStatus returns the status code of HTTP response p, or 0 if p is no
// HTTP response.
func httpStatus(p []byte) int {
	if !bytes.HasPrefix(p, []byte("HTTP/1.")) {
		return 0
	}
	m, ok := protocol.ParseHTTP(p)
	if !ok {
		return 0
	}
	_, status, _ := m.StartParts()
	code, _ := strconv.Atoi(string(status))
	return code
}

// isInterim reports whether p is an HTTP interim response: 1xx but 101
// Switching Protocols, which is final.
func isInterim(p []byte) bool {
	code := httpStatus(p)
	return code >= 100 && code < 200 && code != 101
}

// httpEndsByClose reports whether HTTP response resp to request req ends
// with its connection: it says Connection: close, is HTTP/1.0 without
// keep-alive, or has a body of no stated length (RFC 9112, 6.3).
func httpEndsByClose(req, resp []byte) bool {
	m, ok := protocol.ParseHTTP(resp)
	if !ok {
		return false
	}
	conn, _ := m.Get("Connection")
	if bytes.EqualFold(bytes.TrimSpace(conn), []byte("close")) {
		return true
	}
	if bytes.HasPrefix(m.Start, []byte("HTTP/1.0 ")) && !bytes.EqualFold(bytes.TrimSpace(conn), []byte("keep-alive")) {
		return true
	}
	_, status, _ := m.StartParts()
	code, _ := strconv.Atoi(string(status))
	if code < 200 || code == 204 || code == 304 || bytes.HasPrefix(req, []byte("HEAD ")) {
		return false // no body
	}
	_, sized := m.Get("Content-Length")
	te, _ := m.Get("Transfer-Encoding")
	return !sized && !bytes.Contains(bytes.ToLower(te), []byte("chunked"))
}

func (s *Server) log(line string) {
	if s.cfg.Log == nil {
		return
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintln(s.cfg.Log, line)
}
