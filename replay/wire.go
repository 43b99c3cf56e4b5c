package replay

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"sockscope/client"
	"sockscope/event"
	"sockscope/observe"
	"sockscope/protocol"
	"sockscope/store"
)

// The replay of a connection whose protocol the client package does not
// speak (HTTP/1.1, Redis RESP2 and RESP3, msgpack-RPC, varlink): its
// client's frames are sent as the server received them, byte for byte, and
// what comes back is decoded and paired by the capture's own decoder (an
// observer of the connection's own), so that a new response answers the
// request show and the UI pair it with: by order on the connection, a
// SUBSCRIBE with its first confirmation, a command inside MULTI with its
// QUEUED, EXEC with the array of its replies, an HTTP request with its
// final response (not a 1xx), a varlink call with its last reply (not one
// that "continues"); by msgid in msgpack-RPC. The two responses are
// compared through their JSON views (wireView).

// sentAsBytes reports whether the replay sends frames of framing f as
// their bytes and pairs their responses with its own decoder.
func sentAsBytes(f protocol.Framing) bool {
	switch f {
	case protocol.FramingHTTP, protocol.FramingRESP, protocol.FramingMsgpack, protocol.FramingVarlink:
		return true
	}
	return false
}

// wireConn is the one connection a wireDecoder's observer knows.
const wireConn = 1

// wireReply is how a request sent again ended: its new response (nil for
// none) and its row's status.
type wireReply struct {
	resp   []byte
	status protocol.Status
	// cut, if not zero, is the size of a reply longer than maxWireFrame,
	// of which resp is the start.
	cut int
	// lost: the server ended the connection before it answered.
	lost bool
	at   time.Time
}

// wireDecoder decodes one replayed connection as the capture does, and
// hands each request's end to whoever waits for it. Its observer runs
// under mu, and calls the decoder's Sink methods with mu held.
type wireDecoder struct {
	framing protocol.Framing
	obs     *observe.Observer

	mu     sync.Mutex
	closed bool
	sent   []*Msg                    // the recorded client messages sent whose frame is still to be cut
	asNew  map[uint64]*Msg           // the recorded message each new client frame is, by the frame's seq
	rowReq map[uint64]*Msg           // the recorded request each pending row is, by the row's seq
	frames map[uint64][]byte         // the server's frames, by seq, until their row is made or ends
	cut    map[uint64]int            // the sizes of those of them longer than maxWireFrame
	waits  map[uint64]chan wireReply // by the recorded request's seq
	late   int
	notes  map[string]*Count

	// answer, if set, is the reply to a request of the server's (its
	// frame and method): msgpack-RPC's, which Neovim sends its clients.
	// The replies are written by read, in the order asked.
	answer  func(req []byte, method string) []byte
	replies [][]byte
}

func newWireDecoder(framing protocol.Framing) *wireDecoder {
	d := &wireDecoder{framing: framing, asNew: map[uint64]*Msg{}, rowReq: map[uint64]*Msg{},
		frames: map[uint64][]byte{}, cut: map[uint64]int{}, waits: map[uint64]chan wireReply{}, notes: map[string]*Count{}}
	// The decoder keeps what it needs of each frame itself: its store
	// only has to hold a row until it ends (and an evicted one's end is
	// handed over too, Ended), so a small one does.
	d.obs = observe.New(observe.Config{Store: store.New(store.Config{MaxBytes: wireStoreBytes}),
		MaxFrame: maxWireFrame, Sinks: []observe.Sink{d}})
	d.obs.Handle([]event.Event{{Type: event.Open, Conn: wireConn, At: time.Now(), Peer: &event.Peer{PID: -1, UID: -1}}})
	return d
}

// wireStoreBytes bounds the store of a wireDecoder's observer.
const wireStoreBytes = 8 << 20

// maxWireFrame bounds a response the replay compares, as a client of
// sockscope's own takes one whole: a longer one fails its request.
const maxWireFrame = client.DefaultMaxFrame

// send writes recorded client message m to w, as the server received it,
// after the decoder saw it (so that no reply is seen before its request).
// A request whose end ch waits for is given ch. It fails with errLost once
// the server ended the connection.
func (d *wireDecoder) send(w io.Writer, m *Msg, ch chan wireReply) error {
	wire := protocol.Encoder{Framing: d.framing}.Append(nil, m.Payload)
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return errLost
	}
	if ch != nil {
		d.waits[m.Seq] = ch
	}
	d.sent = append(d.sent, m)
	d.obs.Handle([]event.Event{{Type: event.Data, Conn: wireConn, Dir: protocol.C2S, At: time.Now(), Data: wire}})
	d.mu.Unlock()
	if _, err := w.Write(wire); err != nil {
		if errors.Is(err, io.ErrClosedPipe) { // the relay ended the connection: the server did
			return errLost
		}
		return err
	}
	return nil
}

// read decodes what the server sends on rw until it ends its side, and
// writes to rw the replies to the server's requests (answer).
func (d *wireDecoder) read(rw io.ReadWriter) {
	buf := make([]byte, 64<<10)
	for {
		n, err := rw.Read(buf)
		d.mu.Lock()
		if n > 0 {
			d.obs.Handle([]event.Event{{Type: event.Data, Conn: wireConn, Dir: protocol.S2C, At: time.Now(), Data: bytes.Clone(buf[:n])}})
		}
		if err != nil {
			d.closed = true
			d.obs.Handle([]event.Event{{Type: event.Close, Conn: wireConn, At: time.Now()}})
		}
		replies := d.replies
		d.replies = nil
		if err != nil {
			replies = nil // the server is gone: no one to answer
		}
		for _, b := range replies {
			// Decoded as the client's, as send does, as no recorded message.
			d.sent = append(d.sent, nil)
			d.obs.Handle([]event.Event{{Type: event.Data, Conn: wireConn, Dir: protocol.C2S, At: time.Now(), Data: b}})
		}
		d.mu.Unlock()
		for _, b := range replies {
			if _, err := rw.Write(b); err != nil {
				break // the connection is lost: the requests waiting say so
			}
		}
		if err != nil {
			return
		}
	}
}

// forget stops waiting for request m's end (it timed out): a reply that
// comes after is counted late. It returns the end if it came meanwhile.
func (d *wireDecoder) forget(m *Msg, ch chan wireReply) (wireReply, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.waits, m.Seq)
	select {
	case rep := <-ch:
		return rep, true
	default:
		return wireReply{}, false
	}
}

// Open implements observe.Sink.
func (d *wireDecoder) Open(uint64, time.Time, *event.Peer) {}

// Frame implements observe.Sink: a client frame is the recorded message
// sent first of those not yet cut; a server frame is kept for its row.
func (d *wireDecoder) Frame(m *protocol.Message, _ protocol.Framing, _ time.Time) {
	if m.Dir == protocol.C2S {
		if len(d.sent) > 0 {
			d.asNew[m.Seq] = d.sent[0]
			d.sent = d.sent[1:]
		}
		return
	}
	d.frames[m.Seq] = bytes.Clone(m.Frame.Data)
	if m.Frame.Truncated {
		d.cut[m.Seq] = m.Frame.Size
	}
}

// Row implements observe.RowSink: a request of the client's is linked to
// the recorded one; a request of the server's is answered (answer); a
// message of the server's that answers nothing is counted.
func (d *wireDecoder) Row(r *store.Row) {
	switch {
	case r.Dir == protocol.C2S && r.Kind == protocol.KindRequest:
		if m := d.asNew[r.Req]; m != nil {
			d.rowReq[r.Seq] = m
		}
		delete(d.asNew, r.Req)
	case r.Dir == protocol.C2S:
		delete(d.asNew, r.Req)
	case r.Kind == protocol.KindRequest && d.answer != nil:
		if b := d.answer(d.frames[r.Req], r.Method); b != nil {
			d.replies = append(d.replies, b)
		}
		delete(d.frames, r.Req)
		delete(d.cut, r.Req)
	case r.Kind != protocol.KindRequest && r.Kind != protocol.KindResponse:
		if key, ok := wireNoteKey(r); ok {
			n := d.note(key)
			n.Now++
			n.last[1] = wireView(d.framing, d.frames[r.Req], "", nil)
		}
		delete(d.frames, r.Req)
		delete(d.cut, r.Req)
	}
}

// Exchange implements observe.ExchangeSink.
func (d *wireDecoder) Exchange(r *store.Row) {
	resp, cut := d.frames[r.Resp], d.cut[r.Resp]
	delete(d.frames, r.Resp)
	delete(d.cut, r.Resp)
	if r.Status == protocol.StatusOrphan {
		d.note("(reply without request)").Now++
		return
	}
	d.ended(r.Seq, r.Status, resp, cut)
}

// Ended implements observe.EndSink.
func (d *wireDecoder) Ended(row uint64, st protocol.Status, resp *protocol.Message, _ bool) {
	var p []byte
	cut := 0
	if resp != nil {
		p = bytes.Clone(resp.Frame.Data)
		delete(d.frames, resp.Seq)
		delete(d.cut, resp.Seq)
		if resp.Frame.Truncated {
			cut = resp.Frame.Size
		}
	}
	d.ended(row, st, p, cut)
}

// ended hands the end of the request row started to whoever waits for it:
// its status, its reply (nil for none) and, for a reply longer than
// maxWireFrame, its size.
func (d *wireDecoder) ended(row uint64, st protocol.Status, resp []byte, cut int) {
	m := d.rowReq[row]
	delete(d.rowReq, row)
	if m == nil {
		return
	}
	ch := d.waits[m.Seq]
	delete(d.waits, m.Seq)
	if ch == nil {
		if resp != nil {
			d.late++
		}
		return
	}
	ch <- wireReply{resp: resp, status: st, cut: cut, lost: d.closed && resp == nil, at: time.Now()}
}

// Gap implements observe.Sink; a replay drops nothing.
func (d *wireDecoder) Gap(uint64, protocol.Dir, time.Time, int64) {}

// Close implements observe.Sink.
func (d *wireDecoder) Close(uint64, time.Time, string) {}

// Flush implements observe.Sink.
func (d *wireDecoder) Flush() error { return nil }

func (d *wireDecoder) note(key string) *Count {
	n := d.notes[key]
	if n == nil {
		n = &Count{}
		d.notes[key] = n
	}
	return n
}

// wireNoteKey is what a lone message of the server's, row r, is counted
// under: its method (a pub/sub message, a RESP3 push, a further
// confirmation). An HTTP interim response (1xx) is not counted: whether a
// server sends 100 Continue depends on how the request's bytes arrived.
func wireNoteKey(r *store.Row) (string, bool) {
	if r.Dir != protocol.S2C {
		return "", false
	}
	if c := protocol.CodeOf([]byte(r.Method)); c >= 100 && c < 200 {
		return "", false
	}
	if r.Method == "" {
		return "(other)", true
	}
	return r.Method, true
}

// countThenWire counts what the recorded server sent on rc unasked, as
// wireDecoder.Row counts it now.
func (r *Replay) countThenWire(rc *Conn, notes map[string]*Count) {
	payloads := map[uint64][]byte{}
	for _, m := range rc.Msgs {
		if m.Dir == protocol.S2C {
			payloads[m.Seq] = m.Payload
		}
	}
	r.rec.Store.Rows(0, func(row store.Row) bool {
		if row.Conn != rc.ID || row.Kind == protocol.KindRequest || row.Injected {
			return true
		}
		var key string
		switch {
		case row.Kind == protocol.KindResponse && row.Status == protocol.StatusOrphan && row.Dir == protocol.S2C:
			key = "(reply without request)"
		case row.Kind == protocol.KindResponse:
			return true
		default:
			var ok bool
			if key, ok = wireNoteKey(&row); !ok {
				return true
			}
		}
		n := notes[key]
		if n == nil {
			n = &Count{}
			notes[key] = n
		}
		n.Then++
		if p, ok := payloads[row.Req]; ok {
			n.last[0] = wireView(rc.sendFraming(), p, "", nil)
		}
		return true
	})
}

// wireView is a response to method as the replay compares it: a Redis
// reply as its JSON view (the detail pane's) with what Redis sends in no
// particular order put in one (protocol.ViewRESPUnordered: a set's
// members, SMEMBERS's or KEYS's array, HGETALL's fields, also in the array
// of an EXEC, whose queued commands are queued); an HTTP response as
// {"status":200,"headers":{…},"body":…}, header names in lower case (one
// sent more than once has the array of its values), Date left out, a JSON
// body as JSON and another as text (or {"b64":…}), a chunked body joined
// (its trailer as "trailers"); a msgpack-RPC message as its JSON view
// ([1,msgid,error,result]). A frame without a view (varlink's JSON) is
// itself.
func wireView(f protocol.Framing, p []byte, method string, queued []string) []byte {
	if p == nil {
		return nil
	}
	var v []byte
	var err error
	if f == protocol.FramingRESP {
		v, err = protocol.ViewRESPUnordered(nil, p, method, queued)
	} else {
		v, err = protocol.AppendView(nil, f, &protocol.Frame{Data: p, Size: len(p)})
	}
	if err != nil || !json.Valid(v) {
		return p
	}
	if f != protocol.FramingHTTP {
		return v
	}
	var doc struct {
		Start    string                     `json:"start"`
		Headers  map[string]json.RawMessage `json:"headers"`
		Body     json.RawMessage            `json:"body,omitempty"`
		Trailers map[string]json.RawMessage `json:"trailers,omitempty"`
	}
	d := json.NewDecoder(bytes.NewReader(v))
	d.UseNumber()
	if d.Decode(&doc) != nil {
		return v
	}
	out := struct {
		Status   json.RawMessage            `json:"status"`
		Headers  map[string]json.RawMessage `json:"headers"`
		Body     json.RawMessage            `json:"body,omitempty"`
		Trailers map[string]json.RawMessage `json:"trailers,omitempty"`
	}{Headers: lowerNames(doc.Headers, "date"), Body: doc.Body, Trailers: lowerNames(doc.Trailers, "")}
	out.Status, _ = json.Marshal(doc.Start)
	if _, code, _ := strings.Cut(doc.Start, " "); len(code) >= 3 {
		if c := protocol.CodeOf([]byte(code)); c > 0 {
			out.Status = []byte(code[:3])
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // a body's <, > and & as they are, as the view has them
	if enc.Encode(out) != nil {
		return v
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// lowerNames returns the header fields hs with their names in lower case,
// leaving out the one named leave.
func lowerNames(hs map[string]json.RawMessage, leave string) map[string]json.RawMessage {
	if hs == nil {
		return nil
	}
	out := make(map[string]json.RawMessage, len(hs))
	for k, v := range hs {
		if k = strings.ToLower(k); k != leave {
			out[k] = v
		}
	}
	return out
}

// volatileReplies are the members of a JSON reply, by its request's
// method, that a server says anew on every run: gopls' daemon numbers its
// sessions, so the sessionID of its answer to `gopls -remote`'s
// gopls/handshake is never the recorded one.
var volatileReplies = map[string][]string{"gopls/handshake": {"$.result.sessionID"}}

// volatile returns ig with what else the comparison of x's responses
// leaves out, the recorded one being then (its view, or its JSON): what a
// server says anew on every connection. HELLO's reply holds the
// connection's id (a map's "id" in RESP3; in RESP2's array, the element
// after "id"); gopls/handshake's its session's (volatileReplies). An HTTP
// response's Date is left out of its view.
func volatile(x *Exchange, then []byte, ig Ignore) Ignore {
	if v := volatileReplies[x.Row.Method]; v != nil && x.viewed == protocol.FramingAuto {
		return ig.With(v...)
	}
	if x.viewed != protocol.FramingRESP || !strings.EqualFold(x.Row.Method, "HELLO") {
		return ig
	}
	var arr []json.RawMessage
	if json.Unmarshal(then, &arr) == nil {
		for i := 0; i+1 < len(arr); i += 2 {
			if string(arr[i]) == `"id"` {
				return ig.With("$[" + strconv.Itoa(i+1) + "]")
			}
		}
		return ig
	}
	return ig.With("$.id")
}
