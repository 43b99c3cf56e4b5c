package observe

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"sockscope/protocol"
	"sockscope/proxy"
	"sockscope/store"
)

// dumper writes --dump: one JSON object per line and event. Every line
// starts with "type" and "conn":
//
//	{"type":"open","conn":1,"at":…,"client":…,"upstream":…,"pid":…,"uid":…,"process":…}
//	{"type":"message","conn":1,"dir":"c2s","at":…,"size":N,"kind":"request","id":1,"method":"add","frame":{…}}
//	{"type":"exchange","conn":1,"dir":"c2s","id":1,"method":"add","status":"ok","latency_us":42}
//	{"type":"gap","conn":1,"dir":"s2c","at":…,"bytes":N}
//	{"type":"close","conn":1,"at":…}            a clean end
//	{"type":"error","conn":1,"at":…,"error":"…"} an end with an error (instead of close)
//
// A frame that is valid JSON is written as JSON ("frame"); otherwise as
// "text" (valid UTF-8) or "b64", with the reason in "reason".
type dumper struct {
	w   *bufio.Writer
	b   []byte
	tmp bytes.Buffer
}

func newDumper(w io.Writer) *dumper {
	return &dumper{w: bufio.NewWriterSize(w, 64<<10)}
}

func (d *dumper) start(typ string, conn uint64) {
	d.b = append(d.b[:0], `{"type":"`...)
	d.b = append(d.b, typ...)
	d.b = append(d.b, `","conn":`...)
	d.b = strconv.AppendUint(d.b, conn, 10)
}

func (d *dumper) end() {
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

// token writes a raw JSON token (an id), compacted onto one line.
func (d *dumper) token(key string, v []byte) {
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

func (d *dumper) at(t time.Time) {
	d.b = append(d.b, `,"at":"`...)
	d.b = t.UTC().AppendFormat(d.b, time.RFC3339Nano)
	d.b = append(d.b, '"')
}

func (d *dumper) open(conn uint64, at time.Time, p *proxy.Peer) {
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
	d.end()
}

func (d *dumper) close(conn uint64, at time.Time, err string) {
	if err == "" {
		d.start("close", conn)
		d.at(at)
	} else {
		d.start("error", conn)
		d.at(at)
		d.str("error", err)
	}
	d.end()
}

func (d *dumper) gap(conn uint64, dir protocol.Dir, at time.Time, n int64) {
	d.start("gap", conn)
	d.str("dir", dir.String())
	d.at(at)
	d.int("bytes", n)
	d.end()
}

func (d *dumper) message(m *protocol.Message) {
	d.start("message", m.Conn)
	d.str("dir", m.Dir.String())
	d.at(m.At)
	d.int("size", int64(m.Frame.Size))
	d.str("kind", m.Info.Kind.String())
	if m.Info.ID != nil {
		d.token("id", m.Info.ID)
	}
	if m.Info.Method != nil {
		d.b = append(d.b, `,"method":"`...)
		d.b = append(d.b, m.Info.Method...) // unescaped JSON string contents
		d.b = append(d.b, '"')
	}
	if m.Info.IsError {
		d.raw("error", []byte("true"))
	}
	if m.Frame.Truncated {
		d.raw("truncated", []byte("true"))
	}
	d.frame(m)
	d.end()
}

// frame writes the payload: as JSON when it is valid JSON, else as text or
// base64 with the reason.
func (d *dumper) frame(m *protocol.Message) {
	data := m.Frame.Data
	reason := m.Info.Err
	if reason == "" && m.Frame.Truncated {
		reason = "truncated at " + strconv.Itoa(len(data)) + " of " + strconv.Itoa(m.Frame.Size) + " bytes"
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

func (d *dumper) exchange(r *store.Row) {
	d.start("exchange", r.Conn)
	d.str("dir", r.Dir.String())
	if r.ID != "" {
		d.token("id", []byte(r.ID))
	}
	if r.Method != "" {
		d.b = append(d.b, `,"method":"`...)
		d.b = append(d.b, r.Method...)
		d.b = append(d.b, '"')
	}
	d.str("status", r.Status.String())
	if r.Status == protocol.StatusOK || r.Status == protocol.StatusError {
		d.int("latency_us", r.Latency.Microseconds())
	}
	if r.Duplicate {
		d.raw("duplicate", []byte("true"))
	}
	d.end()
}

func (d *dumper) flush() { d.w.Flush() }

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}
