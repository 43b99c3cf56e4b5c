package main

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"sockscope/capture"
	"sockscope/feed"
	"sockscope/internal/cpuload"
	"sockscope/internal/plural"
	"sockscope/protocol"
	"sockscope/proxy"
	"sockscope/session"
	"sockscope/ui"
)

// engineConfig is the capture configuration the flags in o say.
func engineConfig(o options) (capture.Config, error) {
	if err := o.checkBounds(); err != nil {
		return capture.Config{}, usage(err)
	}
	if err := checkDecoderEnv(); err != nil {
		return capture.Config{}, err
	}
	flag, name := "--framing", orDefault(o.framing, "auto")
	if o.protocol != "" {
		flag, name = "--protocol", o.protocol
	}
	framing, err := protocol.ParseFraming(name)
	if err != nil {
		return capture.Config{}, usage(fmt.Errorf("%s %q: want one of %s", flag, name, protocol.FramingNames()))
	}
	ids := protocol.DefaultIDFields
	if o.ids != "" {
		ids = strings.Split(o.ids, ",")
	}
	cfg := capture.Config{
		// A frame is kept no larger than the store: the decoder's buffers
		// for a larger one went past --max-bytes by that much.
		Framing: framing, IDFields: ids, MaxFrame: int(min(int64(o.maxFrame), o.maxBytes)),
		MaxMessages: o.maxMessages, MaxBytes: o.maxBytes, Lossless: o.lossless,
		Record: o.record, Busy: cpuload.New().Busy, // the decoder's process makes its own
	}
	if cfg.Rotation, err = o.rotation(); err != nil {
		return cfg, usage(err)
	}
	if cfg.Intercept, err = o.interceptConfig(); err != nil {
		return cfg, usage(err)
	}
	if o.dump {
		cfg.Dump = os.Stdout
	}
	return cfg, nil
}

// checkBounds refuses sizes and durations that mean nothing (they were
// taken silently, a negative hold time as the default's 5 minutes).
func (o options) checkBounds() error {
	for _, b := range []struct {
		flag string
		n    int64
	}{{"--max-frame", int64(o.maxFrame)}, {"--max-messages", int64(o.maxMessages)}, {"--max-bytes", o.maxBytes}} {
		if b.n <= 0 {
			return fmt.Errorf("%s %d: a number above 0", b.flag, b.n)
		}
	}
	if o.holdTimeout < 0 { // 0: the default (the demo has no such flag)
		return fmt.Errorf("--hold-timeout %v: a duration above 0 (a frame held that long is forwarded as it was)", o.holdTimeout)
	}
	return nil
}

// startCapture starts capturing what clients accepted on ln say to up. It
// returns the function that serves the capture until the user quits (UI)
// or a signal arrives. label names where clients connect for the user (""
// for ln's address).
func startCapture(ctx context.Context, o options, ln net.Listener, up proxy.Addr, label string) (func() error, error) {
	if decodeApart() {
		return startApart(ctx, o, ln, up, label)
	}
	e, src, fs, err := startRelay(ctx, o, ln, up)
	if err != nil {
		return nil, err
	}
	return func() error { return serve(ctx, o, e, src, fs, cmp.Or(label, src.Listen())) }, nil
}

// startRelay starts capturing what clients accepted on ln say to up.
// Its feed, if it publishes one, is serving.
func startRelay(ctx context.Context, o options, ln net.Listener, up proxy.Addr) (*capture.Engine, *capture.Relay, *feed.Server, error) {
	cfg, err := engineConfig(o)
	if err != nil {
		return nil, nil, nil, err
	}
	src := capture.NewRelay(ln, up)
	cfg.Header = session.Header{Upstream: up.String(), Listen: src.Listen()}
	var warning func() string
	if o.warning != nil {
		warning = o.warning.get
	}
	fs := startFeed(o, o.headless || o.dump, 0, "proxies "+src.Listen()+" → "+up.String(), feedHeader(cfg), warning)
	if fs != nil {
		cfg.Sinks = append(cfg.Sinks, fs.Sink())
	}
	e, err := capture.New(cfg)
	if err != nil {
		if fs != nil {
			fs.Close()
		}
		return nil, nil, nil, err
	}
	e.Start(ctx, src)
	if fs != nil {
		go fs.Serve(ctx, e.Store, e)
	}
	return e, src, fs, nil
}

// serve runs a started capture until the user quits (UI) or a signal
// arrives (headless), then stops it and reports.
func serve(ctx context.Context, o options, e *capture.Engine, src *capture.Relay, fs *feed.Server, listen string) error {
	var uiErr error
	if fs != nil {
		defer fs.Close()
	}
	if o.headless || o.dump {
		if fs != nil {
			fmt.Fprintf(os.Stderr, "sockscope: feed at %s (sockscope attach)\n", fs.Path())
		}
		// Scripts (and the wine test) start clients once this is out.
		fmt.Fprintf(os.Stderr, "sockscope: listening on %s, upstream %s\n", listen, src.Upstream())
		waitStop(ctx, e, e.Failed(), true)
	} else {
		uo := ui.Options{Listen: listen, Upstream: src.Upstream().String(), SendAddr: src.Listen(), IDFields: e.IDFields(), Control: newUIControl(e)}
		if o.warning != nil {
			uo.Warning = o.warning.get
		}
		uiErr = ui.Run(ctx, e.Store, withRecording(uo, e))
	}
	if fs != nil {
		fs.Close()
	}
	stopErr := e.Stop()
	printSummary(e, o.dump)
	if stopErr != nil {
		fmt.Fprintln(os.Stderr, "sockscope:", stopErr)
		return exitError(1)
	}
	return uiErr
}

// waitStop waits for a signal or for stop (why the run must stop, nil
// when the user quit), and meanwhile, when no UI shows them, prints on
// stderr what the rules have to tell (holds that timed out, frames
// forwarded unjudged).
func waitStop(ctx context.Context, e *capture.Engine, stop <-chan error, notices bool) {
	var tick <-chan time.Time
	if notices {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		defer printNotices(e)
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case err := <-stop:
			if err != nil {
				fmt.Fprintln(os.Stderr, "sockscope: stopping:", err)
			}
			return
		case <-tick:
			printNotices(e)
		}
	}
}

func printNotices(e *capture.Engine) {
	for _, n := range e.Notices() {
		fmt.Fprintln(os.Stderr, "sockscope:", n)
	}
}

// withRecording is uo showing e's recording, if it makes one: its path,
// and its size as it grows.
func withRecording(uo ui.Options, e *capture.Engine) ui.Options {
	if path, _, _ := e.Recording(); path != "" {
		uo.RecordPath = path
		uo.RecordStatus = func() (int64, error) {
			_, size, err := e.Recording()
			return size, err
		}
	}
	return uo
}

// printSummary prints the line that sums up a stopped capture: on stdout,
// or on stderr with --dump (stdout is the dump's).
func printSummary(e *capture.Engine, dump bool) {
	out := os.Stdout
	if dump {
		out = os.Stderr
	}
	fmt.Fprintln(out, e.Summary())
}

// dropNote is what a run that prints no summary line (a wrapped child's,
// whose stdout is the child's) says on stderr at exit of the copy of the
// traffic its decoder dropped: "" when none. Without it a recording's gaps
// went unsaid.
func dropNote(e *capture.Engine) string {
	ev, by := e.Dropped()
	if ev == 0 {
		return ""
	}
	s := fmt.Sprintf("sockscope: the decoder fell behind and dropped its copy of %s (%s): the traffic was not affected",
		plural.Of(ev, "event"), plural.Of(by, "byte"))
	if path, _, _ := e.Recording(); path != "" {
		s += ", but " + path + " has gaps there"
	}
	return s + " (--lossless keeps every byte, slowing the traffic instead)"
}

// sender sends for the UI: the capture engine, or an attached view's feed
// control.
type sender interface {
	Send(ctx context.Context, conn uint64, dir protocol.Dir, msg []byte) (capture.Sent, error)
	SendNew(ctx context.Context, like uint64, msg []byte) (capture.Sent, error)
}

// uiSender is a sender as the UI's control port.
type uiSender struct{ s sender }

func (u uiSender) Send(ctx context.Context, conn uint64, dir protocol.Dir, msg []byte) (ui.Sent, error) {
	s, err := u.s.Send(ctx, conn, dir, msg)
	return ui.Sent(s), err
}

func (u uiSender) SendNew(ctx context.Context, like uint64, msg []byte) (ui.Sent, error) {
	s, err := u.s.SendNew(ctx, like, msg)
	return ui.Sent(s), err
}

// uiControl is a relay's engine as the UI's control port and interceptor
// (intercept.go): the engine itself, or the way to it from the decoder's
// process (split.Source).
type uiControl struct {
	uiSender
	e capture.Interceptor
}

// relayEngine is what the UI drives: a capture.Engine, or a split.Source.
type relayEngine interface {
	sender
	capture.Interceptor
}

func newUIControl(e relayEngine) uiControl { return uiControl{uiSender{e}, e} }

// feedHeader is the session header a feed streams: the engine's settings.
func feedHeader(cfg capture.Config) session.Header {
	h := cfg.Header
	h.Started = time.Now()
	h.Framing, h.IDFields = cfg.Framing.String(), cfg.IDFields
	return h
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
		return usage(err)
	}
	// Bad flags are refused before anything is taken over or listened on.
	if _, err := engineConfig(o); err != nil {
		return err
	}
	ctx, cancel := signalContext(ctx)
	defer cancel()
	if o.listen == "" {
		return runTakeover(ctx, o, up)
	}
	la, lc, err := listenConfig(o.listen, o.mode, o.pipeSDDL)
	if err != nil {
		return usage(err)
	}
	ln, err := lc.Listen(la)
	if err != nil {
		return err
	}
	run, err := startCapture(ctx, o, ln, up, "")
	if err != nil {
		ln.Close()
		return err
	}
	return run()
}

// listenConfig reads --listen, --mode (octal, 0600 by default) and
// --pipe-sddl.
func listenConfig(listen, mode, sddl string) (proxy.Addr, proxy.ListenConfig, error) {
	la, err := proxy.ParseAddr(listen)
	if err != nil {
		return la, proxy.ListenConfig{}, err
	}
	m, err := strconv.ParseUint(orDefault(mode, "0600"), 8, 32)
	if err != nil {
		return la, proxy.ListenConfig{}, fmt.Errorf("--mode %q: want an octal file mode like 0600", mode)
	}
	return la, proxy.ListenConfig{Mode: os.FileMode(m), PipeSDDL: sddl}, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
