//go:build unix

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// In take-over mode the status bar names the path the clients use, taken
// over, never the temporary name sockscope's socket had during the swap;
// so do the connections (their Listen, in the dump).
func TestTakeoverStatusBarShowsThePath(t *testing.T) {
	path := takeoverServer(t)
	dir := filepath.Dir(path)
	tm := newTerm(t, dir, 160, 30, nil, binary, path)
	tm.waitScreen("the path taken over in the status bar", func(s string) error {
		top := strings.SplitN(s, "\n", 2)[0]
		if !strings.Contains(top, path+" (taken over) → ") {
			return fmt.Errorf("status bar %q does not name %s as taken over", top, path)
		}
		if strings.Contains(top, ".new") {
			return fmt.Errorf("status bar %q names the temporary socket", top)
		}
		return nil
	})
	tm.keys("q")
	if st := tm.waitExit(); st != "0" {
		t.Errorf("sockscope exited with status %s\nscreen:\n%s", st, tm.screen())
	}

	path = takeoverServer(t)
	p := startSS(t, nil, "--dump", path)
	p.waitStderr("took over " + path)
	roundTrip(t, path, `{"jsonrpc":"2.0","id":1,"method":"m"}`+"\n")
	eventually(t, "the connection's close in the dump", func() bool {
		return strings.Contains(p.out.String(), `{"type":"close","conn":1`)
	})
	p.stop(os.Interrupt)
	for _, l := range dumpLines(t, p.out.Bytes()) {
		if l["type"] == "open" && l["listen"] != path {
			t.Errorf("open %v: want listen %q", l, path)
		}
	}
}
