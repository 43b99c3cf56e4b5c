package capture

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"sockscope/protocol"
	"sockscope/proxy"
)

// action is a rule's ACTION, parsed.
type action struct {
	kind          string // delay, drop, reply, error, set, replace, garbage, truncate, duplicate, close, reset, hold, bandwidth, slice
	delay, jitter time.Duration
	value         []byte // reply, replace, set: compact JSON
	code          int64  // error
	msg           string // error
	path          []string
	n             int // truncate: bytes; bandwidth: bytes a second; slice: bytes
}

func parseAction(s string) (action, error) {
	k, arg, _ := strings.Cut(s, ":")
	a := action{kind: k}
	var err error
	switch k {
	case "delay":
		a.delay, a.jitter, err = parseDelay(arg)
	case "reply", "replace":
		a.value, err = compact([]byte(arg))
	case "error":
		code, msg, _ := strings.Cut(arg, ":")
		if a.code, err = strconv.ParseInt(code, 10, 64); err != nil {
			return a, fmt.Errorf("error:%s: CODE is a number (error:-32000:boom)", arg)
		}
		a.msg = msg
		if a.msg == "" {
			a.msg = "error " + code + " (sockscope rule)"
		}
	case "set":
		path, val, ok := strings.Cut(arg, "=")
		if !ok || !strings.HasPrefix(path, "$") {
			return a, fmt.Errorf("set:%s: set:$.path=JSON", arg)
		}
		if a.path, err = parsePath(path); err != nil {
			return a, err
		}
		a.value, err = compact([]byte(val))
	case "truncate", "bandwidth", "slice":
		n, perr := strconv.Atoi(strings.TrimSuffix(arg, "KB/s"))
		if perr != nil || n <= 0 || (n == 0 && k == "truncate") {
			return a, fmt.Errorf("%s: a positive number", s)
		}
		a.n = n
		if k == "bandwidth" {
			a.n = n * 1024
		}
	case "drop", "garbage", "duplicate", "close", "reset", "hold":
	default:
		return a, fmt.Errorf("%s: no such action", s)
	}
	if err != nil {
		return a, fmt.Errorf("%s: %w", k, err)
	}
	return a, nil
}

// parsePath parses $.a.b[0] into its steps ("a", "b", "[0]").
func parsePath(p string) ([]string, error) {
	rest := strings.TrimPrefix(p, "$")
	var steps []string
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			i := strings.IndexAny(rest, ".[")
			if i < 0 {
				i = len(rest)
			}
			if i == 0 {
				return nil, fmt.Errorf("%s: an empty member name", p)
			}
			steps, rest = append(steps, rest[:i]), rest[i:]
		case '[':
			i := strings.IndexByte(rest, ']')
			if i < 0 {
				return nil, fmt.Errorf("%s: an unclosed [", p)
			}
			if _, err := strconv.Atoi(rest[1:i]); err != nil {
				return nil, fmt.Errorf("%s: an index is a number", p)
			}
			steps, rest = append(steps, rest[:i+1]), rest[i+1:]
		default:
			return nil, fmt.Errorf("%s: a path such as $.params.a", p)
		}
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("%s: a path such as $.params.a", p)
	}
	return steps, nil
}

// seen is one frame as a verdict sees it.
type seen struct {
	conn    uint64
	dir     protocol.Dir
	wire    []byte
	f       protocol.Frame
	framing protocol.Framing // how the relay cuts its direction (FramingAuto: detected)
	info    protocol.Info
	enc     protocol.Encoder
}

// makesJSON says whether action kind writes JSON (reply and error, a JSON
// reply in the request's shape; replace and set, a JSON payload), and, if
// so, why it cannot on a frame of framing f: HTTP, RESP and msgpack-RPC
// are not JSON, and a varlink reply has a shape of its own.
func makesJSON(kind string, f protocol.Framing) (why string, ok bool) {
	switch kind {
	case "reply", "error", "replace", "set":
	default:
		return "", true
	}
	switch {
	case !protocol.IsJSON(f):
		return "the frame is " + f.String() + ", not JSON", false
	case f == protocol.FramingVarlink && (kind == "reply" || kind == "error"):
		return "a varlink reply has a shape of its own", false
	}
	return "", true
}

// apply returns the verdict of action a on frame s, for rule name.
func (e *Engine) apply(a action, name string, s *seen) proxy.Verdict {
	note := func(act protocol.Act, diff string) *protocol.Note {
		return &protocol.Note{Act: act, Rule: name, Diff: diff}
	}
	// edit forwards payload in place of the frame, noting what it was.
	edit := func(payload []byte, words string) proxy.Verdict {
		n := note(protocol.ActEdited, words)
		n.Was = bytes.Clone(s.f.Data)
		return proxy.Verdict{Replace: s.enc.Append(nil, payload), Note: n}
	}
	replace := func(payload []byte) proxy.Verdict { return edit(payload, diff(s.f.Data, payload)) }
	if why, ok := makesJSON(a.kind, s.framing); !ok {
		return proxy.Verdict{Note: note(protocol.ActHeld, a.kind+" makes JSON and "+why+": forwarded as it was")}
	}
	switch a.kind {
	case "delay":
		d := a.delay
		if a.jitter > 0 {
			d += time.Duration((e.ic.draw()*2 - 1) * float64(a.jitter))
		}
		d = max(d, 0)
		return proxy.Verdict{Wait: func(stop <-chan struct{}) proxy.Verdict {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				return proxy.Verdict{Note: note(protocol.ActDelayed, "delayed "+d.String())}
			case <-stop:
				return proxy.Verdict{Drop: true, Note: note(protocol.ActDropped, "delayed when the connection closed")}
			}
		}}
	case "drop":
		return proxy.Verdict{Drop: true, Note: note(protocol.ActDropped, "")}
	case "reply", "error":
		var payload []byte
		if a.kind == "reply" {
			payload = replyShape(s.f.Data, s.info, a.value, e.cfg.IDFields)
		} else {
			payload = errorShape(s.f.Data, s.info, a.code, a.msg, e.cfg.IDFields)
		}
		if s.info.Kind == protocol.KindRequest {
			return proxy.Verdict{Drop: true, Note: note(protocol.ActFabricated, "answered by sockscope"),
				Answer: s.enc.Append(nil, payload), AnswerNote: note(protocol.ActFabricated, "")}
		}
		return replace(payload)
	case "replace":
		payload := a.value
		if s.info.ID != nil {
			payload = withID(payload, s.f.Data, s.info.ID, e.cfg.IDFields)
		}
		return replace(payload)
	case "set":
		out, err := protocol.SetPath(s.f.Data, a.path, a.value)
		if err != nil {
			return proxy.Verdict{Note: note(protocol.ActHeld, "set failed, forwarded as it was: "+err.Error())}
		}
		return replace(out)
	case "garbage":
		return edit(bytes.Repeat([]byte{0xff}, len(s.f.Data)), "garbage")
	case "truncate":
		n := min(a.n, len(s.f.Data))
		return edit(s.f.Data[:n], "truncated to "+strconv.Itoa(n)+" bytes")
	case "duplicate":
		return proxy.Verdict{Replace: append(bytes.Clone(s.wire), s.wire...), Note: note(protocol.ActDuplicated, "")}
	case "close", "reset":
		return proxy.Verdict{Drop: true, Close: true, Reset: a.kind == "reset", Note: note(protocol.ActClosed, a.kind)}
	case "bandwidth":
		return proxy.Verdict{Rate: a.n, Note: note(protocol.ActDelayed, "at "+strconv.Itoa(a.n/1024)+" KB/s")}
	case "slice":
		return proxy.Verdict{Slice: a.n, Note: note(protocol.ActDelayed, "in writes of "+strconv.Itoa(a.n)+" bytes")}
	case "hold":
		return e.ic.hold(s, name)
	}
	return proxy.Verdict{}
}

// diffMost is how much of each side an edit's diff keeps.
const diffMost = 2 << 10

// diff describes an edit: the old payload and the new, as lines.
func diff(old, new []byte) string {
	cut := func(b []byte) string {
		if len(b) > diffMost {
			return string(b[:diffMost]) + "…"
		}
		return string(b)
	}
	return "-" + cut(old) + "\n+" + cut(new)
}

// EditedFrom returns what a frame sockscope edited on its way was before
// the edit, read back from its note (n.Was, or else n.Diff as diff wrote
// it, in a recording made before notes kept Was), given the frame as it
// was forwarded (and recorded): false when n is no edit, or it holds
// neither Was nor a diff of the whole of both payloads (one over diffMost
// bytes; a garbage or truncate rule's words).
func EditedFrom(n *protocol.Note, now []byte) ([]byte, bool) {
	if n == nil || n.Act != protocol.ActEdited {
		return nil, false
	}
	if n.Was != nil {
		return n.Was, true
	}
	tail := "\n+" + string(now)
	if !strings.HasPrefix(n.Diff, "-") || !strings.HasSuffix(n.Diff, tail) || len(n.Diff) < 1+len(tail) {
		return nil, false
	}
	old := n.Diff[1 : len(n.Diff)-len(tail)]
	if len(old) > diffMost { // cut short: diffMost bytes and an ellipsis
		return nil, false
	}
	return []byte(old), true
}

// shapeOf says which protocol a request speaks and the name of its id
// member: "jsonrpc", "seed" (rid, success), "qmp" (execute), "dap"
// (seq, command), or "" for other JSON.
func shapeOf(req []byte, ids []string) (kind, idField string, m map[string]json.RawMessage) {
	json.Unmarshal(req, &m)
	for _, f := range ids {
		if _, ok := m[f]; ok {
			idField = f
			break
		}
	}
	switch {
	case m["jsonrpc"] != nil:
		kind = "jsonrpc"
	case idField == "rid":
		kind = "seed"
	case m["execute"] != nil:
		kind = "qmp"
	case string(m["type"]) == `"request"` && m["seq"] != nil:
		kind, idField = "dap", "seq"
	}
	if idField == "" {
		idField = "id"
	}
	return kind, idField, m
}

// replyShape returns the success reply to request req, with result, in
// the request's protocol.
func replyShape(req []byte, info protocol.Info, result []byte, ids []string) []byte {
	if protocol.IsBatch(req) {
		return batchShape(req, ids, func(el []byte, info protocol.Info) []byte { return replyShape(el, info, result, ids) })
	}
	kind, idf, m := shapeOf(req, ids)
	id := string(info.ID)
	if id == "" {
		id = "null"
	}
	switch kind {
	case "jsonrpc":
		return []byte(`{"jsonrpc":"2.0","id":` + id + `,"result":` + string(result) + `}`)
	case "seed":
		return []byte(`{"rid":` + id + `,"success":true,"data":` + string(result) + `}`)
	case "qmp":
		return []byte(`{"return":` + string(result) + `,"id":` + id + `}`)
	case "dap":
		return []byte(`{"seq":0,"type":"response","request_seq":` + id + `,"success":true,"command":` + string(m["command"]) + `,"body":` + string(result) + `}`)
	}
	return []byte(`{` + strconv.Quote(idf) + `:` + id + `,"result":` + string(result) + `}`)
}

// errorShape returns the error reply to request req in its protocol:
// JSON-RPC's error object, the seed's success:false, QMP's and DAP's.
func errorShape(req []byte, info protocol.Info, code int64, msg string, ids []string) []byte {
	if protocol.IsBatch(req) {
		return batchShape(req, ids, func(el []byte, info protocol.Info) []byte { return errorShape(el, info, code, msg, ids) })
	}
	kind, idf, m := shapeOf(req, ids)
	id := string(info.ID)
	if id == "" {
		id = "null"
	}
	qmsg, _ := json.Marshal(msg)
	c := strconv.FormatInt(code, 10)
	switch kind {
	case "jsonrpc":
		return []byte(`{"jsonrpc":"2.0","id":` + id + `,"error":{"code":` + c + `,"message":` + string(qmsg) + `}}`)
	case "seed":
		return []byte(`{"rid":` + id + `,"success":false,"error":` + string(qmsg) + `}`)
	case "qmp":
		return []byte(`{"error":{"class":"GenericError","desc":` + string(qmsg) + `},"id":` + id + `}`)
	case "dap":
		return []byte(`{"seq":0,"type":"response","request_seq":` + id + `,"success":false,"command":` + string(m["command"]) + `,"message":` + string(qmsg) + `}`)
	}
	return []byte(`{` + strconv.Quote(idf) + `:` + id + `,"error":{"code":` + c + `,"message":` + string(qmsg) + `}}`)
}

// batchShape returns the answer to JSON-RPC batch req: an array of the
// replies shape makes to its requests (its notifications get none), in
// their order.
func batchShape(req []byte, ids []string, shape func(el []byte, info protocol.Info) []byte) []byte {
	var elems []json.RawMessage
	json.Unmarshal(req, &elems) // req is JSON (Classify said it is a batch)
	out := []byte{'['}
	for _, el := range elems {
		if info := protocol.Classify(el, ids); info.Kind == protocol.KindRequest && info.ID != nil {
			if len(out) > 1 {
				out = append(out, ',')
			}
			out = append(out, shape(el, info)...)
		}
	}
	return append(out, ']')
}

// withID returns payload with its id (the first of ids it has, else "id")
// set to id: a reply made up for request req carries the id its asker
// expects. The reply to a batch is left as it is: its ids are its
// replies', which whoever wrote it gave them (ReplyTemplate's do).
func withID(payload, req, id []byte, ids []string) []byte {
	if protocol.IsBatch(req) {
		return payload
	}
	info := protocol.Classify(payload, ids)
	if info.ID != nil {
		if out := protocol.ReplaceID(payload, info, id); out != nil {
			return out
		}
	}
	if out := protocol.AddMember(payload, "id", id); out != nil {
		return out
	}
	return payload
}

// member returns the value of top-level member k of JSON object b, nil if
// it has none.
func member(b []byte, k string) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m[k]
}
