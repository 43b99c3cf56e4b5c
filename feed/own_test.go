//go:build unix

package feed

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"sockscope/capture"
	"sockscope/internal/sessiongen"
	"sockscope/observe"
	"sockscope/protocol"
	"sockscope/session"
	"sockscope/store"
)

// ownRecording writes a session file holding a client's connection and
// one sockscope opened itself.
func ownRecording(t *testing.T, path string) {
	t.Helper()
	l, err := sessiongen.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	l.R.Open(1, l.At, "@", "/front.sock", "unix:/up.sock", 42, 0, "client", false)
	l.Line(1, protocol.C2S, `{"jsonrpc":"2.0","id":1,"method":"m"}`, session.Marks{})
	l.Line(1, protocol.S2C, `{"jsonrpc":"2.0","id":1,"result":1}`, session.Marks{})
	l.R.Open(2, l.At, "sockscope#1", "/front.sock", "unix:/up.sock", -1, -1, "", true)
	l.Line(2, protocol.C2S, `{"jsonrpc":"2.0","id":2,"method":"m"}`, session.Marks{Injected: true})
	l.Line(2, protocol.S2C, `{"jsonrpc":"2.0","id":2,"result":2}`, session.Marks{})
	if err := l.End(); err != nil {
		t.Fatal(err)
	}
}

// An attached viewer learns which connection is sockscope's own, from the
// records sent live (the sink) and from the history of one attaching
// later (the store).
func TestViewerSeesOwnConnection(t *testing.T) {
	dir, err := os.MkdirTemp("", "fo")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	file := filepath.Join(dir, "s.jsonl")
	ownRecording(t, file)

	srv, err := Listen(Config{Path: filepath.Join(dir, "feed.sock"), Header: session.Header{Framing: "lines"}})
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

	attach := func() *capture.Engine {
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
		return v
	}
	check := func(what string, v *capture.Engine) {
		t.Helper()
		var got []store.Conn
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if got = v.Store.Conns(); len(got) == 2 && got[1].Messages == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the viewer has %+v", what, got)
			}
		}
		if got[0].Own || !got[1].Own || got[1].Client != "sockscope#1" {
			t.Errorf("%s: the viewer's connections %+v", what, got)
		}
	}

	live := attach()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e.Start(ctx, capture.NewFile(f))
	if err := e.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	check("attached before", live)
	check("attached after", attach())
}
