//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRequestAndReplySizes(t *testing.T) {
	for _, size := range []int{64, 100, 16 << 10, 1 << 21} {
		req := appendRequest(nil, 12345, size)
		if len(req) != size {
			t.Errorf("request of size %d is %d bytes", size, len(req))
		}
		var m struct {
			ID     int64
			Method string
			Params string
		}
		if err := json.Unmarshal(req, &m); err != nil || m.ID != 12345 || m.Method != "echo" {
			t.Errorf("request %.80s: %+v %v", req, m, err)
		}
		if id := string(requestID(req)); id != "12345" {
			t.Errorf("requestID = %q", id)
		}
		rep := appendReply(nil, []byte("12345"), size)
		if len(rep) != size {
			t.Errorf("reply of size %d is %d bytes", size, len(rep))
		}
		if !json.Valid(rep) {
			t.Errorf("reply %.80s is not JSON", rep)
		}
	}
	// Too small to pad: as short as it can be, still valid.
	if req := appendRequest(nil, 1, 10); !json.Valid(req) {
		t.Errorf("tiny request %s", req)
	}
}

// startTestEcho serves the echo service on a temp unix socket.
func startTestEcho(t *testing.T, replySize int) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "svc.sock")
	svc, err := startEcho(path, replySize, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.close)
	return path
}

func TestEchoServiceAnswersEachLine(t *testing.T) {
	for _, replySize := range []int{0, 300} {
		path := startTestEcho(t, replySize)
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(30 * time.Second))
		// Pipelined, including a line longer than the service's buffer.
		sizes := []int{64, 200 << 10, 64}
		go func() {
			for i, n := range sizes {
				c.Write(appendRequest(nil, int64(i+1), n))
			}
		}()
		r := bufio.NewReader(c)
		for i, n := range sizes {
			line, err := r.ReadBytes('\n')
			if err != nil {
				t.Fatal(err)
			}
			want := n
			if replySize > 0 {
				want = replySize
			}
			var m struct{ ID int }
			if len(line) != want || json.Unmarshal(line, &m) != nil || m.ID != i+1 {
				t.Errorf("reply %d: %d bytes, id %d; want %d bytes, id %d", i, len(line), m.ID, want, i+1)
			}
		}
	}
}

// TestScenariosRunDirect runs every scenario briefly against its service
// itself; no speed is asserted, only that each measures something.
func TestScenariosRunDirect(t *testing.T) {
	upstream := map[string]string{serviceEcho: startTestEcho(t, 0)}
	upstream[serviceDemo] = filepath.Join(filepath.Dir(upstream[serviceEcho]), "demo.sock")
	stop, err := startDemo(upstream[serviceDemo])
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	o := options{duration: 500 * time.Millisecond, small: 64, big: 16 << 10, latencyN: 200}
	scs, err := selectScenarios(o)
	if err != nil {
		t.Fatal(err)
	}
	var rows []row
	for _, sc := range scs {
		s, err := sc.run(upstream[sc.service])
		if err != nil {
			t.Fatalf("%s: %v", sc.key, err)
		}
		if s.v <= 0 || sc.latency && s.p99 < s.v {
			t.Errorf("%s measured %+v", sc.key, s)
		}
		rows = append(rows, newRow(sc, []string{pathDirect, pathHeadless}, [][]sample{{s}, {s}}))
	}
	var b strings.Builder
	printTable(&b, rows)
	for _, want := range []string{"pipelined 64 B", "pipelined 16 KiB", "connections", "round trip", "demo service", "p99", "1.00×", "+0.0 µs"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}

func TestTableComparesTheUIWithHeadless(t *testing.T) {
	sc, err := selectScenarios(options{only: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	r := newRow(sc[0], []string{pathDirect, pathHeadless, pathUI}, [][]sample{{{v: 400e3}}, {{v: 200e3}}, {{v: 190e3}}})
	r.drops = map[string]int64{pathHeadless: 0, pathUI: 7}
	var b strings.Builder
	printTable(&b, []row{r})
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("table:\n%s", b.String())
	}
	for _, want := range []string{"sockscope+UI", "vs headless"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("header lacks %q: %s", want, lines[0])
		}
	}
	// 200k of 400k direct, no drops; the UI's 190k is 0.47× direct, 0.95×
	// headless, 7 drops.
	want := []string{"400.0k", "req/s", "200.0k", "req/s", "0.50×", "0", "190.0k", "req/s", "0.47×", "0.95×", "7"}
	if got := strings.Fields(lines[1]); len(got) < len(want) || !slices.Equal(got[len(got)-len(want):], want) {
		t.Errorf("row: %s\nwant it to end in %v", lines[1], want)
	}
}

func TestDroppedEvents(t *testing.T) {
	for out, want := range map[string]int64{
		"screen…\nsockscope: 3 connections (0 failed), 10 messages; dropped 120 events (7028096 bytes)": 120,
		"sockscope: 1 connection (0 failed); dropped 0 events (0 bytes)":                                0,
		"killed":                             -1,
		"sockscope: 2 connections; dropped ": -1,
	} {
		if got := droppedEvents(out); got != want {
			t.Errorf("droppedEvents(%q) = %d, want %d", out, got, want)
		}
	}
}

func TestRequestsIn(t *testing.T) {
	for out, want := range map[string]int64{
		"screen… 9 requests:\nsockscope: 4 connections (0 failed), 575222 messages, 287611 requests: 287611 ok": 287611,
		"sockscope: 1 connection (0 failed), 0 messages, 0 requests: 0 ok":                                      0,
		"sockscope: 1 connection (0 failed), 2 messages, 1 request: 1 ok":                                       1,
		"killed": 0,
	} {
		if got := requestsIn(out); got != want {
			t.Errorf("requestsIn(%q) = %d, want %d", out, got, want)
		}
	}
}

func TestSelectScenarios(t *testing.T) {
	scs, err := selectScenarios(options{only: "latency,64b"})
	if err != nil || len(scs) != 2 || scs[0].key != "latency" || scs[1].key != "64b" {
		t.Errorf("-only latency,64b: %v %v", scs, err)
	}
	if _, err := selectScenarios(options{only: "nope"}); err == nil {
		t.Error("-only nope accepted")
	}
}

func TestReadMem(t *testing.T) {
	m, err := readMem(os.Getpid())
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	if m.RSS <= 0 || m.HWM < m.RSS {
		t.Errorf("readMem = %+v", m)
	}
	if _, err := os.Stat("/proc/self/smaps_rollup"); err == nil {
		if pss := treePss(os.Getpid()); pss <= 0 || pss > m.HWM+m.HWM/10 {
			t.Errorf("treePss %d, RSS %d, peak %d", pss, m.RSS, m.HWM)
		}
	}
}

func TestMedian(t *testing.T) {
	got := median([]sample{{v: 3, p99: 30}, {v: 1, p99: 10}, {v: 2, p99: 20}})
	if got.v != 2 || got.p99 != 20 {
		t.Errorf("median = %v", got)
	}
	if fmt.Sprint(median(nil)) != fmt.Sprint(sample{}) {
		t.Error("median of nothing")
	}
}

// Paths are compared round by round: the median of each round's ratio, not
// the ratio of the medians, which the machine's drift moves.
func TestRatioPairsRounds(t *testing.T) {
	sc, err := selectScenarios(options{only: "64b"})
	if err != nil {
		t.Fatal(err)
	}
	// The machine slows in the second round and speeds up in the third:
	// round by round sockscope makes 0.8×, 0.8× and 2× the bare relay
	// (median 0.8×, under the target); its median over the bare relay's
	// is 80/60 = 1.33×.
	r := newRow(sc[0], []string{pathDirect, pathHeadless, pathBare},
		[][]sample{{{v: 100}, {v: 60}, {v: 200}}, {{v: 80}, {v: 40}, {v: 120}}, {{v: 100}, {v: 50}, {v: 60}}})
	if got := r.ratio(1, 2); math.Abs(got-0.8) > 1e-9 {
		t.Errorf("ratio = %v, want 0.8", got)
	}
	if empty := newRow(sc[0], r.paths, [][]sample{nil, nil, nil}); !math.IsNaN(empty.ratio(1, 2)) {
		t.Errorf("ratio of no runs = %v, want NaN", empty.ratio(1, 2))
	}
	got := rateVerdict([]arrangement{{key: "own", rows: []row{r}}})
	if !strings.HasPrefix(got, "MISSED") || !strings.Contains(got, "64b 0.80×") {
		t.Errorf("verdict: %s", got)
	}
}

// Latency runs are pooled: the median and p99 of all their round trips,
// not the median of each run's.
func TestMedianPoolsRoundTrips(t *testing.T) {
	run := func(from, to int) sample {
		var rtts []time.Duration
		for i := from; i < to; i++ {
			rtts = append(rtts, time.Duration(i)*time.Microsecond)
		}
		return sample{v: us(rtts[len(rtts)/2]), rtts: rtts}
	}
	// Run medians 5, 15 and 105 µs: their median is 15; the round trips'
	// together (0-19, then 100-199: the 61st of 120) is 140.
	got := median([]sample{run(0, 10), run(10, 20), run(100, 200)})
	if got.v != 140 || got.p99 != 198 {
		t.Errorf("median = %v µs, p99 %v µs; want 140 and 198", got.v, got.p99)
	}
}

// The JSON service decodes each request and answers with its id and params,
// or an error reply for a line that is not JSON.
func TestDecodeReply(t *testing.T) {
	req := appendRequest(nil, 42, 64)
	got := string(decodeReply(nil, req))
	if !strings.HasPrefix(got, `{"id":42,"result":"`) || !strings.HasSuffix(got, "\"}\n") {
		t.Errorf("reply to %q: %q", req, got)
	}
	if got := string(decodeReply(nil, []byte("nope\n"))); !strings.HasPrefix(got, `{"id":null,"error":"invalid character`) {
		t.Errorf("reply to a line that is not JSON: %q", got)
	}
}

// TestRowLine: -show knows a row of the exchanges pane, its connection
// column cut short ("#18…") once connection ids have four digits included,
// and not a line of the connections pane.
func TestRowLine(t *testing.T) {
	for _, s := range []string{
		"│14:31:45.079 #18… → 293    textDocument/complet… no-reply",
		"│14:31:45.079 #7   → 293    add                   no-reply",
		"│14:31:45.079 ← 293    add",
	} {
		if !rowLine.MatchString(s) {
			t.Errorf("not a row: %q", s)
		}
	}
	if s := "  #1 closed   4m pid=1001 (genclient pi…│"; rowLine.MatchString(s) {
		t.Errorf("a row: %q", s)
	}
}

// -max-bytes reaches every sockscope the benchmark starts, not only -mem's.
func TestSockscopeArgs(t *testing.T) {
	got := sockscopeArgs(options{args: "--lossless", maxBytes: 32 << 20})
	if want := []string{"--lossless", "--max-bytes", "33554432"}; !slices.Equal(got, want) {
		t.Errorf("args %q, want %q", got, want)
	}
	if got := sockscopeArgs(options{}); len(got) != 0 {
		t.Errorf("args %q with no flags", got)
	}
}
