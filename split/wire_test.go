//go:build unix

package split

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"sockscope/event"
	"sockscope/protocol"
)

// Every field of an event the observer reads comes out of the stream as it
// went in, and the relay's drops with it.
func TestWireRoundTrip(t *testing.T) {
	at := time.Unix(1700000000, 123456789)
	big := bytes.Repeat([]byte("y"), chunkSize) // in memory of its own
	want := []event.Event{
		{Type: event.Open, Conn: 7, At: at, Peer: &event.Peer{Client: "@", Listen: "/l", Upstream: "/u", PID: 42, UID: -1, Own: true}},
		{Type: event.Data, Conn: 7, Dir: protocol.C2S, At: at.Add(time.Microsecond), Data: []byte(`{"id":1}` + "\n"), Gap: 99},
		{Type: event.Data, Conn: 7, Dir: protocol.S2C, At: at, Data: []byte("x"), Whole: true, Injected: true, Withheld: true,
			Note: &protocol.Note{Act: protocol.ActEdited, Rule: "r1", Held: time.Second, Diff: "-a\n+b \xff"}},
		{Type: event.Data, Conn: 7, Dir: protocol.S2C, At: at, Data: big},
		{Type: event.Data, Conn: 7, Dir: protocol.C2S, At: at, Gap: 5}, // a gap alone
		{Type: event.Close, Conn: 7, At: at, TailGaps: [2]int64{3, 4}, Err: errors.New("connection reset")},
		{Type: event.Close, Conn: 8, At: at, Err: event.ErrStopped},
		{Type: event.Close, Conn: 9, At: at},
	}
	var buf bytes.Buffer
	w := newWriter(&buf)
	w.drops(11, 2222)
	for i := range want {
		w.event(&want[i])
	}
	if err := w.flush(true); err != nil {
		t.Fatal(err)
	}
	r := newReader(&buf)
	var kept []event.Event
	for i := range want {
		var ev event.Event
		if err := r.next(&ev); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		got, exp := ev, want[i]
		got.Buf = nil
		if len(got.Data) == 0 && len(exp.Data) == 0 {
			got.Data, exp.Data = nil, nil
		}
		if got.Err != nil && exp.Err != nil && got.Err.Error() == exp.Err.Error() {
			got.Err, exp.Err = nil, nil
		}
		if !got.At.Equal(exp.At) {
			t.Errorf("event %d at %v, want %v", i, got.At, exp.At)
		}
		got.At, exp.At = time.Time{}, time.Time{}
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("event %d:\n got %+v\nwant %+v", i, got, exp)
		}
		kept = append(kept, ev)
	}
	if want[6].Err != event.ErrStopped || !errors.Is(kept[6].Err, event.ErrStopped) {
		t.Errorf("a close sockscope made as it stopped: %v", kept[6].Err)
	}
	if e, b := r.dropEvents.Load(), r.dropBytes.Load(); e != 11 || b != 2222 {
		t.Errorf("drops %d events %d bytes, want 11 and 2222", e, b)
	}
	var ev event.Event
	if err := r.next(&ev); err != io.EOF {
		t.Errorf("at the end: %v, want io.EOF", err)
	}
}

// A stream cut inside a record, or of a type no writer writes, is broken,
// not ended.
func TestWireBroken(t *testing.T) {
	var buf bytes.Buffer
	w := newWriter(&buf)
	w.event(&event.Event{Type: event.Data, Conn: 1, Data: []byte("hello")})
	w.flush(true)
	b := buf.Bytes()
	var ev event.Event
	if err := newReader(bytes.NewReader(b[:len(b)-2])).next(&ev); err != io.ErrUnexpectedEOF {
		t.Errorf("cut short: %v, want io.ErrUnexpectedEOF", err)
	}
	b[0] = 77
	if err := newReader(bytes.NewReader(b)).next(&ev); err == nil || !strings.Contains(err.Error(), "type 77") {
		t.Errorf("unknown type: %v", err)
	}
}

// Events cut from one chunk keep their bytes while any of them is held: a
// chunk is reused only once the reader and every event let it go.
func TestWireChunksReusedOnlyWhenReleased(t *testing.T) {
	var buf bytes.Buffer
	w := newWriter(&buf)
	const n = 3 * chunkSize / 1000 // three chunks' worth of 1000-byte events
	for i := range n {
		w.event(&event.Event{Type: event.Data, Conn: 1, Data: bytes.Repeat([]byte{byte(i)}, 1000)})
	}
	w.flush(true)
	r := newReader(&buf)
	var held []event.Event
	var wantByte []byte
	for i := range n {
		var ev event.Event
		if err := r.next(&ev); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			ev.Release() // half let go at once
		} else {
			held, wantByte = append(held, ev), append(wantByte, byte(i))
		}
	}
	r.close()
	for i, ev := range held {
		if !bytes.Equal(ev.Data, bytes.Repeat(wantByte[i:i+1], 1000)) {
			t.Fatalf("a held event's bytes changed")
		}
		ev.Release()
	}
}

// A flush that does not wait writes what a full ring has room for, the
// rest of the record it was writing, and the records after it but the data
// records, which it drops: counted, and carried as gaps (here on each
// connection's close). The stream read at the other end is whole: every
// kind of record, with its optional parts (a data record's note, a close's
// error), is cut at its end.
func TestWireBacklog(t *testing.T) {
	rw, rr := testRing(t)
	w := &writer{out: rw}
	var sent []event.Event
	var total uint64
	dataOf := map[uint64][]byte{}
	for i := range 64 { // 2 MiB in small and large pieces: more than the ring holds
		data := bytes.Repeat([]byte{byte('a' + i%26)}, 1+i*1000)
		total += uint64(len(data))
		dataOf[uint64(i)] = data
		d := event.Event{Type: event.Data, Conn: uint64(i), Dir: protocol.Dir(i % 2), Data: data}
		c := event.Event{Type: event.Close, Conn: uint64(i)}
		if i%2 == 1 {
			d.Note = &protocol.Note{Act: protocol.ActEdited, Diff: "-a\n+b"}
			c.Err = errors.New("connection reset")
		}
		sent = append(sent, event.Event{Type: event.Open, Conn: uint64(i), Peer: &event.Peer{PID: i}}, d, c)
	}
	for i := range sent {
		w.event(&sent[i])
	}
	if err := w.flush(false); err != nil {
		t.Fatal(err)
	}
	if !w.behind() {
		t.Fatal("the ring took 2 MiB at once: nothing to keep")
	}
	kept := len(w.backlog)
	if kept > 64*1000+64*256 { // the largest record, and the opens and closes
		t.Errorf("%d bytes kept: more than a record, the opens and the closes", kept)
	}
	got := make(chan []event.Event)
	go func() {
		r := newReader(rr)
		var evs []event.Event
		for {
			var ev event.Event
			if r.next(&ev) != nil {
				break
			}
			evs = append(evs, ev)
		}
		got <- evs
	}()
	for w.behind() {
		if err := w.flush(false); err != nil {
			t.Fatal(err)
		}
	}
	rw.close()
	evs := <-got
	var read uint64
	data := map[uint64]bool{}
	opens, closes := 0, 0
	for _, ev := range evs {
		switch ev.Type {
		case event.Open:
			if opens++; ev.Peer == nil || uint64(ev.Peer.PID) != ev.Conn {
				t.Errorf("conn %d's open: peer %+v", ev.Conn, ev.Peer)
			}
		case event.Data:
			want := dataOf[ev.Conn]
			if !bytes.Equal(ev.Data, want) || ev.Gap != 0 {
				t.Fatalf("conn %d: %d bytes, gap %d: want %d, no gap", ev.Conn, len(ev.Data), ev.Gap, len(want))
			}
			if (ev.Note != nil) != (ev.Conn%2 == 1) {
				t.Errorf("conn %d's data: note %+v", ev.Conn, ev.Note)
			}
			read += uint64(len(ev.Data))
			data[ev.Conn] = true
		case event.Close:
			closes++
			want := [2]int64{}
			if !data[ev.Conn] {
				want[ev.Conn%2] = int64(len(dataOf[ev.Conn]))
			}
			if ev.TailGaps != want {
				t.Errorf("conn %d's close: tail gaps %v, want %v", ev.Conn, ev.TailGaps, want)
			}
			if (ev.Err != nil) != (ev.Conn%2 == 1) {
				t.Errorf("conn %d's close: error %v", ev.Conn, ev.Err)
			}
		}
	}
	if closes != 64 || opens != 64 {
		t.Errorf("%d opens and %d closes read, want 64 of each", opens, closes)
	}
	if read+w.skip.bytes != total || uint64(len(data))+w.skip.events != 64 || w.skip.events == 0 {
		t.Errorf("read %d events (%d bytes), dropped %d (%d bytes): want 64 (%d bytes) in all, some dropped",
			len(data), read, w.skip.events, w.skip.bytes, total)
	}
}

// newWriter is a writer to out, one piece at a time.
func newWriter(out io.Writer) *writer { return &writer{out: eachPiece{out}} }

// eachPiece is an io.Writer as vectored: written one piece at a time,
// waiting for each.
type eachPiece struct{ io.Writer }

// writev implements vectored.
func (p eachPiece) writev(vec [][]byte, _ bool) (int64, error) {
	var n int64
	for _, b := range vec {
		m, err := p.Write(b)
		if n += int64(m); err != nil {
			return n, err
		}
	}
	return n, nil
}

// Times cross the stream as the relay's monotonic clock has them: read
// back, they keep their distances exactly and carry a monotonic reading of
// this process's (observe puts reads in order by it), and their wall time;
// a time with no monotonic reading keeps its wall time exactly.
func TestWireTimes(t *testing.T) {
	var buf bytes.Buffer
	w := newWriter(&buf)
	t1 := time.Now()
	t2 := t1.Add(5 * time.Millisecond)
	wall := time.Unix(1700000000, 123456789)
	for _, at := range []time.Time{t2, t1, wall} {
		w.event(&event.Event{Type: event.Data, Conn: 1, At: at, Data: []byte("x")})
	}
	if err := w.flush(true); err != nil {
		t.Fatal(err)
	}
	r := newReader(&buf)
	defer r.close()
	var got [3]event.Event
	for i := range got {
		if err := r.next(&got[i]); err != nil {
			t.Fatal(err)
		}
		got[i].Release()
	}
	for i, ev := range got[:2] {
		if ev.At == ev.At.Round(0) {
			t.Errorf("event %d: %v has no monotonic reading", i, ev.At)
		}
	}
	if d := got[0].At.Sub(got[1].At); d != 5*time.Millisecond {
		t.Errorf("times read back %v apart, written 5ms apart", d)
	}
	if d := got[1].At.Sub(t1); d.Abs() > time.Millisecond {
		t.Errorf("wall time read back %v off", d)
	}
	if !got[2].At.Equal(wall) {
		t.Errorf("a wall time read back as %v, want %v", got[2].At, wall)
	}
}
