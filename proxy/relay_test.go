package proxy

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sockscope/event"

	"sockscope/protocol"
)

func TestRelayByteExact(t *testing.T) {
	for _, network := range []string{"unix", "tcp"} {
		t.Run(network, func(t *testing.T) {
			const size = 4 << 20
			up, down := randomBytes(1, size), randomBytes(2, size)
			gotUp := make(chan [32]byte, 1)
			upstream := serve(t, network, func(c net.Conn) {
				defer c.Close()
				var wg sync.WaitGroup
				wg.Add(1)
				go func() {
					defer wg.Done()
					writeChunks(c, down, rand.New(rand.NewPCG(3, 3)), 64<<10)
					c.(interface{ CloseWrite() error }).CloseWrite()
				}()
				b, err := readChunks(c, rand.New(rand.NewPCG(4, 4)), 40<<10)
				if err != nil {
					t.Errorf("upstream read: %v", err)
				}
				gotUp <- sha256.Sum256(b)
				wg.Wait()
			})
			q := event.NewQueue(0, false)
			o := observe(q)
			_, relay := startRelay(t, network, upstream, q)

			c := dial(t, relay)
			go func() {
				if err := writeChunks(c, up, rand.New(rand.NewPCG(5, 5)), 50<<10); err != nil {
					t.Errorf("client write: %v", err)
				}
				c.(interface{ CloseWrite() error }).CloseWrite()
			}()
			got, err := readChunks(c, rand.New(rand.NewPCG(6, 6)), 70<<10)
			if err != nil {
				t.Fatalf("client read: %v", err)
			}
			if sha256.Sum256(got) != sha256.Sum256(down) {
				t.Errorf("client got %d bytes, not the %d upstream sent", len(got), len(down))
			}
			if <-gotUp != sha256.Sum256(up) {
				t.Errorf("upstream did not get the client's bytes")
			}

			evs := o.waitCloses(t, 1)
			checkConnEvents(t, evs)
			id := evs[0].Conn
			if !bytes.Equal(stream(evs, id, protocol.C2S), up) {
				t.Errorf("observed c2s differs from what the client sent")
			}
			if !bytes.Equal(stream(evs, id, protocol.S2C), down) {
				t.Errorf("observed s2c differs from what upstream sent")
			}
			if n := o.alteredBytes(); n > 0 {
				t.Errorf("the relay reused the bytes of %d events the observer had not released", n)
			}
			if last := evs[len(evs)-1]; last.Type != event.Close || last.Err != nil {
				t.Errorf("last event %+v, want a clean event.Close", last)
			}
		})
	}
}

// checkConnEvents checks that every connection has one event.Open first and
// one event.Close last, and that At never goes back within a direction.
func checkConnEvents(t *testing.T, evs []event.Event) {
	t.Helper()
	type state struct {
		open, closed int
		last         [2]time.Time
	}
	conns := map[uint64]*state{}
	for _, ev := range evs {
		s := conns[ev.Conn]
		if s == nil {
			s = &state{}
			conns[ev.Conn] = s
		}
		if s.closed > 0 {
			t.Errorf("conn %d: event %v after event.Close", ev.Conn, ev.Type)
		}
		switch ev.Type {
		case event.Open:
			s.open++
			if ev.Peer == nil {
				t.Errorf("conn %d: event.Open without Peer", ev.Conn)
			}
		case event.Data:
			if s.open == 0 {
				t.Errorf("conn %d: data before event.Open", ev.Conn)
			}
			if ev.At.Before(s.last[ev.Dir]) {
				t.Errorf("conn %d %s: At went back", ev.Conn, ev.Dir)
			}
			s.last[ev.Dir] = ev.At
		case event.Close:
			s.closed++
		}
	}
	for id, s := range conns {
		if s.open != 1 || s.closed != 1 {
			t.Errorf("conn %d: %d event.Open and %d event.Close, want one each", id, s.open, s.closed)
		}
	}
}

func TestHalfClose(t *testing.T) {
	reply := randomBytes(7, 1<<20)
	gotUp := make(chan []byte, 1)
	upstream := serve(t, "unix", func(c net.Conn) {
		defer c.Close()
		b, _ := io.ReadAll(c) // until the client's CloseWrite arrives
		gotUp <- b
		c.Write(reply)
	})
	q := event.NewQueue(0, false)
	o := observe(q)
	_, relay := startRelay(t, "unix", upstream, q)

	c := dial(t, relay)
	c.Write([]byte("hello"))
	closeWrite(t, c)
	c.SetReadDeadline(time.Now().Add(liveness))
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("client read after CloseWrite: %v", err)
	}
	if !bytes.Equal(got, reply) {
		t.Errorf("client got %d bytes after its CloseWrite, want %d", len(got), len(reply))
	}
	if b := <-gotUp; string(b) != "hello" {
		t.Errorf("upstream got %q", b)
	}
	evs := o.waitCloses(t, 1)
	checkConnEvents(t, evs)
	if err := evs[len(evs)-1].Err; err != nil {
		t.Errorf("event.Close.Err = %v, want nil", err)
	}
	p := evs[0].Peer
	if p.Listen != relay.Address || p.Upstream != upstream.String() {
		t.Errorf("Peer = %+v; want Listen %s, Upstream %s", p, relay.Address, upstream)
	}
	if runtime.GOOS == "linux" && (p.PID != os.Getpid() || p.UID != os.Getuid() || ProcessName(p.PID) == "") {
		t.Errorf("Peer = %+v; want this process (pid %d, uid %d)", p, os.Getpid(), os.Getuid())
	}
}

func TestUpstreamDown(t *testing.T) {
	down := Addr{"unix", shortDir(t) + "/nobody"}
	q := event.NewQueue(0, false)
	o := observe(q)
	_, relay := startRelay(t, "unix", down, q)

	c := dial(t, relay)
	c.SetReadDeadline(time.Now().Add(liveness))
	if n, err := c.Read(make([]byte, 1)); err == nil || errors.Is(err, syscall.ETIMEDOUT) || n != 0 {
		t.Fatalf("client read = %d, %v; want the relay to close it", n, err)
	}
	evs := o.waitCloses(t, 1)
	checkConnEvents(t, evs)
	err := evs[len(evs)-1].Err
	if err == nil || !strings.Contains(err.Error(), "dial upstream") {
		t.Errorf("event.Close.Err = %v, want a dial upstream error", err)
	}
}

func TestClientReset(t *testing.T) {
	got := make(chan []byte, 1)
	var mu sync.Mutex
	var seen []byte
	upstream := serve(t, "tcp", func(c net.Conn) {
		defer c.Close()
		buf := make([]byte, 1024)
		for {
			n, err := c.Read(buf)
			mu.Lock()
			seen = append(seen, buf[:n]...)
			mu.Unlock()
			if err != nil {
				got <- seen
				return
			}
		}
	})
	q := event.NewQueue(0, false)
	o := observe(q)
	_, relay := startRelay(t, "tcp", upstream, q)

	const half = `{"rid":1,"meth`
	c := dial(t, relay)
	c.Write([]byte(half))
	for deadline := time.Now().Add(liveness); ; time.Sleep(time.Millisecond) {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n == len(half) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("upstream never got the half frame")
		}
	}
	c.(*net.TCPConn).SetLinger(0)
	c.Close() // RST

	select {
	case b := <-got:
		if string(b) != half {
			t.Errorf("upstream got %q, want %q", b, half)
		}
	case <-time.After(liveness):
		t.Fatal("upstream connection was not closed after the client's reset")
	}
	evs := o.waitCloses(t, 1)
	checkConnEvents(t, evs)
	err := evs[len(evs)-1].Err
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("event.Close.Err = %v, want a connection reset", err)
	}
	if s := stream(evs, evs[0].Conn, protocol.C2S); string(s) != half {
		t.Errorf("observed %q, want %q", s, half)
	}
}

func TestManyClients(t *testing.T) {
	const clients = 200
	q := event.NewQueue(0, false)
	o := observe(q)
	_, relay := startRelay(t, "unix", serve(t, "unix", echo), q)

	start := make(chan struct{})
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			c, err := net.Dial("unix", relay.Address)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(liveness))
			msg := []byte(strings.Repeat("x", i) + "\n")
			if _, err := c.Write(msg); err != nil {
				errs <- err
				return
			}
			back := make([]byte, len(msg))
			if _, err := io.ReadFull(c, back); err != nil || !bytes.Equal(back, msg) {
				errs <- errors.Join(errors.New("echo differs"), err)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	evs := o.waitCloses(t, clients)
	checkConnEvents(t, evs)
	if n := count(evs, event.Open); n != clients {
		t.Errorf("%d connections, want %d", n, clients)
	}
}

// A TCP peer's reset reaches the other peer as a reset, both ways: a clean
// end instead would pass a cut stream off as a whole one.
func TestResetPassesThrough(t *testing.T) {
	for _, who := range []string{"server", "client"} {
		t.Run(who, func(t *testing.T) {
			got := make(chan error, 1)
			up := serve(t, "tcp", func(c net.Conn) {
				if who == "server" {
					io.ReadFull(c, make([]byte, 5)) // the client's first bytes came through
					c.(*net.TCPConn).SetLinger(0)
					c.Close()
					return
				}
				_, err := io.Copy(io.Discard, c)
				got <- err
				c.Close()
			})
			_, front := startRelay(t, "tcp", up, nil)
			c := dial(t, front)
			if who == "server" {
				c.Write([]byte("hello"))
				_, err := c.Read(make([]byte, 1))
				if !errors.Is(err, syscall.ECONNRESET) {
					t.Fatalf("the client read %v after the server's reset, want ECONNRESET", err)
				}
				return
			}
			c.Write([]byte("a request cut short"))
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
			if err := <-got; !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("the server read %v after the client's reset, want ECONNRESET", err)
			}
		})
	}
}
