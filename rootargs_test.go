//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The root command's arguments: none, or two, says what it wants (it said
// cobra's "accepts 1 arg(s), received 0"); UPSTREAM with -- CMD, or -- with
// nothing after it, is refused too. Nothing runs.
func TestRootArgs(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "no UPSTREAM: give the socket or address to stand in front of, or -- CMD to wrap"},
		{[]string{"/tmp/a.sock", "/tmp/b.sock"}, "one UPSTREAM, not 2 (/tmp/a.sock /tmp/b.sock)"},
		{[]string{"/tmp/a.sock", "--", "cat"}, "give either UPSTREAM or -- CMD [ARGS...], not both"},
		{[]string{"--"}, "-- needs a command to wrap"},
	} {
		_, errOut, status := runStatus(t, c.args...)
		if status != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("sockscope %q: status %d, stderr %q; want 1 and %q", c.args, status, errOut, c.want)
		}
	}
}

// A recording the decoder's process cannot create (-w in a directory that
// is not there) is said once, by the process that tried, and nothing is
// listened on (a second line said "the decoder's process ended before it
// ran: exit status 1").
func TestRecordPathRefusedOnce(t *testing.T) {
	dir := shortDir(t)
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
	echoServer(t, svc)
	_, errOut, status := runStatus(t, "--headless", "-w", filepath.Join(dir, "none", "s.jsonl"), "--listen", front, svc)
	if status != 1 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, "none/s.jsonl: no such file or directory") {
		t.Errorf("status %d, stderr %q: want 1 and the one reason", status, errOut)
	}
	if _, err := os.Stat(front); err == nil {
		t.Errorf("%s is left behind", front)
	}
}
