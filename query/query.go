// Package query is the filter language of sockscope's list, shared by the
// UI's filter line and `sockscope export --filter`:
//
//	q, err := query.Parse(`method:add status:error slow:>100ms`)
//	...
//	q.BindConns(st.Conns()) // when q.NeedsConns()
//	st.Rows(0, func(r store.Row) bool { if q.MatchRow(st, &r, now) { ... }; return true })
//
// Syntax describes it for people.
package query

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"sockscope/protocol"
	"sockscope/store"
)

// Syntax documents the filter language; the UI's help view shows it.
const Syntax = `terms are ANDed; -term negates one; "quoted words" are one term
  method:add         method contains add
  id:17              id is 17 (or "17"), or a batch's ids hold it
  conn:3  conn:node  connection #3; client or process contains node
  status:error,orphan   ok error pending noreply orphan gap none
  status:differs     in a replay's UI, its verdict: differs matches race
                     (compared: any of them); elsewhere it matches nothing
  dir:c2s  dir:s2c   the side that asked
  kind:request       request response notification raw other
  slow:>100ms        latency over 100ms (pending rows count their wait)
  lat:<1ms           latency under 1ms
  is:injected        what sockscope sent itself (also: withheld, duplicate)
  is:held            what sockscope did to a frame: held (now or before),
                     edited, dropped, fabricated, delayed, duplicated,
                     closed, timeout
  anything else      text in the frames (any case unless it has capitals);
                     "\"rid\":1" searches "rid":1 (\" and \\ in a term);
                     quote a word: that is no field ("http://x")`

// termKind is what a filter term tests.
type termKind uint8

const (
	termText termKind = iota
	termMethod
	termID
	termConn
	termConnName
	termStatus
	termDir
	termKindOf
	termLatency
	termFlag
)

var termKindNames = [...]string{"text", "method", "id", "conn", "conn", "status", "dir", "kind", "slow", "is"}

// Flags an is: term tests, one bit each.
const (
	flagInjected = 1 << iota
	flagWithheld
	flagDuplicate
)

// flagAct0 is the bit of protocol.ActNone; act a is flagAct0 << a (the
// intervention flags: held, edited, dropped...).
const flagAct0 = 1 << 8

var flagWords = map[string]uint32{"injected": flagInjected, "inj": flagInjected, "withheld": flagWithheld, "duplicate": flagDuplicate, "dup": flagDuplicate,
	// A frame held until --hold-timeout was held too.
	"held": actFlag(protocol.ActHeld) | actFlag(protocol.ActTimeout), "edited": actFlag(protocol.ActEdited), "edit": actFlag(protocol.ActEdited),
	"dropped": actFlag(protocol.ActDropped), "drop": actFlag(protocol.ActDropped),
	"fabricated": actFlag(protocol.ActFabricated), "fab": actFlag(protocol.ActFabricated),
	"delayed": actFlag(protocol.ActDelayed), "delay": actFlag(protocol.ActDelayed), "duplicated": actFlag(protocol.ActDuplicated),
	"closed": actFlag(protocol.ActClosed), "close": actFlag(protocol.ActClosed), "timeout": actFlag(protocol.ActTimeout)}

// actFlag is the is: bit of act a, 0 for ActNone.
func actFlag(a protocol.Act) uint32 {
	if a == protocol.ActNone || a >= 24 {
		return 0
	}
	return flagAct0 << a
}

// String returns the term's key as typed.
func (k termKind) String() string {
	if int(k) < len(termKindNames) {
		return termKindNames[k]
	}
	return fmt.Sprintf("term(%d)", k)
}

// term is one parsed filter term.
type term struct {
	kind  termKind
	neg   bool
	str   string // lower-cased when fold
	fold  bool
	num   uint64
	set   uint32 // statuses or kinds, one bit each
	conns map[uint64]bool
	over  bool // latency: true for >, false for <
	dur   time.Duration
}

// Query is a parsed filter, plus a connection it is restricted to (the UI's
// connections pane). The zero Query, and a nil one, match everything.
type Query struct {
	// Src is the filter as typed, trimmed.
	Src   string
	terms []term
	// Conn restricts the query to one connection; 0 means all.
	Conn uint64
	cmp  Comparer // a replay's verdicts (BindCompare)
}

// Empty reports whether q matches everything.
func (q *Query) Empty() bool { return q == nil || (len(q.terms) == 0 && q.Conn == 0) }

// HasTerms reports whether q has filter terms (beside a connection).
func (q *Query) HasTerms() bool { return q != nil && len(q.terms) > 0 }

// WithConn returns a copy of q (which may be nil) restricted to connection
// conn (0 for all). The copy binds its connection names on its own.
func (q *Query) WithConn(conn uint64) *Query {
	c := &Query{Conn: conn}
	if q != nil {
		c.Src, c.terms, c.cmp = q.Src, slices.Clone(q.terms), q.cmp
	}
	return c
}

// statusGap is the bit of a status term that matches rows marked Gap (a
// no-reply or orphan that may be sockscope's drops), beside the statuses'.
const statusGap = 1 << 31

var statusWords = map[string]protocol.Status{
	"ok": protocol.StatusOK, "error": protocol.StatusError, "err": protocol.StatusError,
	"pending": protocol.StatusPending, "noreply": protocol.StatusNoReply, "no-reply": protocol.StatusNoReply,
	"orphan": protocol.StatusOrphan, "none": protocol.StatusNone,
}

var kindWords = map[string]protocol.Kind{
	"request": protocol.KindRequest, "req": protocol.KindRequest, "response": protocol.KindResponse,
	"resp": protocol.KindResponse, "notification": protocol.KindNotification, "notify": protocol.KindNotification,
	"event": protocol.KindNotification, "raw": protocol.KindRaw, "other": protocol.KindOther,
}

var knownKeys = map[string]bool{"method": true, "m": true, "id": true, "conn": true, "c": true, "status": true,
	"s": true, "dir": true, "d": true, "kind": true, "k": true, "slow": true, "lat": true, "latency": true, "is": true}

// Parse parses the filter language (see Syntax).
func Parse(src string) (*Query, error) {
	q := &Query{Src: strings.TrimSpace(src)}
	defer q.order()
	for _, tk := range splitTerms(src) {
		t, tok := term{}, tk.text
		if len(tok) > 1 && tok[0] == '-' && tk.quoted != 0 { // "-x" is text
			t.neg, tok = true, tok[1:]
			tk.quoted--
		}
		k, v, ok := strings.Cut(tok, ":")
		if ok && v == "" && knownKeys[strings.ToLower(k)] {
			continue // still being typed
		}
		if !ok || v == "" || tk.quoted >= 0 && tk.quoted <= len(k) {
			k, v = "", tok // no field, or one in quotes: text
		}
		if k != "" && !knownKeys[strings.ToLower(k)] && isWord(k) {
			return nil, fmt.Errorf("%s: is not a field (method id conn status dir kind slow lat is); to search the text, quote it: %q", k, tok)
		}
		switch strings.ToLower(k) {
		case "method", "m":
			t.kind = termMethod
			t.str, t.fold = foldTerm(v)
		case "id":
			t.kind, t.str = termID, v
		case "conn", "c":
			if n, err := strconv.ParseUint(strings.TrimPrefix(v, "#"), 10, 64); err == nil {
				t.kind, t.num = termConn, n
			} else {
				t.kind, t.str = termConnName, strings.ToLower(v)
			}
		case "status", "s":
			t.kind = termStatus
			for _, w := range strings.Split(strings.ToLower(v), ",") {
				if w == "gap" {
					t.set |= statusGap
					continue
				}
				if bits, ok := compareSet(w); ok {
					t.set |= bits
					continue
				}
				s, ok := statusWords[w]
				if !ok {
					return nil, fmt.Errorf("status %q: want ok, error, pending, noreply, orphan, gap, none, or a replay's differs, matches, race", w)
				}
				t.set |= 1 << s
			}
		case "dir", "d":
			t.kind = termDir
			switch strings.ToLower(v) {
			case "c2s", ">", "client":
				t.num = uint64(protocol.C2S)
			case "s2c", "<", "server":
				t.num = uint64(protocol.S2C)
			default:
				return nil, fmt.Errorf("dir %q: want c2s or s2c", v)
			}
		case "kind", "k":
			t.kind = termKindOf
			for _, w := range strings.Split(strings.ToLower(v), ",") {
				kd, ok := kindWords[w]
				if !ok {
					return nil, fmt.Errorf("kind %q: want request, response, notification, raw or other", w)
				}
				t.set |= 1 << kd
			}
		case "is":
			t.kind = termFlag
			for _, w := range strings.Split(strings.ToLower(v), ",") {
				f, ok := flagWords[w]
				if !ok {
					return nil, fmt.Errorf("is %q: want injected, withheld, duplicate, held, edited, dropped, fabricated, delayed, duplicated, closed or timeout", w)
				}
				t.set |= f
			}
		case "slow", "lat", "latency":
			t.kind, t.over = termLatency, true
			s := strings.TrimPrefix(v, "=")
			switch {
			case strings.HasPrefix(s, ">"):
				s = strings.TrimPrefix(strings.TrimPrefix(s, ">"), "=")
			case strings.HasPrefix(s, "<"):
				t.over, s = false, strings.TrimPrefix(strings.TrimPrefix(s, "<"), "=")
			}
			d, err := time.ParseDuration(s)
			if err != nil {
				return nil, fmt.Errorf("%s %q: want a duration such as >100ms", k, v)
			}
			t.dur = d
		case "":
			t.kind = termText
			t.str, t.fold = foldTerm(v)
		default:
			t.kind = termText
			t.str, t.fold = foldTerm(tok)
		}
		q.terms = append(q.terms, t)
	}
	return q, nil
}

// token is one term as typed: its text, quotes and escapes undone, and
// where its first quote was (-1 if none).
type token struct {
	text   string
	quoted int
}

// splitTerms splits on spaces, keeping "quoted phrases" whole (quotes
// removed); a backslash makes the next character plain (\" is a quote in
// the text, \\ a backslash).
func splitTerms(s string) []token {
	var out []token
	var cur strings.Builder
	inQ, esc, quoted := false, false, -1
	for _, r := range s {
		switch {
		case esc:
			esc = false
			cur.WriteRune(r)
		case r == '\\':
			esc = true
		case r == '"':
			inQ = !inQ
			if quoted < 0 {
				quoted = cur.Len()
			}
		case r == ' ' && !inQ:
			if cur.Len() > 0 {
				out = append(out, token{cur.String(), quoted})
				cur.Reset()
			}
			quoted = -1
		default:
			cur.WriteRune(r)
		}
	}
	if esc {
		cur.WriteRune('\\') // a backslash at the end is itself
	}
	if cur.Len() > 0 {
		out = append(out, token{cur.String(), quoted})
	}
	return out
}

// isWord reports whether k is letters only: what a field name looks like.
func isWord(k string) bool {
	for _, r := range k {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return k != ""
}

// foldTerm applies smart case: a term without capitals matches any case.
func foldTerm(v string) (string, bool) {
	if strings.ToLower(v) == v {
		return v, true
	}
	return v, false
}

// NeedsConns reports whether q names connections by client or process, so
// that BindConns must be called before matching (again when connections
// were added).
func (q *Query) NeedsConns() bool {
	if q == nil {
		return false
	}
	for _, t := range q.terms {
		if t.kind == termConnName {
			return true
		}
	}
	return false
}

// BindConns resolves conn:name terms against the known connections.
func (q *Query) BindConns(conns []store.Conn) {
	for i := range q.terms {
		t := &q.terms[i]
		if t.kind != termConnName {
			continue
		}
		t.conns = map[uint64]bool{}
		for _, c := range conns {
			if strings.Contains(strings.ToLower(c.Client), t.str) || strings.Contains(strings.ToLower(c.Process), t.str) ||
				(c.PID > 0 && strconv.Itoa(c.PID) == t.str) {
				t.conns[c.ID] = true
			}
		}
	}
}

// containsFold reports whether hay contains needle, which is lower case,
// ignoring ASCII case in hay.
func containsFold(hay []byte, needle string) bool {
	n := len(needle)
	if n == 0 {
		return true
	}
	c0 := needle[0]
	up := c0
	if c0 >= 'a' && c0 <= 'z' {
		up = c0 - 32
	}
	for i := 0; i+n <= len(hay); i++ {
		if b := hay[i]; b != c0 && b != up {
			j := bytes.IndexByte(hay[i+1:len(hay)-n+1], c0)
			if up != c0 {
				if k := bytes.IndexByte(hay[i+1:len(hay)-n+1], up); k >= 0 && (j < 0 || k < j) {
					j = k
				}
			}
			if j < 0 {
				return false
			}
			i += j + 1
		}
		if equalFold(hay[i:i+n], needle) {
			return true
		}
	}
	return false
}

func equalFold(b []byte, lower string) bool {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 32
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// matchText tests one text term against a frame payload.
func (t *term) matchText(b []byte) bool {
	if t.fold {
		return containsFold(b, t.str)
	}
	return bytes.Contains(b, []byte(t.str))
}

// matchID reports whether id, a JSON token, is want: the token itself, or
// a string's contents. A JSON-RPC batch's id is the set of its requests'
// ids as an array (protocol.Classify): want matches it when it is one of
// them, or the whole.
func matchID(id, want string) bool {
	if id == want || (len(id) >= 2 && id[0] == '"' && id[1:len(id)-1] == want) {
		return true
	}
	if len(id) < 2 || id[0] != '[' {
		return false
	}
	var ids []json.RawMessage
	if json.Unmarshal([]byte(id), &ids) != nil {
		return false
	}
	for _, e := range ids {
		if e := string(e); e == want || (len(e) >= 2 && e[0] == '"' && e[1:len(e)-1] == want) {
			return true
		}
	}
	return false
}
