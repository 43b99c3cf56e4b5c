package proxy

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"sockscope/event"

	"sockscope/protocol"
)

// liveness bounds waits that only a hang would exceed.
const liveness = 60 * time.Second

// shortDir returns a temp dir with a path short enough for Unix sockets.
func shortDir(t testing.TB) string {
	t.Helper()
	d, err := os.MkdirTemp("", "ss")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// listenOn listens on a fresh address of network ("unix" or "tcp") and
// returns the listener and the address to dial.
func listenOn(t testing.TB, network string) (net.Listener, Addr) {
	t.Helper()
	a := Addr{"tcp", "127.0.0.1:0"}
	if network == "unix" {
		a = Addr{"unix", filepath.Join(shortDir(t), "s")}
	}
	ln, err := Listen(a, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	if network == "tcp" {
		a.Address = ln.Addr().String()
	}
	return ln, a
}

// serve runs handle for every connection accepted on a new listener of
// network, until the test ends.
func serve(t testing.TB, network string, handle func(net.Conn)) Addr {
	ln, a := listenOn(t, network)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(c)
		}
	}()
	return a
}

// echo copies what it reads back until EOF, then closes.
func echo(c net.Conn) {
	io.Copy(c, c)
	c.Close()
}

// startRelay serves a Relay in front of upstream on a new listener of
// network, and returns it with the address clients dial.
func startRelay(t testing.TB, network string, upstream Addr, q *event.Queue) (*Relay, Addr) {
	t.Helper()
	ln, a := listenOn(t, network)
	r := &Relay{Listener: ln, Dial: DialFunc(upstream), Upstream: upstream.String(), Queue: q}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(liveness):
			t.Errorf("Serve did not return")
		}
	})
	return r, a
}

func dial(t testing.TB, a Addr) net.Conn {
	t.Helper()
	c, err := DialFunc(a)(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// observer drains a Queue in the background, as sockscope's observer does:
// it keeps a copy of each event's Data and releases the event's bytes to
// the relay for reuse, one batch later. Before releasing, it checks that the
// relay left those bytes alone while they were held.
type observer struct {
	q       *event.Queue
	mu      sync.Mutex
	evs     []event.Event
	altered int // held events whose bytes changed before their release
	done    chan struct{}
}

func observe(q *event.Queue) *observer {
	o := &observer{q: q, done: make(chan struct{})}
	go func() {
		defer close(o.done)
		var buf, held, copies []event.Event
		for ok := true; ok; {
			buf, ok = q.Take(buf[:0])
			o.mu.Lock()
			for i, ev := range held {
				if !bytes.Equal(ev.Data, copies[i].Data) {
					o.altered++
				}
				held[i].Release()
			}
			held, copies = append(held[:0], buf...), copies[:0]
			for _, ev := range buf {
				ev.Data = bytes.Clone(ev.Data)
				copies = append(copies, ev)
			}
			o.evs = append(o.evs, copies...)
			o.mu.Unlock()
		}
		for i := range held {
			held[i].Release()
		}
	}()
	return o
}

// alteredBytes reports how many held events' bytes the relay changed
// before they were released.
func (o *observer) alteredBytes() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.altered
}

func (o *observer) events() []event.Event {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]event.Event(nil), o.evs...)
}

// waitCloses waits until n event.Close have been observed and returns all
// events so far.
func (o *observer) waitCloses(t testing.TB, n int) []event.Event {
	t.Helper()
	deadline := time.Now().Add(liveness)
	for {
		evs := o.events()
		if count(evs, event.Close) >= n {
			return evs
		}
		if time.Now().After(deadline) {
			t.Fatalf("saw %d event.Close, want %d", count(evs, event.Close), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func count(evs []event.Event, typ event.Type) int {
	n := 0
	for _, ev := range evs {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

// stream concatenates the Data of conn in direction d.
func stream(evs []event.Event, conn uint64, d protocol.Dir) []byte {
	var b []byte
	for _, ev := range evs {
		if ev.Type == event.Data && ev.Conn == conn && ev.Dir == d {
			b = append(b, ev.Data...)
		}
	}
	return b
}

func randomBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)}).Read(b)
	return b
}

// writeChunks writes data in chunks of random size up to maxChunk.
func writeChunks(w io.Writer, data []byte, rng *rand.Rand, maxChunk int) error {
	for len(data) > 0 {
		n := min(len(data), 1+rng.IntN(maxChunk))
		if _, err := w.Write(data[:n]); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// readChunks reads until EOF with reads of random size up to maxChunk.
func readChunks(r io.Reader, rng *rand.Rand, maxChunk int) ([]byte, error) {
	var out []byte
	buf := make([]byte, maxChunk)
	for {
		n, err := r.Read(buf[:1+rng.IntN(maxChunk)])
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

func closeWrite(t testing.TB, c net.Conn) {
	t.Helper()
	if err := c.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
		t.Fatal(err)
	}
}
