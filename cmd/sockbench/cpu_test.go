//go:build unix

package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// A command name with spaces and parentheses; utime 150, stime 50,
	// cutime 7, cstime 3 ticks (fields 14-17), and fields that follow.
	line := "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 1000 0 0 0 150 50 7 3 20 0 8 0 12345 1000000 300 18446744073709551615\n"
	got, err := parseStatCPU(line)
	if want := 210 * clockTick; err != nil || got != want {
		t.Errorf("parseStatCPU = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"", "4242 (x S 1 2", "4242 (x) S 1 2 3", "4242 (x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 15x 50 7 3 20"} {
		if _, err := parseStatCPU(bad); err == nil {
			t.Errorf("parseStatCPU(%q) accepted", bad)
		}
	}
	// minflt is field 10.
	if got, err := parseStatFaults(line); err != nil || got != 1000 {
		t.Errorf("parseStatFaults = %v, %v; want 1000", got, err)
	}
	for _, bad := range []string{"", "4242 (x S 1 2", "4242 (x) S 1 2 3", "4242 (x) S 1 4242 4242 0 -1 4194560 1x00 0"} {
		if _, err := parseStatFaults(bad); err == nil {
			t.Errorf("parseStatFaults(%q) accepted", bad)
		}
	}
}

// procCPU of this process grows while it spins, as getrusage's does: the
// fields read are the ones that count CPU.
func TestProcCPUGrows(t *testing.T) {
	start, err := procCPU(os.Getpid())
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	self0 := selfCPU()
	for x := 0; ; x++ {
		now, err := procCPU(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if now > start {
			if self := selfCPU(); self < now-clockTick {
				t.Errorf("/proc says %v of CPU, getrusage %v", now, self)
			}
			return
		}
		if selfCPU()-self0 > 2*time.Second {
			t.Fatalf("/proc/self/stat's CPU stayed at %v for 2 s of CPU", now)
		}
	}
}

// cpuUse charges each path with its own runs, and a relay with what it
// used between them too.
func TestCPUUseSettle(t *testing.T) {
	snap := func(self, svc, headless, bare time.Duration) cpuSnap {
		// Two thirds of sockscope's CPU are its decoder's process's, which
		// faulted 7 times before the first run and once per ms of it since.
		return cpuSnap{self: self, service: svc, relay: map[string]time.Duration{pathHeadless: headless, pathBare: bare},
			children:    map[string]time.Duration{pathHeadless: headless * 2 / 3, pathBare: 0},
			childFaults: map[string]int64{pathHeadless: 7 + int64(headless*2/3)/1e6, pathBare: 0}}
	}
	ms := time.Millisecond
	uses := map[string]*cpuUse{pathDirect: {}, pathHeadless: {}, pathBare: {}}
	first := snap(0, 0, 0, 0)
	// direct: client 10 ms, service 20 ms, while sockscope idles.
	uses[pathDirect].add(snap(0, 0, 0, 0), snap(10*ms, 20*ms, 0, 0), pathDirect, 1000)
	// sockscope: 100 ms in its run, then 50 ms more during the bare run.
	uses[pathHeadless].add(snap(10*ms, 20*ms, 0, 0), snap(30*ms, 50*ms, 100*ms, 0), pathHeadless, 1000)
	uses[pathBare].add(snap(30*ms, 50*ms, 100*ms, 0), snap(40*ms, 70*ms, 150*ms, 40*ms), pathBare, 2000)
	settle(uses, first, snap(40*ms, 70*ms, 150*ms, 40*ms))

	d, h, b := uses[pathDirect], uses[pathHeadless], uses[pathBare]
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"direct client", d.perRequest(d.client), 10},
		{"direct service", d.perRequest(d.service), 20},
		{"sockscope client", h.perRequest(h.client), 20},
		{"sockscope relay", h.perRequest(h.relay), 150},
		{"io.Copy relay", b.perRequest(b.relay), 20},
	} {
		if c.got != c.want {
			t.Errorf("%s: %v µs per request, want %v", c.name, c.got, c.want)
		}
	}
	if h.childFaults != 100 || b.childFaults != 0 {
		t.Errorf("the decoder's faults: sockscope %d, io.Copy %d; want 100, 0", h.childFaults, b.childFaults)
	}
	if h.off != 50*ms || b.off != 0 {
		t.Errorf("off-run: sockscope %v, io.Copy %v", h.off, b.off)
	}
	r := row{paths: []string{pathDirect, pathHeadless, pathBare}, cpu: uses}
	if ratio, ok := cpuRatio(r, pathHeadless, false); !ok || ratio != 7.5 {
		t.Errorf("cpuRatio = %v, %v; want 7.5", ratio, ok)
	}
	if ratio, ok := cpuRatio(r, pathHeadless, true); !ok || ratio != 2.5 {
		t.Errorf("cpuRatio of the relay's process = %v, %v; want 2.5", ratio, ok)
	}
	// What could not be read stays unknown.
	u := &cpuUse{}
	u.add(snap(0, -1, 0, 0), snap(1*ms, -1, 0, 0), pathDirect, 10)
	if u.perRequest(u.service) != -1 || micros(u.perRequest(u.service)) != "?" {
		t.Errorf("unknown service CPU: %v", u.service)
	}
}

// rowsFor makes a row per scenario key with --headless at ratio× the bare
// relay (latency: bare + ratio µs), dropping drops, and sockscope's relay
// CPU cpuX× the bare relay's.
func rowsFor(t *testing.T, ratio, cpuX float64, drops int64, keys ...string) []row {
	t.Helper()
	scs, err := selectScenarios(options{only: strings.Join(keys, ",")})
	if err != nil {
		t.Fatal(err)
	}
	var rows []row
	for _, sc := range scs {
		bare := sample{v: 1000}
		via := sample{v: 1000 * ratio}
		if sc.latency {
			bare, via = sample{v: 50, p99: 90}, sample{v: 50 + ratio, p99: 99}
		}
		r := newRow(sc, []string{pathDirect, pathHeadless, pathBare}, [][]sample{{{v: 2000, p99: 80}}, {via}, {bare}})
		r.drops = map[string]int64{pathHeadless: drops}
		r.cpu = map[string]*cpuUse{
			pathDirect:   {client: time.Second, service: time.Second, n: 1e6},
			pathHeadless: {client: time.Second, service: time.Second, relay: time.Duration(cpuX * float64(time.Second)), n: 1e6},
			pathBare:     {client: time.Second, service: time.Second, relay: time.Second, n: 1e6},
		}
		rows = append(rows, r)
	}
	return rows
}

func TestTableComparesWithTheBareRelay(t *testing.T) {
	var b strings.Builder
	printTable(&b, rowsFor(t, 0.8, 1, 0, "64b", "latency"))
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 4 || !strings.Contains(lines[0], "vs io.Copy") {
		t.Fatalf("table:\n%s", b.String())
	}
	// 64 B: 0.8× the bare relay, under 0.9×; latency: +0.8 µs, within 10.
	for i, want := range []string{"0.80× ≥ 0.90× MISSED", "+0.8 µs ≤ +10 µs ok"} {
		if !hasFields(lines[i+1], want) {
			t.Errorf("row %d lacks %q:\n%s", i+1, want, b.String())
		}
	}
}

// The decoder's column shows its process's CPU and page faults per request.
func TestCPUTableShowsTheDecoder(t *testing.T) {
	rows := rowsFor(t, 1, 3, 5, "64b")
	u := rows[0].cpu[pathHeadless]
	u.children, u.childFaults = u.relay/2, 25_000 // 1e6 requests
	var b strings.Builder
	printCPUTable(&b, rows, false)
	if want := "sockscope 1.00 1.00 3.00 1.50 25.0"; !hasFields(b.String(), want) {
		t.Errorf("want %q in\n%s", want, b.String())
	}
}

func TestCPUTableMarksTheTargetWhenDropping(t *testing.T) {
	for _, c := range []struct {
		drops int64
		cpuX  float64
		want  string
	}{
		{0, 3, "3.0× (no drops)"},
		{5, 3, "3.0× 3.0× ≤ 1.5× (dropping) MISSED"},
		{5, 1.2, "1.2× 1.2× ≤ 1.5× (dropping) ok"},
	} {
		var b strings.Builder
		printCPUTable(&b, rowsFor(t, 1, c.cpuX, c.drops, "64b"), false)
		if !hasFields(b.String(), c.want) || !strings.Contains(b.String(), "1.00") {
			t.Errorf("%d drops, %v×: want %q in\n%s", c.drops, c.cpuX, c.want, b.String())
		}
	}
}

func TestVerdicts(t *testing.T) {
	keys := []string{"64b", "16k", "conn", "latency"}
	good := []arrangement{{key: "own", rows: rowsFor(t, 0.95, 1.2, 5, keys...)}, {key: "one", rows: rowsFor(t, 0.95, 3, 0, keys...)}}
	o := options{json: true, bare: true}
	got := verdicts(o, good)
	for i, want := range []string{
		"ok     sockscope ≥ 0.9× io.Copy on 64b, 16k, conn: own 64b 0.95× 16k 0.95× conn 0.95×; one",
		"ok     median round trip ≤ io.Copy's + 10 µs: own +1.0 µs",
		"ok     sockscope's relay's process's CPU per request ≤ 1.5× io.Copy's where it dropped: own 64b 1.2× (all 1.2×, dropped 5)",
		"n/a    --lossless",
		"n/a    memory",
	} {
		if !strings.HasPrefix(got[i], want) {
			t.Errorf("verdict %d: %q, want it to begin %q", i, got[i], want)
		}
	}
	if c := conditions(o, good); c != "" {
		t.Errorf("conditions of a -json -bare run of both: %q", c)
	}

	bad := []arrangement{{key: "own", rows: rowsFor(t, 0.85, 2, 5, "64b", "latency")}}
	bad[0].rows[1].med[1].v = 70 // 20 µs over the bare relay
	got = verdicts(options{args: "--lossless"}, bad)
	for i, want := range []string{
		"MISSED sockscope ≥ 0.9× io.Copy on 64b, 16k, conn: own 64b 0.85× 16k – conn –",
		"MISSED median round trip ≤ io.Copy's + 10 µs: own +20.0 µs",
		"MISSED sockscope's relay's process's CPU per request ≤ 1.5× io.Copy's where it dropped: own 64b 2.0× (all 2.0×, dropped 5)",
		"MISSED --lossless pipelined 64 B ≥ 4 M calls/s: own 850 calls/s (direct 2.0k), dropped 5",
	} {
		if !strings.HasPrefix(got[i], want) {
			t.Errorf("verdict %d: %q, want it to begin %q", i, got[i], want)
		}
	}
	if c := conditions(options{args: "--lossless"}, bad); !strings.Contains(c, "-json") || !strings.Contains(c, "-bare") || !strings.Contains(c, "one arrangement") || !strings.Contains(c, "--lossless") {
		t.Errorf("conditions: %q", c)
	}
	aa := o
	aa.aa = true
	if c := conditions(aa, good); !strings.Contains(c, "second bare relay") {
		t.Errorf("conditions of an A/A run: %q", c)
	}
	var b strings.Builder
	printSummary(&b, o, good)
	for _, want := range []string{"== summary", "CPU per request", "== issue 16's targets"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q", want)
		}
	}
}

// hasFields says whether s holds the words of want in a row, however the
// table spaced them.
func hasFields(s, want string) bool {
	return strings.Contains(strings.Join(strings.Fields(s), " "), strings.Join(strings.Fields(want), " "))
}
