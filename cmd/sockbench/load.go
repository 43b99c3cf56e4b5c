//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// warmup is run before each timed window.
const warmup = 200 * time.Millisecond

// dial connects to a unix socket, retrying for up to 10 s while the
// listener's backlog is full (EAGAIN), as a patient client would.
func dial(addr string) (net.Conn, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("unix", addr, 10*time.Second)
		if err == nil || !errors.Is(err, syscall.EAGAIN) || time.Now().After(deadline) {
			return c, err
		}
		time.Sleep(time.Millisecond)
	}
}

// pipelineResult is what one pipelined run measured.
type pipelineResult struct {
	Requests float64 // replies received per second
	Bytes    float64 // reply bytes received per second
	// Total is every reply of the run, warm-up and drain included: what
	// the CPU the whole run took is divided by.
	Total int64
}

// pipelined sends requests on conns connections, each as fast as a writer
// goroutine can while a reader counts the replies (one per line), and
// measures the replies received during d (after a warm-up). appendReq
// appends request number id.
func pipelined(addr string, conns int, d time.Duration, appendReq func(b []byte, id int64) []byte) (pipelineResult, error) {
	var (
		replies, nbytes atomic.Int64
		stop            atomic.Bool
		wg              sync.WaitGroup
	)
	cs := make([]net.Conn, 0, conns)
	defer func() {
		for _, c := range cs {
			c.Close()
		}
	}()
	for range conns {
		c, err := dial(addr)
		if err != nil {
			stop.Store(true)
			for _, c := range cs {
				c.Close() // ends the readers too
			}
			wg.Wait()
			return pipelineResult{}, err
		}
		cs = append(cs, c)
		wg.Add(2)
		go func() { // reader
			defer wg.Done()
			buf := make([]byte, 64<<10)
			for {
				n, err := c.Read(buf)
				replies.Add(int64(bytes.Count(buf[:n], []byte{'\n'})))
				nbytes.Add(int64(n))
				if err != nil {
					return
				}
			}
		}()
		go func() { // writer
			defer wg.Done()
			w := bufio.NewWriterSize(c, 64<<10)
			var req []byte
			for id := int64(1); !stop.Load(); id++ {
				req = appendReq(req[:0], id)
				if _, err := w.Write(req); err != nil {
					return
				}
			}
			// End cleanly: the service answers what it got, then hangs up.
			if w.Flush() == nil {
				c.(*net.UnixConn).CloseWrite()
			}
		}()
	}

	time.Sleep(warmup)
	r0, b0, t0 := replies.Load(), nbytes.Load(), time.Now()
	time.Sleep(d)
	r1, b1, t1 := replies.Load(), nbytes.Load(), time.Now()
	stop.Store(true)
	for _, c := range cs {
		c.SetDeadline(time.Now().Add(30 * time.Second)) // the readers drain to EOF
	}
	wg.Wait()
	if r1 == r0 {
		return pipelineResult{}, fmt.Errorf("no replies in %v", d)
	}
	el := t1.Sub(t0).Seconds()
	return pipelineResult{Requests: float64(r1-r0) / el, Bytes: float64(b1-b0) / el, Total: replies.Load()}, nil
}

// sized makes requests of size bytes for the echo service.
func sized(size int) func(b []byte, id int64) []byte {
	return func(b []byte, id int64) []byte { return appendRequest(b, id, size) }
}

// Connection-rate load.
const (
	burstConns      = 200
	requestsPerConn = 5
	connReqSize     = 64
)

// connRate opens bursts of burstConns concurrent connections, each making
// requestsPerConn round trips and closing, for d, and returns connections
// completed per second, and all the connections it made (the warm-up's
// too).
func connRate(addr string, d time.Duration) (rate float64, total int64, err error) {
	var (
		done, failed atomic.Int64
		firstErr     atomic.Value
	)
	burst := func() {
		var wg sync.WaitGroup
		for range burstConns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := shortConn(addr); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
					return
				}
				done.Add(1)
			}()
		}
		wg.Wait()
	}
	burst() // warm-up
	warm := done.Swap(0)
	start := time.Now()
	for time.Since(start) < d {
		burst()
	}
	el := time.Since(start).Seconds()
	if n := failed.Load(); n > 0 {
		return 0, 0, fmt.Errorf("%d connections failed: %v", n, firstErr.Load())
	}
	return float64(done.Load()) / el, warm + done.Load(), nil
}

// shortConn is one connection of a burst.
func shortConn(addr string) error {
	c, err := dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReaderSize(c, 4096)
	req := make([]byte, 0, 128)
	for id := int64(1); id <= requestsPerConn; id++ {
		req = appendRequest(req[:0], id, connReqSize)
		if _, err := c.Write(req); err != nil {
			return err
		}
		if _, err := r.ReadSlice('\n'); err != nil {
			return err
		}
	}
	return nil
}

// latency makes n sequential round trips of size-byte requests on one
// connection (after a warm-up of n/20) and returns their times, sorted.
func latency(addr string, size, n int) ([]time.Duration, error) {
	c, err := dial(addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Minute))
	r := bufio.NewReaderSize(c, 64<<10)
	req := make([]byte, 0, size+64)
	rtts := make([]time.Duration, 0, n)
	for i := -n / 20; i < n; i++ {
		req = appendRequest(req[:0], int64(i+n), size)
		t := time.Now()
		if _, err := c.Write(req); err != nil {
			return nil, err
		}
		if _, err := r.ReadSlice('\n'); err != nil {
			return nil, err
		}
		if i >= 0 {
			rtts = append(rtts, time.Since(t))
		}
	}
	slices.Sort(rtts)
	return rtts, nil
}
