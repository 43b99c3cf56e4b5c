package observe

import (
	"path/filepath"
	"testing"
	"time"

	"sockscope/protocol"
	"sockscope/session"
	"sockscope/store"
)

// A frame sockscope sent itself (proxy.Event.Injected) is stored and
// recorded as injected; the peers' frames around it are not.
func TestInjectedFrames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.jsonl")
	rec, err := session.Create(path, session.Header{Started: time.Now(), Framing: "auto"})
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(store.Config{})
	o := New(Config{Store: st, Recorder: rec})
	s := newScript().
		data(1, protocol.C2S, `{"id":1,"method":"a"}`+"\n").
		data(2, protocol.C2S, `{"id":2,"method":"b"}`+"\n").
		data(3, protocol.C2S, `{"id":3,"method":"c"}`+"\n")
	s.evs[2].Injected = true
	s.close(4, nil)
	for i := range s.evs {
		o.Handle(s.evs[i : i+1])
	}
	if err := rec.End(time.Now(), 0, 0); err != nil {
		t.Fatal(err)
	}
	var stored []bool
	st.Messages(0, func(m *protocol.Message) bool {
		stored = append(stored, m.Injected)
		return true
	})
	recs, err := session.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recorded []bool
	for _, r := range recs {
		if r.Type == session.TypeFrame {
			recorded = append(recorded, r.Injected)
		}
	}
	want := []bool{false, true, false}
	for name, got := range map[string][]bool{"stored": stored, "recorded": recorded} {
		if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Errorf("%s injected flags %v, want %v", name, got, want)
		}
	}
}
