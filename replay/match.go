package replay

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"sockscope/protocol"
)

// Match is how a live request finds its recorded counterpart.
type Match uint8

const (
	// MatchMethodParams matches by method and params (volatile fields left
	// out); identical requests take the recorded ones in order.
	MatchMethodParams Match = iota
	// MatchSequential takes the recorded requests in order, checking only
	// the method.
	MatchSequential
	// MatchStrict takes the recorded requests in order, each equal to the
	// recorded one but for its id and what the matching leaves out
	// (--ignore, the Volatile fields), as MatchMethodParams.
	MatchStrict
)

var matchNames = [...]string{"method-params", "sequential", "strict"}

// String returns the --match name.
func (m Match) String() string {
	if int(m) < len(matchNames) {
		return matchNames[m]
	}
	return "match(" + strconv.Itoa(int(m)) + ")"
}

// ParseMatch parses a --match name.
func ParseMatch(s string) (Match, error) {
	for i, n := range matchNames {
		if s == n {
			return Match(i), nil
		}
	}
	return 0, fmt.Errorf("--match %q: want method-params, sequential or strict", s)
}

// Volatile are the fields a match leaves out whatever --ignore says: LSP's
// initialize.params.processId is the pid of whoever asks, and the go env
// that gopls -remote passes in its initializationOptions has a GOGCCFLAGS
// that names a temporary directory of its own each run.
var Volatile = []string{"$.params.processId", "$.params.initializationOptions.env.GOGCCFLAGS"}

// methodMembers are the members that name what a message asks for.
var methodMembers = []string{"method", "execute", "command", "jsonrpc"}

// requestKey returns what a request asks, canonical: the message without
// its id fields (DAP's seq too), its method and jsonrpc members, and what
// ig leaves out. An mpv command stays: its array holds the arguments after
// the name.
func requestKey(payload []byte, ids []string, ig *Ignore) string {
	v, err := decode(payload)
	if err != nil {
		return string(payload)
	}
	leaveOut := func(v any) {
		if m, ok := v.(map[string]any); ok {
			if _, dap := m["command"].(string); dap && m["type"] == "request" {
				delete(m, "seq") // DAP's id
			}
			for _, k := range append(slices.Clip(ids), methodMembers...) {
				if _, args := m[k].([]any); k == "command" && args {
					continue // mpv's ["get_property","volume"], not DAP's "initialize"
				}
				delete(m, k)
			}
		}
	}
	leaveOut(v)
	if a, ok := v.([]any); ok && protocol.IsBatch(payload) { // each request of a JSON-RPC batch
		for _, e := range a {
			leaveOut(e)
		}
	}
	if ig != nil {
		v = strip(v, nil, ig)
	}
	return string(marshal(v)) // sorted members
}

// strip returns v without what ig leaves out.
func strip(v any, path []string, ig *Ignore) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := append(slices.Clip(path), k)
			if ig.ignored(p) {
				delete(x, k)
				continue
			}
			x[k] = strip(e, p, ig)
		}
	case []any:
		for i, e := range x {
			p := append(slices.Clip(path), "["+strconv.Itoa(i)+"]")
			if ig.ignored(p) {
				x[i] = nil
				continue
			}
			x[i] = strip(e, p, ig)
		}
	}
	return v
}

// requestForm returns what of a request frame (framed with f) is matched,
// as JSON: a JSON message itself; an HTTP request's body, as {"body":…}
// (its method and target are its method, its headers are left out); a
// RESP command's arguments, as {"args":[…]} (its name is its method).
func requestForm(f protocol.Framing, p []byte) []byte {
	var form any
	switch f {
	case protocol.FramingHTTP:
		// The body, and the headers that change the answer to the same
		// target: a conditional GET's 304 is no answer to a plain one.
		msg, ok := protocol.ParseHTTP(p)
		if !ok {
			return p
		}
		m := map[string]any{}
		for _, h := range msg.Headers {
			if name := strings.ToLower(string(h.Name)); answerHeaders[name] {
				m[name] = string(h.Value)
			}
		}
		var v struct {
			Body json.RawMessage `json:"body,omitempty"`
		}
		if b, err := protocol.ProfileOf(f).View(nil, p); err == nil && json.Unmarshal(b, &v) == nil && v.Body != nil {
			m["body"] = v.Body
		}
		form = m
	case protocol.FramingRESP:
		var args []json.RawMessage
		v, err := protocol.ProfileOf(f).View(nil, p)
		if err != nil || json.Unmarshal(v, &args) != nil || len(args) == 0 {
			return p
		}
		form = map[string]any{"args": args[1:]}
	case protocol.FramingMsgpack:
		// [0,msgid,method,params]: the params, without the msgid.
		var msg []json.RawMessage
		v, err := protocol.ProfileOf(f).View(nil, p)
		if err != nil || json.Unmarshal(v, &msg) != nil || len(msg) != 4 {
			return p
		}
		form = map[string]any{"params": msg[3]}
	default:
		return p
	}
	return marshal(form)
}

// answerHeaders are the request headers that make an HTTP server answer
// the same method and target otherwise (RFC 9110's conditional requests
// and ranges).
var answerHeaders = map[string]bool{
	"if-none-match": true, "if-modified-since": true, "if-match": true,
	"if-unmodified-since": true, "if-range": true, "range": true,
}

// entry is a recorded request as a Matcher knows it.
type entry struct {
	x      *Exchange
	n      int // its place in the Matcher, from 1
	method string
	form   []byte // requestForm of its payload
	key    string // its method and form, without what the matching leaves out
}

// Matcher finds the recorded request a live one stands for.
type Matcher struct {
	mode     Match
	ig       Ignore
	ids      []string
	all      []*entry
	byKey    map[string][]*entry
	byMethod map[string][]*entry
}

// NewMatcher indexes exchanges (requests or notifications, in the order
// they were sent) for matching by mode, leaving out what ig says and the
// Volatile fields.
func NewMatcher(exs []*Exchange, mode Match, ig Ignore, ids []string) *Matcher {
	return newMatcher(exs, nil, mode, ig, ids)
}

// newMatcher is NewMatcher for exchanges whose requests are matched by
// forms[i] (see requestForm; nil: the payload, JSON).
func newMatcher(exs []*Exchange, forms [][]byte, mode Match, ig Ignore, ids []string) *Matcher {
	m := &Matcher{mode: mode, ig: ig.With(Volatile...), ids: ids, byKey: map[string][]*entry{}, byMethod: map[string][]*entry{}}
	for i, x := range exs {
		e := &entry{x: x, n: i + 1, method: string(x.Req.Info.Method), form: x.Req.Payload}
		if e.method == "" { // not JSON: the method the recording's protocol gave it
			e.method = x.Row.Method
		}
		if i < len(forms) && forms[i] != nil {
			e.form = forms[i]
		}
		e.key = m.keyOf(e.form, e.method)
		m.all = append(m.all, e)
		m.byKey[e.key] = append(m.byKey[e.key], e)
		m.byMethod[e.method] = append(m.byMethod[e.method], e)
	}
	return m
}

// HasMethod reports whether the Matcher holds a recorded request of
// method.
func (m *Matcher) HasMethod(method string) bool { return len(m.byMethod[method]) > 0 }

// Len returns how many recorded requests the Matcher holds.
func (m *Matcher) Len() int { return len(m.all) }

// keyOf is what a request (its form and method) is matched by.
func (m *Matcher) keyOf(form []byte, method string) string {
	return method + "\x00" + requestKey(form, m.ids, &m.ig)
}

// Cursor is one live connection's place in the recording: which recorded
// requests it has used.
type Cursor struct {
	used     map[string]int
	byMethod map[string]int
	next     int
	// missed is the recorded request (sequential, strict) the latest miss
	// was compared with; nil when it came past the last one.
	missed *entry
}

// clone returns a copy of cur that does not share its maps.
func (cur Cursor) clone() Cursor {
	cur.used, cur.byMethod = maps.Clone(cur.used), maps.Clone(cur.byMethod)
	return cur
}

// Find returns the recorded exchange that answers request payload (method
// is its method; payload is its requestForm) and moves cur past it.
//
// In the recorded order (sequential, strict), the k-th request is compared
// with the k-th recorded one, and a miss takes its place too: the next
// request is compared with the next recorded one, so that one request
// unlike the recording makes one miss, not a miss of every later one.
func (m *Matcher) Find(payload []byte, method string, cur *Cursor) (*Exchange, bool) {
	switch m.mode {
	case MatchSequential, MatchStrict:
		cur.missed = nil
		if cur.next >= len(m.all) {
			cur.next++
			return nil, false
		}
		e := m.all[cur.next]
		cur.next++
		if e.method != method || m.mode == MatchStrict && e.key != m.keyOf(payload, method) {
			cur.missed = e
			return nil, false
		}
		return e.x, true
	}
	key := m.keyOf(payload, method)
	list := m.byKey[key]
	if len(list) == 0 {
		return nil, false
	}
	if cur.used == nil {
		cur.used = map[string]int{}
	}
	i := min(cur.used[key], len(list)-1) // past the last, the last again
	cur.used[key]++
	return list[i].x, true
}

// FindMethod returns the next recorded request of the same method,
// whatever its params (a progress token, a registration id: what a server
// makes up afresh each time), and moves cur past it.
func (m *Matcher) FindMethod(method string, cur *Cursor) (*Exchange, bool) {
	list := m.byMethod[method]
	if len(list) == 0 {
		return nil, false
	}
	if cur.byMethod == nil {
		cur.byMethod = map[string]int{}
	}
	i := min(cur.byMethod[method], len(list)-1)
	cur.byMethod[method]++
	return list[i].x, true
}

// Why says, for a request Find found no match for just now, what the
// recording has instead: in the recorded order (sequential, strict), the
// recorded request at its place and how this one differs from it (the
// method, or the paths where the params differ); else the closest recorded
// request, and the paths where the params differ when its method is the
// same (both may be cut short alike before them).
func (m *Matcher) Why(payload []byte, method string, cur *Cursor) string {
	switch m.mode {
	case MatchSequential, MatchStrict:
		e := cur.missed
		if e == nil {
			return fmt.Sprintf("the recorded connection has %d requests, and this is request %d", len(m.all), cur.next)
		}
		why := fmt.Sprintf("request %d of the recorded connection is %s", e.n, m.describe(e))
		if e.method != method {
			return why + ": the method differs"
		}
		return why + ": " + m.paramsDiffer(e, payload)
	}
	if e := m.closest(payload, method); e != nil {
		why := "the closest recorded request is " + m.describe(e)
		if e.method == method {
			why += ": " + m.paramsDiffer(e, payload)
		}
		return why
	}
	return "the recording has no request"
}

// paramsDiffer says at which paths (the first three) request payload
// differs from recorded request e, as the matching compares them.
func (m *Matcher) paramsDiffer(e *entry, payload []byte) string {
	diff := Diff([]byte(requestKey(e.form, m.ids, nil)), []byte(requestKey(payload, m.ids, nil)), m.ig, nil)
	var at []string
	for i, d := range diff {
		if i == 3 {
			at = append(at, fmt.Sprintf("and %d more", len(diff)-i))
			break
		}
		at = append(at, d.String())
	}
	return "the params differ at " + strings.Join(at, ", ")
}

// describe says a recorded request in a line: its method and what it asks.
func (m *Matcher) describe(e *entry) string {
	return oneLine(e.method + " " + short([]byte(requestKey(e.form, m.ids, nil))))
}

// closestScan bounds the recorded requests closest compares with.
const closestScan = 10_000

// closest returns the recorded request most like payload: the same method
// first, then the fewest differing members.
func (m *Matcher) closest(payload []byte, method string) *entry {
	v, _ := decode([]byte(requestKey(payload, m.ids, &m.ig)))
	var best *entry
	bestScore := -1
	for i, e := range m.all {
		if i >= closestScan {
			break
		}
		score := 0
		if e.method != method {
			score += 1000 + editDistance(e.method, method)
		}
		if w, err := decode([]byte(e.key[len(e.method)+1:])); err == nil {
			d := differ{ig: &Ignore{}}
			d.walk(w, v, nil)
			score += len(d.out)
		}
		if bestScore < 0 || score < bestScore {
			best, bestScore = e, score
		}
	}
	return best
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		a, b = a[:min(len(a), 64)], b[:min(len(b), 64)]
	}
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// answerWith returns the recorded response to x re-addressed to request
// req, whose id is id; ids are the id fields.
func answerWith(x *Exchange, req, id []byte, ids []string) []byte {
	resp := x.Resp
	if resp.Info.ID == nil {
		if id != nil && x.Req.Info.ByOrder {
			// Recorded without an id (QMP, mpv: by order), asked with
			// one: the reply carries it, as the server would have sent it.
			if out := protocol.AddMember(resp.Payload, idField(req, ids), id); out != nil {
				return out
			}
		}
		return resp.Payload
	}
	if protocol.IsBatch(resp.Payload) {
		return batchAnswerWith(resp.Payload, x.Req.Payload, req, ids)
	}
	if id == nil {
		// Asked without an id (QMP, mpv: by order), recorded with one:
		// the reply as the server sends it then, mpv's with request_id
		// 0, QMP's with none.
		out := protocol.RemoveID(resp.Payload, resp.Info)
		if idField(x.Req.Payload, ids) == "request_id" {
			out = protocol.ReplaceID(resp.Payload, resp.Info, []byte("0"))
		}
		if out != nil {
			return out
		}
		return resp.Payload
	}
	if out := protocol.ReplaceID(resp.Payload, resp.Info, id); out != nil {
		return out
	}
	return resp.Payload
}

// idField returns the member of ids that carries request req's id: the
// first present and not null (as Classify takes it), else "id".
func idField(req []byte, ids []string) string {
	var m map[string]json.RawMessage
	json.Unmarshal(req, &m)
	for _, k := range ids {
		if v := m[k]; v != nil && string(v) != "null" {
			return k
		}
	}
	return "id"
}

// batchAnswerWith is answerWith for the reply to a JSON-RPC batch: each
// reply in it that answers the k-th request of the recorded batch rec
// gets the id of the k-th request of req (which matched rec, so has its
// requests in the same order). It returns resp as it was when they do not
// have as many requests.
func batchAnswerWith(resp, rec, req []byte, ids []string) []byte {
	requestIDs := func(batch []byte) [][]byte {
		var out [][]byte
		for _, e := range protocol.BatchElements(batch) {
			if info := protocol.Classify(e, ids); info.Kind == protocol.KindRequest && info.ID != nil {
				out = append(out, info.ID)
			}
		}
		return out
	}
	was, now := requestIDs(rec), requestIDs(req)
	if len(was) != len(now) {
		return resp
	}
	used := make([]bool, len(was))
	out := make([]byte, 0, len(resp))
	last := 0 // resp's bytes up to here are in out
	for _, e := range protocol.BatchElements(resp) {
		info := protocol.Classify(e, ids)
		if info.Kind != protocol.KindResponse || info.ID == nil {
			continue
		}
		for k, w := range was {
			if !used[k] && protocol.SameID(w, info.ID) {
				used[k] = true
				off := cap(resp) - cap(e) // e is resp[off:…]
				out = append(append(out, resp[last:off]...), protocol.ReplaceID(e, info, now[k])...)
				last = off + len(e)
				break
			}
		}
	}
	return append(out, resp[last:]...)
}
