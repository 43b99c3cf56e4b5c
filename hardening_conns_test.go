//go:build unix

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sockscope/event"

	"sockscope/proxy"
)

// Sizes of the many-connections tests.
const (
	manyConns = 2000
	manyCalls = 10
)

// relayConns is manyConns but under the race detector (hardening_race_test.go).
var relayConns = manyConns

// hammer opens n connections to addr (an echoing upstream behind it), holds
// them all open at once, calls atPeak, then makes calls round trips on
// each, checking every byte comes back in order, and closes them. It
// returns the bytes sent (each came back). A connection stuck for a minute
// fails the test.
func hammer(t *testing.T, addr string, n, calls int, atPeak func()) int64 {
	t.Helper()
	var connected, finished sync.WaitGroup
	all := make(chan struct{})
	var moved, failed atomic.Int64
	fail := func(format string, args ...any) {
		if failed.Add(1) <= 5 {
			t.Errorf(format, args...)
		}
	}
	connected.Add(n)
	finished.Add(n)
	for i := range n {
		go func() {
			defer finished.Done()
			c, err := net.Dial("unix", addr)
			connected.Done()
			if err != nil {
				fail("conn %d: %v", i, err)
				return
			}
			defer c.Close()
			<-all
			c.SetDeadline(time.Now().Add(time.Minute)) // a stuck relay fails the test
			got := make([]byte, 0, 256)
			for k := range calls {
				msg := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"ping","params":"c%d-%d-%s"}`+"\n", k, i, k, strings.Repeat("x", (i*7+k)%97))
				if _, err := io.WriteString(c, msg); err != nil {
					fail("conn %d call %d: write: %v", i, k, err)
					return
				}
				got = got[:len(msg)]
				if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, []byte(msg)) {
					fail("conn %d call %d: got %q, %v; want %q", i, k, got, err, msg)
					return
				}
				moved.Add(int64(len(msg)))
			}
		}()
	}
	connected.Wait()
	func() {
		defer close(all) // even if atPeak fails the test
		if atPeak != nil {
			atPeak()
		}
	}()
	finished.Wait()
	return moved.Load()
}

// 2,000 connections to the real binary at once, each making calls: every
// byte comes back in order, and once they are closed sockscope holds as
// many file descriptors as before.
func TestManyConnectionsBinary(t *testing.T) {
	raiseNoFile(t, 3*manyConns+1000)
	svc, front := paths(t)
	startUpstream(t, svc, echoBytes)
	p := startSS(t, nil, "--headless", "--listen", front, svc)
	waitListening(t, front)
	roundTrip(t, front, "warm up\n")
	before := settledFDs(t, p.pid())
	var peak int
	start := time.Now()
	moved := hammer(t, front, manyConns, manyCalls, func() {
		eventually(t, "sockscope to hold every connection", func() bool {
			peak = fdCount(t, p.pid())
			return peak >= before+2*manyConns
		})
	})
	elapsed := time.Since(start)
	var after int
	eventually(t, "sockscope's file descriptors to return to their count before", func() bool {
		after = fdCount(t, p.pid())
		return after <= before
	})
	hwm := procKiB(t, p.pid(), "VmHWM")
	if code := p.stop(os.Interrupt); code != 0 {
		t.Fatalf("exit %d: %s", code, p.err.String())
	}
	// The clients, the warm-up and waitListening's probe.
	if want := fmt.Sprintf("%d connections (0 failed)", manyConns+2); !strings.Contains(p.out.String(), want) {
		t.Errorf("summary %q does not say %q", p.out.String(), want)
	}
	t.Logf("binary: %d conns × %d calls, %d bytes each way in %v; fds %d before, %d held, %d after; VmHWM %d KiB",
		manyConns, manyCalls, moved, elapsed.Round(time.Millisecond), before, peak, after, hwm)
}

// settledFDs returns pid's count of file descriptors once it holds still
// (a connection just closed by the client may still be open in sockscope).
func settledFDs(t *testing.T, pid int) int {
	t.Helper()
	n := fdCount(t, pid)
	eventually(t, "the file descriptor count to settle", func() bool {
		time.Sleep(100 * time.Millisecond)
		m := fdCount(t, pid)
		n, m = m, n
		return n == m
	})
	return n
}

// The same load through an in-process proxy.Relay: its goroutines and file
// descriptors all go away with the connections.
func TestManyConnectionsRelayGoroutines(t *testing.T) {
	raiseNoFile(t, uint64(4*relayConns+1000))
	svc, front := paths(t)
	startUpstream(t, svc, echoBytes)
	ln, err := proxy.Listen(proxy.Addr{Network: "unix", Address: front}, 0)
	if err != nil {
		t.Fatal(err)
	}
	q := event.NewQueue(0, false)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		var evs []event.Event
		for ok := true; ok; {
			evs, ok = q.Take(evs[:0])
		}
	}()
	up := proxy.Addr{Network: "unix", Address: svc}
	relay := &proxy.Relay{Listener: ln, Dial: proxy.DialFunc(up), Upstream: up.String(), Queue: q}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- relay.Serve(ctx) }()
	defer func() {
		cancel()
		<-served
		q.Close()
		<-drained
	}()
	roundTrip(t, front, "warm up\n")
	fdBefore := settledFDs(t, os.Getpid()) // the warm-up's connection is gone
	gBefore := runtime.NumGoroutine()
	var gPeak, live int
	hammer(t, front, relayConns, manyCalls, func() {
		eventually(t, "the relay to hold every connection", func() bool {
			live = len(relay.Conns())
			return live == relayConns
		})
		gPeak = runtime.NumGoroutine()
	})
	var gAfter, fdAfter int
	eventually(t, "goroutines and file descriptors to return to their counts before", func() bool {
		gAfter, fdAfter = runtime.NumGoroutine(), fdCount(t, os.Getpid())
		return gAfter <= gBefore && fdAfter <= fdBefore && len(relay.Conns()) == 0
	})
	t.Logf("relay: %d conns held; goroutines %d before, %d held, %d after; fds %d before, %d after",
		live, gBefore, gPeak, gAfter, fdBefore, fdAfter)
}
