//go:build unix

package split

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"testing"
	"time"

	"sockscope/event"
	"sockscope/protocol"
)

// pieces hands out b in reads of the sizes given, in turn.
type pieces struct {
	b     []byte
	sizes []int
	i     int
}

func (p *pieces) Read(q []byte) (int, error) {
	if len(p.b) == 0 {
		return 0, io.EOF
	}
	n := copy(q[:min(len(q), p.sizes[p.i%len(p.sizes)])], p.b)
	p.b, p.i = p.b[n:], p.i+1
	return n, nil
}

// differs says how got differs from want, or "".
func differs(got, want event.Event) string {
	got.Buf = nil
	if got.Err != nil && want.Err != nil && got.Err.Error() == want.Err.Error() {
		got.Err, want.Err = nil, nil
	}
	if !bytes.Equal(got.Data, want.Data) {
		i := 0
		for i < min(len(got.Data), len(want.Data)) && got.Data[i] == want.Data[i] {
			i++
		}
		return fmt.Sprintf("%d bytes, want %d: apart from byte %d", len(got.Data), len(want.Data), i)
	}
	got.Data, want.Data = nil, nil
	if !got.At.Equal(want.At) {
		return fmt.Sprintf("at %v, want %v", got.At, want.At)
	}
	got.At, want.At = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		return fmt.Sprintf("\n got %+v\nwant %+v", got, want)
	}
	return ""
}

// readerStream is events of every kind and size: two data records that
// fill the first chunk exactly, then small records over several chunks,
// records larger than half a chunk, metadata of every kind, some larger
// than half a chunk too.
func readerStream() ([]event.Event, []byte) {
	at := time.Unix(1700000000, 5)
	half := (chunkSize - 2*(headSize+12)) / 2
	evs := []event.Event{
		{Type: event.Data, Conn: 1, At: at, Data: bytes.Repeat([]byte("A"), half)},
		{Type: event.Data, Conn: 1, At: at, Data: bytes.Repeat([]byte("B"), half)},
		{Type: event.Open, Conn: 2, At: at, Peer: &event.Peer{Client: "@c", Listen: "/l", PID: 9, UID: 3}},
	}
	sizes := []int{0, 1, 7, 64, 100, 1000, 4093, 30000}
	for i := range 600 {
		ev := event.Event{Type: event.Data, Conn: uint64(i % 5), Dir: protocol.Dir(i % 2), At: at.Add(time.Duration(i)),
			Gap: int64(i), Whole: i%3 == 0, Data: bytes.Repeat([]byte{byte(i)}, sizes[i%len(sizes)])}
		if i%7 == 0 {
			ev.Note = &protocol.Note{Act: protocol.ActEdited, Rule: fmt.Sprint("r", i), Diff: "-a\n+b"}
		}
		evs = append(evs, ev)
		switch i {
		case 100:
			evs = append(evs, event.Event{Type: event.Data, Conn: 3, At: at, Data: bytes.Repeat([]byte("L"), chunkSize/2+1)})
		case 300:
			evs = append(evs, event.Event{Type: event.Data, Conn: 3, At: at, Data: bytes.Repeat([]byte("M"), chunkSize+3)})
		case 400:
			evs = append(evs, event.Event{Type: event.Close, Conn: 4, At: at, TailGaps: [2]int64{1, 2},
				Err: errors.New(string(bytes.Repeat([]byte("e"), chunkSize/2+5)))})
		case 500:
			evs = append(evs, event.Event{Type: event.Close, Conn: 4, At: at, Err: errors.New("reset")},
				event.Event{Type: event.Close, Conn: 5, At: at, Err: event.ErrStopped})
		}
	}
	var buf bytes.Buffer
	w := newWriter(&buf)
	for i := range evs {
		w.event(&evs[i])
	}
	w.drops(1, 2)
	w.flush(true)
	return evs, buf.Bytes()
}

// However the stream comes in pieces (a byte at a time, across records'
// and chunks' ends), every event comes out as it went in, the data of the
// first two cut from the first chunk up to its end, and every chunk goes
// back to the pool once the reader and the events let it go.
func TestReaderPieces(t *testing.T) {
	want, stream := readerStream()
	for _, sizes := range [][]int{{1}, {7}, {1, 7, 30, 4093, 2}, {64 << 10}, {len(stream)}} {
		t.Run(fmt.Sprint(sizes), func(t *testing.T) {
			out := chunksOut.Load()
			r := newReader(&pieces{b: stream, sizes: sizes})
			got := make([]event.Event, len(want))
			for i := range got {
				if err := r.next(&got[i]); err != nil {
					t.Fatalf("event %d: %v", i, err)
				}
			}
			var ev event.Event
			if err := r.next(&ev); err != io.EOF {
				t.Errorf("at the end: %v, want io.EOF", err)
			}
			if e, b := r.dropEvents.Load(), r.dropBytes.Load(); e != 1 || b != 2 {
				t.Errorf("drops %d, %d", e, b)
			}
			r.close()
			for i := range got { // all held till now: none overwritten
				if d := differs(got[i], want[i]); d != "" {
					t.Fatalf("event %d: %s", i, d)
				}
			}
			c, ok := got[0].Buf.(*chunk)
			if !ok || got[1].Buf != c || &got[1].Data[len(got[1].Data)-1] != &c.b[chunkSize-1] || &got[0].Data[0] != &c.b[headSize+12] {
				t.Errorf("the first two events are not cut from the first chunk where they were read")
			}
			if chunksOut.Load() == out {
				t.Fatal("no chunk taken")
			}
			for i := range got {
				got[i].Release()
			}
			if n := chunksOut.Load() - out; n != 0 {
				t.Errorf("%d chunks not given back", n)
			}
		})
	}
}

// A stream cut anywhere ends cleanly (io.EOF) only between records, and
// is broken (io.ErrUnexpectedEOF) inside one; the chunks go back either
// way.
func TestReaderCut(t *testing.T) {
	var buf bytes.Buffer
	w := newWriter(&buf)
	evs := []event.Event{
		{Type: event.Data, Conn: 1, Data: []byte("hello"), Note: &protocol.Note{Act: protocol.ActEdited}},
		{Type: event.Open, Conn: 2, Peer: &event.Peer{PID: 1}},
		{Type: event.Close, Conn: 2, Err: errors.New("x")},
	}
	ends := map[int]bool{0: true}
	for i := range evs {
		w.event(&evs[i])
		w.flush(true)
		ends[buf.Len()] = true
	}
	stream := buf.Bytes()
	out := chunksOut.Load()
	for k := range len(stream) + 1 {
		r := newReader(&pieces{b: stream[:k], sizes: []int{3}})
		var err error
		var held []event.Event
		for err == nil {
			var ev event.Event
			if err = r.next(&ev); err == nil {
				held = append(held, ev)
			}
		}
		if want := io.ErrUnexpectedEOF; ends[k] {
			if err != io.EOF {
				t.Errorf("cut at %d, a record's end: %v, want io.EOF", k, err)
			}
		} else if err != want {
			t.Errorf("cut at %d: %v, want %v", k, err, want)
		}
		r.close()
		for _, ev := range held {
			ev.Release()
		}
	}
	if n := chunksOut.Load() - out; n != 0 {
		t.Errorf("%d chunks not given back", n)
	}
}

// TestChunksOutliveCollections: a chunk let go is reused, even after the
// garbage collector ran (which empties a sync.Pool): a new one is 512 KiB
// of fresh memory to fault in.
func TestChunksOutliveCollections(t *testing.T) {
	idle.Lock()
	kept := idle.chunks
	idle.chunks = nil // as if none were kept: room for the one let go
	idle.Unlock()
	defer func() {
		idle.Lock()
		idle.chunks = kept
		idle.Unlock()
	}()
	c := getChunk()
	c.Release()
	runtime.GC()
	runtime.GC()
	if d := getChunk(); d != c {
		t.Errorf("after two collections, a new chunk rather than the one let go")
	} else {
		d.Release()
	}
}

// Events the decoder's queue drops (it is full: the observer is behind)
// give their chunks back, as the events it keeps do once released: a chunk
// lost to the collector is a new one to fault in.
func TestSourceDropsGiveChunksBack(t *testing.T) {
	var buf bytes.Buffer
	w := newWriter(&buf)
	data := bytes.Repeat([]byte("x"), 4<<10)
	for range 1000 { // 4 MB: chunks and chunks
		w.event(&event.Event{Type: event.Data, Conn: 1, Data: data})
	}
	w.flush(true)
	_, ring := testRing(t)
	out := chunksOut.Load()
	s := &Source{ring: ring, r: newReader(bytes.NewReader(buf.Bytes())), ended: make(chan struct{})}
	q := event.NewQueue(64<<10, false) // room for 16 of the 1000
	if err := s.Run(t.Context(), q); err != nil {
		t.Fatal(err)
	}
	q.Close()
	kept, _ := q.Take(nil)
	if dropped, _ := q.Dropped(); len(kept) == 0 || dropped == 0 {
		t.Fatalf("the queue kept %d events and dropped %d: want both", len(kept), dropped)
	}
	for i := range kept {
		kept[i].Release()
	}
	if n := chunksOut.Load() - out; n != 0 {
		t.Errorf("%d chunks not given back", n)
	}
}

// A process started to show its UI first (Config.showsFirst) takes no
// event before its UI has drawn (Drawn): it decodes at the relay's
// priority until it lowers itself, and must not then. Its run ended
// before that, it reads nothing; once drawn, it takes what comes.
func TestSourceShowsFirst(t *testing.T) {
	var buf bytes.Buffer
	w := newWriter(&buf)
	w.event(&event.Event{Type: event.Data, Conn: 1, Data: []byte("x")})
	w.flush(true)
	for _, drawn := range []bool{false, true} {
		_, ring := testRing(t)
		read := false
		r := readerFunc(func(p []byte) (int, error) {
			read = true
			return copy(p, buf.Bytes()), io.EOF
		})
		s := &Source{ring: ring, r: newReader(r), ended: make(chan struct{}), first: make(chan struct{})}
		q := event.NewQueue(64<<10, false)
		ctx, cancel := context.WithCancel(t.Context())
		if drawn {
			close(s.first) // what Drawn does, without lowering the test
		} else {
			cancel() // the run ends before the UI drew
		}
		if err := s.Run(ctx, q); err != nil {
			t.Fatal(err)
		}
		cancel()
		q.Close()
		kept, _ := q.Take(nil)
		if read != drawn || drawn && len(kept) != 1 {
			t.Errorf("drawn %v: read %v, %d events taken: want read %v", drawn, read, len(kept), drawn)
		}
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
