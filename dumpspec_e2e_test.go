//go:build unix

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// dumpMembers are the members the README's --dump section (and its
// Intercept section, for what rules did) gives each line type.
var dumpMembers = map[string][]string{
	"open":     {"type", "conn", "at", "client", "listen", "upstream", "pid", "uid", "process", "own"},
	"message":  {"type", "conn", "dir", "at", "size", "kind", "id", "method", "error", "continues", "truncated", "injected", "withheld", "act", "rule", "held_us", "diff", "was", "frame", "text", "b64", "reason"},
	"exchange": {"type", "conn", "dir", "id", "method", "status", "code", "latency_us", "duplicate", "gap", "injected", "act"},
	"gap":      {"type", "conn", "dir", "at", "bytes"},
	"close":    {"type", "conn", "at", "open_at_exit"},
	"error":    {"type", "conn", "at", "error"},
}

// The --dump of real traffic holds to the README: every line begins with
// type and conn, has only the members the README names for its type, its
// times are RFC 3339, and each connection ends with one close or error.
// The seed service under rules, with frames sockscope sent itself, a frame
// over --max-frame, a line that is not JSON, and an upstream that is gone.
func TestDumpSpec(t *testing.T) {
	dir := shortDir(t)
	seed, front, feed := filepath.Join(dir, "seed.sock"), filepath.Join(dir, "f.sock"), filepath.Join(dir, "feed.sock")
	seedServerAt(t, seed)
	stop := sockscope(t, slices.Concat([]string{"--dump", "--feed=" + feed, "--max-frame", "64", "--listen", front}, seedRules, []string{seed})...)
	underRules(t, front, feed, `"echo","args":["`+strings.Repeat("y", 100)+`"]`, `"unknown"`)
	runs := [][]byte{stop()}
	// And a run whose upstream is gone: its connection fails.
	stop = sockscope(t, "--dump", "--listen", front, filepath.Join(dir, "gone.sock"))
	g := dialListening(t, front)
	g.SetReadDeadline(time.Now().Add(time.Minute))
	bufio.NewReader(g).ReadString('\n') // the end of the connection
	g.Close()
	runs = append(runs, stop())

	start := regexp.MustCompile(`^\{"type":"[a-z]+","conn":[0-9]+[,}]`)
	at := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$`)
	ends := map[string]int{} // by run and connection
	seen := map[string]bool{}
	for run, out := range runs {
		for line := range bytes.Lines(out) {
			checkDumpLine(t, line, run, start, at, ends, seen)
		}
	}
	for conn, n := range ends {
		if n != 1 {
			t.Errorf("connection %s ended %d times", conn, n)
		}
	}
	for _, want := range []string{"open.own", "message.truncated", "message.injected", "message.withheld", "message.act",
		"message.rule", "message.diff", "message.was", "message.text", "message.reason", "message.frame", "exchange.latency_us",
		"exchange.injected", "exchange.act", "close.open_at_exit", "error.error"} {
		if !seen[want] {
			t.Errorf("the run has no %s: it checks less than it means to", want)
		}
	}
	if t.Failed() {
		t.Logf("the dumps:\n%s\n%s", runs[0], runs[1])
	}
}

// checkDumpLine checks one line of run's dump, counting connections' ends
// and the members seen.
func checkDumpLine(t *testing.T, line []byte, run int, start, at *regexp.Regexp, ends map[string]int, seen map[string]bool) {
	t.Helper()
	if !start.Match(line) {
		t.Errorf("a line that does not begin with type and conn: %s", line)
		return
	}
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	typ := m["type"].(string)
	allowed, ok := dumpMembers[typ]
	if !ok {
		t.Errorf("a line of a type the README does not name: %s", line)
		return
	}
	for k := range m {
		if !slices.Contains(allowed, k) {
			t.Errorf("%s line with %q, which the README does not name: %s", typ, k, line)
		}
		seen[typ+"."+k] = true
	}
	if s, ok := m["at"].(string); ok && !at.MatchString(s) {
		t.Errorf("at %q: %s", s, line)
	}
	if typ == "close" || typ == "error" {
		ends[fmt.Sprint(run, " ", m["conn"])]++
	}
}
