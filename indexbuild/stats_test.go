package indexbuild

import (
	"reflect"
	"testing"

	"sockscope/store"
)

// sameStats checks that the statistics v counts from its index are those
// the store counts decoding the whole file: totals, every connection, every
// method over all connections and per connection.
func sameStats(t *testing.T, v *Shown, st *store.Store) {
	t.Helper()
	got, want := v.Totals(), st.Totals()
	if got.Messages != want.Messages || got.Rows != want.Rows || got.Bytes != want.Bytes ||
		got.Conns != want.Conns || got.OpenConns != want.OpenConns || got.Latency != want.Latency {
		t.Errorf("totals:\n index %+v\n store %+v", got, want)
	}
	gc, wc := v.Conns(), st.Conns()
	if len(gc) != len(wc) {
		t.Fatalf("%d connections, the store %d", len(gc), len(wc))
	}
	for i := range wc {
		g, w := gc[i], wc[i]
		w.Opened, w.Closed = w.Opened.UTC(), w.Closed.UTC()
		w.Err = "" // the index keeps the state, not the reason
		if !reflect.DeepEqual(g, w) {
			t.Errorf("connection %d:\n index %+v\n store %+v", w.ID, g, w)
		}
		if !reflect.DeepEqual(v.Methods(w.ID), st.Methods(w.ID)) {
			t.Errorf("connection %d's methods:\n index %+v\n store %+v", w.ID, v.Methods(w.ID), st.Methods(w.ID))
		}
	}
	gm, wm := v.Methods(0), st.Methods(0)
	if !reflect.DeepEqual(gm, wm) {
		t.Errorf("methods:\n index %+v\n store %+v", gm, wm)
	}
	if len(wm) < 3 || want.Latency.Count == 0 {
		t.Errorf("the file has %d methods, %d latencies: the test shows little", len(wm), want.Latency.Count)
	}
	if g, w := len(v.RecentLatencies(nil)), len(st.RecentLatencies(nil)); g != w {
		t.Errorf("%d recent latencies, the store %d", g, w)
	}
}

// The statistics counted while the index is built, and those counted from
// the index once it is kept (nothing decoded), are the store's.
func TestStatsMatchStore(t *testing.T) {
	path := twoSegments(t)
	st := decodeStore(t, path)
	v := openBuilt(t, path, false)
	if err := v.Build.Wait(); err != nil {
		t.Fatal(err)
	}
	sameStats(t, v, st)
	v.Close()
	v = openBuilt(t, path, false)
	if v.Built {
		t.Fatal("a fresh index was built again")
	}
	if err := v.Build.Wait(); err != nil {
		t.Fatal(err)
	}
	sameStats(t, v, st)
}

// A request pending so long that the build's bounded store evicted its row
// still ends in the index: answered, or given up, as decoding the whole
// file into a store that keeps everything says.
func TestPairingPastTheStoreBound(t *testing.T) {
	path := twoSegments(t)
	st := decodeStore(t, path)
	pairBytes = 64 << 10
	t.Cleanup(func() { pairBytes = StatsBytes })
	v := openBuilt(t, path, false)
	if err := v.Build.Wait(); err != nil {
		t.Fatal(err)
	}
	sameAs(t, v, st)
	sameStats(t, v, st)
}
