package export

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"time"
	"unicode/utf8"

	"sockscope/protocol"
	"sockscope/store"
)

// exchangeLine is one line of the jsonl export:
//
//	{"conn":1,"dir":"c2s","kind":"request","method":"add","id":1,"status":"ok",
//	 "request":{…},"response":{…},"request_at":"…","response_at":"…","latency_us":1203,"flags":["injected"]}
//
// A payload that is valid JSON is written as JSON ("request"); otherwise as
// a string ("request_text", valid UTF-8) or in base64 ("request_b64").
// A lone message (a notification, an orphan response, a raw frame) has only
// the half it has.
type exchangeLine struct {
	Conn   uint64          `json:"conn"`
	Dir    string          `json:"dir"`
	Kind   string          `json:"kind"`
	Method string          `json:"method,omitempty"`
	ID     json.RawMessage `json:"id,omitempty"`
	Status string          `json:"status"`

	Request     json.RawMessage `json:"request,omitempty"`
	RequestText *string         `json:"request_text,omitempty"`
	RequestB64  []byte          `json:"request_b64,omitempty"`
	RequestSize *int            `json:"request_size,omitempty"` // with the request, 0 too
	RequestAt   *time.Time      `json:"request_at,omitempty"`

	Response     json.RawMessage `json:"response,omitempty"`
	ResponseText *string         `json:"response_text,omitempty"`
	ResponseB64  []byte          `json:"response_b64,omitempty"`
	ResponseSize *int            `json:"response_size,omitempty"` // with the response, 0 too
	ResponseAt   *time.Time      `json:"response_at,omitempty"`

	LatencyUS *int64   `json:"latency_us,omitempty"`
	Flags     []string `json:"flags,omitempty"`
}

// statusName is a row's status as exported: "none" for rows that expect no
// reply.
func statusName(s protocol.Status) string {
	if s == protocol.StatusNone {
		return "none"
	}
	return s.String()
}

// payload sets one of the three members for b: JSON, text or base64.
func payload(b []byte, js *json.RawMessage, text **string, b64 *[]byte) {
	switch {
	case b == nil:
	case json.Valid(b):
		*js = b
	case utf8.Valid(b):
		s := string(b)
		*text = &s
	default:
		*b64 = b
	}
}

// lineOf builds the line of row r.
func lineOf(st store.View, r *store.Row) exchangeLine {
	req, resp := messagesOf(st, r)
	l := exchangeLine{Conn: r.Conn, Dir: r.Dir.String(), Kind: r.Kind.String(), Method: r.Method,
		Status: statusName(r.Status), Flags: flags(r, req, resp)}
	if r.ID != "" {
		if json.Valid([]byte(r.ID)) {
			l.ID = json.RawMessage(r.ID)
		} else {
			l.ID, _ = json.Marshal(r.ID)
		}
	}
	if req != nil {
		payload(req.Frame.Data, &l.Request, &l.RequestText, &l.RequestB64)
		l.RequestSize, l.RequestAt = &req.Frame.Size, &req.At
	}
	if resp != nil {
		payload(resp.Frame.Data, &l.Response, &l.ResponseText, &l.ResponseB64)
		l.ResponseSize, l.ResponseAt = &resp.Frame.Size, &resp.At
	}
	if r.Status == protocol.StatusOK || r.Status == protocol.StatusError {
		us := r.Latency.Microseconds()
		l.LatencyUS = &us
	}
	return l
}

// writeJSONL writes one line per selected exchange.
func writeJSONL(w io.Writer, st store.View, sel selection) (Stats, error) {
	var stats Stats
	bw := bufio.NewWriterSize(w, 256<<10)
	var buf, spare bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, seq := range sel.rows {
		r, ok := st.Row(seq)
		if !ok {
			continue
		}
		buf.Reset()
		l := lineOf(st, &r)
		if err := enc.Encode(&l); err != nil {
			return stats, err
		}
		if _, err := bw.Write(escapeControls(buf.Bytes(), &spare)); err != nil {
			return stats, err
		}
		stats.Exchanges++
		stats.Messages += btoi(l.RequestAt != nil) + btoi(l.ResponseAt != nil)
	}
	return stats, bw.Flush()
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

const hexDigits = "0123456789abcdef"

// escapeControls returns the JSON text b with every character a terminal
// would act on (C0 and C1 controls, DEL, U+2028/U+2029) written as a \u
// escape, so that an export printed on a terminal never drives it. JSON
// text holds such characters only inside strings, where the escape means
// the same. A line's final newline is kept.
func escapeControls(b []byte, spare *bytes.Buffer) []byte {
	spare.Reset()
	for i := 0; i < len(b); {
		c := b[i]
		if c >= 0x20 && c < 0x7f || c == '\n' && i == len(b)-1 {
			spare.WriteByte(c)
			i++
			continue
		}
		r, n := rune(c), 1
		if c >= utf8.RuneSelf {
			r, n = utf8.DecodeRune(b[i:])
		}
		switch {
		case r == utf8.RuneError && n == 1:
			spare.WriteString(`\ufffd`)
		case r < 0x20 || r >= 0x7f && r <= 0x9f || r == 0x2028 || r == 0x2029:
			spare.Write([]byte{'\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf]})
		default:
			spare.Write(b[i : i+n])
		}
		i += n
	}
	return spare.Bytes()
}
