//go:build unix

package split

import (
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"sockscope/event"
	"sockscope/protocol"
)

// What the ring had no room for when the traffic stopped (here a
// connection's Close, which is never dropped) still reaches the decoder's
// process once it makes room, though nothing more is put.
func TestDecoderCatchesUpAfterTheTrafficStops(t *testing.T) {
	w, r := testRingOf(t, minRing)
	a, b := net.Pipe()
	child := newLink(b, func(m msg) msg { return msg{} })
	defer child.close()
	d := &Decoder{ring: w, w: &writer{out: w}, link: newLink(a, unknown)}
	defer d.link.close()
	q := event.NewQueue(0, false)
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		d.Run(q)
	}()
	at := time.Now()
	q.Put(event.Event{Type: event.Open, Conn: 1, At: at, Peer: &event.Peer{PID: -1, UID: -1}})
	for range 2 * minRing / 1024 { // twice what the ring holds: the rest dropped
		q.Put(event.Event{Type: event.Data, Conn: 1, Dir: protocol.C2S, At: at, Data: make([]byte, 1024)})
	}
	q.Put(event.Event{Type: event.Close, Conn: 1, At: at})
	closed := make(chan error, 1)
	go func() {
		rd := newReader(r)
		for {
			var ev event.Event
			if err := rd.next(&ev); err != nil {
				closed <- err
				return
			}
			ev.Release()
			if ev.Type == event.Close {
				closed <- nil
				return
			}
		}
	}()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("the stream ended before the Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the Close stayed behind")
	}
	q.Close()
	drained := make(chan struct{})
	go func() { // the rest of the stream, to its end (Run's last flush waits for room)
		defer close(drained)
		for {
			if _, err := r.Read(make([]byte, minRing)); err != nil {
				return
			}
		}
	}()
	<-ran
	<-drained // before the ring is unmapped
}

// While the decoder's process sheds (its observer rests, and drops what
// comes meanwhile), the relay's process drops the Data rather than copy it
// onto the ring: counted, and carried as the gap of the next Data written
// once it stops. Other events still go.
func TestDecoderDropsWhileTheDecoderSheds(t *testing.T) {
	w, r := testRing(t)
	d := &Decoder{ring: w, w: &writer{out: w}}
	src := &Source{ring: r, r: newReader(r)}
	q := event.NewQueue(0, false)
	at := time.Now()
	data := func(s string) []event.Event {
		return []event.Event{{Type: event.Data, Conn: 1, Dir: protocol.C2S, At: at, Data: []byte(s)}}
	}
	d.send(q, data("a"), false)
	src.Shed(true)
	d.send(q, data("bb"), false)
	d.send(q, []event.Event{{Type: event.Open, Conn: 2, At: at, Peer: &event.Peer{PID: -1, UID: -1}}}, false)
	d.send(q, data("ccc"), false)
	// While it sheds, the drops reach the decoder's process on the ring's
	// head page: no drops record is written.
	if e, b := src.Dropped(); e != 2 || b != 5 {
		t.Errorf("while shedding, the relay's drops read %d events, %d bytes; want 2, 5", e, b)
	}
	src.Shed(false)
	d.send(q, data("dddd"), false)
	d.ring.close()

	rd := src.r
	var got []string
	for {
		var ev event.Event
		err := rd.next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%v %d %q gap %d", ev.Type, ev.Conn, ev.Data, ev.Gap))
		ev.Release()
	}
	want := []string{
		fmt.Sprintf("%v 1 %q gap 0", event.Data, "a"),
		fmt.Sprintf("%v 2 %q gap 0", event.Open, ""),
		fmt.Sprintf("%v 1 %q gap 5", event.Data, "dddd"),
	}
	if !slices.Equal(got, want) {
		t.Errorf("the stream:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if e, b := rd.dropEvents.Load(), rd.dropBytes.Load(); e != 2 || b != 5 {
		t.Errorf("the relay's drops as written: %d events, %d bytes; want 2, 5", e, b)
	}
}
