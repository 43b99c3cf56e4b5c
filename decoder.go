package main

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"os"

	"sockscope/capture"
	"sockscope/proxy"
	"sockscope/session"
	"sockscope/split"
)

// apart is a capture whose decoder runs in a process of its own (split):
// the relay's process keeps the relay, the control port and the
// interceptor; the decoder's the store, the recording, --dump, the feed
// and the UI.
type apart struct {
	e         *capture.Engine // the relay's: it keeps no store
	wait      func() error    // waits for the decoder's process to end, once e stopped
	stopping  <-chan error    // the decoder's process says the run must stop: why, or nil (the user quit)
	published string          // what the decoder's process publishes (its feed), for the user
	ui        bool            // the decoder's process shows the UI
}

// uiSetup is the UI the decoder's process shows, on the terminal of the
// relay's process (its stdin and stdout, or split.Config.TTY).
type uiSetup struct {
	Listen, Upstream string // what the status bar names
	SendAddr         string // ui.Options.SendAddr
	OneConn          bool   // ui.Options.OneConn
	// Detached: quitting the UI leaves the run going (a wrapped child's,
	// which ends with the child); otherwise the run stops.
	Detached bool
}

// apartRun says what the decoder's process of a run is for.
type apartRun struct {
	what  string // describes the run for attach's listing
	quiet bool   // keeps the decoder's process off stdout (a wrapped child's stream): no summary line
	feed  bool   // publish a feed unless --no-feed (else only with --feed)
	ui    *uiSetup
	tty   *os.File // the UI's terminal, if not stdin and stdout
}

// checkDecoderEnv refuses a SOCKSCOPE_DECODER that is none of its values,
// which would be taken for unset.
func checkDecoderEnv() error {
	switch v := os.Getenv("SOCKSCOPE_DECODER"); v {
	case "", "normal", "inprocess":
		return nil
	default:
		return fmt.Errorf("SOCKSCOPE_DECODER=%q: want normal (apart, at the relay's priority) or inprocess (in the relay's process), or leave it unset", v)
	}
}

// decodeApart reports whether a run decodes (and shows its UI) in a
// process of its own: where it can (split.Supported), unless
// SOCKSCOPE_DECODER=inprocess. (SOCKSCOPE_DECODER=normal decodes apart at
// the relay's priority, not the lowest, and without rests: startDecoder.)
func decodeApart() bool {
	return split.Supported && os.Getenv("SOCKSCOPE_DECODER") != "inprocess"
}

// startApart is startCapture with the decoder in a process of its own.
func startApart(ctx context.Context, o options, ln net.Listener, up proxy.Addr, label string) (func() error, error) {
	cfg, err := engineConfig(o)
	if err != nil {
		return nil, err
	}
	src := capture.NewRelay(ln, up)
	cfg.Header = session.Header{Upstream: up.String(), Listen: src.Listen()}
	label = cmp.Or(label, src.Listen())
	run := apartRun{what: "proxies " + src.Listen() + " → " + up.String(), feed: o.headless || o.dump}
	if !o.headless && !o.dump {
		run.ui = &uiSetup{Listen: label, Upstream: up.String(), SendAddr: src.Listen()}
	}
	a, err := startDecoder(o, cfg, run)
	if err != nil {
		return nil, err
	}
	a.e.Start(ctx, src)
	return func() error { return a.serve(ctx, src, label) }, nil
}

// serve runs a capture started by startApart until a signal arrives or
// the user quits the UI, then stops it and waits for the decoder's
// process to finish.
func (a *apart) serve(ctx context.Context, src *capture.Relay, listen string) error {
	if !a.ui { // the UI says it
		if a.published != "" {
			fmt.Fprintln(os.Stderr, "sockscope:", a.published)
		}
		fmt.Fprintf(os.Stderr, "sockscope: listening on %s, upstream %s\n", listen, src.Upstream())
	}
	waitStop(ctx, a.e, a.stopping, !a.ui)
	if err := a.stop(); err != nil {
		return exitError(1)
	}
	return nil
}

// stop stops the relay's engine, which ends the events, and waits for the
// decoder's process to finish. It reports what failed, having said so.
func (a *apart) stop() error {
	stopErr := a.e.Stop()
	if err := a.wait(); err != nil {
		fmt.Fprintln(os.Stderr, "sockscope: the decoder's process:", err)
		return err
	}
	if stopErr != nil {
		fmt.Fprintln(os.Stderr, "sockscope:", stopErr)
	}
	return stopErr
}
