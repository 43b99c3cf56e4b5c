//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"sockscope/store"
)

// memConns is how many connections share the -mem load.
const memConns = 4

// runMem pushes o.memN small requests (and as many replies) through
// sockscope and reports its resident memory as the load goes, its peak, and
// how that compares with the store's byte cap.
func runMem(ctx context.Context, o options, dir, svcPath string) error {
	limit, capNote := int64(store.DefaultMaxBytes), "store default"
	extra := sockscopeArgs(o)
	if o.maxBytes > 0 {
		limit, capNote = o.maxBytes, "--max-bytes"
	}
	ss, err := startSockscope(o.bin, dir, "sockscope", svcPath, o.ui, extra...)
	if err != nil {
		if o.maxBytes > 0 && strings.Contains(err.Error(), "max-bytes") {
			return fmt.Errorf("sockscope does not take --max-bytes; run with -max-bytes 0: %w", err)
		}
		return err
	}
	pid := ss.pid()
	start, _ := treeMem(pid)
	fmt.Printf("memory: %d requests of %d B (and their replies) through sockscope %s on %d connections\n",
		o.memN, o.small, strings.Join(extra, " "), memConns)
	fmt.Printf("  store byte cap %s (%s); RSS at start %s\n", mib(limit), capNote, mib(start.RSS))

	var received atomic.Int64
	errs := make(chan error, memConns)
	t0 := time.Now()
	for i := range int64(memConns) {
		n := o.memN / memConns
		if i < o.memN%memConns {
			n++
		}
		go func() { errs <- push(ctx, ss.addr, o.small, n, &received) }()
	}

	var loadErr error
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	nextTenth, finished := int64(1), 0
	for finished < memConns {
		select {
		case err := <-errs:
			finished++
			loadErr = errors.Join(loadErr, err)
		case <-tick.C:
		}
		for nextTenth <= 10 && received.Load()*10 >= o.memN*nextTenth {
			m, err := treeMem(pid)
			if err != nil {
				return fmt.Errorf("sockscope gone: %w\n%s", err, ss.stop())
			}
			fmt.Printf("  %3d%%  %6.1f s  RSS %s  peak %s\n", nextTenth*10,
				time.Since(t0).Seconds(), mib(m.RSS), mib(m.HWM))
			nextTenth++
		}
	}
	el := time.Since(t0)
	end, memErr := treeMem(pid)
	pss := treePss(pid)
	out := strings.TrimSpace(ss.stop())
	fmt.Println("  sockscope printed:")
	printIndented(out)
	if loadErr != nil {
		return loadErr
	}
	if memErr != nil {
		return memErr
	}
	fmt.Printf("  %d replies in %.1f s (%s req/s)\n", received.Load(), el.Seconds(), si(float64(received.Load())/el.Seconds()))
	fmt.Printf("  peak RSS (VmHWM) %s = %.2f× the store cap; RSS at end (VmRSS) %s\n",
		mib(end.HWM), float64(end.HWM)/float64(limit), mib(end.RSS))
	if pss > 0 {
		fmt.Printf("  at end, the pages sockscope's processes share counted once (Pss): %s\n", mib(pss))
	}
	return nil
}

// push sends n pipelined requests of size bytes on one connection and reads
// their n replies, adding each reply to received.
func push(ctx context.Context, addr string, size int, n int64, received *atomic.Int64) error {
	c, err := dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()

	var wg sync.WaitGroup
	var werr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		w := bufio.NewWriterSize(c, 64<<10)
		req := make([]byte, 0, size+64)
		for id := int64(1); id <= n; id++ {
			req = appendRequest(req[:0], id, size)
			if _, werr = w.Write(req); werr != nil {
				return
			}
		}
		if werr = w.Flush(); werr == nil {
			werr = c.(*net.UnixConn).CloseWrite()
		}
	}()

	buf := make([]byte, 64<<10)
	var got int64
	var rerr error
	for { // to EOF: the service hangs up after the last reply
		k, err := c.Read(buf)
		m := int64(bytes.Count(buf[:k], []byte{'\n'}))
		got += m
		received.Add(m)
		if err != nil {
			if got < n {
				rerr = fmt.Errorf("after %d of %d replies: %w", got, n, err)
			}
			break
		}
	}
	c.Close()
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if rerr != nil {
		return rerr
	}
	return werr
}
