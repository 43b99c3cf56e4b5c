//go:build unix

package feed

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"sockscope/capture"
	"sockscope/observe"
	"sockscope/protocol"
	"sockscope/session"
)

// testFeed publishes, in a directory of its own, the feed cfg describes
// (its Path and Header set here) of a lines engine, serving until the test
// ends. It returns the engine, its context, the directory, and attach,
// which attaches a viewer decoding into an engine of its own.
func testFeed(t *testing.T, cfg Config) (e *capture.Engine, ctx context.Context, dir string, attach func() (*Remote, *capture.Engine)) {
	t.Helper()
	return testFeedFraming(t, cfg, protocol.FramingLines)
}

// testFeedFraming is testFeed with the engines framing as framing says.
func testFeedFraming(t *testing.T, cfg Config, framing protocol.Framing) (e *capture.Engine, ctx context.Context, dir string, attach func() (*Remote, *capture.Engine)) {
	t.Helper()
	dir, err := os.MkdirTemp("", "feed") // short: a socket's path is bounded
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cfg.Path, cfg.Header = filepath.Join(dir, "feed.sock"), session.Header{Framing: framing.String()}
	srv, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if e, err = capture.New(capture.Config{Framing: framing, Sinks: []observe.Sink{srv.Sink()}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go srv.Serve(ctx, e.Store, e)
	t.Cleanup(func() { srv.Close() })
	attach = func() (*Remote, *capture.Engine) {
		t.Helper()
		r, err := Dial(srv.Path())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		if _, err := r.Attach(); err != nil {
			t.Fatal(err)
		}
		v, err := capture.New(capture.Config{Framing: framing})
		if err != nil {
			t.Fatal(err)
		}
		v.Start(ctx, r)
		return r, v
	}
	return e, ctx, dir, attach
}

// viewersAround plays the session file through e, the feed's engine, with
// a viewer attached before it (that gets the records live) and returns it
// and one attached after it has played (that gets the history).
func viewersAround(t *testing.T, e *capture.Engine, ctx context.Context, file string, attach func() (*Remote, *capture.Engine)) (before, after *capture.Engine) {
	t.Helper()
	_, before = attach()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e.Start(ctx, capture.NewFile(f))
	if err := e.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	_, after = attach()
	return before, after
}
