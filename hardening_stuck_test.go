//go:build unix

package main

import (
	"bufio"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// floodOrEcho serves a connection whose first line asks for a "flood" by
// writing 4 KiB lines to it for as long as it can, counting them in sent;
// any other connection is echoed.
func floodOrEcho(sent *atomic.Int64) func(net.Conn) {
	line := strings.Repeat("f", 4095) + "\n"
	return func(c net.Conn) {
		r := bufio.NewReader(c)
		first, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if !strings.Contains(first, "flood") {
			io.WriteString(c, first)
			io.Copy(c, r)
			return
		}
		for {
			n, err := io.WriteString(c, line)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	}
}

// A client that never reads while the server floods it: the flood stops
// at what the socket buffers hold (sockscope buffers nothing more), other
// clients are served as usual, and sockscope's memory stays bounded.
func TestStuckClient(t *testing.T) {
	const rssBound = 128 << 10 // KiB
	svc, front := paths(t)
	var sent atomic.Int64
	startUpstream(t, svc, floodOrEcho(&sent))
	p := startSS(t, nil, "--headless", "--listen", front, svc)
	waitListening(t, front)
	stuck, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	io.WriteString(stuck, `{"jsonrpc":"2.0","id":1,"method":"flood"}`+"\n")

	// The flood stalls once the buffers between server and client are full.
	last, still := int64(-1), 0
	eventually(t, "the flood to stall", func() bool {
		time.Sleep(100 * time.Millisecond)
		n := sent.Load()
		if n == last && n > 0 {
			still++
		} else {
			still = 0
		}
		last = n
		return still >= 5
	})
	held := sent.Load()
	if held > 32<<20 {
		t.Errorf("the server wrote %d bytes to a client that never reads: sockscope buffers them", held)
	}

	start := time.Now()
	moved := hammer(t, front, 50, 100, nil)
	elapsed := time.Since(start)
	rss, hwm := procKiB(t, p.pid(), "VmRSS"), procKiB(t, p.pid(), "VmHWM")
	if rss > rssBound {
		t.Errorf("VmRSS %d KiB while a client is stuck, want under %d KiB", rss, rssBound)
	}
	if n := sent.Load(); n != held {
		t.Errorf("the stuck client took %d more bytes without reading", n-held)
	}
	if code := p.stop(os.Interrupt); code != 0 {
		t.Errorf("exit %d: %s", code, p.err.String())
	}
	t.Logf("stuck client held with %d bytes in flight; 50 other conns × 100 calls moved %d bytes in %v; VmRSS %d KiB, VmHWM %d KiB",
		held, moved, elapsed.Round(time.Millisecond), rss, hwm)
}
