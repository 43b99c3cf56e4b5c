//go:build unix

package feed

import (
	"path/filepath"
	"testing"
	"time"

	"sockscope/capture"
	"sockscope/internal/sessiongen"
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
	e, ctx, dir, attachFeed := testFeed(t, Config{})
	file := filepath.Join(dir, "s.jsonl")
	ownRecording(t, file)
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

	before, after := viewersAround(t, e, ctx, file, attachFeed)
	check("attached before", before)
	check("attached after", after)
}
