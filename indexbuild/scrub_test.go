package indexbuild

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"sockscope/capture"
	"sockscope/internal/sessiongen"
	"sockscope/protocol"
	"sockscope/store"
)

// The search over payloads finds a text that only the start of a file
// holds, long past what the build's bounded store keeps, and can be
// cancelled.
func TestPayloadSearchPastTheStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.jsonl")
	if err := sessiongen.Write(path, sessiongen.Config{Size: 3 << 20, Seed: 7, Needle: "early-needle", NeedleAt: 20 << 10}); err != nil {
		t.Fatal(err)
	}
	st := decodeWith(t, path, capture.Config{Framing: protocol.FramingLines, Lossless: true, MaxBytes: 256 << 10})
	if first, _ := st.RowBounds(); first < 100 {
		t.Fatalf("the bounded store kept from row %d: the test shows nothing", first)
	}
	v := openBuilt(t, path, false)
	if err := v.Build.Wait(); err != nil {
		t.Fatal(err)
	}
	s := v.Search(context.Background(), "early-needle")
	if err := s.Wait(); err != nil {
		t.Fatal(err)
	}
	if s.Hits() != 1 {
		t.Fatalf("%d rows hold the needle, want 1", s.Hits())
	}
	seq, ok := s.Next(0, false)
	if first, _ := st.RowBounds(); !ok || seq >= first {
		t.Fatalf("hit at row %d (%v): the store kept rows from %d", seq, ok, first)
	}
	m, _ := v.Message(mustRow(t, v, seq).Req)
	if !bytes.Contains(m.Frame.Data, []byte("early-needle")) {
		t.Fatalf("row %d's request is %q", seq, m.Frame.Data)
	}
	rows, of, over, _ := s.Progress()
	if !over || rows != of {
		t.Errorf("progress %d of %d, over %v", rows, of, over)
	}
	// A cancelled search says so.
	c := v.Search(context.Background(), "not-in-the-file")
	c.Cancel()
	if err := c.Wait(); err != context.Canceled {
		t.Errorf("a cancelled search ended with %v", err)
	}
}

func mustRow(t *testing.T, v *Shown, seq uint64) store.Row {
	t.Helper()
	r, ok := v.Row(seq)
	if !ok {
		t.Fatalf("no row %d", seq)
	}
	return r
}

// The scrubber jumps to a time, to the next and previous error and slow
// exchange, and the timeline covers the whole file.
func TestScrubberJumps(t *testing.T) {
	path := twoSegments(t)
	v := openBuilt(t, path, false)
	if err := v.Build.Wait(); err != nil {
		t.Fatal(err)
	}
	_, next := v.RowBounds()
	mid := mustRow(t, v, next/2)
	if seq := v.RowAt(mid.ReqAt); mustRow(t, v, seq).ReqAt != mid.ReqAt || (seq > 1 && !mustRow(t, v, seq-1).ReqAt.Before(mid.ReqAt)) {
		t.Errorf("RowAt(%v) = %d, row %d begins then", mid.ReqAt, seq, mid.Seq)
	}
	if seq := v.RowAt(time.Time{}); seq != 1 {
		t.Errorf("RowAt(zero) = %d", seq)
	}
	var errs, slows int
	for seq, ok := v.NextError(0, false); ok; seq, ok = v.NextError(seq, false) {
		r := mustRow(t, v, seq)
		if store.ConnError(store.Counted(r.Status, r.Gap)) == 0 {
			t.Fatalf("row %d (%v) is no error", seq, r.Status)
		}
		errs++
	}
	want := int64(0)
	for _, c := range v.Conns() {
		want += c.Errors
	}
	if int64(errs) != want || errs == 0 {
		t.Errorf("next error visited %d rows, the connections count %d errors", errs, want)
	}
	slow := v.SlowLatency()
	for seq, ok := v.NextSlow(next, true); ok; seq, ok = v.NextSlow(seq, true) {
		if r := mustRow(t, v, seq); r.Latency < slow {
			t.Fatalf("row %d took %v, not slow (%v)", seq, r.Latency, slow)
		}
		slows++
	}
	if slows == 0 {
		t.Error("no slow exchange found backwards")
	}
	start, width, b := v.Timeline()
	var frames int64
	for _, x := range b {
		frames += x.Frames
	}
	if frames != int64(v.Totals().Messages) || width <= 0 || start.IsZero() {
		t.Errorf("timeline from %v by %v: %d frames, the file %d", start, width, frames, v.Totals().Messages)
	}
}
