//go:build unix

package feed

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"sockscope/capture"
	"sockscope/observe"
	"sockscope/protocol"
	"sockscope/session"
)

// Attached viewers are told what the instance warns of: one attached
// before the warning when it comes, one attaching after it at once, and
// both when it is gone.
func TestViewersToldTheWarning(t *testing.T) {
	dir, err := os.MkdirTemp("", "fw")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var (
		mu   sync.Mutex
		text string
	)
	warn := func(s string) {
		mu.Lock()
		text = s
		mu.Unlock()
	}
	srv, err := Listen(Config{Path: filepath.Join(dir, "feed.sock"), Header: session.Header{Framing: "lines"},
		Warning: func() string {
			mu.Lock()
			defer mu.Unlock()
			return text
		}})
	if err != nil {
		t.Fatal(err)
	}
	e, err := capture.New(capture.Config{Framing: protocol.FramingLines, Sinks: []observe.Sink{srv.Sink()}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Serve(ctx, e.Store, e)
	defer srv.Close()

	attach := func() *Remote {
		t.Helper()
		r, err := Dial(srv.Path())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		if _, err := r.Attach(); err != nil {
			t.Fatal(err)
		}
		v, err := capture.New(capture.Config{Framing: protocol.FramingLines})
		if err != nil {
			t.Fatal(err)
		}
		v.Start(ctx, r)
		return r
	}
	wantWarning := func(what string, r *Remote, want string) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); r.Warning() != want; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the viewer's warning is %q, not %q", what, r.Warning(), want)
			}
		}
	}

	before := attach()
	const w = "new clients bypass sockscope"
	warn(w)
	wantWarning("attached before", before, w)
	after := attach()
	wantWarning("attached after", after, w)
	warn("")
	wantWarning("attached before, gone", before, "")
	wantWarning("attached after, gone", after, "")
}
