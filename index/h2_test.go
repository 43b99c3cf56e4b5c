package index

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2/hpack"

	"sockscope/protocol"
	"sockscope/session"
)

// h2Recording records a session of one HTTP/2 connection of n requests
// and their responses at path, with its index, as a live run does: each
// direction cut by an observer's framer, which decodes the header blocks
// (their encoders index every field: the later blocks are the dynamic
// table's), with a snapshot of each direction's table every every blocks
// (0: h2SnapEvery). It returns the fields the framer decoded, by seq.
func h2Recording(t *testing.T, path string, n, every int) map[uint64][]byte {
	t.Helper()
	at := time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC)
	rec, err := session.Create(path, session.Header{Started: at, Upstream: "unix:/up.sock", Listen: "/front.sock", Framing: "http2"})
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Flush(); err != nil {
		t.Fatal(err)
	}
	head, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := Create(PathOf(path), head)
	if err != nil {
		t.Fatal(err)
	}
	w.h2Every = every
	fields := map[uint64][]byte{}
	var seq uint64
	framers := protocol.NewFramerPair(protocol.FramingHTTP2, 0, protocol.DefaultIDFields...)
	send := func(dir protocol.Dir, b []byte) {
		framers[dir].Feed(b, func(fr *protocol.Frame) {
			seq++
			at = at.Add(time.Millisecond)
			m := protocol.Message{Seq: seq, Conn: 1, Dir: dir, At: at, Framing: protocol.FramingHTTP2,
				Frame: protocol.Frame{Data: bytes.Clone(fr.Data), Size: fr.Size, Wire: fr.Wire, Fields: bytes.Clone(fr.Fields)}}
			if fr.Whole != nil {
				m.Info = *fr.Whole
			} else {
				m.Info = protocol.ClassifyAs(protocol.FramingHTTP2, fr.Data, dir, nil)
			}
			if fr.Fields != nil {
				fields[seq] = m.Frame.Fields
			}
			off := rec.Offset()
			rec.Frame(1, dir, at, m.Frame, protocol.FramingHTTP2, session.Marks{})
			w.Frame(&m, off, int(rec.Offset()-off))
		})
	}
	frame := func(typ, flags byte, stream uint32, payload []byte) []byte {
		b := []byte{byte(len(payload) >> 16), byte(len(payload) >> 8), byte(len(payload)), typ, flags, 0, 0, 0, 0}
		binary.BigEndian.PutUint32(b[5:], stream)
		return append(b, payload...)
	}
	var cb, sb bytes.Buffer
	ce, se := hpack.NewEncoder(&cb), hpack.NewEncoder(&sb)
	send(protocol.C2S, append([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), frame(0x4, 0, 0, nil)...))
	send(protocol.S2C, frame(0x4, 0, 0, nil))
	for i := range n {
		cb.Reset()
		kv := []string{":method", "GET", ":scheme", "http", ":authority", "x", ":path", "/item/" + strconv.Itoa(i), "x-kind", strconv.Itoa(i % 13)}
		for j := 0; j < len(kv); j += 2 {
			ce.WriteField(hpack.HeaderField{Name: kv[j], Value: kv[j+1]})
		}
		send(protocol.C2S, frame(0x1, 0x5, uint32(2*i+1), cb.Bytes()))
		sb.Reset()
		se.WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
		se.WriteField(hpack.HeaderField{Name: "x-n", Value: strconv.Itoa(i % 50)})
		send(protocol.S2C, frame(0x1, 0x4, uint32(2*i+1), sb.Bytes()))
	}
	if err := rec.End(at, 0, 0); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	w.SetFile(fi)
	if err := w.Close(fi.Size(), true); err != nil {
		t.Fatal(err)
	}
	return fields
}

// decoded is a Decoding that is over.
type decoded struct{ st *Stats }

func (d decoded) Stats() *Stats                          { return d.st }
func (decoded) Gen() uint64                              { return 1 }
func (decoded) Progress() (done, total int64, over bool) { return 1, 1, true }
func (decoded) Err() error                               { return nil }
func (decoded) Following() bool                          { return false }

func openH2(t *testing.T, path string) *View {
	t.Helper()
	x, err := OpenFile(PathOf(path))
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewView(path, x, decoded{NewStats()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// A header block far from its direction's start is decoded a step at a
// time: each read of it goes on from where the last stopped, and says how
// far it still is; paging back from it decodes each block once; the
// fields are the live framer's.
func TestH2BlocksDecodedInSteps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h2.jsonl")
	live := h2Recording(t, path, 1000, 0)
	v := openH2(t, path)
	v.h2.step = 300
	_, next := v.MessageBounds()
	var last uint64 // the last request
	for seq := next - 1; last == 0; seq-- {
		if m, _ := v.x.msg(seq); m.dir == protocol.C2S {
			last = seq
		}
	}
	for i, want := range []string{"not yet: 700 ", "not yet: 400 ", "not yet: 100 ", ""} {
		m, _ := v.Message(last)
		b, _ := protocol.ParseH2Block(m.Frame.Fields)
		if want == "" && b.Err != "" || want != "" && !strings.HasPrefix(b.Err, "not decoded: "+want) {
			t.Fatalf("read %d: %q, want %q", i, b.Err, want)
		}
	}
	if m, _ := v.Message(last); !bytes.Equal(m.Frame.Fields, live[last]) || string(m.Info.Method) != "GET /item/999" {
		t.Fatalf("the last request: %q %q", m.Info.Method, m.Frame.Fields)
	}
	if v.h2.decodes != 1000 {
		t.Errorf("%d blocks decoded to reach the 1000th", v.h2.decodes)
	}
	// Back to the start, then the server's blocks: each decoded once.
	before := v.h2.decodes
	for seq := last; seq > 0; seq-- {
		m, _ := v.Message(seq)
		for strings.HasPrefix(string(m.Frame.Fields), "nnot decoded: not yet: ") {
			m, _ = v.Message(seq)
		}
		if f, ok := live[seq]; ok && !bytes.Equal(m.Frame.Fields, f) {
			t.Fatalf("message %d: %q, live %q", seq, m.Frame.Fields, f)
		}
	}
	if d := v.h2.decodes - before; d > 1000 {
		t.Errorf("paging back and through the server's blocks decoded %d, want at most 1000 (the server's)", d)
	}
}

// The index keeps a snapshot of HPACK's table every so many header blocks
// of a direction: a block far into a long connection is decoded on its
// first read, from the snapshot before it, to the live framer's fields,
// and a block before the one read last too.
func TestH2BlocksFromSnapshots(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h2.jsonl")
	live := h2Recording(t, path, 3000, 500)
	v := openH2(t, path)
	v.h2.step = 600
	if v.x.h.snaps < 10 {
		t.Fatalf("%d snapshot records", v.x.h.snaps)
	}
	_, next := v.MessageBounds()
	var reqs []uint64
	for seq := uint64(1); seq < next; seq++ {
		if m, _ := v.x.msg(seq); m.dir == protocol.C2S && m.flags&mH2Block != 0 {
			reqs = append(reqs, seq)
		}
	}
	for _, i := range []int{2999, 1234, 499, 500, 501, 2000} {
		before := v.h2.decodes
		m, _ := v.Message(reqs[i])
		if !bytes.Equal(m.Frame.Fields, live[reqs[i]]) || string(m.Info.Method) != "GET /item/"+strconv.Itoa(i) {
			t.Fatalf("request %d on its first read: %q %q", i, m.Info.Method, m.Frame.Fields)
		}
		if d := v.h2.decodes - before; d > 500 {
			t.Errorf("request %d: %d blocks decoded to show it, want at most 500", i, d)
		}
	}
}
