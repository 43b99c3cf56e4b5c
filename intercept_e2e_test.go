//go:build unix

package main

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sockscope/internal/nodetest"
	"sockscope/session"
)

// ruleRun is the real binary with rules between the seed Node server and
// the probe Node client.
type ruleRun struct {
	client *nodetest.Proc
	stop   func() []byte
	record string
	rid    int
}

// startRules starts the seed server, sockscope --dump with args in front
// of it (listening on listen, a path or an ADDR; "" for a Unix socket of
// its own) and the probe client, registered.
func startRules(t *testing.T, listen string, args ...string) *ruleRun {
	t.Helper()
	dir := shortDir(t)
	svc := filepath.Join(dir, "svc.sock")
	nodetest.Start(t, "seed-server.js", svc).Expect(t, "listening")
	network := "tcp"
	if listen == "" {
		listen, network = filepath.Join(dir, "front.sock"), "unix"
	}
	rr := &ruleRun{record: filepath.Join(dir, "s.jsonl")}
	rr.stop = sockscope(t, append([]string{"--dump", "--lossless", "-w", rr.record, "--listen", listen, svc}, args...)...)
	waitAccepting(t, network, listen)
	rr.client = nodetest.Start(t, "probe-client.js", listen)
	rr.client.Expect(t, "registered")
	return rr
}

// waitAccepting connects to addr until it can (the probe connection is
// relayed, registered by the server, and closed).
func waitAccepting(t *testing.T, network, addr string) {
	t.Helper()
	for i := 0; ; i++ {
		c, err := net.Dial(network, addr)
		if err == nil {
			c.Close()
			return
		}
		if i > 2000 {
			t.Fatalf("%s never listened: %v", addr, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// call makes the client call method with args and returns the rid.
func (rr *ruleRun) call(t *testing.T, method, args string) int {
	t.Helper()
	rr.rid++
	rr.client.Say("call " + method + " " + args)
	rr.client.Expect(t, "sent "+strconv.Itoa(rr.rid))
	return rr.rid
}

// next returns the client's next line, parsed: what ("reply", "raw",
// "closed", "error"), the rid, the ms and the message of a reply.
func (rr *ruleRun) next(t *testing.T) (what string, rid, ms int, msg map[string]any, line string) {
	t.Helper()
	line = rr.client.Line(t)
	f := strings.SplitN(line, " ", 4)
	what = f[0]
	if what == "reply" && len(f) == 4 {
		rid, _ = strconv.Atoi(f[1])
		ms, _ = strconv.Atoi(f[2])
		json.Unmarshal([]byte(f[3]), &msg)
	}
	return what, rid, ms, msg, line
}

// replyTo reads the next line, which must be the reply to rid.
func (rr *ruleRun) replyTo(t *testing.T, rid int) (map[string]any, int) {
	t.Helper()
	what, got, ms, msg, line := rr.next(t)
	if what != "reply" || got != rid {
		t.Fatalf("client said %q, want the reply to rid %d", line, rid)
	}
	return msg, ms
}

// notes returns the recorded frames' notes, by act.
func (rr *ruleRun) notes(t *testing.T) map[string][]session.Record {
	t.Helper()
	by := map[string][]session.Record{}
	for _, r := range recordedFrames(t, rr.record) {
		if r.Note != nil {
			by[r.Note.Act.String()] = append(by[r.Note.Act.String()], r)
		}
	}
	return by
}

// dumped returns the --dump message lines that carry a rule's name.
func dumped(t *testing.T, out []byte, rule string) []map[string]any {
	var hits []map[string]any
	for _, l := range dumpLines(t, out) {
		if l["type"] == "message" && l["rule"] == rule {
			hits = append(hits, l)
		}
	}
	return hits
}

func TestRuleDelay(t *testing.T) {
	rr := startRules(t, "", "--rule", "method:add delay:500ms")
	rid := rr.call(t, "add", "[1,2]")
	if m, ms := rr.replyTo(t, rid); m["data"] != 3.0 || ms < 500 {
		t.Fatalf("add answered %v after %d ms, want 3 after at least 500", m, ms)
	}
	rid = rr.call(t, "echo", `["x"]`)
	if m, ms := rr.replyTo(t, rid); m["data"] != "x" || ms >= 500 {
		t.Fatalf("echo (no rule) answered %v after %d ms", m, ms)
	}
	if hits := dumped(t, rr.stop(), "r1"); len(hits) != 1 || hits[0]["act"] != "delay" {
		t.Fatalf("dumped hits of r1: %v", hits)
	}
	if d := rr.notes(t)["delay"]; len(d) != 1 || d[0].Note.Rule != "r1" {
		t.Fatalf("recorded delays: %v", d)
	}
}

// errorCounts calls add n times and returns, per call, whether it failed
// with the rule's error (and checks the others succeeded).
func errorCounts(t *testing.T, rr *ruleRun, n int) string {
	t.Helper()
	var got strings.Builder
	for i := 0; i < n; i++ {
		rid := rr.call(t, "add", "[1,1]")
		m, _ := rr.replyTo(t, rid)
		switch {
		case m["success"] == false && m["error"] == "boom":
			got.WriteByte('E')
		case m["success"] == true && m["data"] == 2.0:
			got.WriteByte('.')
		default:
			t.Fatalf("add answered %v", m)
		}
	}
	return got.String()
}

func TestRuleErrorCounts(t *testing.T) {
	for _, c := range []struct{ count, want string }{
		{"after:2", "..EEE"},
		{"after:2 once", "..E.."},
		{"times:2", "EE..."},
		{"every:2", ".E.E."},
		{"", "EEEEE"},
	} {
		t.Run(strings.ReplaceAll(c.count+"_", " ", "_"), func(t *testing.T) {
			rr := startRules(t, "", "--rule", "method:add error:-32000:boom "+c.count)
			if got := errorCounts(t, rr, 5); got != c.want {
				t.Fatalf("with %q: %s, want %s", c.count, got, c.want)
			}
			rr.stop()
			fabs := rr.notes(t)["fab"]
			if want := 2 * strings.Count(c.want, "E"); len(fabs) != want { // each request answered, and its reply
				t.Fatalf("%d frames recorded as fabricated, want %d", len(fabs), want)
			}
		})
	}
}

// prob: with a seed, the same draws each run, neither all nor none.
func TestRuleProbSeeded(t *testing.T) {
	var runs []string
	for range 2 {
		rr := startRules(t, "", "--seed", "7", "--rule", "method:add error:-1:boom prob:0.5")
		runs = append(runs, errorCounts(t, rr, 16))
		rr.stop()
	}
	if runs[0] != runs[1] || !strings.Contains(runs[0], "E") || !strings.Contains(runs[0], ".") {
		t.Fatalf("prob:0.5 with --seed 7 gave %q then %q", runs[0], runs[1])
	}
}

func TestRuleActions(t *testing.T) {
	t.Run("drop", func(t *testing.T) {
		rr := startRules(t, "", "--rule", "method:echo drop")
		rr.call(t, "echo", `["x"]`)
		rid := rr.call(t, "add", "[1,1]")
		rr.replyTo(t, rid) // the next line: never a reply to the echo
		rr.client.Say("quit")
		out := rr.stop()
		for _, l := range dumpLines(t, out) {
			if l["type"] == "exchange" && l["method"] == "echo" && (l["status"] != "no-reply" || l["act"] != "drop") {
				t.Fatalf("the dropped echo's exchange: %v", l)
			}
		}
	})
	t.Run("reply", func(t *testing.T) {
		rr := startRules(t, "", "--rule", `method:add reply:{"made":"up"}`)
		rid := rr.call(t, "add", "[1,1]")
		m, _ := rr.replyTo(t, rid)
		if d, _ := m["data"].(map[string]any); m["success"] != true || d["made"] != "up" {
			t.Fatalf("reply: %v", m)
		}
	})
	t.Run("set", func(t *testing.T) {
		rr := startRules(t, "", "--rule", "method:add set:$.args=[10,20]")
		rid := rr.call(t, "add", "[1,1]")
		if m, _ := rr.replyTo(t, rid); m["data"] != 30.0 {
			t.Fatalf("set: %v", m)
		}
		rr.stop()
		if e := rr.notes(t)["edit"]; len(e) != 1 || !strings.Contains(e[0].Note.Diff, `"args":[10,20]`) ||
			!strings.Contains(string(e[0].Note.Was), `"args":[1,1]`) {
			t.Fatalf("recorded edits: %v, want the diff and the request as the client sent it", e)
		}
	})
	reply := len(`{"rid":1,"success":true,"data":2}`)
	t.Run("garbage", func(t *testing.T) {
		rr := startRules(t, "", "--rule", "dir:s2c kind:response garbage")
		rr.call(t, "add", "[1,1]")
		if _, _, _, _, line := rr.next(t); line != "raw "+strconv.Itoa(reply) {
			t.Fatalf("client said %q, want a line of %d bytes that is not JSON", line, reply)
		}
	})
	t.Run("truncate", func(t *testing.T) {
		rr := startRules(t, "", "--rule", "dir:s2c kind:response truncate:10")
		rr.call(t, "add", "[1,1]")
		if _, _, _, _, line := rr.next(t); line != "raw 10" {
			t.Fatalf("client said %q, want a 10-byte line", line)
		}
	})
	t.Run("duplicate", func(t *testing.T) {
		rr := startRules(t, "", "--rule", "dir:s2c kind:response duplicate once")
		rid := rr.call(t, "add", "[1,1]")
		rr.replyTo(t, rid)
		rr.replyTo(t, rid)
		rid = rr.call(t, "add", "[2,2]")
		rr.replyTo(t, rid)
		rid = rr.call(t, "add", "[3,3]")
		rr.replyTo(t, rid) // once: no second copy came before it
	})
	t.Run("close", func(t *testing.T) {
		rr := startRules(t, "", "--rule", "method:add close")
		rr.call(t, "add", "[1,1]")
		if what, _, _, _, line := rr.next(t); what != "closed" {
			t.Fatalf("client said %q, want the connection closed", line)
		}
	})
	t.Run("reset", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		rr := startRules(t, addr, "--rule", "method:add reset")
		rr.call(t, "add", "[1,1]")
		if _, _, _, _, line := rr.next(t); line != "error ECONNRESET" {
			t.Fatalf("client said %q, want a reset", line)
		}
	})
	t.Run("slice", func(t *testing.T) {
		rr := startRules(t, "", "--rule", "dir:s2c kind:response slice:3")
		rid := rr.call(t, "echo", `["sliced but whole"]`)
		if m, _ := rr.replyTo(t, rid); m["data"] != "sliced but whole" {
			t.Fatalf("slice: %v", m)
		}
	})
	t.Run("bandwidth", func(t *testing.T) {
		rr := startRules(t, "", "--rule", "dir:s2c kind:response bandwidth:10")
		big := strings.Repeat("b", 5000) // about half a second at 10 KB/s
		rid := rr.call(t, "echo", `["`+big+`"]`)
		if m, ms := rr.replyTo(t, rid); m["data"] != big || ms < 300 {
			t.Fatalf("bandwidth: %d bytes after %d ms", len(m["data"].(string)), ms)
		}
	})
	t.Run("hold", func(t *testing.T) {
		rr := startRules(t, "", "--hold-timeout", "400ms", "--rule", "method:add hold")
		rid := rr.call(t, "add", "[1,1]")
		if m, ms := rr.replyTo(t, rid); m["data"] != 2.0 || ms < 400 {
			t.Fatalf("held add answered %v after %d ms, want it as it was after the 400 ms timeout", m, ms)
		}
		rr.stop()
		if to := rr.notes(t)["timeout"]; len(to) != 1 || to[0].Note.Rule != "r1" || to[0].Note.Held < 400e6 {
			t.Fatalf("recorded timeouts: %v", to)
		}
	})
}

func TestRulesFile(t *testing.T) {
	dir := shortDir(t)
	yml := filepath.Join(dir, "rules.yaml")
	os.WriteFile(yml, []byte("- method:add error:-32000:boom after:1 once\n- name: slow-echo\n  match: method:echo\n  action: delay:300ms\n"), 0o600)
	rr := startRules(t, "", "--rules", yml)
	if got := errorCounts(t, rr, 3); got != ".E." {
		t.Fatalf("the file's first rule: %s, want .E.", got)
	}
	rid := rr.call(t, "echo", `["slow"]`)
	if _, ms := rr.replyTo(t, rid); ms < 300 {
		t.Fatalf("slow-echo: %d ms", ms)
	}
	if hits := dumped(t, rr.stop(), "slow-echo"); len(hits) != 1 {
		t.Fatalf("dumped hits of slow-echo: %v", hits)
	}

	js := filepath.Join(dir, "rules.json")
	os.WriteFile(js, []byte(`[{"match":"method:add","action":"reply:7"}]`), 0o600)
	rr = startRules(t, "", "--rules", js)
	rid = rr.call(t, "add", "[1,1]")
	if m, _ := rr.replyTo(t, rid); m["data"] != 7.0 {
		t.Fatalf("the JSON file's rule: %v", m)
	}
}

// With a rule on, a frame whose end does not come (a JSON line without its
// line end) still reaches the server, and a headless run says on stderr
// that no rule saw it.
func TestHeadlessUnjudgedFrameNotice(t *testing.T) {
	dir := shortDir(t)
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
	ln, err := net.Listen("unix", svc)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 64)
		n, _ := c.Read(buf)
		got <- string(buf[:n])
	}()
	cmd := exec.Command(binary, "--headless", "--rule", `"never sent" drop`, "--listen", front, svc)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	eventually(t, "sockscope listening", func() bool { return strings.Contains(stderr.String(), "listening on") })
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte(`{"prompt":`))
	select {
	case s := <-got:
		if s != `{"prompt":` {
			t.Fatalf("the server read %q", s)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the partial frame never reached the server")
	}
	eventually(t, "the notice on stderr", func() bool {
		return strings.Contains(stderr.String(), "sockscope: conn 1 c2s: a frame went on unseen by rules and intercept: its end did not come")
	})
	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("sockscope: %v\n%s", err, stderr.String())
	}
}
