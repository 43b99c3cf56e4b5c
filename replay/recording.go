// Package replay plays a recorded session back: `sockscope replay` sends
// the clients' side of each recorded connection to a server again and
// compares every response with the recorded one (a structural JSON diff),
// and `sockscope serve` stands in for the recorded server, answering
// requests from the recording.
//
// Both start from a Recording, the session file decoded by the capture
// engine, so that the pairing is the one show and the UI use:
//
//	rec, err := replay.Load(ctx, "session.jsonl", replay.LoadOptions{})
//	...
//	r := replay.New(rec, replay.Config{Dial: dial, Pace: replay.PaceReply})
//	e.Start(ctx, r) // a capture.Source: the replay is observed (and recorded) as live traffic
//	err = e.Wait(ctx)
//	res := r.Result()
package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"time"

	"sockscope/capture"
	"sockscope/event"
	"sockscope/observe"
	"sockscope/protocol"
	"sockscope/session"
	"sockscope/store"
)

// Msg is one recorded frame.
type Msg struct {
	Seq     uint64 // the store's message seq
	Dir     protocol.Dir
	At      time.Time
	Payload []byte
	Info    protocol.Info // its ID and Method alias Payload
	// Cut counts the bytes of the frame the recording did not keep (it
	// was over --max-frame): Payload is its start, which cannot be sent
	// again, nor compared whole.
	Cut int
}

// Exchange is a recorded request with its response, if it had one.
type Exchange struct {
	Row  store.Row
	Req  *Msg
	Resp *Msg // nil when the request got no reply
	// Cancelled is set when the asking side cancelled it (LSP's
	// $/cancelRequest, MCP's notifications/cancelled, DAP's cancel): its
	// response (then or now) is a race.
	Cancelled bool
	// Followers are what the server sent, not a response, after the
	// request (or notification) and before the client's next one: what
	// `serve` sends when it answers it.
	Followers []*Msg
	// viewed is the framing of its protocol when the replay does not
	// speak it as JSON (HTTP/1.1, RESP, msgpack-RPC, varlink): it sends the
	// request as its bytes, pairs the new response as the decoder pairs
	// it, and compares the two through their JSON views (wire.go).
	// FramingAuto for JSON.
	viewed protocol.Framing
	// queued, for a Redis EXEC, are the commands queued since its MULTI,
	// in order: EXEC's array holds their replies (wireView).
	queued []string
}

// Conn is one recorded connection.
type Conn struct {
	ID      uint64
	Client  string
	Opened  time.Time
	Framing [2]protocol.Framing // by protocol.Dir, as detected
	// OpenAtExit is set when the connection was still open when the
	// recording stopped: its requests without a reply were still waiting.
	OpenAtExit bool
	// Stderr marks the stream of a wrapped child's stderr (sockscope
	// wrap): recorded as a connection, but none to replay.
	Stderr bool
	// Own marks a connection sockscope opened itself (N, send --new): its
	// client was sockscope, so on the client's side it holds no request;
	// `serve` plays no client on it, `replay` sends it as any other.
	Own  bool
	Msgs []*Msg // in the order they were observed
	// Exchanges are the requests of both directions (and the client's
	// notifications, with no Resp), in the order they were sent.
	Exchanges []*Exchange
	byReq     map[uint64]*Exchange
	greeting  []*Msg // what Greeting returns, once linked
}

// Exchange returns the exchange request message seq started.
func (c *Conn) Exchange(seq uint64) *Exchange { return c.byReq[seq] }

// clientSpoke reports whether the client sent anything on c (its side as
// the Recording holds it).
func (c *Conn) clientSpoke() bool {
	return slices.ContainsFunc(c.Msgs, func(m *Msg) bool { return m.Dir == protocol.C2S })
}

// Greeting returns what the server sent before the client's first message
// was read (link), but for what answers a request, and an HTTP interim
// response (1xx but 101): a read is forwarded first and reported after,
// so on a busy machine the server's answer to the first request, and what
// came with it, may be recorded before the request; link gives those to
// the request, where serve sends them once, and not also on connect.
func (c *Conn) Greeting() []*Msg { return c.greeting }

// Recording is a session file decoded.
type Recording struct {
	Path     string
	Header   session.Header
	IDFields []string
	Conns    []*Conn
	// Store holds the decoded rows, for the filter language.
	Store *store.Store
	// Damaged says what of the file was skipped as no record, or nil
	// (capture.File.Damaged).
	Damaged error
}

// Side is whose conversation a Recording holds where sockscope acted on
// the traffic. A recording says what each peer really received: a frame
// sockscope sent itself is marked injected (the other peer never sent
// it), one it did not pass on withheld (the other peer never received
// it). So the client's side and the server's side of a connection may
// differ, and a Recording holds one of them.
type Side uint8

const (
	// ClientSide holds what the connecting program sent and received:
	// the frames it sent (those sockscope withheld from the server too,
	// not those sockscope injected toward the server: on a connection
	// sockscope opened itself, none) and those it received (sockscope's
	// injected ones too, not those withheld from it), each as recorded.
	// `serve` answers clients from it.
	ClientSide Side = iota
	// ServerSide holds what the server received and sent. It received
	// the client's frames but those sockscope withheld from it, and
	// those sockscope injected toward it: a resent or composed request,
	// and everything sent on a connection sockscope opened itself (N),
	// whose client was sockscope. It sent every frame recorded toward the
	// client but those sockscope injected (a composed message, a reply
	// sockscope made up), those sockscope withheld from the client
	// included (the replies to sockscope's requests, a frame a rule
	// dropped), each as the server sent it: a frame sockscope edited on
	// its way to the client as it was before the edit, when the edit's
	// note holds all of it (else as edited), and of a frame sockscope
	// forwarded twice, one copy. `replay` sends the server what it
	// received and compares what it sends with what it sent.
	ServerSide
)

// holds reports whether side s holds m, a recorded frame.
func (s Side) holds(m *protocol.Message) bool {
	if s == ServerSide {
		return !(m.Withheld && m.Dir == protocol.C2S || m.Injected && m.Dir == protocol.S2C)
	}
	return !(m.Injected && m.Dir == protocol.C2S || m.Withheld && m.Dir == protocol.S2C)
}

// LoadOptions say how a session file is decoded.
type LoadOptions struct {
	// Side is whose side of each connection the Recording holds (the
	// zero Side: the client's).
	Side Side
	// IDFields override the id fields the file was recorded with.
	IDFields []string
	// MaxBytes bounds the store; if zero, store.DefaultMaxBytes. A
	// recording that does not fit is an error: a replay needs all of it.
	MaxBytes int64
}

// Load decodes the session file at path with the capture engine.
func Load(ctx context.Context, path string, o LoadOptions) (*Recording, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src := capture.NewFile(f)
	h, err := src.Header()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ids := h.IDFields
	if len(o.IDFields) > 0 {
		ids = o.IDFields
	}
	if len(ids) == 0 {
		ids = protocol.DefaultIDFields
	}
	framing, err := protocol.ParseFraming(h.Framing)
	if err != nil {
		framing = protocol.FramingAuto
	}
	col := &collector{ids: ids, side: o.Side, conns: map[uint64]*Conn{}}
	e, err := capture.New(capture.Config{Framing: framing, IDFields: ids, MaxBytes: o.MaxBytes,
		Lossless: true, Sinks: []observe.Sink{col}})
	if err != nil {
		return nil, err
	}
	e.Start(ctx, src)
	if err := e.Wait(ctx); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if ev := e.Store.Totals().Evicted; ev > 0 {
		return nil, fmt.Errorf("%s: too big to replay in memory (%d messages evicted): raise --max-bytes", path, ev)
	}
	rec := &Recording{Path: path, Header: h, IDFields: ids, Store: e.Store, Damaged: src.Damaged()}
	for _, c := range e.Store.Conns() {
		rc := col.conns[c.ID]
		if rc == nil {
			rc = &Conn{ID: c.ID}
		}
		rc.Client, rc.Opened, rc.Own = c.Client, c.Opened, c.Own
		rc.OpenAtExit = c.State == store.ConnOpenAtExit
		rc.Stderr = h.Listen == wrapListen && c.Client == wrapStderr
		rec.Conns = append(rec.Conns, rc)
	}
	e.Store.Rows(0, func(r store.Row) bool {
		if c := col.conns[r.Conn]; c != nil && r.Req != 0 && (r.Kind == protocol.KindRequest || (r.Kind == protocol.KindNotification && r.Dir == protocol.C2S)) {
			c.addExchange(r, col.msgs[r.Req], col.msgs[r.Resp])
		}
		return true
	})
	for _, c := range rec.Conns {
		c.link(ids)
		if f := c.sendFraming(); sentAsBytes(f) {
			var queued []string // since the last MULTI; nil outside one
			for _, x := range c.Exchanges {
				x.viewed = f
				if f != protocol.FramingRESP || x.Row.Dir != protocol.C2S {
					continue
				}
				switch x.Row.Method {
				case "MULTI":
					queued = []string{}
				case "EXEC":
					x.queued, queued = queued, nil
				case "DISCARD":
					queued = nil
				default:
					if queued != nil {
						queued = append(queued, x.Row.Method)
					}
				}
			}
		}
	}
	return rec, nil
}

// How a wrap recording names its child's stdio and the child's stderr
// stream (capture.NewWrap, sockscope wrap's header).
const (
	wrapListen = "stdio"
	wrapStderr = "stderr"
)

// sendFraming is the framing the replay sends c's client side with.
func (c *Conn) sendFraming() protocol.Framing {
	for _, f := range []protocol.Framing{c.Framing[protocol.C2S], c.Framing[protocol.S2C]} {
		if f != protocol.FramingAuto {
			return f
		}
	}
	return protocol.FramingLines
}

// comparable reports whether the replay compares x's response: a request
// of the client's, with an id, or one that pairs by order in a protocol
// that pairs by id (QMP's execute, mpv's command, without an id: the
// replay gives it one, withOwnID), or any of a protocol the replay sends
// as bytes (an HTTP request, a Redis command that gets a reply, a
// msgpack-RPC request, a varlink call that is not oneway).
func comparable(x *Exchange) bool {
	return x.Row.Dir == protocol.C2S && x.Row.Kind == protocol.KindRequest &&
		(x.Req.Info.ID != nil || x.Req.Info.ByOrder || x.viewed != protocol.FramingAuto)
}

func (c *Conn) addExchange(r store.Row, req, resp *Msg) {
	if req == nil {
		return
	}
	if c.byReq == nil {
		c.byReq = map[uint64]*Exchange{}
	}
	x := &Exchange{Row: r, Req: req, Resp: resp}
	c.Exchanges = append(c.Exchanges, x)
	c.byReq[req.Seq] = x
}

// link sorts the exchanges by request, marks the cancelled ones and gives
// each client message the server messages that were read after it and
// before the client's next one, but for the answers: its followers; those
// read before the client's first message are the greeting. It goes by
// the read times (readOrder), not the order the messages were recorded
// in: a read is forwarded first and reported after, so a server's message
// may be recorded before the client's message it follows (a second
// SUBSCRIBE confirmation before its SUBSCRIBE, and after the reply to the
// command before it, was that command's follower: serve sent it there,
// where a client took it for the next reply). An HTTP interim response
// (1xx but 101) goes to the request whose final response comes next,
// which is the one it answers: it may have been read before that request
// ended (a request's frame ends with its body, and 100 Continue came
// before the body) or after the previous answer.
func (c *Conn) link(ids []string) {
	slices.SortFunc(c.Exchanges, func(a, b *Exchange) int { return compareSeq(a.Req.Seq, b.Req.Seq) })
	answers := map[uint64]bool{}
	var answered []*Exchange // the client's requests with a response, by response
	for _, x := range c.Exchanges {
		if x.Resp != nil {
			answers[x.Resp.Seq] = true
			if x.Row.Dir == protocol.C2S {
				answered = append(answered, x)
			}
		}
	}
	slices.SortFunc(answered, func(a, b *Exchange) int { return compareSeq(a.Resp.Seq, b.Resp.Seq) })
	http := c.Framing[protocol.S2C] == protocol.FramingHTTP
	var last *Exchange // the client's latest request or notification
	spoke := false     // the client sent something
	c.greeting = nil
	for _, m := range readOrder(c.Msgs) {
		spoke = spoke || m.Dir == protocol.C2S
		switch {
		case m.Dir == protocol.C2S && c.byReq[m.Seq] != nil:
			last = c.byReq[m.Seq]
			if cancels(string(m.Info.Method)) {
				c.cancel(m)
			}
		case m.Dir != protocol.S2C || answers[m.Seq]:
		case http && isInterim(m.Payload):
			i, _ := slices.BinarySearchFunc(answered, m.Seq, func(x *Exchange, seq uint64) int { return compareSeq(x.Resp.Seq, seq) })
			if i < len(answered) {
				answered[i].Followers = append(answered[i].Followers, m)
			} else if last != nil {
				last.Followers = append(last.Followers, m)
			}
		case last != nil:
			last.Followers = append(last.Followers, m)
		case !spoke:
			c.greeting = append(c.greeting, m)
		}
	}
}

// readOrder returns msgs, recorded in the order they were observed, in
// the order they were read: the two directions merged by read time, each
// in its own order (a wall clock that stepped back reorders neither), a
// tie in the order observed.
func readOrder(msgs []*Msg) []*Msg {
	var dirs [2][]*Msg
	for _, m := range msgs {
		dirs[m.Dir] = append(dirs[m.Dir], m)
	}
	out := make([]*Msg, 0, len(msgs))
	a, b := dirs[0], dirs[1]
	for len(a) > 0 && len(b) > 0 {
		if b[0].At.Before(a[0].At) || !a[0].At.Before(b[0].At) && b[0].Seq < a[0].Seq {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	return append(append(out, a...), b...)
}

// Around splits x's followers (in the order they came, as link gives
// them) into those the server sent before x's response and those it sent
// after, as `serve` sends them.
func (x *Exchange) Around() (before, after []*Msg) {
	if x.Resp == nil {
		return nil, x.Followers
	}
	i, _ := slices.BinarySearchFunc(x.Followers, x.Resp.Seq, func(m *Msg, seq uint64) int { return compareSeq(m.Seq, seq) })
	return x.Followers[:i], x.Followers[i:]
}

// cancels reports whether method is a cancellation: LSP's
// $/cancelRequest (params.id), MCP's notifications/cancelled
// (params.requestId), DAP's cancel request (arguments.requestId).
func cancels(method string) bool {
	switch method {
	case "$/cancelRequest", "notifications/cancelled", "cancel":
		return true
	}
	return false
}

// cancel marks the request the cancellation m names: the latest one before
// it with that id, asked by the same side.
func (c *Conn) cancel(m *Msg) {
	var n struct {
		Params struct {
			ID        json.RawMessage `json:"id"`
			RequestID json.RawMessage `json:"requestId"`
		} `json:"params"`
		Arguments struct {
			RequestID json.RawMessage `json:"requestId"`
		} `json:"arguments"`
	}
	if json.Unmarshal(m.Payload, &n) != nil {
		return
	}
	raw := n.Params.ID
	if raw == nil {
		raw = n.Params.RequestID
	}
	if raw == nil {
		raw = n.Arguments.RequestID
	}
	if raw == nil {
		return
	}
	id := compactJSON(raw)
	for i := len(c.Exchanges) - 1; i >= 0; i-- {
		x := c.Exchanges[i]
		if x.Req.Seq < m.Seq && x.Row.Dir == protocol.C2S && x.Row.ID == string(id) {
			x.Cancelled = true
			return
		}
	}
}

func compareSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compactJSON returns b compacted, or b when it is not JSON.
func compactJSON(b []byte) []byte {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return b
	}
	return buf.Bytes()
}

// collector is the Sink that keeps every frame of the recording that its
// side holds, with the framing it was cut with.
type collector struct {
	ids   []string
	side  Side
	conns map[uint64]*Conn
	msgs  map[uint64]*Msg
	// twin is, by connection, the last frame toward the client if
	// sockscope forwarded it twice: the next one, the same, is its second
	// copy (ServerSide).
	twin map[uint64][]byte
}

func (c *collector) conn(id uint64) *Conn {
	rc := c.conns[id]
	if rc == nil {
		rc = &Conn{ID: id}
		c.conns[id] = rc
	}
	return rc
}

func (c *collector) Open(conn uint64, at time.Time, p *event.Peer) { c.conn(conn).Opened = at }

func (c *collector) Frame(m *protocol.Message, framing protocol.Framing, _ time.Time) {
	if c.msgs == nil {
		c.msgs = map[uint64]*Msg{}
	}
	rc := c.conn(m.Conn)
	if framing != protocol.FramingAuto {
		rc.Framing[m.Dir] = framing
	}
	if !c.side.holds(m) {
		return // the other side's: sockscope sent it, or kept it from this side's peer
	}
	p := append([]byte(nil), m.Frame.Data...)
	if c.side == ServerSide && m.Dir == protocol.S2C {
		var ok bool
		if p, ok = c.sent(m, p); !ok {
			return // the second copy of a frame the server sent once
		}
	}
	msg := &Msg{Seq: m.Seq, Dir: m.Dir, At: m.At, Payload: p}
	if m.Frame.Truncated {
		// The observer's: what the recording says it was, or what its
		// start says.
		msg.Cut = m.Frame.Size - len(m.Frame.Data)
		msg.Info = m.Info
		msg.Info.ID, msg.Info.Method = bytes.Clone(m.Info.ID), bytes.Clone(m.Info.Method)
	} else {
		msg.Info = protocol.Classify(p, c.ids)
	}
	rc.Msgs = append(rc.Msgs, msg)
	c.msgs[m.Seq] = msg
}

// sent returns frame m toward the client, whose payload is p, as the
// server sent it: as it was before sockscope edited it, when the edit's
// note holds all of it; false for the second copy of a frame sockscope
// forwarded twice (a duplicate rule), which the observer cut from one
// write right after the first.
func (c *collector) sent(m *protocol.Message, p []byte) ([]byte, bool) {
	first, twin := c.twin[m.Conn]
	delete(c.twin, m.Conn)
	switch {
	case m.Note == nil:
	case m.Note.Act == protocol.ActDuplicated:
		if twin && bytes.Equal(first, p) {
			return nil, false
		}
		if c.twin == nil {
			c.twin = map[uint64][]byte{}
		}
		c.twin[m.Conn] = p
	case m.Note.Act == protocol.ActEdited:
		if old, ok := capture.EditedFrom(m.Note, p); ok {
			return old, true
		}
	}
	return p, true
}

func (c *collector) Gap(uint64, protocol.Dir, time.Time, int64)  {}
func (c *collector) Close(conn uint64, at time.Time, err string) {}
func (c *collector) Flush() error                                { return nil }
