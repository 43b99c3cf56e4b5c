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
)

// A truncated frame reaches a viewer as what the decoder found it to be
// from all of its bytes (the frame record's whole), marks the bytes kept
// do not say included (continues, by order): from the records sent live
// (the sink) and from the history of one attaching later (the store).
func TestViewerGetsTruncatedWhole(t *testing.T) {
	e, ctx, dir, attachFeed := testFeed(t, Config{})
	file := filepath.Join(dir, "s.jsonl")
	l, err := sessiongen.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	l.R.Open(1, l.At, "@", "/front.sock", "unix:/up.sock", 42, 0, "client", false)
	kept := `{"command":["loadfile","` // the first bytes of a 1 MiB frame
	wholes := []protocol.Info{{Kind: protocol.KindRequest, Method: []byte("loadfile"), ByOrder: true},
		{Kind: protocol.KindResponse, ID: []byte("1"), Continues: true}}
	for i, w := range wholes {
		l.R.Frame(1, protocol.Dir(i), l.At, protocol.Frame{Data: []byte(kept), Size: 1 << 20, Wire: 1<<20 + 1, Truncated: true, Whole: &w},
			protocol.FramingLines, session.Marks{})
	}
	if err := l.End(); err != nil {
		t.Fatal(err)
	}
	check := func(what string, v *capture.Engine) {
		t.Helper()
		var ms []protocol.Message
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			ms = ms[:0]
			v.Store.Messages(0, func(m *protocol.Message) bool { ms = append(ms, *m); return true })
			if len(ms) == len(wholes) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the viewer has %d messages, want %d", what, len(ms), len(wholes))
			}
		}
		for i, m := range ms {
			w := wholes[i]
			if !m.Frame.Truncated || m.Info.Kind != w.Kind || m.Info.ByOrder != w.ByOrder || m.Info.Continues != w.Continues {
				t.Errorf("%s: message %d truncated %v kind %v by order %v continues %v; want %v %v %v", what, i,
					m.Frame.Truncated, m.Info.Kind, m.Info.ByOrder, m.Info.Continues, w.Kind, w.ByOrder, w.Continues)
			}
		}
	}

	before, after := viewersAround(t, e, ctx, file, attachFeed)
	check("attached before", before)
	check("attached after", after)
}
