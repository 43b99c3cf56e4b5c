//go:build unix

// Command sockbench measures what sockscope costs the traffic it relays.
//
//	go run ./cmd/sockbench            # build sockscope, run every scenario
//	go run ./cmd/sockbench -only 64b -rounds 9
//	go run ./cmd/sockbench -socat     # also through socat, for comparison
//	go run ./cmd/sockbench -bare      # also through a bare io.Copy relay
//	go run ./cmd/sockbench -mem -max-bytes 67108864   # memory: 10 M requests, peak RSS
//	go run ./cmd/sockbench -args --lossless            # more sockscope flags
//	go run ./cmd/sockbench -ui -only demo,16k          # --headless and with the UI, side by side
//	go run ./cmd/sockbench -show -show-size 1073741824    # show on a 1 GiB session file: first screen, peak RSS
//	go run ./cmd/sockbench -json -bare                 # issue 16's report: both arrangements, against io.Copy, about 6 min (1.5 with -rounds 1)
//	go run ./cmd/sockbench -json -bare -args --lossless -only 64b   # issue 16's --lossless target
//	go run ./cmd/sockbench -json -bare -aa             # the same with a second bare relay in sockscope's place: the noise
//	go run ./cmd/sockbench -count -json -only 64b,16k  # the relay's system calls and context switches per 1,000 requests, under perf (count.go)
//
// It starts a line-delimited JSON echo service on a unix socket, in a
// process of its own as a real server is (-inproc: in this one), and
// `sockscope --headless` (as a subprocess) relaying to it, then runs each
// scenario directly against the service and through sockscope, interleaved,
// -rounds times, and prints each path's median and each path against
// another by the median of their ratios round by round (the machine's
// drift over a scenario cancels), against the targets. It does so in
// each arrangement -sessions names: every program in a session of its own,
// and all in sockbench's one session (as one shell script or a CI job runs
// them; on Linux, sessions are scheduled as groups):
//
//	64b      pipelined 64-byte requests on one connection (requests/s)
//	16k      pipelined 16 KiB requests on one connection (MB/s)
//	conn     bursts of 200 concurrent connections × 5 requests (connections/s)
//	latency  sequential round trips: added median (µs), and p99
//	demo     the demo's seed-protocol service (package demo) driven flat out:
//	         pipelined "add" calls on 3 connections (requests/s)
//
// With -ui, a second sockscope runs with its UI in a pseudo-terminal, and
// every scenario is measured on it too: its column says how far it is from
// --headless and how many events each dropped (the UI issue's target: within
// 10 % of --headless, and no drops the headless run did not have).
//
// With -bare, each sockscope is also compared with the bare relay of the
// same run (column "vs io.Copy", against issue 16's targets: ≥ 0.9× on 64b,
// 16k and conn, ≤ +10 µs on the median round trip).
//
// It takes the CPU each program uses around every run (cpu.go): the load
// (this process), the service, and the relays; and prints, per scenario and
// path, each one's CPU per request, and sockscope's relay CPU against the
// bare relay's (issue 16: ≤ 1.5× whenever sockscope drops).
//
// After each scenario it stops sockscope with SIGTERM and echoes what it
// printed (its summary line, drops included). At the end it prints, for each
// arrangement, the table and the CPU per request, then a verdict line per
// target of issue 16.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// options are the command line.
type options struct {
	bin        string
	duration   time.Duration
	rounds     int
	only       string
	small      int
	big        int
	replySize  int
	latencyN   int
	socat      bool
	bare       bool
	aa         bool
	mem        bool
	memN       int64
	maxBytes   int64
	args       string
	ui         bool
	inproc     bool
	show       bool
	showSize   int64
	showFile   string
	json       bool
	sessions   string
	count      bool
	countSmall int64
	countBig   int64
}

func main() {
	if bareFromEnv() { // sockscope's arguments: not ours to parse
		return
	}
	var o options
	flag.StringVar(&o.bin, "bin", "", "sockscope binary (default: go build the module in the current directory)")
	flag.DurationVar(&o.duration, "duration", 2*time.Second, "length of each timed run")
	flag.IntVar(&o.rounds, "rounds", 5, "interleaved direct/proxied runs per scenario; medians, and the medians of the paths' ratios round by round, are reported")
	flag.StringVar(&o.only, "only", "", "comma-separated scenarios to run: 64b,16k,conn,latency (default all)")
	flag.IntVar(&o.small, "small", 64, "request size of the 64b and latency scenarios, bytes")
	flag.IntVar(&o.big, "big", 16<<10, "request size of the 16k scenario, bytes")
	flag.IntVar(&o.replySize, "reply", 0, "reply size in bytes (default: same as the request)")
	flag.IntVar(&o.latencyN, "n", 20000, fmt.Sprintf("round trips per path and round of the latency scenario, in %d blocks rotated between the paths", latencyBlocks))
	flag.BoolVar(&o.socat, "socat", false, "also run every scenario through socat, if installed")
	flag.BoolVar(&o.bare, "bare", false, "also run every scenario through a bare Go io.Copy relay")
	flag.BoolVar(&o.aa, "aa", false, "with -bare: a second bare relay in sockscope's place (an A/A run: how far the figures and verdicts move on the machine's noise alone)")
	flag.BoolVar(&o.mem, "mem", false, "memory mode: push -mem-n requests through sockscope and report its RSS")
	flag.Int64Var(&o.memN, "mem-n", 10_000_000, "requests (each answered) in -mem mode")
	flag.Int64Var(&o.maxBytes, "max-bytes", 0, "pass --max-bytes N to every sockscope it starts (0: don't, the store default)")
	flag.BoolVar(&o.ui, "ui", false, "also run every scenario through sockscope with its UI (in a pseudo-terminal); with -mem, measure it instead of --headless")
	flag.StringVar(&o.args, "args", "", "more sockscope flags, space-separated (e.g. \"--lossless\")")
	flag.BoolVar(&o.inproc, "inproc", false, "run the services in this process, not each in a process of its own")
	flag.BoolVar(&o.show, "show", false, "show mode: write a -show-size session file, run `sockscope show` on it in tmux, report the time to the first screen and the peak RSS")
	flag.Int64Var(&o.showSize, "show-size", 1<<30, "bytes of the session file -show writes")
	flag.StringVar(&o.showFile, "show-file", "", "with -show, this session file instead of a written one (its index is removed first)")
	flag.BoolVar(&o.json, "json", false, "the echo service decodes each request and encodes each reply with encoding/json, as real services do")
	flag.StringVar(&o.sessions, "sessions", "own,one", "arrangements to run: own (each program in a session of its own), one (all in this one's session, as from one shell script or a CI job)")
	flag.BoolVar(&o.count, "count", false, "count mode: the system calls and context switches of sockscope's and the bare relay's process per 1,000 requests of the 64b and 16k loads, under perf (Linux)")
	flag.Int64Var(&o.countSmall, "count-small", 500_000, "pipelined calls counted per run of the 64b load in -count mode")
	flag.Int64Var(&o.countBig, "count-big", 30_000, "pipelined calls counted per run of the 16k load in -count mode")
	flag.Parse()
	if served, err := serveFromEnv(); served {
		if err != nil {
			fmt.Fprintln(os.Stderr, "sockbench service:", err)
			os.Exit(1)
		}
		return
	}
	if flag.NArg() > 0 || o.rounds < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if o.aa && (!o.bare || o.ui || o.mem || o.show || o.count) {
		fmt.Fprintln(os.Stderr, "sockbench: -aa compares a bare relay with another: it needs -bare, and runs without -ui, -mem, -show or -count")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "sockbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	dir, err := os.MkdirTemp("", "sb")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if o.bin == "" && !o.aa {
		fmt.Fprintln(os.Stderr, "building sockscope…")
		if o.bin, err = buildSockscope(dir); err != nil {
			return err
		}
	}
	if o.bin, err = filepath.Abs(o.bin); err != nil {
		return err
	}
	if o.show {
		return runShow(ctx, o, dir)
	}
	if o.mem {
		stop, upstream, _, err := startServices(o, dir, nil)
		if err != nil {
			return err
		}
		defer stop()
		return runMem(ctx, o, dir, upstream[echoServiceOf(o)])
	}
	if o.count {
		return runCount(ctx, o, dir)
	}
	scenarios, err := selectScenarios(o)
	if err != nil {
		return err
	}
	useSocat := false
	if o.socat {
		if _, err := exec.LookPath("socat"); err != nil {
			fmt.Fprintln(os.Stderr, "socat is not installed: running without it")
		} else {
			useSocat = true
		}
	}
	keys := strings.Split(o.sessions, ",")
	for _, k := range keys {
		if k != "own" && k != "one" {
			return fmt.Errorf("-sessions %q: want own, one or both (own,one)", k)
		}
	}
	var arrs []arrangement
	defer func() { printSummary(os.Stdout, o, arrs) }() // what ran, also after an error
	for _, k := range keys {
		ownSession = k == "own"
		a := arrangement{key: k, title: arrangementTitle(k)}
		fmt.Println("== " + a.title)
		a.rows, err = runArrangement(ctx, o, dir, scenarios, useSocat)
		if len(a.rows) > 0 {
			arrs = append(arrs, a)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// ownSession says whether each program sockbench starts gets a session of
// its own (and so, where the kernel groups sessions for scheduling, its own
// share of the CPU), or stays in sockbench's: set per arrangement.
var ownSession = true

// echoServiceOf is the service the echo scenarios load.
func echoServiceOf(o options) string {
	if o.json {
		return serviceJSON
	}
	return serviceEcho
}

// startServices starts the services the scenarios load (the echo service
// always) and returns their addresses and process ids (0: in this process)
// by service name.
func startServices(o options, dir string, scenarios []scenario) (stop func(), upstream map[string]string, pids map[string]int, err error) {
	upstream, pids = map[string]string{}, map[string]int{}
	var stops []func()
	stop = func() {
		for _, s := range stops {
			s()
		}
	}
	for _, svc := range []string{echoServiceOf(o), serviceDemo} {
		if svc != echoServiceOf(o) && !slices.ContainsFunc(scenarios, func(sc scenario) bool { return sc.service == svc }) {
			continue
		}
		path := filepath.Join(dir, svc+".sock")
		s, pid, err := startService(svc, path, o.replySize, o.inproc)
		if err != nil {
			stop()
			return nil, nil, nil, err
		}
		stops = append(stops, s)
		upstream[svc], pids[svc] = path, pid
	}
	return stop, upstream, pids, nil
}

// runArrangement runs every scenario and returns their rows.
func runArrangement(ctx context.Context, o options, dir string, scenarios []scenario, useSocat bool) ([]row, error) {
	stop, upstream, pids, err := startServices(o, dir, scenarios)
	if err != nil {
		return nil, err
	}
	defer stop()
	var rows []row
	for _, sc := range scenarios {
		if ctx.Err() != nil {
			break
		}
		r, err := runScenario(ctx, o, sc, dir, upstream[sc.service], pids[sc.service], useSocat)
		if err != nil {
			return rows, fmt.Errorf("%s: %w", sc.key, err)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// Paths a scenario is measured on, in table order.
const (
	pathDirect   = "direct"
	pathHeadless = "sockscope"
	pathUI       = "sockscope+UI"
	pathSocat    = "socat"
	pathBare     = "io.Copy"
)

// sockscopeArgs are the flags every sockscope the benchmark starts gets:
// -args, and --max-bytes from -max-bytes.
func sockscopeArgs(o options) []string {
	extra := strings.Fields(o.args)
	if o.maxBytes > 0 {
		extra = append(extra, "--max-bytes", strconv.FormatInt(o.maxBytes, 10))
	}
	return extra
}

// runScenario starts fresh relays and runs one scenario o.rounds times on
// each path, rotating the order every round (every block of a round, for
// a scenario run in blocks), against the service at svc (process svcPid),
// and takes the CPU each program used.
func runScenario(ctx context.Context, o options, sc scenario, dir, svc string, svcPid int, useSocat bool) (row, error) {
	addrs := map[string]string{pathDirect: svc}
	relays := map[string]*relay{}
	stopAll := func() {
		for _, r := range relays {
			r.stop()
		}
	}
	extra := sockscopeArgs(o)
	paths := []string{pathDirect, pathHeadless}
	if o.ui {
		paths = append(paths, pathUI)
	}
	if useSocat {
		paths = append(paths, pathSocat)
	}
	if o.bare {
		paths = append(paths, pathBare)
	}
	for _, p := range paths[1:] {
		var r *relay
		var err error
		switch p {
		case pathHeadless:
			if o.aa {
				r, err = startBare(dir, "headless", svc)
			} else {
				r, err = startSockscope(o.bin, dir, "headless", svc, false, extra...)
			}
		case pathUI:
			r, err = startSockscope(o.bin, dir, "ui", svc, true, extra...)
		case pathSocat:
			r, err = startSocat(dir, svc)
		case pathBare:
			r, err = startBare(dir, "bare", svc)
		}
		if err != nil {
			stopAll()
			return row{}, err
		}
		relays[p], addrs[p] = r, r.addr
	}

	samples := map[string][]sample{}
	uses := map[string]*cpuUse{}
	for _, p := range paths {
		uses[p] = &cpuUse{}
	}
	first := takeSnap(svcPid, relays)
	fmt.Fprintf(os.Stderr, "%s:", sc.title)
	for run := range o.rounds * max(sc.blocks, 1) {
		for i := range paths {
			p := paths[(i+run)%len(paths)]
			if ctx.Err() != nil {
				break
			}
			before := takeSnap(svcPid, relays)
			s, err := sc.run(addrs[p])
			uses[p].add(before, takeSnap(svcPid, relays), p, s.n)
			if err != nil {
				err = fmt.Errorf("%s: %w", p, err)
				if r := relays[p]; r != nil && r.exited() {
					err = fmt.Errorf("%w\n%s exited:\n%s", err, p, r.stop())
				}
				stopAll()
				return row{}, err
			}
			samples[p] = append(samples[p], s)
			fmt.Fprintf(os.Stderr, " %s %s", p, sc.format(s.v))
		}
	}
	fmt.Fprintln(os.Stderr)
	settle(uses, first, takeSnap(svcPid, relays))

	runs := make([][]sample, len(paths))
	for i, p := range paths {
		runs[i] = samples[p]
	}
	r := newRow(sc, paths, runs)
	r.drops, r.cpu = map[string]int64{}, uses
	if mem, err := treeMem(relays[pathHeadless].pid()); err == nil {
		r.hwm = mem.HWM
	}
	for _, p := range []string{pathHeadless, pathUI} {
		rl := relays[p]
		if rl == nil {
			continue
		}
		out := rl.summary(strings.TrimSpace(rl.stop()))
		r.drops[p] = droppedEvents(out)
		fmt.Printf("%s: %s printed:\n", sc.title, p)
		printIndented(out)
		if cpu := rl.cpu(); cpu > 0 {
			per := ""
			if n := requestsIn(out); n >= 1000 { // not, say, with --framing raw
				per = fmt.Sprintf(": %.2f µs per request it saw", float64(cpu.Microseconds())/float64(n))
			}
			fmt.Printf("  (%s used %.2f s of CPU%s)\n", p, cpu.Seconds(), per)
		}
	}
	if r.hwm > 0 {
		fmt.Printf("  (peak RSS of --headless %s)\n", mib(r.hwm))
	}
	stopAll()
	return r, nil
}

// droppedEvents reads "dropped N events" from sockscope's summary line: 0
// when it dropped nothing, -1 when the line is not there.
func droppedEvents(out string) int64 {
	line, ok := summaryLine(out)
	if !ok {
		return -1
	}
	_, after, ok := strings.Cut(line, "dropped ")
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(strings.SplitN(after, " ", 2)[0]), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// requestsIn reads "N requests" ("1 request") from sockscope's summary
// line: 0 when the line is not there.
func requestsIn(out string) int64 {
	line, _ := summaryLine(out)
	before, _, ok := strings.Cut(line, " requests:")
	if !ok {
		before, _, ok = strings.Cut(line, " request:")
	}
	if !ok {
		return 0
	}
	n, _ := strconv.ParseInt(before[strings.LastIndex(before, " ")+1:], 10, 64)
	return n
}

// summaryLine is sockscope's summary line in what it printed, from
// "sockscope:" on.
func summaryLine(out string) (string, bool) {
	i := strings.LastIndex(out, "sockscope:")
	if i < 0 {
		return "", false
	}
	return out[i:], true
}

// sample is one run's measurement: v is the scenario's figure (a rate, or
// for latency the median in µs); p99 is set for latency; n is how many
// requests the whole run made (warm-up included), for CPU per request.
// rtts are a latency run's round trips, sorted.
type sample struct {
	v, p99, n float64
	rtts      []time.Duration
}

// roundTrips is the sample of sorted round trips rtts: their median and
// p99, in µs.
func roundTrips(rtts []time.Duration) sample {
	return sample{v: us(rtts[len(rtts)/2]), p99: us(rtts[len(rtts)*99/100]), rtts: rtts}
}

// median is the median of the runs' figures; for latency runs, the median
// and p99 of all their round trips together.
func median(s []sample) sample {
	if len(s) == 0 {
		return sample{}
	}
	if s[0].rtts != nil {
		var all []time.Duration
		for _, x := range s {
			all = append(all, x.rtts...)
		}
		slices.Sort(all)
		return roundTrips(all)
	}
	vs := make([]float64, len(s))
	ps := make([]float64, len(s))
	for i, x := range s {
		vs[i], ps[i] = x.v, x.p99
	}
	slices.Sort(vs)
	slices.Sort(ps)
	return sample{v: vs[len(vs)/2], p99: ps[len(ps)/2]}
}

// printIndented prints a subprocess's output, indented.
func printIndented(out string) {
	if out == "" {
		fmt.Println("  (nothing)")
	}
	for _, l := range strings.Split(out, "\n") {
		fmt.Printf("  > %s\n", l)
	}
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
