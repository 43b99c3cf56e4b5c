//go:build unix

package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"

	"sockscope/capture"
	"sockscope/event"
	"sockscope/feed"
	"sockscope/internal/cpuload"
	"sockscope/protocol"
	"sockscope/session"
	"sockscope/split"
	"sockscope/takeover"
	"sockscope/ui"
)

// decoderSetup is what a relay's process tells the decoder's (split): the
// flags that say what to decode, keep and write, and the UI to show.
type decoderSetup struct {
	Framing     string
	IDFields    []string
	MaxFrame    int
	MaxMessages int
	MaxBytes    int64
	Record      string
	Rotation    session.Rotation
	Header      session.Header
	Dump        bool
	Summary     bool   // print the summary line at the end
	Feed        bool   // publish one
	FeedPath    string // "" for the default place
	What        string // the feed's description
	PID         int    // the relay's process: the feed is its
	UI          *uiSetup
	// TakenOver is the path the relay's process took over, if it did: if
	// that process dies holding it, this one tells the user to restore it.
	TakenOver string
	// Rests: on a machine with no CPU to spare, the decoder rests after
	// each heavy batch (observe.Config.Busy). Not at normal priority, nor
	// with --lossless, where the traffic waits for it.
	Rests bool
}

// apartQueueBytes bounds the queues when the decoder is apart: the
// decoder's process's, after the ring's 1 MiB, and the relay's, which
// holds events only until the Decoder runs (then each goes onto the ring
// as it is put). A quarter of the default (issue 16's memory target
// counts the two processes).
const apartQueueBytes = event.DefaultQueueBytes / 4

// decoderShare is the most of the relay's process's CPU its decoder's
// process takes while it drops on a busy machine (observe.Config.Owed):
// issue 16 asks for all of sockscope's CPU a request within 1.5× a bare
// relay's, and the relay's process alone takes 1.0-1.2× that.
const decoderShare = 0.2

// decoderProcs is how many threads at once run the decoder's process's Go
// code (GOMAXPROCS, unless the environment sets it): one, on which the
// ring's reader hands each event to the observer in that core's cache,
// rather than one a CPU. Six runs each of `sockbench -bare -args
// --lossless -only 64b -rounds 3`, alternated, on this project's 2-CPU VM:
// 3.35-3.60 M calls a second in sessions of their own and 3.91-5.11 M in
// one, the decoder's process 0.20-0.25 µs a call, against 2.69-3.45 M,
// 2.70-3.60 M and 0.27-0.32 µs with a thread a CPU.
const decoderProcs = 1

// losslessRelayProcs is GOMAXPROCS in the relay's process with
// --lossless (unless the environment sets it): there the traffic moves
// as fast as the decoder's process takes it, and a second thread for the
// relay's goroutines only spun, looking for work between their reads and
// waking the other with futex calls, on the CPU the decoder and the peers
// need (the relay's profile: 23 % looking for work, 9 % futex). Nine
// pairs of `sockbench -bare -args --lossless -only 64b -rounds 5`,
// alternated on this project's 2-CPU VM, busy with other work for some:
// more calls a second with one thread in each pair in sessions of their
// own (median 3.62 M against 3.45 M), and the relay's process 0.07-0.09
// µs a call against 0.09-0.11 where the machine was quiet. Without
// --lossless the relay keeps a thread
// a CPU: a burst of many connections, which it must not hold back, is
// relayed on all of them.
const losslessRelayProcs = 1

// startDecoder starts the decoder's process for a capture the flags say
// (cfg: engineConfig's, with its Header), and the relay's process's engine
// that hands it the events.
func startDecoder(o options, cfg capture.Config, run apartRun) (*apart, error) {
	normal := os.Getenv("SOCKSCOPE_DECODER") == "normal"
	setup := decoderSetup{
		Framing: cfg.Framing.String(), IDFields: cfg.IDFields, MaxFrame: cfg.MaxFrame,
		MaxMessages: cfg.MaxMessages, MaxBytes: cfg.MaxBytes, Record: cfg.Record, Rotation: cfg.Rotation,
		Header: cfg.Header, Dump: o.dump, Summary: !run.quiet,
		Feed: !o.noFeed && (run.feed || o.feedPath != ""), FeedPath: o.feedPath, What: run.what, PID: os.Getpid(),
		UI: run.ui, TakenOver: o.takenOver, Rests: !normal && !o.lossless,
	}
	d, published, err := split.Start(split.Config{Setup: setup, Framing: cfg.Framing, Lossless: o.lossless, Quiet: run.quiet,
		Normal: normal, UI: run.ui != nil, TTY: run.tty})
	if errors.Is(err, split.ErrSaid) {
		return nil, exitError(1)
	}
	if err != nil {
		return nil, err
	}
	e, err := capture.New(capture.Config{
		Framing: cfg.Framing, IDFields: cfg.IDFields, MaxFrame: cfg.MaxFrame, Lossless: cfg.Lossless,
		Intercept: cfg.Intercept, Decoder: d, QueueBytes: apartQueueBytes,
	})
	if err != nil {
		d.Kill()
		return nil, err
	}
	d.Serve(e)
	if o.warning != nil { // its UI and its feed's viewers warn
		o.warning.passTo(func(text string) { go d.Warn(text) })
	}
	if o.lossless && os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(losslessRelayProcs)
	}
	return &apart{e: e, wait: d.Wait, stopping: d.Stopping(), published: published, ui: run.ui != nil}, nil
}

// runDecoder is the process a relay's started to decode (split), when it
// is one: it decodes, keeps and writes what the setup says, and shows the
// UI if it says so, until the relay's process ends the events, prints the
// summary line and exits.
func runDecoder() {
	var setup decoderSetup
	src, err := split.Child(&setup)
	if src == nil && err == nil {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sockscope: decoder:", err)
		os.Exit(1)
	}
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(decoderProcs)
	}
	ctx, cancel := signalContext(context.Background())
	stopProfile := startProfile() // the decoder's own, in a file of its pid
	code := decode(ctx, src, setup)
	stopProfile()
	cancel()
	os.Exit(code)
}

// decode runs the decoder's process's capture and returns its exit status.
func decode(ctx context.Context, src *split.Source, setup decoderSetup) int {
	framing, err := protocol.ParseFraming(setup.Framing)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sockscope: decoder:", err)
		return 1
	}
	cfg := capture.Config{
		Framing: framing, IDFields: setup.IDFields, MaxFrame: setup.MaxFrame,
		MaxMessages: setup.MaxMessages, MaxBytes: setup.MaxBytes, Record: setup.Record,
		Rotation: setup.Rotation, Header: setup.Header,
		Lossless: true, // the relay's process drops what does not fit; the ring waits
		Dropped:  src.Dropped,
		// Less than in the relay's process, whose memory counts with this
		// one's (issue 16's target: both within the store's cap + 64 MiB;
		// with 32 MiB they ended 318-323 MiB over a 256 MiB cap, with 24,
		// 310-312, at the same rate).
		HeapHeadroom: 24 << 20,
		// The relay's process's queue and the ring hold what comes: this
		// one need not hold more than the relay's. While the decoder rests
		// (observe.Config.Busy) it fills up, and it takes what it holds at
		// once: 16 MiB was twice the read chunks kept for reuse, and the
		// rest faulted in anew (1,800 faults per 1,000 16 KiB requests).
		QueueBytes: apartQueueBytes,
	}
	if setup.Rests {
		cfg.Busy = cpuload.New().Busy
		cfg.Owed = cpuload.NewShare(setup.PID, decoderShare).Owed
		cfg.Shed = src.Shed
	}
	if setup.Dump {
		cfg.Dump = os.Stdout
	}
	var fs *feed.Server
	if setup.Feed {
		fs = startFeed(options{feedFlags: feedFlags{feedPath: setup.FeedPath}}, true, setup.PID, setup.What, feedHeader(cfg), src.Warning)
	}
	if fs != nil {
		cfg.Sinks = append(cfg.Sinks, fs.Sink())
		defer fs.Close()
	}
	e, err := capture.New(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sockscope: decoder:", err)
		return 1
	}
	e.Start(ctx, src)
	what := ""
	if fs != nil {
		go fs.Serve(ctx, e.Store, e)
		what = fmt.Sprintf("feed at %s (sockscope attach)", fs.Path())
	}
	if err := src.Ready(capture.StoreDecoded(e.Store, framing), func() uint64 { return e.Store.Totals().Messages }, what); err != nil {
		fmt.Fprintln(os.Stderr, "sockscope: decoder:", err)
		return 1
	}
	go func() {
		if err := <-e.Failed(); err != nil {
			src.Stop(err) // the relay's process stops, which ends the events
		}
	}()
	uiErr := make(chan error, 1)
	if setup.UI != nil {
		go func() { uiErr <- showUI(e, src, *setup.UI) }()
	} else {
		uiErr <- nil
	}
	stopErr := e.Wait(context.Background())
	if fs != nil {
		fs.Close()
	}
	if err := <-uiErr; err != nil { // the terminal is back before the summary
		fmt.Fprintln(os.Stderr, "sockscope: ui:", err)
		stopErr = cmp.Or(stopErr, err)
	}
	if setup.Summary {
		printSummary(e, setup.Dump)
	} else if note := dropNote(e); note != "" {
		fmt.Fprintln(os.Stderr, note)
	}
	if stopErr != nil {
		fmt.Fprintln(os.Stderr, "sockscope:", stopErr)
	}
	// The relay's process gives a path it took over back as it stops; killed
	// (SIGKILL), it could not, and said nothing.
	if p := setup.TakenOver; p != "" && src.RelayDied() && takeover.Left(p, setup.PID) {
		fmt.Fprintf(os.Stderr, "sockscope: %s is still taken over: run sockscope restore %s\n", p, p)
	}
	if stopErr != nil {
		return 1
	}
	return 0
}

// showUI runs the UI of the decoder's process on e's store, driving the
// relay's engine through src, until the user quits (the run stops, unless
// u.Detached) or the relay's process ends the events.
func showUI(e *capture.Engine, src *split.Source, u uiSetup) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-src.Ended():
			cancel()
		case <-ctx.Done():
		}
	}()
	uo := ui.Options{Listen: u.Listen, Upstream: u.Upstream, SendAddr: u.SendAddr, IDFields: e.IDFields(), OneConn: u.OneConn, Control: newUIControl(src), TTY: src.TTY(), NoSignals: true,
		Warning: src.Warning, Away: split.ParentStops(ctx)}
	if src.ShowsFirst() {
		uo.Drawn = src.Drawn
	}
	err := ui.Run(ctx, e.Store, withRecording(uo, e))
	src.Drawn() // a UI that ended before it drew: decode what is left
	if !u.Detached {
		src.Quit()
	} else if ctx.Err() == nil { // the user quit, and the traffic goes on
		if did := unattend(ctx, src); did != "" {
			fmt.Fprintln(os.Stderr, "sockscope:", did)
		}
	}
	return err
}
