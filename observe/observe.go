// Package observe turns the relay's events into stored, paired messages.
// It is the one place where the data path meets: proxy events in, protocol
// framing, classification and pairing, then the store, the session
// recorder and the --dump writer out. main wires it:
//
//	q := event.NewQueue(0, lossless)
//	obs := observe.New(observe.Config{Store: st, Recorder: rec, Dump: os.Stdout})
//	go obs.Run(q)
//	relay := &proxy.Relay{Listener: ln, Dial: dial, Queue: q}
//
// It works in two stages (parse.go), each on one goroutine at a time, so
// per-connection state (framers, the Pairer) needs no lock; the store is
// written once per batch of events.
package observe

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"sockscope/event"
	"sockscope/internal/plural"

	"sockscope/protocol"
	"sockscope/store"
)

// Config says what an Observer decodes and where it puts the results.
type Config struct {
	// Store receives connections, messages and rows. Required.
	Store *store.Store
	// Framing is forced on every direction; FramingAuto detects it.
	Framing protocol.Framing
	// IDFields are the members that carry request ids. If nil,
	// protocol.DefaultIDFields.
	IDFields []string
	// MaxFrame caps the payload kept per frame. If zero,
	// protocol.DefaultMaxFrame.
	MaxFrame int
	// MaxPending caps requests awaiting a reply per connection. If zero,
	// protocol.DefaultMaxPending.
	MaxPending int
	// Sinks get every connection event, frame and finished exchange.
	Sinks []Sink
	// SinkFailed, if set, is called once for each Sink whose Flush failed
	// (say, --dump's stdout is a pipe whose reader went away); the Sink gets
	// nothing more.
	SinkFailed func(Sink, error)
	// Dropped reports the relay queue's drop counters; if nil, none.
	Dropped func() (events, bytes uint64)
	// Busy, if set, reports whether the machine has no CPU to spare
	// (cpuload.Meter.Busy). While it has none and the traffic is heavy
	// (event.Light) or Dropped's count grows, Run rests after each batch
	// yieldRatio times as long as it took: the decoder gives the CPU it
	// would spend to the programs it watches, and drops more. Leave it nil
	// where the traffic waits for the decoder (--lossless).
	Busy func() bool
	// Owed, if set, says how long the decoder should rest for its process
	// to take no more than its share of the relay's CPU while it rests
	// for Busy (cpuload.Share.Owed, called after each batch, counting
	// while it does): when Dropped's count grew too (the decoder drops),
	// Run rests that long if it is longer, up to maxOwed, and drops what
	// queued meanwhile.
	Owed func(count bool) time.Duration
	// Shed, if set, is told when a rest for Owed begins (true) and ends
	// (false): what comes meanwhile is dropped, and a source that can drop
	// it sooner, before it is copied and queued, should (the relay's
	// process, package split).
	Shed func(on bool)
}

// Counts are an Observer's running totals, for the summary line.
type Counts struct {
	Conns, Failed int
	// OpenAtExit counts connections still open when sockscope stopped:
	// closed by sockscope, not failed.
	OpenAtExit      int
	Messages        int64
	Requests        int64
	OK, Errors      int64
	NoReply, Orphan int64
	Duplicates      int64
	Notifications   int64
	// Streamed counts the replies more replies to the same call followed
	// (varlink's "continues"): rows of their own, neither requests nor
	// notifications.
	Streamed int64
	Raw      int64
	Gaps     int64
	// UnseenMaybe counts the no-reply and orphan rows whose missing half
	// may have been in bytes the observer dropped (store.Row.Gap).
	UnseenMaybe int64
	// Panics counts batches the decoder crashed on; LastPanic says why.
	// The traffic was not affected; decoding resumed at the next frame.
	Panics    int64
	LastPanic string
}

// String is the counts as the summary line says them.
func (c Counts) String() string {
	atExit := ""
	if c.OpenAtExit > 0 {
		atExit = fmt.Sprintf(", %d open at exit", c.OpenAtExit)
	}
	// cmd/sockbench reads "N requests:" ("1 request:") from this line.
	s := fmt.Sprintf("%s (%d failed%s), %s, %s: %d ok, %d error, %d no-reply, %d orphan, %d duplicate; %s, %d raw",
		plural.Of(c.Conns, "connection"), c.Failed, atExit, plural.Of(c.Messages, "message"), plural.Of(c.Requests, "request"),
		c.OK, c.Errors, c.NoReply, c.Orphan, c.Duplicates, plural.Of(c.Notifications, "notification"), c.Raw)
	if c.Streamed > 0 {
		s += "; " + plural.Of(c.Streamed, "streamed reply", "streamed replies")
	}
	if c.UnseenMaybe > 0 {
		s += fmt.Sprintf("; %d of the no-reply and orphan may be sockscope's drops", c.UnseenMaybe)
	}
	if c.Panics > 0 {
		s += fmt.Sprintf("; the decoder crashed %s (last: %s), traffic unaffected", plural.Of(c.Panics, "time"), c.LastPanic)
	}
	return s
}

// Observer consumes relay events. Create it with New.
type Observer struct {
	cfg Config

	// The parse stage's (parse.go).
	framers map[uint64]*framers
	out     *batch    // the batch being parsed
	at      time.Time // the read time of the chunk being framed
	chunk   []byte    // the chunk being framed
	mark    mark      // the marks of the chunk being framed
	// crashTest, if set, is called for every event: tests make it panic.
	crashTest func(*event.Event)
	rest      func(time.Duration, <-chan struct{}) // Run's rest when it yields: restShowingDrops

	// The commit stage's.
	conns     map[uint64]*conn
	lastConn  *conn // the one stepConn returned last
	sinks     sinks
	counts    Counts
	tx        *store.Tx          // the open store transaction while a batch commits
	handled   batch              // Handle's batch, reused
	early     earlyMem           // its connections' memory for bursts of early replies
	fifoSpare protocol.FIFOSpare // their Pairers' likewise
}

// conn is what the commit stage keeps per relayed connection.
type conn struct {
	id     uint64
	pairer *protocol.Pairer
	order  *protocol.OrderPairer // made on the first message paired by order
	early  earlyReplies          // replies seen before their request (early.go)
	// Bytes dropped (gaps), by direction: lastAt is the read time of the
	// last chunk seen, gapFrom the lastAt before the first gap (when the
	// earliest dropped bytes may have been read after), gapTo the read
	// time of the chunk that reported the latest gap (or the close).
	lastAt, gapFrom, gapTo [2]time.Time
	opened                 time.Time
	// toolCalls holds the rows of MCP's tools/call requests waiting for
	// their reply (nil until the first): a tool that failed answers with a
	// result that says isError, which ends its row as an error.
	toolCalls map[uint64]struct{}
	// replies says which Redis commands get a reply (CLIENT REPLY).
	replies protocol.Replies
	// repl says where the connection is in Redis replication; syncRow,
	// once SYNC or PSYNC was asked, is its row: the reply paired with it
	// starts the stream (syncEnded).
	repl    protocol.Replication
	syncRow uint64
	// exec, if not nil, is an EXEC whose reply says what the replies are
	// after it (exec.go).
	exec *execWait
	// h2Opened is the highest stream an HTTP/2 request of the client's
	// opened: a client opens its streams in order (RFC 9113 §5.1.1), so a
	// reset of a stream above it is of a request still on its way.
	h2Opened uint64
	// h2GoAway, if not nil, is the server's GOAWAY (a copy, as an error),
	// and h2GoAwayLast its last stream: a request on a stream above it
	// read after it ends answered by it (goneAway).
	h2GoAway     *protocol.Message
	h2GoAwayLast uint64
	// spans are the requests paired by order that began in an earlier
	// read than their end, waiting for their reply (readEarly).
	spans []begun
}

// noteGap records that bytes of direction d were dropped, up to at, and
// with them the frame begun at lost (zero: none).
func (c *conn) noteGap(d protocol.Dir, at, lost time.Time) {
	from := c.lastAt[d]
	if from.IsZero() {
		from = c.opened
	}
	if !lost.IsZero() && lost.Before(from) {
		// The frame begun at lost is gone with the gap: a reply read
		// since it began may have answered it.
		from = lost
	}
	if c.gapFrom[d].IsZero() || from.Before(c.gapFrom[d]) {
		c.gapFrom[d] = from
	}
	c.gapTo[d] = at
}

// mayHaveDroppedBefore reports whether bytes of direction d read before t
// (say, a reply's request) may have been dropped.
func (c *conn) mayHaveDroppedBefore(d protocol.Dir, t time.Time) bool {
	return !c.gapTo[d].IsZero() && c.gapFrom[d].Before(t)
}

// New returns an Observer for cfg.
func New(cfg Config) *Observer {
	if cfg.IDFields == nil || slices.Equal(cfg.IDFields, protocol.DefaultIDFields) {
		cfg.IDFields = protocol.DefaultIDFields // the classifier knows it best
	}
	if cfg.MaxFrame <= 0 {
		cfg.MaxFrame = protocol.DefaultMaxFrame
	}
	o := &Observer{cfg: cfg, framers: map[uint64]*framers{}, conns: map[uint64]*conn{}}
	o.rest = o.restShowingDrops
	o.sinks = newSinks(cfg.Sinks, cfg.SinkFailed)
	return o
}

// Handle parses and commits one batch of events; it does not release
// them. A panic while decoding is recovered: it is counted, the rest of
// the batch is lost to the decoder, and the observer goes on with the next
// batch (the relay never waits for it).
func (o *Observer) Handle(events []event.Event) {
	b := &o.handled
	b.events = events
	o.parseEvents(b, 0)
	o.commit(b)
	b.reset(false)
	b.events = nil // the caller's
}

// commit applies the steps of a parsed batch.
func (o *Observer) commit(b *batch) {
	defer func() {
		if r := recover(); r != nil {
			o.tx = nil
			o.panicked(fmt.Sprint(r))
		}
	}()
	if b.panic != "" {
		o.panicked(b.panic)
	}
	o.cfg.Store.Update(func(tx *store.Tx) {
		o.tx = tx
		steps := b.steps
		for i := 0; i < len(steps); {
			if s := &steps[i]; s.kind != stepFrame {
				o.step(s)
				i++
			} else {
				// The frames of a read come one after the other.
				i = o.frames(o.stepConn(s), steps, i)
			}
		}
		if o.cfg.Dropped != nil {
			tx.SetDropped(o.cfg.Dropped())
		}
		o.tx = nil
	})
}

// panicked counts a crash of the decoder.
func (o *Observer) panicked(why string) {
	o.counts.Panics++
	o.counts.LastPanic = why
}

// Counts returns the running totals. Call it after Run returns, or from
// the goroutine calling Handle.
func (o *Observer) Counts() Counts { return o.counts }

func (o *Observer) step(s *step) {
	switch m := &s.msg; s.kind {
	case stepOpen:
		o.open(m.Conn, m.At, s.peer)
	case stepClose:
		o.close(m.Conn, m.At, s.err)
	case stepGap:
		o.gap(o.stepConn(s), m.Dir, m.At, s.since, s.n, s.skip)
	case stepSeen:
		c := o.stepConn(s)
		c.lastAt[m.Dir] = m.At
		// Everything dir carried up to at is seen: replies that waited for
		// a request from dir can no longer get one; but for one read since
		// the frame dir is in the middle of began (s.since).
		at := o.tx.Stamp(&m.At)
		if !s.since.IsZero() {
			at = o.tx.Stamp(&s.since) - 1
		}
		for _, e := range c.pairer.Settle(m.Dir, at) {
			o.orphan(c, e.Token)
		}
		if c.order != nil {
			for _, e := range c.order.Settle(m.Dir, at) {
				o.unmatched(c, e)
			}
		}
	}
}

// stepConn returns the connection of step s.
func (o *Observer) stepConn(s *step) *conn {
	if c := o.lastConn; c != nil && c.id == s.msg.Conn {
		return c
	}
	c := o.conns[s.msg.Conn]
	if c == nil { // its open was lost to a crash: lose nothing more
		o.open(s.msg.Conn, s.msg.At, &event.Peer{PID: -1, UID: -1})
		c = o.conns[s.msg.Conn]
	}
	o.lastConn = c
	return c
}

func (o *Observer) open(id uint64, at time.Time, p *event.Peer) {
	pairer := protocol.NewPairer(o.cfg.MaxPending)
	pairer.ShareSpare(&o.fifoSpare)
	o.conns[id] = &conn{id: id, pairer: pairer, opened: at, early: earlyReplies{spare: &o.early}}
	o.lastConn = nil
	o.counts.Conns++
	o.tx.OpenConn(store.Conn{
		ID: id, Client: p.Client, Listen: p.Listen, Upstream: p.Upstream,
		PID: p.PID, UID: p.UID, Process: p.Process, Own: p.Own, Opened: at,
	})
	o.sinks.open(id, at, p)
}

// gap records that n bytes of direction d, read before at, were dropped,
// and with them the frame begun at lost, unless it is zero; skip of the
// stream's bytes are in no frame (step.skip).
func (o *Observer) gap(c *conn, d protocol.Dir, at, lost time.Time, n, skip int64) {
	o.counts.Gaps++
	c.noteGap(d, at, lost)
	if skip > 0 {
		o.sinks.streamGap(o.tx.AddGap(c.id, d, skip))
	}
	o.sinks.gap(c.id, d, at, n)
}

// close ends a connection (its partial frames and the bytes dropped at its
// end were steps before this one): what is still unpaired becomes
// no-reply or orphan.
func (o *Observer) close(id uint64, at time.Time, err error) {
	if c := o.conns[id]; c != nil {
		if c.exec != nil { // no reply to EXEC: taken as run
			o.execDone(c, true)
		}
		noReply, orphans := c.pairer.Close()
		if c.order != nil {
			n, or := c.order.Close()
			noReply, orphans = append(noReply, n...), append(orphans, or...)
		}
		for _, p := range noReply {
			o.noReply(c, p)
		}
		for _, p := range orphans {
			o.unmatched(c, p)
		}
		delete(o.conns, id)
		if o.lastConn == c {
			o.lastConn = nil
		}
	}
	msg := ""
	switch {
	case err == nil:
	case errors.Is(err, event.ErrStopped) || err.Error() == event.OpenAtExit: // live, or from a session file
		msg = event.OpenAtExit
		o.counts.OpenAtExit++
	default:
		msg = err.Error()
		o.counts.Failed++
	}
	o.tx.CloseConn(id, at, msg)
	o.sinks.close(id, at, msg)
}

// finish closes every connection still open (the relay stopped without
// telling, a session file ended) as open at exit, and flushes the outputs.
func (o *Observer) finish(at time.Time) {
	var closes []event.Event
	for id := range o.framers {
		closes = append(closes, event.Event{Type: event.Close, Conn: id, At: at, Err: event.ErrStopped})
	}
	for id := range o.conns {
		if o.framers[id] == nil {
			closes = append(closes, event.Event{Type: event.Close, Conn: id, At: at, Err: event.ErrStopped})
		}
	}
	if len(closes) > 0 {
		slices.SortFunc(closes, func(a, b event.Event) int { return cmp.Compare(a.Conn, b.Conn) })
		o.Handle(closes)
	}
	o.flush()
}

func (o *Observer) flush() { o.sinks.flush() }
