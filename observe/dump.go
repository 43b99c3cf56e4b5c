package observe

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"sockscope/event"

	"sockscope/protocol"
	"sockscope/store"
)

// dumper writes --dump: one JSON object per line and event. Every line
// starts with "type" and "conn":
//
//	{"type":"open","conn":1,"at":…,"client":…,"upstream":…,"pid":…,"uid":…,"process":…,"own":true}
//	{"type":"message","conn":1,"dir":"c2s","at":…,"size":N,"kind":"request","id":1,"method":"add","frame":{…}}
//	{"type":"exchange","conn":1,"dir":"c2s","id":1,"method":"add","status":"ok","latency_us":42}
//	{"type":"gap","conn":1,"dir":"s2c","at":…,"bytes":N}
//	{"type":"close","conn":1,"at":…}            a clean end
//	{"type":"error","conn":1,"at":…,"error":"…"} an end with an error (instead of close)
//
// A frame that is valid JSON is written as JSON ("frame"); otherwise as
// "text" (valid UTF-8) or "b64", with the reason in "reason".
//
// NewDump returns it as a Sink.
type dumper struct {
	w   *bufio.Writer
	b   []byte
	esc []byte // spare buffer for escapeControls
	tmp bytes.Buffer
	// pending holds the requests waiting for their reply, by row: the
	// store may evict a row before it ends (a request pending for more
	// than the store holds), and its exchange line is written from this
	// (Ended).
	pending map[uint64]store.Row
}

// NewDump returns the --dump Sink writing to w.
func NewDump(w io.Writer) Sink {
	return &dumper{w: bufio.NewWriterSize(w, 64<<10)}
}

func (d *dumper) start(typ string, conn uint64) {
	d.b = append(d.b[:0], `{"type":"`...)
	d.b = append(d.b, typ...)
	d.b = append(d.b, `","conn":`...)
	d.b = strconv.AppendUint(d.b, conn, 10)
}

// end finishes the line and writes it, with every byte a terminal would
// act on escaped (see escapeControls): --dump on a terminal must never let
// a frame drive it.
func (d *dumper) end() {
	d.b = escapeControls(d.b, &d.esc)
	d.b = append(d.b, "}\n"...)
	d.w.Write(d.b)
}

func (d *dumper) str(key, val string) {
	d.b = append(d.b, `,"`...)
	d.b = append(d.b, key...)
	d.b = append(d.b, `":`...)
	d.b = appendString(d.b, val)
}

func (d *dumper) int(key string, v int64) {
	d.b = append(d.b, `,"`...)
	d.b = append(d.b, key...)
	d.b = append(d.b, `":`...)
	d.b = strconv.AppendInt(d.b, v, 10)
}

func (d *dumper) raw(key string, v []byte) {
	d.b = append(d.b, `,"`...)
	d.b = append(d.b, key...)
	d.b = append(d.b, `":`...)
	d.b = append(d.b, v...)
}

// token writes a raw JSON token (an id), compacted onto one line. A token
// that is not valid JSON (the classifier scans, it does not validate) is
// written as the string of its bytes.
func (d *dumper) token(key string, v []byte) {
	if !json.Valid(v) {
		d.str(key, string(v))
		return
	}
	if bytes.ContainsAny(v, "\r\n") {
		d.tmp.Reset()
		if json.Compact(&d.tmp, v) == nil {
			v = d.tmp.Bytes()
		} else {
			d.str(key, string(v))
			return
		}
	}
	d.raw(key, v)
}

// text writes s, a method as text (Info.Method), as a string: as it is
// when no byte of it needs an escape, the usual case, else escaped.
func (d *dumper) text(key string, s []byte) {
	for _, c := range s {
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			d.str(key, string(s))
			return
		}
	}
	d.b = append(d.b, `,"`...)
	d.b = append(d.b, key...)
	d.b = append(d.b, `":"`...)
	d.b = append(d.b, s...)
	d.b = append(d.b, '"')
}

func (d *dumper) at(t time.Time) {
	d.b = append(d.b, `,"at":"`...)
	d.b = t.UTC().AppendFormat(d.b, time.RFC3339Nano)
	d.b = append(d.b, '"')
}

// Open implements Sink.
func (d *dumper) Open(conn uint64, at time.Time, p *event.Peer) {
	d.start("open", conn)
	d.at(at)
	d.str("client", p.Client)
	d.str("listen", p.Listen)
	d.str("upstream", p.Upstream)
	if p.PID >= 0 {
		d.int("pid", int64(p.PID))
	}
	if p.UID >= 0 {
		d.int("uid", int64(p.UID))
	}
	if p.Process != "" {
		d.str("process", p.Process)
	}
	if p.Own {
		d.raw("own", []byte("true"))
	}
	d.end()
}

// Close implements Sink.
func (d *dumper) Close(conn uint64, at time.Time, err string) {
	switch err {
	case "":
		d.start("close", conn)
		d.at(at)
	case event.OpenAtExit: // sockscope stopped: not an error
		d.start("close", conn)
		d.at(at)
		d.raw("open_at_exit", []byte("true"))
	default:
		d.start("error", conn)
		d.at(at)
		d.str("error", err)
	}
	d.end()
}

// Gap implements Sink.
func (d *dumper) Gap(conn uint64, dir protocol.Dir, at time.Time, n int64) {
	d.start("gap", conn)
	d.str("dir", dir.String())
	d.at(at)
	d.int("bytes", n)
	d.end()
}

// Frame implements Sink.
func (d *dumper) Frame(m *protocol.Message, framing protocol.Framing, _ time.Time) {
	d.start("message", m.Conn)
	d.str("dir", m.Dir.String())
	d.at(m.At)
	d.int("size", int64(m.Frame.Size))
	d.str("kind", m.Info.Kind.String())
	if m.Info.ID != nil {
		d.token("id", m.Info.ID)
	}
	if m.Info.Method != nil {
		d.text("method", m.Info.Method)
	}
	if m.Info.IsError {
		d.raw("error", []byte("true"))
	}
	if m.Info.Continues {
		d.raw("continues", []byte("true"))
	}
	if m.Frame.Truncated {
		d.raw("truncated", []byte("true"))
	}
	if m.Injected {
		d.raw("injected", []byte("true"))
	}
	if m.Withheld {
		d.raw("withheld", []byte("true"))
	}
	if n := m.Note; n != nil {
		d.str("act", n.Act.String())
		if n.Rule != "" {
			d.str("rule", n.Rule)
		}
		if n.Held > 0 {
			d.int("held_us", n.Held.Microseconds())
		}
		if n.Diff != "" {
			d.str("diff", n.Diff)
		}
		if n.Was != nil {
			d.str("was", string(n.Was))
		}
	}
	d.frame(m, framing)
	d.end()
}

// frame writes the payload: as JSON when it is valid JSON or its
// protocol's JSON view, else as text or base64 with the reason.
func (d *dumper) frame(m *protocol.Message, framing protocol.Framing) {
	data := m.Frame.Data
	reason := m.Info.Err
	if reason == "" && protocol.IsGapErr(m.Frame.Err) { // a message a gap went through
		reason = m.Frame.Err
	}
	if reason == "" && m.Frame.Truncated {
		reason = "truncated at " + strconv.Itoa(len(data)) + " of " + strconv.Itoa(m.Frame.Size) + " bytes"
	}
	if p := protocol.ProfileOf(framing); reason == "" && p != nil && p.View != nil {
		n := len(d.b)
		d.b = append(d.b, `,"frame":`...)
		var err error
		if d.b, err = protocol.AppendView(d.b, framing, &m.Frame); err == nil && json.Valid(d.b[n+len(`,"frame":`):]) {
			return
		} else if err == nil {
			err = errors.New("its JSON view is not JSON")
		}
		d.b = d.b[:n]
		reason = p.Name + ": " + err.Error()
	}
	if reason == "" {
		d.tmp.Reset()
		if err := json.Compact(&d.tmp, data); err == nil {
			d.raw("frame", d.tmp.Bytes())
			return
		} else {
			reason = "invalid JSON: " + err.Error()
		}
	}
	if utf8.Valid(data) {
		d.str("text", string(data))
	} else {
		d.b = append(d.b, `,"b64":"`...)
		d.b = base64.StdEncoding.AppendEncode(d.b, data)
		d.b = append(d.b, '"')
	}
	d.str("reason", reason)
}

// Row implements RowSink: a request is kept until it ends.
func (d *dumper) Row(r *store.Row) {
	if r.Status == protocol.StatusPending {
		if d.pending == nil {
			d.pending = map[uint64]store.Row{}
		}
		d.pending[r.Seq] = *r
	}
}

// Ended implements EndSink: the end of a request whose row the store
// evicted meanwhile.
func (d *dumper) Ended(row uint64, st protocol.Status, resp *protocol.Message, gap bool) {
	r, ok := d.pending[row]
	if !ok {
		return
	}
	r.Status, r.Gap = st, gap
	if resp != nil {
		r.Resp, r.RespAt, r.RespSize = resp.Seq, resp.At, resp.Frame.Size
		r.Latency, r.Code = resp.At.Sub(r.ReqAt), protocol.StatusCode(resp)
	}
	d.Exchange(&r)
}

// Exchange implements ExchangeSink.
func (d *dumper) Exchange(r *store.Row) {
	delete(d.pending, r.Seq)
	d.start("exchange", r.Conn)
	d.str("dir", r.Dir.String())
	if r.ID != "" {
		d.token("id", []byte(r.ID))
	}
	if r.Method != "" {
		d.text("method", []byte(r.Method))
	}
	d.str("status", r.Status.String())
	if r.Code != 0 {
		d.int("code", int64(r.Code))
	}
	if r.Status == protocol.StatusOK || r.Status == protocol.StatusError {
		d.int("latency_us", r.Latency.Microseconds())
	}
	if r.Duplicate {
		d.raw("duplicate", []byte("true"))
	}
	if r.Gap {
		d.raw("gap", []byte("true"))
	}
	if r.Injected {
		d.raw("injected", []byte("true"))
	}
	if r.Act != protocol.ActNone {
		d.str("act", r.Act.String())
	}
	d.end()
}

// Flush implements Sink.
func (d *dumper) Flush() error { return d.w.Flush() }

// appendString appends s as a JSON string, with <, > and & as they are
// (json.Marshal escapes them for HTML, which made an HTTP body's text
// \u003chtml\u003e), as the session file writes them.
func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	for i := 0; i < len(q); i++ {
		if q[i] != '\\' || i+1 == len(q) {
			b = append(b, q[i])
			continue
		}
		if q[i+1] == 'u' && i+6 <= len(q) {
			if c := htmlEscaped(q[i+2 : i+6]); c != 0 {
				b = append(b, c)
				i += 5
				continue
			}
		}
		b = append(b, q[i], q[i+1]) // an escape: its second byte is no escape's start
		i++
	}
	return b
}

// htmlEscaped returns the character json.Marshal escapes for HTML as
// \u followed by hex, or 0.
func htmlEscaped(hex []byte) byte {
	switch string(hex) {
	case "003c":
		return '<'
	case "003e":
		return '>'
	case "0026":
		return '&'
	}
	return 0
}

// escapeControls escapes, in a line of JSON, the characters a terminal acts
// on that JSON lets through raw: DEL (U+007F), the C1 controls
// (U+0080–U+009F, where U+009B is an 8-bit CSI) and U+2028/U+2029, as the
// session file does; raw C0 controls, which valid JSON cannot hold, as a
// last guard; and bytes that are not UTF-8, as U+FFFD. They can only stand
// inside strings, where the escape means the same character. spare is
// reused as the output buffer, and swapped with b when anything changed.
func escapeControls(b []byte, spare *[]byte) []byte {
	i := 0
	for i < len(b) && b[i] >= 0x20 && b[i] < 0x7f {
		i++
	}
	if i == len(b) {
		return b
	}
	out := append((*spare)[:0], b[:i]...)
	changed := false
	for i < len(b) {
		c := b[i]
		if c >= 0x20 && c < 0x7f {
			out = append(out, c)
			i++
			continue
		}
		r, n := rune(c), 1
		if c >= utf8.RuneSelf {
			r, n = utf8.DecodeRune(b[i:])
		}
		switch {
		case r == utf8.RuneError && n == 1:
			out = append(out, `\ufffd`...)
		case r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x2028 || r == 0x2029:
			out = append(out, '\\', 'u')
			out = append(out, hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		default:
			out = append(out, b[i:i+n]...)
			i += n
			continue
		}
		changed = true
		i += n
	}
	if !changed {
		*spare = out
		return b
	}
	*spare = b
	return out
}

const hexDigits = "0123456789abcdef"
