package indexbuild

import (
	"bytes"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"sockscope/capture"
	"sockscope/export"
	"sockscope/index"
	"sockscope/protocol"
	"sockscope/session"
	"sockscope/store"
)

// gapsFile writes a session whose streams lost bytes to gaps: one that
// took a reply, two in a row before the same frame (joined), one between
// frames, and one at a connection's end.
func gapsFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gaps.jsonl")
	at := time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC)
	r, err := session.Create(path, session.Header{Started: at, Upstream: "unix:/up.sock", Listen: "/front.sock",
		Framing: "lines", IDFields: protocol.DefaultIDFields})
	if err != nil {
		t.Fatal(err)
	}
	frame := func(conn uint64, dir protocol.Dir, payload string) {
		at = at.Add(time.Millisecond)
		r.Frame(conn, dir, at, protocol.Frame{Data: []byte(payload), Size: len(payload), Wire: len(payload) + 1},
			protocol.FramingLines, session.Marks{})
	}
	call := func(conn uint64, id int) {
		frame(conn, protocol.C2S, `{"jsonrpc":"2.0","id":`+strconv.Itoa(id)+`,"method":"echo"}`)
		frame(conn, protocol.S2C, `{"jsonrpc":"2.0","id":`+strconv.Itoa(id)+`,"result":true}`)
	}
	r.Open(1, at, "@", "/front.sock", "unix:/up.sock", 42, 0, "client", false)
	r.Open(2, at, "@", "/front.sock", "unix:/up.sock", 43, 0, "other", false)
	call(1, 1)
	call(2, 1)
	r.Gap(1, protocol.S2C, at, 5000) // call 2's reply lost: a no-reply marked gap
	frame(1, protocol.C2S, `{"jsonrpc":"2.0","id":2,"method":"echo"}`)
	r.Gap(1, protocol.S2C, at, 700)
	r.Gap(1, protocol.S2C, at, 300)
	call(1, 3)
	call(2, 2)
	r.Gap(2, protocol.C2S, at, 64)
	call(2, 3)
	r.Close(1, at, "")
	r.Gap(2, protocol.S2C, at, 90)
	r.Close(2, at, "")
	if err := r.End(at, 4, 6154); err != nil {
		t.Fatal(err)
	}
	return path
}

// gapsOf returns what st's Gaps says.
func gapsOf(st interface{ Gaps(func(store.Gap) bool) }) []store.Gap {
	var gs []store.Gap
	st.Gaps(func(g store.Gap) bool {
		gs = append(gs, g)
		return true
	})
	return gs
}

// pcapngOf exports st as pcapng.
func pcapngOf(t *testing.T, st store.View) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := export.Write(&b, st, export.PCAPNG, export.Options{}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A recording's gaps survive into show: the index keeps them, whether
// built from the file, kept beside it and opened again, or written by the
// recording itself; and an export from the index (E in show) is the one
// from the store (sockscope export), the streams skipping them where they
// were.
func TestIndexKeepsGaps(t *testing.T) {
	path := gapsFile(t)
	st := decodeWith(t, path, capture.Config{Framing: protocol.FramingLines, IDFields: protocol.DefaultIDFields, Lossless: true})
	check := func(what string, v *Shown, st *store.Store) {
		t.Helper()
		if err := v.Build.Wait(); err != nil { // the connections are counted
			t.Fatal(err)
		}
		want := gapsOf(st)
		if len(want) != 4 || want[1].Bytes != 1000 {
			t.Fatalf("%s: the store kept %d gaps: %+v; the file does not test them", what, len(want), want)
		}
		wantPcap := pcapngOf(t, st)
		if got := gapsOf(v); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the index's gaps\n %+v\nthe store's\n %+v", what, got, want)
		}
		if got := pcapngOf(t, v); !bytes.Equal(got, wantPcap) {
			t.Errorf("%s: the pcapng exported from the index (%d bytes) differs from the store's (%d bytes)", what, len(got), len(wantPcap))
		}
	}

	v := openBuilt(t, path, false)
	if err := v.Build.Wait(); err != nil {
		t.Fatal(err)
	}
	check("built", v, st)
	v.Close()
	if v = openBuilt(t, path, false); v.Built {
		t.Fatal("the index kept beside the file was not fresh")
	}
	check("kept", v, st)
	v.Close()

	// An index of format version 6 holds no gaps: it is built again, not
	// read as one of a file without any.
	writeVersion(t, index.PathOf(path), 6, 168) // no count of gaps
	if v = openBuilt(t, path, false); !v.Built {
		t.Fatal("an index of version 6 was used")
	}
	check("built again over version 6", v, st)
	v.Close()

	// Recorded again by the engine, as a live run records: the index it
	// writes beside the recording holds the gaps too.
	out := recordAgain(t, path)
	if v = openBuilt(t, out, false); v.Built {
		t.Fatal("the recording's index was not fresh: it was built again")
	}
	check("recorded", v, decodeWith(t, out, capture.Config{Framing: protocol.FramingLines, IDFields: protocol.DefaultIDFields, Lossless: true}))
}
