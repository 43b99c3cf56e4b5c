package proxy

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"sockscope/event"

	"sockscope/protocol"
)

// TestStalledObserver: nobody takes from a small queue; the relay still
// moves every byte, the queue drops, and the Data kept after a drop says
// how much was missed, so that Data and Gaps account for every byte.
func TestStalledObserver(t *testing.T) {
	q := event.NewQueue(256<<10, false)
	_, relay := startRelay(t, "unix", serve(t, "unix", echo), q)
	c := dial(t, relay)
	c.SetDeadline(time.Now().Add(liveness))

	sent := randomBytes(8, 8<<20)
	roundTrip(t, c, sent)
	if ev, _ := q.Dropped(); ev == 0 {
		t.Fatal("a stalled observer dropped nothing")
	}
	o := observe(q)
	// Once the observer has taken what the queue held, the queue has room
	// for the tail, and the tail's Data reports the bytes dropped before it.
	for deadline := time.Now().Add(liveness); len(o.events()) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the observer took nothing from a full queue")
		}
		time.Sleep(time.Millisecond)
	}
	tail := randomBytes(9, 1000)
	roundTrip(t, c, tail)
	sent = append(sent, tail...)
	c.Close()
	evs := o.waitCloses(t, 1)
	checkConnEvents(t, evs)

	var gaps uint64
	for _, d := range []protocol.Dir{protocol.C2S, protocol.S2C} {
		pos, dirGaps := 0, 0
		for _, ev := range evs {
			if ev.Type == event.Close {
				pos += int(ev.TailGaps[d])
				dirGaps += int(ev.TailGaps[d])
			}
			if ev.Type != event.Data || ev.Dir != d {
				continue
			}
			pos += int(ev.Gap)
			dirGaps += int(ev.Gap)
			if !bytes.Equal(ev.Data, sent[pos:pos+len(ev.Data)]) {
				t.Fatalf("%s: Data at %d is not what was sent there", d, pos)
			}
			pos += len(ev.Data)
		}
		if pos != len(sent) {
			t.Errorf("%s: Data and Gaps cover %d bytes, want %d", d, pos, len(sent))
		}
		// 8 MiB each way cannot fit in 256 KiB: both directions lost some.
		// (Which Data carries a Gap depends on read sizes: a small read
		// may still fit in a queue a large one overflowed.)
		if dirGaps == 0 {
			t.Errorf("%s: no Data says bytes were dropped", d)
		}
		gaps += uint64(dirGaps)
	}
	if _, b := q.Dropped(); b != gaps {
		t.Errorf("Dropped() bytes = %d, Gaps add up to %d", b, gaps)
	}
}

// roundTrip sends data through an echo and checks it comes back.
func roundTrip(t *testing.T, c net.Conn, data []byte) {
	t.Helper()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := writeChunks(c, data, rand.New(rand.NewPCG(1, 2)), 32<<10); err != nil {
			t.Errorf("write: %v", err)
		}
	}()
	back := make([]byte, len(data))
	if _, err := io.ReadFull(c, back); err != nil {
		t.Fatalf("read: %v", err)
	}
	wg.Wait()
	if !bytes.Equal(back, data) {
		t.Fatal("echo differs")
	}
}

func TestLosslessRelay(t *testing.T) {
	q := event.NewQueue(64<<10, true)
	_, relay := startRelay(t, "unix", serve(t, "unix", echo), q)
	var mu sync.Mutex
	var evs []event.Event
	done := make(chan struct{})
	go func() { // a slow observer
		defer close(done)
		var buf []event.Event
		for ok := true; ok; {
			buf, ok = q.Take(buf[:0])
			mu.Lock()
			evs = append(evs, buf...)
			mu.Unlock()
			time.Sleep(time.Millisecond)
		}
	}()
	c := dial(t, relay)
	c.SetDeadline(time.Now().Add(liveness))
	sent := randomBytes(10, 2<<20)
	roundTrip(t, c, sent)
	c.Close()
	for deadline := time.Now().Add(liveness); ; time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		n := count(evs, event.Close)
		mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no event.Close")
		}
	}
	q.Close()
	<-done
	if ev, _ := q.Dropped(); ev != 0 {
		t.Errorf("lossless queue dropped %d events", ev)
	}
	id := evs[0].Conn
	for _, d := range []protocol.Dir{protocol.C2S, protocol.S2C} {
		if got := stream(evs, id, d); !bytes.Equal(got, sent) {
			t.Errorf("%s: observed %d bytes, sent %d", d, len(got), len(sent))
		}
	}
}

// Filling is signalled once the Data queued passes a quarter of the bound,
// and again after a Take emptied the queue and it passed it again.
func TestQueueFilling(t *testing.T) {
	q := event.NewQueue(400, false)
	filling := func() bool {
		select {
		case <-q.Filling():
			return true
		default:
			return false
		}
	}
	for round := range 2 {
		q.Put(event.Event{Type: event.Data, Data: make([]byte, 99)})
		if filling() {
			t.Fatalf("round %d: filling at 99 of 400 bytes", round)
		}
		q.Put(event.Event{Type: event.Data, Data: make([]byte, 1)})
		if !filling() {
			t.Fatalf("round %d: not filling at 100 of 400 bytes", round)
		}
		q.Put(event.Event{Type: event.Data, Data: make([]byte, 50)})
		if filling() {
			t.Fatalf("round %d: filling signalled twice", round)
		}
		q.Take(nil)
	}
}
