//go:build unix

package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// subscriber runs redis-cli SUBSCRIBE (RESP3 with resp3 set) and returns
// its output lines once it has confirmed the subscription.
func subscriber(t *testing.T, sock, channel string, resp3 bool) <-chan string {
	t.Helper()
	args := []string{"-s", sock, "subscribe", channel}
	if resp3 {
		args = append([]string{"-3"}, args...)
	}
	cmd := exec.Command("redis-cli", args...)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 16)
	sc := bufio.NewScanner(out)
	for _, want := range []string{"subscribe", channel, "1"} {
		if !sc.Scan() || sc.Text() != want {
			t.Fatalf("redis-cli subscribe said %q, want %q", sc.Text(), want)
		}
	}
	go func() {
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	return lines
}

// The real redis-server behind the real binary: redis-cli's commands pair
// with their replies, WRONGTYPE is an error, values show as JSON, pub/sub
// messages in RESP2 and RESP3 pushes are notifications that pair with
// nothing, and redis-benchmark's pipelined commands (-P 16) all pair.
func TestRedis(t *testing.T) {
	need(t, "redis-server", "redis-cli", "redis-benchmark")
	dir := shortDir(t)
	up, front := filepath.Join(dir, "r.sock"), filepath.Join(dir, "f.sock")
	startProc(t, "redis-server", "--port", "0", "--unixsocket", up, "--save", "", "--appendonly", "no", "--dir", dir)
	dialWait(t, up)
	rec := filepath.Join(dir, "s.jsonl")
	stop := sockscope(t, "--dump", "--lossless", "--record", rec, "--listen", front, up)
	dialWait(t, front)

	cli := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("redis-cli", append([]string{"-s", front}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	cli("set", "k", "v")
	cli("rpush", "l", "a", "b", "c")
	if got := cli("lrange", "l", "0", "-1"); got != "a\nb\nc" {
		t.Fatalf("lrange: %q", got)
	}
	cli("incr", "l") // WRONGTYPE
	cli("-3", "hgetall", "nohash")
	for _, resp3 := range []bool{false, true} {
		ch := "ch2"
		if resp3 {
			ch = "ch3"
		}
		sub := subscriber(t, front, ch, resp3)
		cli("publish", ch, "hi")
		for _, want := range []string{"message", ch, "hi"} {
			if got := <-sub; got != want {
				t.Fatalf("subscriber got %q, want %q", got, want)
			}
		}
	}
	bench := exec.Command("redis-benchmark", "-s", front, "-P", "16", "-n", "2000", "-c", "4", "-q", "-t", "set,get,lpush,lrange_100")
	if out, err := bench.CombinedOutput(); err != nil {
		t.Fatalf("redis-benchmark: %v\n%s", err, out)
	}
	lines := dumpLines(t, stop())

	counts := map[string]int{}
	var errs []string
	for _, e := range ofType(lines, "exchange") {
		counts[e["status"].(string)]++
		if e["status"] == "error" {
			errs = append(errs, e["method"].(string))
		}
	}
	var requests, notes, pushes, lranges int
	for _, m := range ofType(lines, "message") {
		switch m["kind"] {
		case "request":
			requests++
		case "notification":
			notes++
			if f, _ := m["frame"].([]any); m["dir"] == "s2c" && len(f) == 3 && f[0] == "message" {
				pushes++
			}
		default:
			if m["kind"] != "response" {
				t.Errorf("not decoded: %v", m)
			}
		}
		if f, _ := m["frame"].([]any); m["method"] == "LRANGE" && len(f) > 0 && f[0] == "lrange" { // redis-cli's, as typed
			lranges++
			if len(f) != 4 || f[1] != "l" {
				t.Errorf("lrange shown as %v", m["frame"])
			}
		}
	}
	if lranges != 1 {
		t.Errorf("redis-cli's lrange seen %d times, want once", lranges)
	}
	if requests < 4*2000 || counts["ok"]+counts["error"] != requests {
		t.Errorf("%d requests, exchanges %v: every command must pair", requests, counts)
	}
	if counts["orphan"] != 0 || counts["no-reply"] != 0 {
		t.Errorf("exchanges %v", counts)
	}
	if len(errs) != 1 || errs[0] != "INCR" { // as typed "incr": one method, in capitals
		t.Errorf("error exchanges %v, want the one incr", errs)
	}
	// The recording decodes again to the same exchanges.
	shown, err := exec.Command(binary, "show", "--dump", rec).Output()
	if err != nil {
		t.Fatalf("show: %v", err)
	}
	again := map[string]int{}
	for _, e := range ofType(dumpLines(t, shown), "exchange") {
		again[e["status"].(string)]++
	}
	if again["ok"] != counts["ok"] || again["error"] != counts["error"] || len(again) != len(counts) {
		t.Errorf("show's exchanges %v, live %v", again, counts)
	}
	// Two SUBSCRIBEs, two confirmations, two messages (one a RESP3 push).
	if pushes != 2 || notes != 6 {
		t.Errorf("%d pub/sub messages, %d notifications; want 2 and 6", pushes, notes)
	}
}
