package demo

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// ClientOptions tune RunClients. The zero value is a sensible demo.
type ClientOptions struct {
	// Clients is how many clients run at once, each on its own connection.
	// If zero, 3.
	Clients int
	// Interval is the pause between a client's calls. If zero, 300ms.
	Interval time.Duration
	// Calls is how many calls each client makes before it stops; 0 means
	// until ctx is done.
	Calls int
	// ReplyTimeout is how long a client waits for a reply before it gives
	// up on it and moves on. If zero, 3s.
	ReplyTimeout time.Duration
	// OnResult, if set, is told the outcome of every call, and of every
	// message that answers no call (a Result with Rid 0). It may be called
	// from several goroutines at once.
	OnResult func(Result)
}

// Result is the outcome of one call made by a demo client.
type Result struct {
	Client int // 1-based client number
	Rid    int64
	Method string
	Sent   time.Time
	// Reply is the response line, nil when none came (within ReplyTimeout
	// or before the connection ended).
	Reply   json.RawMessage
	Latency time.Duration // zero without a reply
}

// Defaults of ClientOptions.
const (
	defaultClients      = 3
	defaultInterval     = 300 * time.Millisecond
	defaultReplyTimeout = 3 * time.Second
	// maxDialFailures in a row make a client give up.
	maxDialFailures = 5
)

// RunClients runs opts.Clients clients against the service reached by dial,
// each calling a mix of the service's methods (and an unknown one) at
// opts.Interval, reconnecting every few dozen calls so connections open and
// close. It returns when ctx is done (nil) or every client made opts.Calls
// calls, or with an error when a client cannot connect several times in a
// row.
func RunClients(ctx context.Context, dial func(ctx context.Context) (net.Conn, error), opts ClientOptions) error {
	if opts.Clients <= 0 {
		opts.Clients = defaultClients
	}
	if opts.Interval <= 0 {
		opts.Interval = defaultInterval
	}
	if opts.ReplyTimeout <= 0 {
		opts.ReplyTimeout = defaultReplyTimeout
	}
	errs := make([]error, opts.Clients)
	var wg sync.WaitGroup
	for i := range opts.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &client{id: i + 1, opts: opts, rng: rand.New(rand.NewPCG(rand.Uint64(), uint64(i)))}
			errs[i] = c.run(ctx, dial)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// client is one demo client; it lives across reconnections.
type client struct {
	id   int
	opts ClientOptions
	rng  *rand.Rand
}

func (c *client) run(ctx context.Context, dial func(ctx context.Context) (net.Conn, error)) error {
	sent, failures := 0, 0
	for ctx.Err() == nil && (c.opts.Calls == 0 || sent < c.opts.Calls) {
		conn, err := dial(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if failures++; failures >= maxDialFailures {
				return fmt.Errorf("demo client %d: %w", c.id, err)
			}
			sleep(ctx, time.Second)
			continue
		}
		failures = 0
		budget := 10 + c.rng.IntN(30)
		if c.opts.Calls > 0 {
			budget = min(budget, c.opts.Calls-sent)
		}
		sent += c.session(ctx, conn, budget)
	}
	return nil
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// call is a request waiting for its reply.
type call struct {
	method string
	sent   time.Time
	// answerable is false for the calls the service never answers, so a
	// session need not wait for them before it hangs up.
	answerable bool
}

// conn is one connection of a client: the rid counter starts at 1 on each.
type conn struct {
	c       *client
	nc      net.Conn
	w       *bufio.Writer
	rid     int64
	mu      sync.Mutex
	pending map[int64]call
}

// session runs up to budget calls on nc and closes it. It returns the number
// of calls sent.
func (c *client) session(ctx context.Context, nc net.Conn, budget int) int {
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	s := &conn{c: c, nc: nc, w: bufio.NewWriter(nc), pending: map[int64]call{}}
	registered := make(chan struct{})
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		s.read(registered)
	}()
	defer func() {
		nc.Close()
		<-readDone
		s.expire(time.Time{}) // whatever is left never got an answer
	}()

	select {
	case <-registered:
	case <-readDone:
		return 0
	case <-time.After(c.opts.ReplyTimeout):
		return 0
	case <-ctx.Done():
		return 0
	}
	sent := 0
	tick := time.NewTicker(c.opts.Interval)
	defer tick.Stop()
	for step := 0; sent < budget; step++ {
		for _, r := range c.plan(step) {
			if sent == budget {
				break
			}
			if s.send(r) != nil {
				return sent
			}
			sent++
		}
		select {
		case <-tick.C:
		case <-readDone:
			return sent
		case <-ctx.Done():
			return sent
		}
		s.expire(time.Now().Add(-c.opts.ReplyTimeout))
	}
	// Let the answerable calls come home before hanging up.
	deadline := time.Now().Add(c.opts.ReplyTimeout)
	for s.waiting() && time.Now().Before(deadline) {
		select {
		case <-tick.C:
		case <-readDone:
			return sent
		case <-ctx.Done():
			return sent
		}
	}
	return sent
}

// send writes one request and records it as pending.
func (s *conn) send(r outgoing) error {
	s.mu.Lock()
	s.rid++
	rid := s.rid
	s.pending[rid] = call{method: r.Method, sent: time.Now(), answerable: r.answerable()}
	s.mu.Unlock()
	args := r.Args
	if args == nil {
		args = []any{} // the reference client always sends an array
	}
	b, err := json.Marshal(struct {
		Rid    int64  `json:"rid"`
		Method string `json:"method"`
		Args   []any  `json:"args"`
	}{rid, r.Method, args})
	if err != nil {
		return err
	}
	s.w.Write(b)
	s.w.WriteByte('\n')
	return s.w.Flush()
}

// read handles incoming lines until the connection ends.
func (s *conn) read(registered chan<- struct{}) {
	sc := bufio.NewScanner(s.nc)
	sc.Buffer(make([]byte, 4096), maxLine)
	for sc.Scan() {
		line := sc.Bytes()
		var m struct {
			Action string `json:"action"`
			Rid    *int64 `json:"rid"`
		}
		if !json.Valid(line) {
			continue
		}
		_ = json.Unmarshal(line, &m) // a rid of another type just matches nothing
		if m.Action == "register" {
			if registered != nil {
				close(registered)
				registered = nil
			}
			continue
		}
		now := time.Now()
		res := Result{Client: s.c.id, Reply: json.RawMessage(append([]byte(nil), line...))}
		if m.Rid != nil {
			s.mu.Lock()
			p, ok := s.pending[*m.Rid]
			delete(s.pending, *m.Rid)
			s.mu.Unlock()
			if ok {
				res.Rid, res.Method, res.Sent, res.Latency = *m.Rid, p.method, p.sent, now.Sub(p.sent)
			}
		}
		s.report(res)
	}
}

// expire gives up on the calls sent before cutoff (all of them when cutoff
// is zero) and reports them without a reply.
func (s *conn) expire(cutoff time.Time) {
	var gone []Result
	s.mu.Lock()
	for rid, p := range s.pending {
		if cutoff.IsZero() || p.sent.Before(cutoff) {
			gone = append(gone, Result{Client: s.c.id, Rid: rid, Method: p.method, Sent: p.sent})
			delete(s.pending, rid)
		}
	}
	s.mu.Unlock()
	for _, r := range gone {
		s.report(r)
	}
}

// waiting reports whether an answerable call is still pending.
func (s *conn) waiting() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.pending {
		if p.answerable {
			return true
		}
	}
	return false
}

func (s *conn) report(r Result) {
	if s.c.opts.OnResult != nil {
		s.c.opts.OnResult(r)
	}
}
