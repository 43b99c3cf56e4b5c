//go:build unix

package feed

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// An instance that takes the connection but does not say hello (stopped:
// the kernel accepts for it) is listed as not answering, not left out:
// `attach --list` did not show it, and `attach` said none was running.
func TestListSaysSilent(t *testing.T) {
	dir, err := os.MkdirTemp("", "feed") // short: a socket's path is bounded
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	t.Setenv("XDG_RUNTIME_DIR", dir)
	if err := privateDir(Dir()); err != nil {
		t.Fatal(err)
	}
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
