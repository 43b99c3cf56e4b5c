package replay

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"sockscope/event"
	"sockscope/protocol"
	"sockscope/proxy"
	"sockscope/query"
)

// Defaults of a replay, said once.
const (
	// DefaultTimeout is how long a request waits for its reply.
	DefaultTimeout = 5 * time.Second
	// DefaultSlower and DefaultSlowerBy flag a latency past both: twice
	// the recorded one and 100ms more.
	DefaultSlower   = 2.0
	DefaultSlowerBy = 100 * time.Millisecond
)

// Pace is when each recorded message is sent again.
type Pace uint8

const (
	// PaceReply sends a request once the previous one was answered (or
	// timed out).
	PaceReply Pace = iota
	// PaceRecorded keeps the recorded gaps (scaled by Config.Speed).
	PaceRecorded
	// PaceNone sends everything at once.
	PaceNone
)

var paceNames = [...]string{"reply", "recorded", "none"}

// String returns the --pace name.
func (p Pace) String() string { return paceNames[p] }

// ParsePace parses a --pace name.
func ParsePace(s string) (Pace, error) {
	for i, n := range paceNames {
		if s == n {
			return Pace(i), nil
		}
	}
	return 0, fmt.Errorf("--pace %q: want reply, recorded or none", s)
}

// Config says how to replay.
type Config struct {
	// Dial connects to the server, once per recorded connection.
	Dial func(ctx context.Context) (net.Conn, error)
	// Upstream names the server in the replay's own capture.
	Upstream string
	Pace     Pace
	// Speed scales PaceRecorded's gaps (2: twice as fast). If zero, 1.
	Speed float64
	// Timeout bounds the wait for each reply. If zero, DefaultTimeout.
	Timeout time.Duration
	// Ignore is what the comparison (and the matching of the server's
	// requests) leaves out.
	Ignore Ignore
	// MapPaths rewrite paths for a replay in another checkout.
	MapPaths []PathMap
	// Notifications compares the last notification of each method.
	Notifications bool
	// Slower and SlowerBy flag a latency past both Slower times the
	// recorded one and SlowerBy more. If zero, the defaults, unless
	// SlowerSet says they are as given (--slower 1.5x,+0ms).
	Slower    float64
	SlowerBy  time.Duration
	SlowerSet bool
	// Filter, if set, selects the exchanges compared; the connections
	// holding one are replayed whole.
	Filter *query.Query
	// PID is what LSP initialize's processId becomes. If zero, this
	// process's.
	PID int
	// Live, if set, gets each comparison as soon as it is made (a UI
	// showing the replay's own capture); it is finished when Run returns.
	Live *Live
}

// Replay is a replay as a capture Source: its connections to the server
// are relayed, so the replay's own capture observes (and records) them as
// live traffic. Create it with New; read Result once Run returned.
type Replay struct {
	rec     *Recording
	cfg     Config
	relay   *proxy.Relay
	answers *Matcher // the server's recorded requests, with the client's answers

	checked bool
	mu      sync.Mutex
	res     Result
	dialErr error
	first   net.Conn // dialled by Connect, for the first connection
}

// New returns the replay of rec.
func New(rec *Recording, cfg Config) *Replay {
	if cfg.Speed <= 0 {
		cfg.Speed = 1
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Slower <= 0 && !cfg.SlowerSet {
		cfg.Slower = DefaultSlower
	}
	if cfg.SlowerBy <= 0 && !cfg.SlowerSet {
		cfg.SlowerBy = DefaultSlowerBy
	}
	if cfg.PID == 0 {
		cfg.PID = os.Getpid()
	}
	var (
		asked []*Exchange
		forms [][]byte // of a protocol that is not JSON: what its requests are matched by
	)
	for _, c := range rec.Conns {
		for _, x := range c.Exchanges {
			if x.Row.Dir == protocol.S2C && x.Row.Kind == protocol.KindRequest {
				asked = append(asked, x)
				var form []byte
				if f := c.sendFraming(); sentAsBytes(f) {
					form = requestForm(f, x.Req.Payload)
				}
				forms = append(forms, form)
			}
		}
	}
	r := &Replay{rec: rec, cfg: cfg, answers: newMatcher(asked, forms, MatchMethodParams, cfg.Ignore, rec.IDFields)}
	r.res.Notes = map[string]*Count{}
	return r
}

// Result returns the outcome. Call it after Run returned.
func (r *Replay) Result() *Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return &r.res
}

// errDial wraps a failure to reach the server.
var errDial = errors.New("the server is unreachable")

func (r *Replay) dial(ctx context.Context) (net.Conn, error) {
	r.mu.Lock()
	c := r.first
	r.first = nil
	r.mu.Unlock()
	var err error
	if c == nil {
		c, err = r.cfg.Dial(ctx)
	}
	if err != nil && ctx.Err() == nil { // a stop is no unreachable server
		r.mu.Lock()
		if r.dialErr == nil {
			r.dialErr = fmt.Errorf("%w: %v", errDial, err)
		}
		r.mu.Unlock()
	}
	if d, ok := ctx.Value(dialedKey{}).(*dialing); ok {
		d.err = err
		close(d.done)
	}
	return c, err
}

// dialFailed reports whether a connection to the server could not be
// made: the replay stops there.
func (r *Replay) dialFailed() bool { return r.dialError() != nil }

// dialError is why a connection to the server could not be made, or nil.
func (r *Replay) dialError() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dialErr
}

// Connect dials the server for the replay's first connection, so that an
// unreachable server is said before anything runs (call it before Run).
func (r *Replay) Connect(ctx context.Context) error {
	c, err := r.cfg.Dial(ctx)
	if err != nil {
		return fmt.Errorf("%w: %v", errDial, err)
	}
	r.mu.Lock()
	r.first = c
	r.mu.Unlock()
	return nil
}

// Close lets go of what Connect dialled, if Run did not take it (Run
// does, whatever becomes of it).
func (r *Replay) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.first != nil {
		r.first.Close()
		r.first = nil
	}
}

// Check says, before anything is sent, what the replay cannot do: a
// connection it would replay speaks a protocol whose responses it does not
// compare (it compares JSON, HTTP/1.1, RESP, msgpack-RPC and varlink:
// another, such as HTTP/2 or raw bytes, would be sent again and compared
// not at all), or it would compare no request. Run calls it if the caller did not.
func (r *Replay) Check() error {
	conns, pick := r.selected()
	total := 0
	for _, c := range conns {
		switch f := c.sendFraming(); {
		case f == protocol.FramingLines, f == protocol.FramingContentLength, sentAsBytes(f):
		default:
			return fmt.Errorf("replay compares JSON (lines, content-length), HTTP/1.1, Redis RESP, msgpack-RPC and varlink only: conn %d speaks %s", c.ID, f)
		}
		for _, x := range c.Exchanges {
			if comparable(x) && pick(x) {
				total++
			}
		}
	}
	switch {
	case total > 0:
	case !r.cfg.Filter.Empty():
		return fmt.Errorf("no request of %s passes --filter: nothing to compare", r.rec.Path)
	default:
		return fmt.Errorf("%s holds no request to compare", r.rec.Path)
	}
	r.checked = true
	r.res.Total = total
	return nil
}

// selected returns the connections to replay, and which exchanges to
// compare.
func (r *Replay) selected() ([]*Conn, func(*Exchange) bool) {
	q := r.cfg.Filter
	if q.Empty() {
		var out []*Conn
		for _, c := range r.rec.Conns {
			if !c.Stderr {
				out = append(out, c)
			}
		}
		return out, func(*Exchange) bool { return true }
	}
	if q.NeedsConns() {
		q.BindConns(r.rec.Store.Conns())
	}
	now := time.Now()
	pick := func(x *Exchange) bool { return q.MatchRow(r.rec.Store, &x.Row, now) }
	var out []*Conn
	for _, c := range r.rec.Conns {
		if c.Stderr {
			continue
		}
		for _, x := range c.Exchanges {
			if comparable(x) && pick(x) {
				out = append(out, c)
				break
			}
		}
	}
	return out, pick
}

// Run implements capture.Source: it replays the selected connections (one
// after the other; at once, each at its recorded start, with
// PaceRecorded) and returns when all have ended. A connection that cannot
// be made stops the replay.
func (r *Replay) Run(ctx context.Context, q *event.Queue) error {
	defer r.Close()
	if !r.checked {
		if err := r.Check(); err != nil {
			r.cfg.Live.Finish()
			return err
		}
	}
	r.relay = &proxy.Relay{Dial: r.dial, Upstream: r.cfg.Upstream, Queue: q}
	conns, pick := r.selected()
	r.res.Conns = len(conns)
	r.cfg.Live.Plan(r.res.Total)
	if r.cfg.Pace == PaceRecorded {
		var wg sync.WaitGroup
		start := time.Now()
		for _, c := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				switch {
				case !sleepUntil(ctx, start.Add(r.scaled(c.Opened.Sub(conns[0].Opened)))):
				case r.dialFailed():
					r.notSent(c, pick)
				default:
					r.replayConn(ctx, c, pick)
				}
			}()
		}
		wg.Wait()
	} else {
		for _, c := range conns {
			switch {
			case ctx.Err() != nil:
			case r.dialFailed():
				r.notSent(c, pick) // the connections after one that could not be made
			default:
				r.replayConn(ctx, c, pick)
			}
		}
	}
	r.cfg.Live.Finish()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.tally()
	r.compareNotes()
	if r.dialErr != nil {
		return r.dialErr
	}
	return ctx.Err()
}

// scaled is a recorded gap at the replay's speed.
func (r *Replay) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) / r.cfg.Speed)
}

// sleepUntil waits until t; false when ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// compareNotes compares the last message of each key (--notifications).
func (r *Replay) compareNotes() {
	if !r.cfg.Notifications {
		return
	}
	for _, n := range r.res.Notes {
		switch {
		case n.last[0] == nil && n.last[1] == nil:
		case n.last[0] == nil || n.last[1] == nil:
			n.Diff = []Difference{{Path: "$", Then: shortOrEmpty(n.last[0]), Now: shortOrEmpty(n.last[1])}}
		default:
			n.Diff = Diff(n.last[0], n.last[1], r.cfg.Ignore, nil)
		}
		if len(n.Diff) > 0 {
			r.res.NotesDiff++
		}
	}
}

func shortOrEmpty(b []byte) string {
	if b == nil {
		return ""
	}
	return short(b)
}
