package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"sockscope/observe"
	"sockscope/protocol"
	"sockscope/proxy"
	"sockscope/session"
	"sockscope/store"
	"sockscope/ui"
)

// pipeline is one running data path: relay → queue → observer → store,
// recorder and dump.
type pipeline struct {
	listen, upstream string
	ln               net.Listener
	st               *store.Store
	q                *proxy.Queue
	obs              *observe.Observer
	rec              *session.Recorder
	cancel           context.CancelFunc
	relayDone        chan error
	obsDone          chan struct{}
	dumpFailed       chan error // --dump could not be written: stop
}

// startPipeline starts relaying from ln to up.
func startPipeline(ctx context.Context, o options, ln net.Listener, up proxy.Addr) (*pipeline, error) {
	framing, err := protocol.ParseFraming(orDefault(o.framing, "auto"))
	if err != nil {
		return nil, err
	}
	ids := protocol.DefaultIDFields
	if o.ids != "" {
		ids = strings.Split(o.ids, ",")
	}
	// The store is the one big consumer of memory: let the GC work harder
	// rather than let the heap grow far past the store's bound.
	debug.SetMemoryLimit(o.maxBytes + 48<<20)

	p := &pipeline{
		ln:         ln,
		listen:     ln.Addr().String(),
		upstream:   up.String(),
		st:         store.New(store.Config{MaxMessages: o.maxMessages, MaxBytes: o.maxBytes}),
		q:          proxy.NewQueue(0, o.lossless),
		relayDone:  make(chan error, 1),
		obsDone:    make(chan struct{}),
		dumpFailed: make(chan error, 1),
	}
	if o.record != "" {
		p.rec, err = session.Create(o.record, session.Header{
			Started: time.Now(), Upstream: p.upstream, Listen: p.listen,
			Framing: framing.String(), IDFields: ids,
		})
		if err != nil {
			return nil, err
		}
	}
	var dump io.Writer
	if o.dump {
		dump = os.Stdout
	}
	p.obs = observe.New(observe.Config{
		Store: p.st, Framing: framing, IDFields: ids, MaxFrame: o.maxFrame,
		Recorder: p.rec, Dump: dump, Dropped: p.q.Dropped,
		DumpFailed: func(err error) { p.dumpFailed <- err },
	})
	go func() {
		p.obs.Run(p.q)
		close(p.obsDone)
	}()
	relay := &proxy.Relay{Listener: ln, Dial: proxy.DialFunc(up), Upstream: p.upstream, Queue: p.q}
	var rctx context.Context
	rctx, p.cancel = context.WithCancel(ctx)
	go func() { p.relayDone <- relay.Serve(rctx) }()
	return p, nil
}

// stop ends relaying, drains the observer and closes the session file. It
// returns the recorder's error, if recording stopped.
func (p *pipeline) stop() error {
	p.cancel()
	<-p.relayDone
	p.ln.Close()
	p.q.Close()
	<-p.obsDone
	if p.rec == nil {
		return nil
	}
	ev, by := p.q.Dropped()
	p.rec.End(time.Now(), ev, by)
	if err := p.rec.Err(); err != nil {
		return fmt.Errorf("recording stopped: %w", err)
	}
	return nil
}

// summary is the line printed at exit.
func (p *pipeline) summary() string {
	ev, by := p.q.Dropped()
	s := fmt.Sprintf("sockscope: %s; dropped %d events (%d bytes)", p.obs.Counts(), ev, by)
	if p.rec != nil {
		s += fmt.Sprintf("; recorded %d bytes to %s", p.rec.Size(), p.rec.Path())
	}
	return s
}

// serve runs a started pipeline until the user quits (UI) or a signal
// arrives (headless), then stops it and reports.
func serve(ctx context.Context, o options, p *pipeline) error {
	var uiErr error
	if o.headless || o.dump {
		// Scripts (and the wine test) start clients once this is out.
		fmt.Fprintf(os.Stderr, "sockscope: listening on %s, upstream %s\n", p.listen, p.upstream)
		select {
		case <-ctx.Done():
		case err := <-p.dumpFailed: // like any filter whose reader went away
			fmt.Fprintln(os.Stderr, "sockscope: stopping: --dump output:", err)
		}
	} else {
		uo := ui.Options{Listen: p.listen, Upstream: p.upstream}
		if p.rec != nil {
			uo.RecordPath = p.rec.Path()
			uo.RecordStatus = func() (int64, error) { return p.rec.Size(), p.rec.Err() }
		}
		uiErr = ui.Run(ctx, p.st, uo)
	}
	recErr := p.stop()
	out := os.Stdout
	if o.dump {
		out = os.Stderr
	}
	fmt.Fprintln(out, p.summary())
	if recErr != nil {
		fmt.Fprintln(os.Stderr, "sockscope:", recErr)
		return exitError(1)
	}
	return uiErr
}

// signalContext is ctx cancelled on SIGINT, SIGTERM or SIGHUP.
func signalContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx == nil {
		ctx = context.Background()
	}
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
}

func runInspect(ctx context.Context, o options, upstream string) error {
	up, err := proxy.ParseAddr(upstream)
	if err != nil {
		return err
	}
	ctx, cancel := signalContext(ctx)
	defer cancel()
	if o.listen == "" {
		return runTakeover(ctx, o, up)
	}
	la, err := proxy.ParseAddr(o.listen)
	if err != nil {
		return err
	}
	mode, err := strconv.ParseUint(orDefault(o.mode, "0600"), 8, 32)
	if err != nil {
		return fmt.Errorf("--mode %q: want an octal file mode like 0600", o.mode)
	}
	ln, err := proxy.ListenConfig{Mode: os.FileMode(mode), PipeSDDL: o.pipeSDDL}.Listen(la)
	if err != nil {
		return err
	}
	p, err := startPipeline(ctx, o, ln, up)
	if err != nil {
		ln.Close()
		return err
	}
	return serve(ctx, o, p)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
