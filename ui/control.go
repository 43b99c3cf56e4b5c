package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	tea "charm.land/bubbletea/v2"

	"sockscope/protocol"
	"sockscope/store"
)

// Control is the way back from the UI to the running data path. The UI
// calls it only inside tea.Cmds, whose result comes back as a message.
type Control interface {
	// Send writes msg, one JSON message without its framing, on live
	// connection conn in direction dir (protocol.C2S: to the server;
	// protocol.S2C: to the client), framed as that direction is. A
	// request's id is remapped on the wire so it can never collide with
	// the peer's own; its reply is consumed by sockscope, never
	// forwarded, and shows in the store as an injected exchange.
	Send(ctx context.Context, conn uint64, dir protocol.Dir, msg []byte) (Sent, error)
	// SendNew opens a connection of sockscope's own to the upstream,
	// replays the handshake connection like had (LSP initialize/initialized,
	// QMP qmp_capabilities), and sends msg on it.
	SendNew(ctx context.Context, like uint64, msg []byte) (Sent, error)
}

// Sent says what Send did.
type Sent struct {
	Conn   uint64 // the connection it went on
	WireID string // the id on the wire, if msg was a request ("" otherwise)
}

// sendTimeout bounds one call of the Control (SendNew dials and replays a
// handshake): longer than the engine's own bounds (a handshake's 10 s),
// so that it is their error the user reads.
const sendTimeout = 15 * time.Second

// target is where a message the user sends goes.
type target struct {
	conn    uint64       // the connection (for a new one: the one it is like)
	dir     protocol.Dir // C2S: to the server; S2C: to the client
	newConn bool         // on a new connection of sockscope's own
	// view is the framing the message is written in from its JSON view
	// (protocol.Encodes: HTTP/1, Redis, msgpack-RPC); FramingAuto for a
	// message of JSON.
	view protocol.Framing
}

// check validates what the user wants to send to t and returns it compact
// (see checkJSON); a view must also be one sockscope can write.
func (t target) check(data []byte) ([]byte, error) {
	payload, err := checkJSON(data)
	if err == nil && t.view != protocol.FramingAuto {
		if _, err = protocol.EncodeView(t.view, payload); err != nil {
			err = fmt.Errorf("not %s: %w", t.view, err)
		}
	}
	return payload, err
}

// String describes the target for a notice or a title.
func (t target) String() string {
	if t.newConn {
		return "a new connection like #" + strconv.FormatUint(t.conn, 10)
	}
	to := "the server"
	if t.dir == protocol.S2C {
		to = "the client"
	}
	return "conn #" + strconv.FormatUint(t.conn, 10) + " to " + to
}

// sendMsg asks the root to send payload (compact JSON) to t.
type sendMsg struct {
	t       target
	payload []byte
	what    string // for the notice: "resent add", "sent edited add"
}

// sentMsg reports a Control call.
type sentMsg struct {
	what string
	t    target
	sent Sent
	err  error
}

// sendCmd calls the Control for msg.
func (m Model) sendCmd(msg sendMsg) tea.Cmd {
	ctl := m.c.opts.Control
	if ctl == nil {
		return nil
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
		defer cancel()
		var s Sent
		var err error
		if msg.t.newConn {
			s, err = ctl.SendNew(ctx, msg.t.conn, msg.payload)
		} else {
			s, err = ctl.Send(ctx, msg.t.conn, msg.t.dir, msg.payload)
		}
		if err != nil && ctx.Err() == context.DeadlineExceeded {
			err = errSendTimeout // this wait's, not the Control's own (a handshake's)
		}
		return sentMsg{what: msg.what, t: msg.t, sent: s, err: err}
	}
}

// errSendTimeout is a Control call's error when the UI's own wait for it
// ran out.
var errSendTimeout = errors.New("no answer from sockscope's relay within " + sendTimeout.String())

// sent shows what a Control call did in the status line.
func (m Model) sent(msg sentMsg) Model {
	if err := msg.err; err != nil {
		return m.setNotice("not "+msg.what+": "+err.Error(), true) // not sent a new message: …
	}
	note := msg.what + " on "
	if msg.t.newConn {
		note += "new conn #" + strconv.FormatUint(msg.sent.Conn, 10)
	} else {
		note += msg.t.String()
	}
	if msg.sent.WireID != "" {
		note += " (id on the wire " + msg.sent.WireID + ")"
	}
	return m.setNotice(note, false)
}

// selectedRequest is the message R, e and Y act on: the selected
// exchange's request, or in the raw stream the selected message; it must be
// a whole request or notification that sockscope can write: JSON, or one
// it writes from its view (HTTP/1, Redis, msgpack-RPC).
func (m Model) selectedRequest() (protocol.Message, error) {
	seq := m.list.sel
	if seq == 0 {
		return protocol.Message{}, errors.New("nothing selected")
	}
	name := "" // as the list numbers it: the row's number, or the raw stream's message's
	if !m.list.raw() {
		r, ok := m.c.st.Row(seq)
		if !ok {
			return protocol.Message{}, errors.New("that exchange is not stored any more")
		}
		if r.Req == 0 {
			return protocol.Message{}, errors.New("an orphan response has no request")
		}
		seq, name = r.Req, fmt.Sprintf("the request of #%d", seq)
	}
	msg, ok := m.c.st.Message(seq)
	if name == "" {
		name = describe(&msg)
	}
	switch {
	case !ok:
		return msg, errors.New("that message is not stored any more")
	case msg.Info.Kind != protocol.KindRequest && msg.Info.Kind != protocol.KindNotification:
		return msg, fmt.Errorf("%s is a %s, not a request or a notification", name, msg.Info.Kind)
	case !protocol.IsJSON(msg.Framing) && !protocol.Encodes(msg.Framing):
		return msg, fmt.Errorf("%s is %s: sockscope does not write it", name, msg.Framing)
	case msg.Frame.Truncated:
		return msg, fmt.Errorf("%s was truncated (%s of %s kept): it cannot be sent again", name,
			fmtSize(int64(len(msg.Frame.Data))), fmtSize(int64(msg.Frame.Size)))
	}
	return msg, nil
}

// byOrder reports whether sockscope writes frames of f from their view
// and pairs them by order (HTTP/1, Redis): on a connection of its own only.
func byOrder(f protocol.Framing) bool {
	return protocol.Encodes(f) && protocol.PairingOf(f) == protocol.PairByOrder
}

// requestJSON is what sockscope sends msg as: the JSON it is, or its JSON
// view (HTTP/1, Redis, msgpack-RPC: written back from it), or nil.
func requestJSON(msg *protocol.Message) []byte {
	if !protocol.HasView(msg.Framing) {
		return msg.Frame.Data
	}
	v, _ := protocol.ViewOf(nil, msg)
	return v
}

// liveTarget is where R and e send msg: its connection and direction, if
// the connection is open; for a protocol whose replies its client takes in
// order, with no id to tell sockscope's apart (HTTP/1, Redis), a new
// connection like it. A message of msgpack-RPC, whose requests have ids,
// goes on its connection, written from its view.
func (m Model) liveTarget(msg *protocol.Message) (target, error) {
	t := target{conn: msg.Conn, dir: msg.Dir}
	if protocol.Encodes(msg.Framing) {
		t.view = msg.Framing
	}
	if byOrder(msg.Framing) {
		if msg.Dir != protocol.C2S {
			return t, fmt.Errorf("sockscope sends %s to the server only, on a new connection: this request went to the client", msg.Framing)
		}
		if m.c.opts.OneConn {
			return t, fmt.Errorf("sockscope sends %s on a new connection, and a wrapped child's stdio does not open again", msg.Framing)
		}
		t.newConn = true
		return t, nil
	}
	if err := m.stderrStream(msg.Conn); err != nil {
		return t, err
	}
	if c, ok := m.c.st.Conn(msg.Conn); ok && c.State != store.ConnOpen {
		return t, fmt.Errorf("conn #%d is %s%s", msg.Conn, c.State, m.newConnHint())
	}
	return t, nil
}

// stderrStream says why nothing can be sent on conn when it is a wrapped
// child's stderr: a stream sockscope reads and passes on, not a connection
// it relays (sending on it failed saying it "is closed", while the
// connections pane said it was open); nil for any other connection. A
// relayed connection has the address it came to: a wrapped child's
// streams have none, and its stderr's client is "stderr" (also in a view
// attached to a wrapped instance and others, which is no OneConn).
func (m Model) stderrStream(conn uint64) error {
	if c, ok := m.c.st.Conn(conn); ok && c.Listen == "" && c.Client == "stderr" {
		return fmt.Errorf("conn #%d is the child's stderr, which sockscope only reads: send on its stdio", conn)
	}
	return nil
}

// newConnHint is what a notice on a closed connection adds: that N sends
// on a new one, where it can (not on a wrapped child's stdio).
func (m Model) newConnHint() string {
	if m.c.opts.OneConn {
		return ": a wrapped child's stdio does not open again"
	}
	return " (N sends on a new connection)"
}

// resend is R: it asks to resend the selected request on its connection.
func (m Model) resend() (Model, tea.Cmd) {
	msg, err := m.selectedRequest()
	var t target
	if err == nil {
		t, err = m.liveTarget(&msg)
	}
	if err != nil {
		return m.setNotice("not resent: "+err.Error(), true), nil
	}
	payload, err := t.check(requestJSON(&msg))
	if err != nil {
		return m.setNotice("not resent: "+err.Error(), true), nil
	}
	what := "resent " + msgName(&msg)
	q := "resend " + msgName(&msg) + " on " + t.String() + "?"
	if t.newConn {
		q = "conn #" + strconv.FormatUint(msg.Conn, 10) + " speaks " + msg.Framing.String() + ", whose replies its client takes in order: " + q
	}
	m.overlays = m.overlays.push(newConfirm(m.c, q, sendMsg{t: t, payload: payload, what: what}))
	return m, nil
}

// msgName names a message by its method (and id) for a notice.
func msgName(msg *protocol.Message) string {
	s := sanitize(string(msg.Info.Method))
	if s == "" {
		s = describe(msg)
	}
	if id := msg.Info.ID; len(id) > 0 {
		s += " (id " + sanitize(string(id)) + ")"
	}
	return s
}

// checkJSON validates a message the user wants to send and returns it
// compact, on one line. An error names the parser's message and the line
// and column where it stopped.
func checkJSON(data []byte) ([]byte, error) {
	text := bytes.TrimSpace(data)
	if len(text) == 0 {
		return nil, errors.New("the message is empty")
	}
	var raw json.RawMessage
	if err := json.Unmarshal(text, &raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off := se.Offset - 1 // the offset is past the character it stopped at
			if off >= int64(len(text))-1 && bytes.Contains([]byte(se.Error()), []byte("end of JSON")) {
				off = int64(len(text))
			}
			line, col := position(text, off)
			return nil, fmt.Errorf("invalid JSON at line %d, column %d: %s", line, col, se.Error())
		}
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, text); err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	return b.Bytes(), nil
}

// position turns a byte offset into a 1-based line and column (in runes).
func position(text []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(text)))
	before := text[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	if i := bytes.LastIndexByte(before, '\n'); i >= 0 {
		before = before[i+1:]
	}
	return line, len([]rune(string(before))) + 1
}

// notJSON says why a held frame of framing f that is no request sockscope
// writes from its view (protocol.EncodesDir) cannot be edited, or nil.
func notJSON(f protocol.Framing) error {
	switch {
	case protocol.Encodes(f):
		return fmt.Errorf("the frame is a %s reply: sockscope writes JSON, and of %s requests only (forward it with a, drop it with d)", f, f)
	case !protocol.IsJSON(f):
		return fmt.Errorf("the frame is %s: sockscope writes JSON only (forward it with a, drop it with d)", f)
	}
	return nil
}
