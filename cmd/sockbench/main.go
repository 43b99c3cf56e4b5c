//go:build unix

// Command sockbench measures what sockscope costs the traffic it relays.
//
//	go run ./cmd/sockbench            # build sockscope, run every scenario
//	go run ./cmd/sockbench -only 64b -rounds 5
//	go run ./cmd/sockbench -socat     # also through socat, for comparison
//	go run ./cmd/sockbench -mem -max-bytes 67108864   # memory: 10 M requests, peak RSS
//	go run ./cmd/sockbench -args --lossless            # more sockscope flags
//	go run ./cmd/sockbench -ui                         # sockscope with its UI, not --headless
//
// It starts an in-process line-delimited JSON echo service on a unix socket
// and `sockscope --headless` (as a subprocess) relaying to it, then runs each
// scenario directly against the service and through sockscope, interleaved,
// -rounds times, and prints the medians against the targets:
//
//	64b      pipelined 64-byte requests on one connection (requests/s)
//	16k      pipelined 16 KiB requests on one connection (MB/s)
//	conn     bursts of 200 concurrent connections × 5 requests (connections/s)
//	latency  sequential round trips: added median (µs), and p99
//
// After each scenario it stops sockscope with SIGTERM and echoes what it
// printed (its summary line, drops included).
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
	"strings"
	"syscall"
	"time"
)

// options are the command line.
type options struct {
	bin       string
	duration  time.Duration
	rounds    int
	only      string
	small     int
	big       int
	replySize int
	latencyN  int
	socat     bool
	mem       bool
	memN      int64
	maxBytes  int64
	args      string
	ui        bool
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "", "sockscope binary (default: go build the module in the current directory)")
	flag.DurationVar(&o.duration, "duration", 2*time.Second, "length of each timed run")
	flag.IntVar(&o.rounds, "rounds", 3, "interleaved direct/proxied runs per scenario; medians are reported")
	flag.StringVar(&o.only, "only", "", "comma-separated scenarios to run: 64b,16k,conn,latency (default all)")
	flag.IntVar(&o.small, "small", 64, "request size of the 64b and latency scenarios, bytes")
	flag.IntVar(&o.big, "big", 16<<10, "request size of the 16k scenario, bytes")
	flag.IntVar(&o.replySize, "reply", 0, "reply size in bytes (default: same as the request)")
	flag.IntVar(&o.latencyN, "n", 20000, "round trips per latency run")
	flag.BoolVar(&o.socat, "socat", false, "also run every scenario through socat, if installed")
	flag.BoolVar(&o.mem, "mem", false, "memory mode: push -mem-n requests through sockscope and report its RSS")
	flag.Int64Var(&o.memN, "mem-n", 10_000_000, "requests (each answered) in -mem mode")
	flag.Int64Var(&o.maxBytes, "max-bytes", 0, "pass --max-bytes N to sockscope (0: don't, compare with the store default)")
	flag.BoolVar(&o.ui, "ui", false, "run sockscope with its UI (in a pseudo-terminal) instead of --headless")
	flag.StringVar(&o.args, "args", "", "more sockscope flags, space-separated (e.g. \"--lossless\")")
	flag.Parse()
	if flag.NArg() > 0 || o.rounds < 1 {
		flag.Usage()
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
	if o.bin == "" {
		fmt.Fprintln(os.Stderr, "building sockscope…")
		if o.bin, err = buildSockscope(dir); err != nil {
			return err
		}
	}
	if o.bin, err = filepath.Abs(o.bin); err != nil {
		return err
	}
	svcPath := filepath.Join(dir, "svc.sock")
	svc, err := startEcho(svcPath, o.replySize)
	if err != nil {
		return err
	}
	defer svc.close()
	if o.mem {
		return runMem(ctx, o, dir, svcPath)
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
	var rows []row
	for _, sc := range scenarios {
		if ctx.Err() != nil {
			break
		}
		r, err := runScenario(ctx, o, sc, dir, svcPath, useSocat)
		if err != nil {
			return fmt.Errorf("%s: %w", sc.key, err)
		}
		rows = append(rows, r)
	}
	printTable(os.Stdout, rows, useSocat)
	return nil
}

// runScenario starts fresh relays and runs one scenario o.rounds times on
// each path, rotating the order every round.
func runScenario(ctx context.Context, o options, sc scenario, dir, svcPath string, useSocat bool) (row, error) {
	paths := []string{"direct", "sockscope"}
	addrs := map[string]string{"direct": svcPath}
	ss, err := startSockscope(o.bin, dir, svcPath, o.ui, strings.Fields(o.args)...)
	if err != nil {
		return row{}, err
	}
	addrs["sockscope"] = ss.addr
	var socat *relay
	if useSocat {
		if socat, err = startSocat(dir, svcPath); err != nil {
			ss.stop()
			return row{}, err
		}
		addrs["socat"] = socat.addr
		paths = append(paths, "socat")
	}

	samples := map[string][]sample{}
	fmt.Fprintf(os.Stderr, "%s:", sc.title)
	for round := range o.rounds {
		for i := range paths {
			p := paths[(i+round)%len(paths)]
			if ctx.Err() != nil {
				break
			}
			s, err := sc.run(addrs[p])
			if err != nil {
				err = fmt.Errorf("%s: %w", p, err)
				if ss.exited() {
					err = fmt.Errorf("%w\nsockscope exited:\n%s", err, ss.stop())
				}
				ss.stop()
				if socat != nil {
					socat.stop()
				}
				return row{}, err
			}
			samples[p] = append(samples[p], s)
			fmt.Fprintf(os.Stderr, " %s %s", p, sc.format(s.v))
		}
	}
	fmt.Fprintln(os.Stderr)

	r := row{scenario: sc}
	for _, p := range paths {
		r.med = append(r.med, median(samples[p]))
	}
	if mem, err := readMem(ss.pid()); err == nil {
		r.hwm = mem.HWM
	}
	out := ss.summary(strings.TrimSpace(ss.stop()))
	if socat != nil {
		socat.stop()
	}
	fmt.Printf("%s: sockscope printed:\n", sc.title)
	printIndented(out)
	if r.hwm > 0 {
		fmt.Printf("  (peak RSS %s)\n", mib(r.hwm))
	}
	return r, nil
}

// sample is one run's measurement: v is the scenario's figure (a rate, or
// for latency the median in µs); p99 is set for latency.
type sample struct{ v, p99 float64 }

func median(s []sample) sample {
	if len(s) == 0 {
		return sample{}
	}
	vs := make([]float64, len(s))
	ps := make([]float64, len(s))
	for i, x := range s {
		vs[i], ps[i] = x.v, x.p99
	}
	slices.Sort(vs)
	slices.Sort(ps)
	return sample{vs[len(vs)/2], ps[len(ps)/2]}
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
