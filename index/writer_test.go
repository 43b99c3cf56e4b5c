package index

import (
	"path/filepath"
	"testing"
	"time"

	"sockscope/protocol"
	"sockscope/store"
)

// A row written again as it ends comes from the observer's store, whose
// times are its epoch and the monotonic clock since, some nanoseconds off
// the wall clock the session file has: the index keeps the times its
// frames were recorded at (the request's as its row was first written),
// and the latency between them, as export, which decodes the file, has
// them. (show's E wrote HAR times tens of nanoseconds off export's.)
func TestRowEndedKeepsTheRecordedTimes(t *testing.T) {
	w, err := Create(filepath.Join(t.TempDir(), "s.jsonl.idx"), []byte("head"))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 6, 7, 0, 0, 123456789, time.UTC)
	sent, got := t0, t0.Add(1500*time.Microsecond+17)
	req := protocol.Message{Seq: 1, Conn: 1, Dir: protocol.C2S, At: sent, Info: protocol.Info{Kind: protocol.KindRequest}}
	resp := protocol.Message{Seq: 2, Conn: 1, Dir: protocol.S2C, At: got, Info: protocol.Info{Kind: protocol.KindResponse}}
	w.Frame(&req, 0, 10)
	r := store.Row{Seq: 1, Conn: 1, Dir: protocol.C2S, Kind: protocol.KindRequest, Method: "add", ID: "1",
		Status: protocol.StatusPending, Req: 1, ReqAt: sent, ReqSize: 10}
	w.Row(&r)
	w.Frame(&resp, 10, 10)
	// As the store gives it back: each time 20-odd ns off, the latency
	// the monotonic clock's.
	r.Status, r.Resp, r.RespSize = protocol.StatusOK, 2, 10
	r.ReqAt, r.RespAt, r.Latency = sent.Add(-21), got.Add(-24), got.Sub(sent)+9
	w.Row(&r)
	back, _, ok := w.Index().row(1)
	switch {
	case !ok:
		t.Fatal("row 1 is not in the index")
	case !back.ReqAt.Equal(sent) || !back.RespAt.Equal(got) || back.Latency != got.Sub(sent):
		t.Errorf("row 1: sent %s, answered %s, latency %v; want %s, %s, %v (the frames')",
			back.ReqAt.Format(time.RFC3339Nano), back.RespAt.Format(time.RFC3339Nano), back.Latency,
			sent.Format(time.RFC3339Nano), got.Format(time.RFC3339Nano), got.Sub(sent))
	case back.Status != protocol.StatusOK || back.Resp != 2:
		t.Errorf("row 1: status %v, response %d; want ok, 2", back.Status, back.Resp)
	}
}
