package replay

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

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
	// recorded one but for its id.
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
// initialize.params.processId is the pid of whoever asks.
var Volatile = []string{"$.params.processId"}

// methodMembers are the members that name what a message asks for.
var methodMembers = []string{"method", "execute", "command", "jsonrpc"}

// requestKey returns what a request asks, canonical: the message without
// its id fields, its method and jsonrpc members, and what ig leaves out.
func requestKey(payload []byte, ids []string, ig *Ignore) string {
	v, err := decode(payload)
	if err != nil {
		return string(payload)
	}
	if m, ok := v.(map[string]any); ok {
		for _, k := range append(slices.Clip(ids), methodMembers...) {
			delete(m, k)
		}
	}
	if ig != nil {
		v = strip(v, nil, ig)
	}
	b, _ := json.Marshal(v) // sorted members
	return string(b)
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

// entry is a recorded request as a Matcher knows it.
type entry struct {
	x      *Exchange
	method string
	key    string // method-params: with what --ignore leaves out
	exact  string // strict: everything but the id
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
	m := &Matcher{mode: mode, ig: ig.With(Volatile...), ids: ids, byKey: map[string][]*entry{}, byMethod: map[string][]*entry{}}
	for _, x := range exs {
		e := &entry{x: x, method: string(x.Req.Info.Method)}
		e.key = e.method + "\x00" + requestKey(x.Req.Payload, ids, &m.ig)
		e.exact = e.method + "\x00" + requestKey(x.Req.Payload, ids, nil)
		m.all = append(m.all, e)
		m.byKey[e.key] = append(m.byKey[e.key], e)
		m.byMethod[e.method] = append(m.byMethod[e.method], e)
	}
	return m
}

// Len returns how many recorded requests the Matcher holds.
func (m *Matcher) Len() int { return len(m.all) }

// Cursor is one live connection's place in the recording: which recorded
// requests it has used.
type Cursor struct {
	used     map[string]int
	byMethod map[string]int
	next     int
}

// Find returns the recorded exchange that answers request payload (method
// is its method) and moves cur past it.
func (m *Matcher) Find(payload []byte, method string, cur *Cursor) (*Exchange, bool) {
	switch m.mode {
	case MatchSequential, MatchStrict:
		if cur.next >= len(m.all) {
			return nil, false
		}
		e := m.all[cur.next]
		ok := e.method == method
		if m.mode == MatchStrict {
			ok = e.exact == method+"\x00"+requestKey(payload, m.ids, nil)
		}
		if !ok {
			return nil, false
		}
		cur.next++
		return e.x, true
	}
	key := method + "\x00" + requestKey(payload, m.ids, &m.ig)
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

// closestScan bounds the recorded requests Closest compares with.
const closestScan = 10_000

// Closest returns the recorded request most like payload: the same method
// first, then the fewest differing members.
func (m *Matcher) Closest(payload []byte, method string) *Exchange {
	v, _ := decode([]byte(requestKey(payload, m.ids, &m.ig)))
	var best *Exchange
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
			best, bestScore = e.x, score
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

// Describe says a recorded request in a line: its method and what it asks.
func Describe(x *Exchange, ids []string) string {
	return string(x.Req.Info.Method) + " " + short([]byte(requestKey(x.Req.Payload, ids, nil)))
}

// answerWith returns the recorded response resp re-addressed to id.
func answerWith(resp *Msg, id []byte) []byte {
	if resp.Info.ID == nil {
		return resp.Payload
	}
	if out := protocol.ReplaceID(resp.Payload, resp.Info, id); out != nil {
		return out
	}
	return resp.Payload
}
