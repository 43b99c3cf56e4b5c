package main

import (
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
// interceptor; the decoder's the store, the recording, --dump and the feed.
type apart struct {
	e         *capture.Engine // the relay's: it keeps no store
	wait      func() error    // waits for the decoder's process to end, once e stopped
	failed    <-chan error    // the decoder's process says the run must stop
	published string          // what the decoder's process publishes (its feed), for the user
}

// decodeApart reports whether a run decodes in a process of its own: where
// it can (split.Supported), when it shows no UI (the UI reads the store,
// which would be the decoder's), unless SOCKSCOPE_DECODER=inprocess.
// (SOCKSCOPE_DECODER=normal decodes apart at the relay's priority, not the
// lowest: startDecoder.)
func decodeApart(withUI bool) bool {
	return split.Supported && !withUI && os.Getenv("SOCKSCOPE_DECODER") != "inprocess"
}

// startApart is startCapture with the decoder in a process of its own.
func startApart(ctx context.Context, o options, ln net.Listener, up proxy.Addr) (func(listen string) error, string, error) {
	cfg, err := engineConfig(o)
	if err != nil {
		return nil, "", err
	}
	src := capture.NewRelay(ln, up)
	cfg.Header = session.Header{Upstream: up.String(), Listen: src.Listen()}
	a, err := startDecoder(o, cfg, "proxies "+src.Listen()+" → "+up.String(), false)
	if err != nil {
		return nil, "", err
	}
	a.e.Start(ctx, src)
	return func(listen string) error { return a.serve(ctx, src, listen) }, src.Listen(), nil
}

// serve runs a capture started by startApart until a signal arrives, then
// stops it and waits for the decoder's process to finish.
func (a *apart) serve(ctx context.Context, src *capture.Relay, listen string) error {
	if a.published != "" {
		fmt.Fprintln(os.Stderr, "sockscope:", a.published)
	}
	fmt.Fprintf(os.Stderr, "sockscope: listening on %s, upstream %s\n", listen, src.Upstream())
	select {
	case <-ctx.Done():
	case err := <-a.failed:
		fmt.Fprintln(os.Stderr, "sockscope: stopping:", err)
	}
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
