//go:build unix

package feed

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// instancesDir makes Dir a new directory of the test's, where List looks.
func instancesDir(t *testing.T) {
	t.Helper()
	dir, err := os.MkdirTemp("", "feed") // short: a socket's path is bounded
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	t.Setenv("XDG_RUNTIME_DIR", dir)
	if err := privateDir(Dir()); err != nil {
		t.Fatal(err)
	}
}

// An instance that takes the connection but does not say hello (stopped:
// the kernel accepts for it) is listed as not answering, not left out:
// `attach --list` did not show it, and `attach` said none was running.
func TestListSaysSilent(t *testing.T) {
	instancesDir(t)
	ln, err := net.Listen("unix", filepath.Join(Dir(), "4242.sock")) // never accepts
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	defer func(d time.Duration) { probeTimeout = d }(probeTimeout)
	probeTimeout = 50 * time.Millisecond
	ins, err := List()
	if err != nil || len(ins) != 1 || !ins[0].Silent || ins[0].PID != 4242 || !strings.Contains(ins[0].String(), "4242: does not answer (stopped?)") {
		t.Fatalf("List: %v, %+v; want the silent instance 4242", err, ins)
	}
}

// List probes the instances at once: each of these answers only once all
// three are connected, which probes one after the other never were (the
// first waited out probeTimeout, and each stopped instance took that long).
func TestListProbesAtOnce(t *testing.T) {
	instancesDir(t)
	const n = 3
	conns := make(chan net.Conn, n)
	for pid := 1; pid <= n; pid++ {
		ln, err := net.Listen("unix", filepath.Join(Dir(), strconv.Itoa(pid)+".sock"))
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			if c, err := ln.Accept(); err == nil {
				conns <- c
			}
		}()
	}
	go func() {
		var held []net.Conn
		for len(held) < n {
			held = append(held, <-conns)
		}
		for i, c := range held {
			json.NewEncoder(c).Encode(Hello{Type: typeHello, Feed: Version, PID: 100 + i})
		}
	}()
	ins, err := List()
	if err != nil || len(ins) != n {
		t.Fatalf("List: %v, %+v; want %d instances", err, ins, n)
	}
	for _, in := range ins {
		if in.Silent {
			t.Errorf("%+v silent: probed one after the other", in)
		}
	}
}
