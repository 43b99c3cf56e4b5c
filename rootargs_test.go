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
// nothing after it, is refused too, with status 2, bad usage. Nothing runs.
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
		if status != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("sockscope %q: status %d, stderr %q; want 2 and %q", c.args, status, errOut, c.want)
		}
	}
}

// Every command ends with status 2 on bad flags and arguments (attach,
// send, replay and serve did; the root command and the others said 1),
// and with 1 when it fails as it runs: a file or socket that is not there.
// A help topic that names no command is bad too (cobra showed the root's
// help and exited 0).
func TestUsageExitStatus(t *testing.T) {
	dir := shortDir(t)
	none := filepath.Join(dir, "none")
	for _, c := range []struct {
		args   []string
		status int
		want   string
	}{
		{[]string{"--bogus", "/tmp/a.sock"}, 2, "unknown flag: --bogus"},
		{[]string{"--max-frame", "many", "/tmp/a.sock"}, 2, `invalid argument "many" for "--max-frame"`},
		{[]string{"--framing", "bogus", none}, 2, `--framing "bogus": want one of`},
		{[]string{"--rule", "bogus", none}, 2, `--rule 1: rule "bogus"`},
		{[]string{"--headless", "--intercept", "method:add", none}, 2, "--intercept holds frames"},
		{[]string{"--listen", filepath.Join(dir, "f.sock"), "--mode", "rw", none}, 2, `--mode "rw": want an octal file mode`},
		{[]string{"no-address"}, 2, `address "no-address": want unix:/path`},
		{[]string{"--headless", none}, 1, "not a socket: nothing exists there"},
		{[]string{"show"}, 2, "accepts 1 arg(s), received 0"},
		{[]string{"show", "--bogus", none}, 2, "unknown flag: --bogus"},
		{[]string{"show", none}, 1, "no such file or directory"},
		{[]string{"export", none, "a.har"}, 2, "accepts 1 arg(s), received 2"},
		{[]string{"export", none}, 2, "say --format pcapng, jsonl or har"},
		{[]string{"export", "--format", "xml", none}, 2, `format "xml": want one of pcapng, jsonl, har`},
		{[]string{"export", "--format", "har", "--filter", "status:nonsense", none}, 2, "--filter: "},
		{[]string{"export", "--format", "har", none}, 1, "no such file or directory"},
		{[]string{"demo", "extra"}, 2, `unknown command "extra" for "sockscope demo"`},
		{[]string{"restore"}, 2, "accepts 1 arg(s), received 0"},
		{[]string{"restore", "--bogus", none}, 2, "unknown flag: --bogus"},
		{[]string{"restore", none}, 1, "nothing to restore"},
		{[]string{"wrap", "--dump", "cat"}, 2, "--dump writes on stdout"},
		{[]string{"attach", "--bogus"}, 2, "unknown flag: --bogus"},
		{[]string{"send"}, 2, "accepts between 1 and 2 arg(s), received 0"},
		{[]string{"replay", none}, 2, "accepts 2 arg(s), received 1"},
		{[]string{"serve", "--bogus", none}, 2, "unknown flag: --bogus"},
		{[]string{"help", "bogus"}, 2, `no help topic "bogus"; the commands: attach, completion, demo,`},
		{[]string{"help", "send", "x"}, 2, `no help topic "send x"`},
		{[]string{"help", "shwo"}, 2, `no help topic "shwo"; did you mean show?`},
		{[]string{"help", "send"}, 0, ""},
	} {
		_, errOut, status := runStatus(t, c.args...)
		if status != c.status || !strings.Contains(errOut, c.want) {
			t.Errorf("sockscope %q: status %d, stderr %q; want %d and %q", c.args, status, errOut, c.status, c.want)
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
