// Package observe turns the relay's events into stored, paired messages.
// It is the one place where the data path meets: proxy events in, protocol
// framing, classification and pairing, then the store, the session
// recorder and the --dump writer out. main wires it:
//
//	q := proxy.NewQueue(0, lossless)
//	obs := observe.New(observe.Config{Store: st, Recorder: rec, Dump: os.Stdout})
//	go obs.Run(q)
//	relay := &proxy.Relay{Listener: ln, Dial: dial, Queue: q}
//
// One goroutine runs it, so per-connection state (framers, the Pairer)
// needs no lock; the store is written once per batch of events.
package observe

import (
	"fmt"
	"io"
	"time"

	"sockscope/protocol"
	"sockscope/proxy"
	"sockscope/session"
	"sockscope/store"
)

// After a batch of fewer than quietEvents events, none of them larger than
// quietBytes, the observer sleeps quietWait before taking the next.
const (
	quietEvents = 64
	quietBytes  = 4 << 10
	quietWait   = time.Millisecond
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
	// Recorder, if not nil, gets every connection event and frame.
	Recorder *session.Recorder
	// Dump, if not nil, gets one JSON object per event (--dump).
	Dump io.Writer
	// Dropped reports the relay queue's drop counters; if nil, none.
	Dropped func() (events, bytes uint64)
	// DumpFailed, if set, is called once when writing Dump fails (say,
	// stdout is a pipe whose reader went away): the caller should stop.
	DumpFailed func(error)
}

// Counts are an Observer's running totals, for the summary line.
type Counts struct {
	Conns, Failed   int
	Messages        int64
	Requests        int64
	OK, Errors      int64
	NoReply, Orphan int64
	Duplicates      int64
	Notifications   int64
	Raw             int64
	Gaps            int64
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
	s := fmt.Sprintf("%d connections (%d failed), %d messages, %d requests: %d ok, %d error, %d no-reply, %d orphan, %d duplicate; %d notifications, %d raw",
		c.Conns, c.Failed, c.Messages, c.Requests, c.OK, c.Errors, c.NoReply, c.Orphan, c.Duplicates, c.Notifications, c.Raw)
	if c.UnseenMaybe > 0 {
		s += fmt.Sprintf("; %d of the no-reply and orphan may be sockscope's drops", c.UnseenMaybe)
	}
	if c.Panics > 0 {
		s += fmt.Sprintf("; the decoder crashed %d times (last: %s), traffic unaffected", c.Panics, c.LastPanic)
	}
	return s
}

// Observer consumes relay events. Create it with New.
type Observer struct {
	cfg     Config
	conns   map[uint64]*conn
	dump    *dumper
	counts  Counts
	tx      *store.Tx        // the open store transaction while a batch runs
	names   map[int]procName // recent process names by pid
	dumpErr error            // the first error writing the dump
	// crashTest, if set, is called for every event: tests make it panic.
	crashTest func(*proxy.Event)
}

// procName is a process name looked up at a time.
type procName struct {
	name string
	at   time.Time
}

// processName names process pid, asking the OS at most once a second per
// pid: a client that opens connections by the thousand is one process.
func (o *Observer) processName(pid int, at time.Time) string {
	if n, ok := o.names[pid]; ok && at.Sub(n.at) < time.Second {
		return n.name
	}
	if o.names == nil || len(o.names) > 1024 {
		o.names = map[int]procName{}
	}
	name := proxy.ProcessName(pid)
	o.names[pid] = procName{name, at}
	return name
}

// conn is what the observer keeps per relayed connection.
type conn struct {
	id      uint64
	framers [2]protocol.Framer
	emit    [2]func(protocol.Frame)
	at      time.Time // the read time of the chunk being framed
	pairer  *protocol.Pairer
	early   map[uint64]protocol.Message // replies seen before their request, by message seq
	// Bytes dropped (gaps), by direction: lastAt is the read time of the
	// last chunk seen, gapFrom the lastAt before the first gap (when the
	// earliest dropped bytes may have been read after), gapTo the read
	// time of the chunk that reported the latest gap (or the close).
	lastAt, gapFrom, gapTo [2]time.Time
	opened                 time.Time
}

// noteGap records that bytes of direction d were dropped, up to at.
func (c *conn) noteGap(d protocol.Dir, at time.Time) {
	if c.gapFrom[d].IsZero() {
		c.gapFrom[d] = c.lastAt[d]
		if c.gapFrom[d].IsZero() {
			c.gapFrom[d] = c.opened
		}
	}
	c.gapTo[d] = at
}

// mayHaveDropped reports whether bytes of direction d read after t (say, a
// request's reply) may have been dropped.
func (c *conn) mayHaveDropped(d protocol.Dir, t time.Time) bool {
	return c.gapTo[d].After(t)
}

// mayHaveDroppedBefore reports whether bytes of direction d read before t
// (say, a reply's request) may have been dropped.
func (c *conn) mayHaveDroppedBefore(d protocol.Dir, t time.Time) bool {
	return !c.gapTo[d].IsZero() && c.gapFrom[d].Before(t)
}

// New returns an Observer for cfg.
func New(cfg Config) *Observer {
	if cfg.IDFields == nil {
		cfg.IDFields = protocol.DefaultIDFields
	}
	if cfg.MaxFrame <= 0 {
		cfg.MaxFrame = protocol.DefaultMaxFrame
	}
	o := &Observer{cfg: cfg, conns: map[uint64]*conn{}}
	if cfg.Dump != nil {
		o.dump = newDumper(cfg.Dump)
	}
	return o
}

// Run consumes q until it is closed and drained, then closes what is still
// open and flushes the outputs. Run it on its own goroutine.
func (o *Observer) Run(q *proxy.Queue) {
	var batch []proxy.Event
	for {
		var ok bool
		batch, ok = q.Take(batch[:0])
		if !ok {
			break
		}
		o.Handle(batch)
		quiet := len(batch) < quietEvents
		for i := range batch {
			quiet = quiet && len(batch[i].Data) < quietBytes
			batch[i].Release() // the store has its own copy: the relay may reuse the bytes
		}
		clear(batch)
		o.flush()
		if quiet {
			// Light traffic: wait for more rather than be woken by the
			// relay for every read, which costs the relay a wake-up on its
			// way (tens of µs a round trip). Heavy traffic is decoded at
			// once, while the bytes are still in the cache.
			time.Sleep(quietWait)
		}
	}
	o.finish(time.Now())
}

// Handle applies one batch of events. A panic while decoding is recovered:
// it is counted, the rest of the batch is lost to the decoder, and the
// observer goes on with the next batch (the relay never waits for it).
func (o *Observer) Handle(batch []proxy.Event) {
	defer func() {
		if r := recover(); r != nil {
			o.tx = nil
			o.counts.Panics++
			o.counts.LastPanic = fmt.Sprint(r)
		}
	}()
	o.cfg.Store.Update(func(tx *store.Tx) {
		o.tx = tx
		for i := range batch {
			if o.crashTest != nil {
				o.crashTest(&batch[i])
			}
			o.event(&batch[i])
		}
		if o.cfg.Dropped != nil {
			tx.SetDropped(o.cfg.Dropped())
		}
		o.tx = nil
	})
}

// Counts returns the running totals. Call it after Run returns, or from
// Run's goroutine.
func (o *Observer) Counts() Counts { return o.counts }

func (o *Observer) event(ev *proxy.Event) {
	switch ev.Type {
	case proxy.EventOpen:
		o.open(ev)
	case proxy.EventData:
		c := o.conns[ev.Conn]
		if c == nil { // data of a connection we never saw open: cannot happen, but lose nothing
			o.open(&proxy.Event{Type: proxy.EventOpen, Conn: ev.Conn, At: ev.At, Peer: &proxy.Peer{PID: -1, UID: -1}})
			c = o.conns[ev.Conn]
		}
		o.data(c, ev)
	case proxy.EventClose:
		o.close(ev.Conn, ev.At, ev.Err, ev.TailGaps)
	}
}

func (o *Observer) open(ev *proxy.Event) {
	p := ev.Peer
	if p == nil {
		p = &proxy.Peer{PID: -1, UID: -1}
	}
	if p.Process == "" && p.PID > 0 {
		named := *p // the relay's Peer is shared: fill in a copy
		named.Process = o.processName(p.PID, ev.At)
		p = &named
	}
	c := &conn{id: ev.Conn, pairer: protocol.NewPairer(o.cfg.MaxPending), opened: ev.At}
	for d := range c.framers {
		dir := protocol.Dir(d)
		c.framers[d] = protocol.NewFramer(o.cfg.Framing, o.cfg.MaxFrame)
		c.emit[d] = func(f protocol.Frame) { o.frame(c, dir, f) }
	}
	o.conns[ev.Conn] = c
	o.counts.Conns++
	o.tx.OpenConn(store.Conn{
		ID: ev.Conn, Client: p.Client, Listen: p.Listen, Upstream: p.Upstream,
		PID: p.PID, UID: p.UID, Process: p.Process, Opened: ev.At,
	})
	if r := o.cfg.Recorder; r != nil {
		r.Open(ev.Conn, ev.At, p.Client, p.Listen, p.Upstream, p.PID, p.UID, p.Process)
	}
	if o.dump != nil {
		o.dump.open(ev.Conn, ev.At, p)
	}
}

func (o *Observer) data(c *conn, ev *proxy.Event) {
	d := ev.Dir
	if ev.Gap > 0 {
		c.framers[d].Reset()
		o.gap(c, d, ev.At, ev.Gap)
	}
	c.at, c.lastAt[d] = ev.At, ev.At
	c.framers[d].Feed(ev.Data, c.emit[d])
	// Everything d carried up to ev.At is seen: replies that waited for a
	// request from d can no longer get one.
	for _, e := range c.pairer.Settle(d, ev.At) {
		o.orphan(c, e.Token)
	}
}

// gap records that n bytes of direction d, read before at, were dropped.
func (o *Observer) gap(c *conn, d protocol.Dir, at time.Time, n int64) {
	o.counts.Gaps++
	c.noteGap(d, at)
	if r := o.cfg.Recorder; r != nil {
		r.Gap(c.id, d, at, n)
	}
	if o.dump != nil {
		o.dump.gap(c.id, d, at, n)
	}
}

// close ends a connection: its partial frames are flushed, bytes dropped
// at its end are recorded, and what is still unpaired becomes no-reply or
// orphan.
func (o *Observer) close(id uint64, at time.Time, err error, tailGaps [2]int64) {
	c := o.conns[id]
	if c != nil {
		for d := range c.framers {
			c.at = at
			c.framers[d].Flush(c.emit[d])
			if n := tailGaps[d]; n > 0 {
				o.gap(c, protocol.Dir(d), at, n)
			}
		}
		noReply, orphans := c.pairer.Close()
		for _, p := range noReply {
			o.noReply(c, p)
		}
		for _, p := range orphans {
			o.orphan(c, p.Token)
		}
		delete(o.conns, id)
	}
	msg := ""
	if err != nil {
		msg = err.Error()
		o.counts.Failed++
	}
	o.tx.CloseConn(id, at, msg)
	if r := o.cfg.Recorder; r != nil {
		r.Close(id, at, msg)
	}
	if o.dump != nil {
		o.dump.close(id, at, msg)
	}
}

// finish closes every connection still open (the relay stopped without
// telling) and flushes the outputs.
func (o *Observer) finish(at time.Time) {
	if len(o.conns) > 0 {
		o.cfg.Store.Update(func(tx *store.Tx) {
			o.tx = tx
			for id := range o.conns {
				o.close(id, at, nil, [2]int64{})
			}
			o.tx = nil
		})
	}
	o.flush()
}

func (o *Observer) flush() {
	if r := o.cfg.Recorder; r != nil {
		r.Flush()
	}
	if o.dump != nil && o.dumpErr == nil {
		if o.dumpErr = o.dump.flush(); o.dumpErr != nil && o.cfg.DumpFailed != nil {
			o.cfg.DumpFailed(o.dumpErr)
		}
	}
}
