// Package capture owns sockscope's running data path: sources of traffic
// (the relay, a session file) put events on one queue, the observer decodes
// them into the store and a list of sinks (the session recorder, --dump),
// and commands come back through the Engine (Send, SendNew) to the source
// that can act on them.
//
// Typical use:
//
//	e, err := capture.New(capture.Config{Record: "s.jsonl"})
//	...
//	e.Start(ctx, &capture.Relay{Listener: ln, Upstream: up})
//	ui.Run(ctx, e.Store, ui.Options{Control: e})
//	err = e.Stop()
//	fmt.Println(e.Summary())
package capture

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"sockscope/event"
	"sockscope/index"
	"sockscope/internal/hugemem"
	"sockscope/observe"
	"sockscope/protocol"
	"sockscope/proxy"
	"sockscope/session"
	"sockscope/store"
)

// Config says what an Engine decodes, keeps and writes.
type Config struct {
	// Framing is forced on every direction; FramingAuto (the zero value)
	// detects it.
	Framing protocol.Framing
	// IDFields are the members that carry request ids. If nil,
	// protocol.DefaultIDFields.
	IDFields []string
	// MaxFrame caps the payload kept per frame. If zero,
	// protocol.DefaultMaxFrame.
	MaxFrame int
	// MaxMessages and MaxBytes bound the store. If zero, the store's
	// defaults.
	MaxMessages int
	MaxBytes    int64
	// Lossless makes the sources wait for the observer rather than drop
	// what it cannot keep up with.
	Lossless bool
	// Record, if set, is the session file the traffic is appended to, with
	// Header as its header (Started, Framing and IDFields are filled in).
	Record string
	Header session.Header
	// Rotation spreads the recording over files (--record-max-size).
	Rotation session.Rotation
	// Dump, if set, gets one JSON object per event (--dump).
	Dump io.Writer
	// Sinks are more outputs of the observer.
	Sinks []observe.Sink
	// Intercept holds frames for the user and runs rules on them.
	Intercept Intercept
	// HeapHeadroom is how far past MaxBytes the Go heap may grow before
	// the garbage collector works harder (hugemem.LimitMemory). If zero,
	// 48 MiB.
	HeapHeadroom int64
	// QueueBytes bounds the events' bytes the sources have queued for the
	// observer. If zero, event.DefaultQueueBytes.
	QueueBytes int64
	// Decoder, if set, decodes the events instead of the engine's own
	// observer (in a process of its own: package split). The engine then
	// keeps no store, and Record, Dump and Sinks are the Decoder's to
	// write.
	Decoder Decoder
	// Dropped, if set, reports events a source lost before they reached
	// the queue (an attached feed that skipped ahead): they count with the
	// queue's own drops.
	Dropped func() (events, bytes uint64)
	// Busy, if set, reports whether the machine has no CPU to spare: the
	// observer yields the CPU while it has none and events are dropped
	// (observe.Config.Busy).
	Busy func() bool
	// Owed, if set, says how long the observer must rest then for its
	// process's CPU to stay within its share (observe.Config.Owed).
	Owed func(count bool) time.Duration
	// Shed, if set, is told when the observer rests for Owed and drops
	// what comes meanwhile (observe.Config.Shed).
	Shed func(on bool)
}

// A Source produces events on q until ctx is done or it has no more, then
// returns. A source that can act on its connections (send a frame of
// sockscope's own) also implements Sender.
type Source interface {
	Run(ctx context.Context, q *event.Queue) error
}

// Engine is one running data path. Create it with New, start it with
// Start, end it with Stop.
type Engine struct {
	// Store holds what the observer decoded: the UI reads it. It is nil
	// with a Config.Decoder.
	Store *store.Store

	cfg     Config
	decoded Decoded // what the control port asks of the decoded traffic
	q       *event.Queue
	obs     *observe.Observer
	rec     *session.Recorder
	idx     *index.Writer // the recording's index, if written
	sources []Source
	ic      *interceptor
	ctx     context.Context // the sources'
	cancel  context.CancelFunc
	srcWG   sync.WaitGroup
	srcErr  chan error
	obsDone chan struct{}
	failed  chan error // a sink that must stop the run (--dump) failed
	stopped sync.Once
	stopErr error
}

// New returns an Engine for cfg, with its session file created.
func New(cfg Config) (*Engine, error) {
	if cfg.IDFields == nil {
		cfg.IDFields = protocol.DefaultIDFields
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = store.DefaultMaxBytes
	}
	e := &Engine{
		cfg:     cfg,
		q:       event.NewQueue(cfg.QueueBytes, cfg.Lossless),
		srcErr:  make(chan error, 16),
		obsDone: make(chan struct{}),
		failed:  make(chan error, 1),
	}
	var err error
	if e.ic, err = newInterceptor(e, cfg.Intercept); err != nil {
		return nil, err
	}
	if cfg.Decoder != nil {
		if cfg.Record != "" || cfg.Dump != nil || len(cfg.Sinks) > 0 {
			return nil, errors.New("capture: a Decoder writes the outputs, not the engine")
		}
		e.decoded = cfg.Decoder
		return e, nil
	}
	e.Store = store.New(store.Config{MaxMessages: cfg.MaxMessages, MaxBytes: cfg.MaxBytes, MaxConns: store.DefaultMaxConns})
	e.decoded = StoreDecoded(e.Store, cfg.Framing)
	sinks := cfg.Sinks
	if cfg.Record != "" {
		h := cfg.Header
		if h.Started.IsZero() {
			h.Started = time.Now()
		}
		h.Framing, h.IDFields = cfg.Framing.String(), cfg.IDFields
		fi, statErr := os.Stat(cfg.Record)
		rec, err := session.CreateRotating(cfg.Record, h, cfg.Rotation)
		if err != nil {
			return nil, err
		}
		e.rec = rec
		var sink observe.Sink
		sink, e.idx = newIndexedRecorder(recorderSink{rec}, cfg, statErr == nil && fi.Size() > 0)
		sinks = append(sinks, sink)
	}
	var dump observe.Sink
	if cfg.Dump != nil {
		dump = observe.NewDump(cfg.Dump)
		sinks = append(sinks, dump)
	}
	e.obs = observe.New(observe.Config{
		Store: e.Store, Framing: cfg.Framing, IDFields: cfg.IDFields, MaxFrame: cfg.MaxFrame,
		Sinks: sinks, Dropped: e.dropped, Busy: cfg.Busy, Owed: cfg.Owed, Shed: cfg.Shed,
		SinkFailed: func(s observe.Sink, err error) {
			if s == dump { // like any filter whose reader went away
				e.failed <- fmt.Errorf("--dump output: %w", err)
			}
		},
	})
	return e, nil
}

// Start runs the observer and each source on goroutines of their own. The
// sources end when ctx is done, or by themselves (a session file read to
// its end).
func (e *Engine) Start(ctx context.Context, sources ...Source) {
	go func() {
		if e.cfg.Decoder != nil {
			// What this process holds is the queue and what the Decoder
			// has taken from it: let the GC keep the heap near that.
			hugemem.LimitMemory(2*e.q.Max() + 16<<20)
			e.cfg.Decoder.Run(e.q)
		} else {
			// The store is the one big consumer of memory: let the GC work
			// harder rather than let the heap grow far past its bound.
			hugemem.LimitMemory(e.cfg.MaxBytes + cmp.Or(e.cfg.HeapHeadroom, 48<<20))
			e.obs.Run(e.q)
		}
		close(e.obsDone)
	}()
	e.ctx, e.cancel = context.WithCancel(ctx)
	ctx = e.ctx
	e.sources = sources
	for _, s := range sources {
		if r, ok := s.(*Relay); ok { // it holds back at most a frame
			r.r.MaxFrame = e.cfg.MaxFrame
			r.r.Prepare = func(c *proxy.Conn) { e.prepare(r, c) }
			r.r.Unjudged = e.unjudged
		}
		e.srcWG.Add(1)
		go func() {
			defer e.srcWG.Done()
			if err := s.Run(ctx, e.q); err != nil {
				e.srcErr <- err
			}
		}()
	}
}

// Failed receives when an output the run cannot go on without failed
// (--dump's reader went away): the caller should Stop.
func (e *Engine) Failed() <-chan error { return e.failed }

// Wait waits until every source has ended by itself (or ctx is done) and
// the observer has decoded everything they produced. It returns the first
// source's error.
func (e *Engine) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		e.srcWG.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
	return e.Stop()
}

// Stop ends the sources, lets the observer decode what they produced and
// closes the session file. It returns the first source's error, or the
// recorder's if recording stopped. Later calls return the same.
func (e *Engine) Stop() error {
	e.stopped.Do(func() {
		e.cancel()
		e.q.End() // a decoder the sources wait for (--lossless) ends their wait if it stalls
		e.srcWG.Wait()
		e.q.Close()
		<-e.obsDone
		select {
		case err := <-e.srcErr:
			e.stopErr = err
		default:
		}
		if e.rec != nil {
			ev, by := e.dropped()
			e.rec.End(time.Now(), ev, by)
			closeIndex(e.idx, e.rec.Path(), e.rec.Err() == nil)
			if err := e.rec.Err(); err != nil && e.stopErr == nil {
				e.stopErr = fmt.Errorf("recording stopped: %w", err)
			}
		}
	})
	return e.stopErr
}

// IDFields returns the members that carry request ids, as the engine
// decodes them.
func (e *Engine) IDFields() []string { return e.cfg.IDFields }

// Dropped returns what the decoder never got of the traffic (the relay
// forwarded it and dropped its copy): events and their bytes. Call it
// after Stop.
func (e *Engine) Dropped() (events, bytes uint64) { return e.dropped() }

// dropped is what the sources and the queue lost, together.
func (e *Engine) dropped() (events, bytes uint64) {
	events, bytes = e.q.Dropped()
	if e.cfg.Dropped != nil {
		ev, by := e.cfg.Dropped()
		events, bytes = events+ev, bytes+by
	}
	return events, bytes
}

// Counts returns the observer's totals (none with a Config.Decoder). Call
// it after Stop.
func (e *Engine) Counts() observe.Counts {
	if e.obs == nil {
		return observe.Counts{}
	}
	return e.obs.Counts()
}

// Summary is the line printed at exit. Call it after Stop.
func (e *Engine) Summary() string {
	ev, by := e.dropped()
	s := fmt.Sprintf("sockscope: %s; dropped %d events (%d bytes)", e.Counts(), ev, by)
	if e.rec != nil {
		s += fmt.Sprintf("; recorded %d bytes to %s", e.rec.Size(), e.rec.Path())
	}
	return s
}

// Recording reports the session file's path, its size and the error that
// stopped recording, if any; the path is empty when not recording.
func (e *Engine) Recording() (path string, size int64, err error) {
	if e.rec == nil {
		return "", 0, nil
	}
	return e.rec.Path(), e.rec.Size(), e.rec.Err()
}

// errNoSender is what Send says when no source can act on connections.
var errNoSender = errors.New("nothing to send on: this capture has no live connections (a recording?)")
