package proxy

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"sockscope/event"

	"sockscope/protocol"
)

// recorder is an upstream that keeps what it reads.
type recorder struct {
	mu   sync.Mutex
	got  []byte
	done chan struct{} // closed at EOF
}

func record(t *testing.T) (*recorder, Addr) {
	r := &recorder{done: make(chan struct{})}
	a := serve(t, "unix", func(c net.Conn) {
		defer c.Close()
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			r.mu.Lock()
			r.got = append(r.got, buf[:n]...)
			r.mu.Unlock()
			if err != nil {
				close(r.done)
				return
			}
		}
	})
	return r, a
}

func (r *recorder) bytes() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return string(r.got)
}

// waitFor polls until cond holds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(liveness); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// connected returns the relay's only connection once its upstream is up.
func onlyConn(t testing.TB, r *Relay) *Conn {
	t.Helper()
	var c *Conn
	waitFor(t, "the connection", func() bool {
		cs := r.Conns()
		if len(cs) != 1 {
			return false
		}
		c = cs[0]
		s := &c.dirs[protocol.C2S]
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.dst != nil
	})
	if r.Conn(c.ID()) != c {
		t.Fatal("Relay.Conn does not find the connection")
	}
	return c
}

func (c *Conn) heldLen(d protocol.Dir) int {
	s := &c.dirs[d]
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.held)
}

// TestInjectBetweenFrames: the client writes frame A and half of frame B;
// a frame X injected then reaches upstream between A and B, each whole.
func TestInjectBetweenFrames(t *testing.T) {
	const a, b1, b2, x = `{"a":1}` + "\n", `{"b":`, "2}\n", `{"x":3}` + "\n"
	up, upAddr := record(t)
	q := event.NewQueue(0, false)
	o := observe(q)
	relay, addr := startRelay(t, "unix", upAddr, q)
	client := dial(t, addr)
	c := onlyConn(t, relay)

	if err := c.Inject(protocol.C2S, []byte(x)); err == nil {
		t.Fatal("Inject succeeded while plainly copying")
	}
	c.SetFraming(protocol.C2S, protocol.FramingLines, nil, nil, -1)
	client.Write([]byte(a + b1))
	waitFor(t, "frame A upstream", func() bool { return up.bytes() == a })
	waitFor(t, "half of B read and held", func() bool { return c.heldLen(protocol.C2S) == len(b1) })
	if err := c.Inject(protocol.C2S, []byte(x)); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	client.Write([]byte(b2))
	closeWrite(t, client)
	select {
	case <-up.done:
	case <-time.After(liveness):
		t.Fatal("upstream never saw EOF")
	}
	if got, want := up.bytes(), a+x+b1+b2; got != want {
		t.Errorf("upstream got %q, want %q", got, want)
	}
	client.Close()
	evs := o.waitCloses(t, 1)
	checkConnEvents(t, evs)
	var observed string
	injected := 0
	for _, ev := range evs {
		if ev.Type == event.Data && ev.Dir == protocol.C2S {
			observed += string(ev.Data)
			if ev.Injected {
				injected++
				if string(ev.Data) != x {
					t.Errorf("injected event holds %q", ev.Data)
				}
			}
		}
	}
	if observed != a+x+b1+b2 || injected != 1 {
		t.Errorf("observed %q with %d injected, want what upstream got and 1", observed, injected)
	}
}

// TestSetFramingRawFlushes: switching back to plain copying forwards a
// held partial frame at once, and Inject is refused again.
func TestSetFramingRawFlushes(t *testing.T) {
	const half = `{"half":`
	up, upAddr := record(t)
	relay, addr := startRelay(t, "unix", upAddr, nil)
	client := dial(t, addr)
	c := onlyConn(t, relay)

	c.SetFraming(protocol.C2S, protocol.FramingLines, nil, nil, -1)
	client.Write([]byte(half))
	waitFor(t, "the partial frame held", func() bool { return c.heldLen(protocol.C2S) == len(half) })
	if got := up.bytes(); got != "" {
		t.Fatalf("a partial frame was forwarded in frame-aware mode: %q", got)
	}
	c.SetFraming(protocol.C2S, protocol.FramingRaw, nil, nil, -1)
	waitFor(t, "the held bytes upstream", func() bool { return up.bytes() == half })
	if err := c.Inject(protocol.C2S, []byte("{}\n")); err == nil {
		t.Error("Inject succeeded after returning to plain copying")
	}
	client.Write([]byte("1}\n"))
	waitFor(t, "the rest", func() bool { return up.bytes() == half+"1}\n" })
}

// TestFramedEOFFlushes: a partial frame held at the end of the stream is
// forwarded before the end is passed on.
func TestFramedEOFFlushes(t *testing.T) {
	up, upAddr := record(t)
	relay, addr := startRelay(t, "unix", upAddr, nil)
	client := dial(t, addr)
	c := onlyConn(t, relay)
	c.SetFraming(protocol.C2S, protocol.FramingContentLength, nil, nil, -1)
	msg := "Content-Length: 2\r\n\r\n{}Content-Length: 9\r\n\r\n{\"cut"
	client.Write([]byte(msg))
	closeWrite(t, client)
	select {
	case <-up.done:
	case <-time.After(liveness):
		t.Fatal("upstream never saw EOF")
	}
	if got := up.bytes(); got != msg {
		t.Errorf("upstream got %q, want %q", got, msg)
	}
	io.ReadAll(client)
}
