package replay

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sockscope/internal/plural"
	"strconv"
	"strings"
	"time"
)

// Verdict is how a recorded response compares with the new one.
type Verdict uint8

const (
	// Same: the responses match (or neither came: no reply then, no reply
	// now).
	Same Verdict = iota
	// Differs: the responses differ, or only one came.
	Differs
	// Race: the request was cancelled ($/cancelRequest), so what came back
	// depends on timing; reported, not a difference.
	Race
	// Unanswered: the request was still waiting for its reply when the
	// recording stopped (its connection was open at exit), so there is no
	// recorded reply to compare with; reported, not a difference.
	Unanswered
	// Error: the connection to the server ended before the reply (the
	// server went away), or the request could not be sent: nothing to
	// compare, and the replay fails (exit status 2).
	Error
)

var verdictNames = [...]string{"match", "differs", "race", "unanswered", "error"}

// String returns "match", "differs", "race", "unanswered" or "error".
func (v Verdict) String() string { return verdictNames[v] }

// MarshalText implements encoding.TextMarshaler.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// Compared is one recorded request sent again, and how it went.
type Compared struct {
	RecordedConn uint64 `json:"recorded_conn"`
	// Conn is the replay's connection (as the replay's own capture
	// numbers it; 0 when unknown).
	Conn uint64 `json:"conn"`
	Dir  string `json:"dir"` // the side that asked
	ID   string `json:"id"`  // raw JSON, written as it is
	// Nth is the request's place among those sent on its connection (1
	// for the first) in a protocol whose requests carry no id (HTTP/1.1,
	// RESP, varlink), which pairs by order; 0 for one with an id.
	Nth     int     `json:"nth,omitempty"`
	Method  string  `json:"method"`
	Verdict Verdict `json:"status"`
	// Then and Now are the statuses: ok, error, no-reply.
	Then string `json:"then"`
	Now  string `json:"now"`
	// Diff says where the responses differ.
	Diff []Difference `json:"diff,omitempty"`
	// Latencies, in microseconds, of an answered request.
	LatencyThen time.Duration `json:"-"`
	LatencyNow  time.Duration `json:"-"`
	LatThenUS   int64         `json:"latency_then_us"`
	LatNowUS    int64         `json:"latency_now_us"`
	// Slower is set past both of Config.Slower and Config.SlowerBy.
	Slower bool `json:"slower,omitempty"`
	// Partial is set when the recorded response was kept truncated (over
	// --max-frame): the two compare by status alone.
	Partial bool `json:"partial,omitempty"`
	// TimedOut is set when no reply came within Config.Timeout.
	TimedOut bool `json:"-"`
	// ThenResp and NowResp are the responses (not written to --dump).
	ThenResp, NowResp []byte `json:"-"`
}

// Ref names the request on its connection: "id 3", or "#2" for the
// second request of a protocol paired by order.
func (c *Compared) Ref() string {
	if c.Nth > 0 {
		return "#" + strconv.Itoa(c.Nth)
	}
	return "id " + c.ID
}

// liveID is what Live keys the request by, beside its connection: its id,
// or "#N".
func (c *Compared) liveID() string {
	if c.Nth > 0 {
		return "#" + strconv.Itoa(c.Nth)
	}
	return c.ID
}

// Paths returns the diff's paths.
func (c *Compared) Paths() []string {
	out := make([]string, len(c.Diff))
	for i, d := range c.Diff {
		out[i] = d.Path
	}
	return out
}

// MarshalJSON writes a --dump line.
func (c Compared) MarshalJSON() ([]byte, error) {
	type plain Compared
	c.LatThenUS, c.LatNowUS = c.LatencyThen.Microseconds(), c.LatencyNow.Microseconds()
	return json.Marshal(struct {
		Type string `json:"type"`
		plain
		ID    json.RawMessage `json:"id"` // the id's own JSON token: 1 and "1" differ
		Paths []string        `json:"paths"`
	}{"exchange", plain(c), rawID(c.ID), c.Paths()})
}

// rawID is an id as the JSON it was: null when there is none.
func rawID(id string) json.RawMessage {
	if id == "" || !json.Valid([]byte(id)) {
		return json.RawMessage("null")
	}
	return json.RawMessage(id)
}

// Count is what arrived of one kind of message nobody asked for
// (notifications, events, a reply without id), then and now.
type Count struct {
	Then, Now int
	// Diff compares the last one of each (--notifications).
	Diff []Difference
	last [2][]byte
}

// Result is the outcome of a replay.
type Result struct {
	Conns int
	// Total is how many requests the replay was to compare; Compared
	// holds fewer when it stopped early (what was not sent, or not
	// answered before it stopped, is not compared).
	Total      int
	Compared   []Compared
	Same       int
	Differ     int
	Races      int
	Unanswered int
	Errors     int
	Slower     int
	Partial    int // compared by status alone (Compared.Partial)
	Answered   int // server requests answered from the recording
	ByMethod   int // ... of Answered, matched by method alone (their params were new)
	Defaults   int // ... answered with a typed default (a miss)
	Late       int // replies that came after their request timed out
	// Unsent counts the client's messages not sent because the recording
	// kept only their start (over --max-frame); its requests are errors.
	Unsent    int
	Notes     map[string]*Count
	NotesDiff int // notification keys whose last message differs (--notifications)
}

// Failed reports whether a response differs (exit status 1).
func (r *Result) Failed() bool { return r.Differ > 0 || r.NotesDiff > 0 }

// Summary is the line printed at the end.
func (r *Result) Summary() string {
	s := fmt.Sprintf("sockscope replay: %s, %s: %d match, %d differ, %s",
		plural.Of(r.Conns, "connection"), plural.Of(len(r.Compared), "request"), r.Same, r.Differ, plural.Of(r.Races, "race"))
	if len(r.Compared) < r.Total {
		s = fmt.Sprintf("sockscope replay: %s, %d of %s compared (the replay stopped early): %d match, %d differ, %s",
			plural.Of(r.Conns, "connection"), len(r.Compared), plural.Of(r.Total, "request"), r.Same, r.Differ, plural.Of(r.Races, "race"))
	}
	if r.Unanswered > 0 {
		s += fmt.Sprintf(", %d unanswered when recorded", r.Unanswered)
	}
	if r.Errors > 0 {
		s += fmt.Sprintf(", %s (not sent, or no reply: the server could not be reached, or the connection to it was lost)", plural.Of(r.Errors, "error"))
	}
	if r.Slower > 0 {
		s += fmt.Sprintf(" (%d slower)", r.Slower)
	}
	if r.Partial > 0 {
		s += fmt.Sprintf(" (%d by status alone: the recording kept their responses truncated)", r.Partial)
	}
	s += fmt.Sprintf("; %s answered from the recording (%d by method alone, %d with a default)", plural.Of(r.Answered+r.Defaults, "server request"), r.ByMethod, r.Defaults)
	if r.Late > 0 {
		s += fmt.Sprintf("; %s too late", plural.Of(r.Late, "reply came", "replies came"))
	}
	if r.Unsent > 0 {
		s += fmt.Sprintf("; %s not sent: the recording kept only the start (over --max-frame)", plural.Of(r.Unsent, "message"))
	}
	if len(r.Notes) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(r.Notes)) {
			n := r.Notes[k]
			parts = append(parts, fmt.Sprintf("%s %d→%d", k, n.Then, n.Now))
		}
		s += "; not paired, then→now: " + strings.Join(parts, ", ")
	}
	if r.NotesDiff > 0 {
		s += fmt.Sprintf("; %d notifications differ", r.NotesDiff)
	}
	return s
}

// TimedOut returns the requests answered in the recording that got no
// reply within the timeout now.
func (r *Result) TimedOut() []Compared {
	var out []Compared
	for _, c := range r.Compared {
		if c.TimedOut && c.ThenResp != nil {
			out = append(out, c)
		}
	}
	return out
}

// tally counts the verdicts.
func (r *Result) tally() {
	r.Same, r.Differ, r.Races, r.Unanswered, r.Errors, r.Slower, r.Partial = 0, 0, 0, 0, 0, 0, 0
	for _, c := range r.Compared {
		switch c.Verdict {
		case Same:
			r.Same++
		case Differs:
			r.Differ++
		case Race:
			r.Races++
		case Unanswered:
			r.Unanswered++
		case Error:
			r.Errors++
		}
		if c.Slower {
			r.Slower++
		}
		if c.Partial {
			r.Partial++
		}
	}
}
