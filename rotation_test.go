//go:build unix

package main

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sockscope/session"
)

// The real binary recording with --record-max-size 4K --record-max-files 3
// while one client makes 400 calls: three files are left, the newest, and
// each shows on its own: one segment, nothing cut short, its calls paired,
// the connection (still open when its file ended) ending where the
// recording continues. Bad rotation flags are refused.
func TestRecordRotation(t *testing.T) {
	svc, front := paths(t)
	dir := filepath.Dir(svc)
	file := filepath.Join(dir, "s.jsonl")
	echoServer(t, svc)
	p := startSS(t, nil, "--headless", "--record", file, "--record-max-size", "4K", "--record-max-files", "3", "--listen", front, svc)
	c := dialListening(t, front)
	r := bufio.NewReader(c)
	const calls = 400
	for id := 1; id <= calls; id++ {
		call(t, c, r, id)
	}
	c.(*net.UnixConn).CloseWrite()
	io.Copy(io.Discard, r)
	c.Close()
	eventually(t, "the connection's close recorded", func() bool {
		names, _ := filepath.Glob(filepath.Join(dir, "s*.jsonl"))
		for _, name := range names {
			recs, _ := session.ReadFile(name)
			for _, r := range recs {
				if r.Type == session.TypeClose {
					return true
				}
			}
		}
		return false
	})
	if code := p.stop(os.Interrupt); code != 0 {
		t.Fatalf("exit %d: %s", code, p.err.String())
	}

	names, _ := filepath.Glob(filepath.Join(dir, "s*.jsonl"))
	if len(names) != 3 {
		t.Fatalf("files %v, want the newest 3", names)
	}
	num := func(name string) int { // s.jsonl is 0, s.N.jsonl is N
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(name), "s."), ".jsonl"))
		return n
	}
	slices.SortFunc(names, func(a, b string) int { return num(a) - num(b) })
	ok, withCalls := 0, 0
	for i, name := range names {
		_, summary := showRun(t, "show", "--headless", name)
		// A connection that goes on in the next file did not fail.
		if !strings.Contains(summary, ": 1 segment; ") || strings.Contains(summary, "cut short") || !strings.Contains(summary, "(0 failed") {
			t.Errorf("%s: %s", name, summary)
		}
		m := regexp.MustCompile(`(\d+) ok`).FindStringSubmatch(summary)
		n, _ := strconv.Atoi(m[1])
		ok += n
		if n > 0 {
			withCalls++
		}
		out, _ := showRun(t, "show", "--dump", name)
		// A file that ended with the connection open says where it goes on;
		// the connection may also have closed just before a rotation.
		if i < len(names)-1 && !strings.Contains(out, `"open_at_exit":true`) && !strings.Contains(out, `{"type":"close","conn":1,`) {
			t.Errorf("%s: the connection does not continue in the next file:\n%s", name, out)
		}
	}
	if withCalls < 2 {
		t.Errorf("%d of the 3 files hold paired calls", withCalls)
	}
	if ok >= calls {
		t.Errorf("%d calls paired in 3 files of 4 KiB: the older files were not removed", ok)
	}

	for _, args := range [][]string{
		{"--record-max-size", "4K"},
		{"--record", file, "--record-max-files", "3"},
		{"--record", file, "--record-max-size", "lots"},
	} {
		out, err := startSSOnce(append(args, "--headless", "--listen", front+"2", svc)...)
		if err == nil || !strings.Contains(out, "--record") {
			t.Errorf("%v: %v, %q: want refused", args, err, out)
		}
	}
}

// startSSOnce runs the real binary until it exits, for arguments it
// refuses; it returns its output.
func startSSOnce(args ...string) (string, error) {
	out, err := exec.Command(binary, args...).CombinedOutput()
	return string(out), err
}
