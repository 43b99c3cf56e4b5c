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

// An HTTP server's early answer (a 413 read after the request began and
// before its body was all in) pairs with its request, timed from the
// request's start, for a viewer attached before (the records sent live)
// and after (the history): the store keeps when such a frame began. The
// history said nothing of it, and the one attached after paired the 413
// otherwise.
func TestViewerGetsBegan(t *testing.T) {
	e, ctx, dir, attachFeed := testFeedFraming(t, Config{}, protocol.FramingAuto)
	file := filepath.Join(dir, "s.jsonl")
	l, err := sessiongen.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	t0 := l.At
	l.R.Open(1, t0, "@", "/front.sock", "unix:/up.sock", 42, 0, "curl", false)
	resp := "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n"
	req := "PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
	l.R.Frame(1, protocol.S2C, t0.Add(2*time.Millisecond), protocol.Frame{Data: []byte(resp), Size: len(resp), Wire: len(resp)}, protocol.FramingHTTP, session.Marks{})
	l.R.Frame(1, protocol.C2S, t0.Add(3*time.Millisecond), protocol.Frame{Data: []byte(req), Size: len(req), Wire: len(req)}, protocol.FramingHTTP,
		session.Marks{Began: t0.Add(time.Millisecond)})
	if err := l.End(); err != nil {
		t.Fatal(err)
	}
	rows := func(what string, v *capture.Engine) []string {
		t.Helper()
		var out []string
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			out = out[:0]
			v.Store.Rows(0, func(r store.Row) bool {
				out = append(out, r.Method+" "+r.Status.String()+" "+r.Latency.String())
				return true
			})
			if len(out) > 0 && v.Store.Totals().Messages == 2 {
				return out
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: rows %q", what, out)
			}
		}
	}
	before, after := viewersAround(t, e, ctx, file, attachFeed)
	want := []string{"PUT /up error 1ms"}
	for what, v := range map[string]*capture.Engine{"attached before": before, "attached after": after} {
		if got := rows(what, v); len(got) != 1 || got[0] != want[0] {
			t.Errorf("%s: rows %q, want %q", what, got, want)
		}
	}
}
