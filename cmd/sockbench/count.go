//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"
)

// Count mode (-count): the system calls and context switches of the
// relay's process per 1,000 requests, counted by perf rather than timed
// (on a busy machine a CPU figure moves far more between runs than these
// counts do). For each of the 64b and 16k loads, round after round, and
// for sockscope and the bare relay in turn (rotated each round), it starts
// the relay afresh, warms it up with countWarmBytes of the load, then
// records the relay's process under perf while one connection makes a
// fixed number of pipelined calls through it (-count-small, -count-big),
// and reads its threads' CPU from /proc/PID/task/*/schedstat around them.
// sockscope's decoder is a process of its own, not counted.

// countWarmBytes is how many bytes of requests warm a fresh relay up.
const countWarmBytes = 12_800_000

// countNames are the system calls reported by name, in table order; the
// others are in the total.
var countNames = []struct {
	nr   int
	name string
}{
	{syscall.SYS_READ, "read"},
	{syscall.SYS_WRITE, "write"},
	{syscall.SYS_WRITEV, "writev"},
	{syscall.SYS_FUTEX, "futex"},
	{syscall.SYS_EPOLL_PWAIT, "epoll_pwait"},
	{syscall.SYS_NANOSLEEP, "nanosleep"},
}

// countResult is one counted run.
type countResult struct {
	relay, scenario string
	n               int64 // requests counted
	perfCounts
	cpu     time.Duration // the relay's process's threads' CPU during the calls
	dropped int64         // events sockscope dropped (-1: unknown, or the bare relay)
	warning string        // perf's, when it lost events
}

// per is v per 1,000 requests.
func (r countResult) per(v int64) float64 { return float64(v) * 1000 / float64(r.n) }

// countLoad is one load -count runs.
type countLoad struct {
	key  string
	size int
	n    int64
}

// runCount is -count: every arrangement of -sessions, each load, -rounds
// rounds of sockscope and the bare relay.
func runCount(ctx context.Context, o options, dir string) error {
	if err := checkPerf(); err != nil {
		return err
	}
	if o.countSmall < 1 || o.countBig < 1 {
		return fmt.Errorf("-count-small %d, -count-big %d: want at least one call each", o.countSmall, o.countBig)
	}
	var loads []countLoad
	only := o.only
	if only == "" {
		only = "64b,16k"
	}
	for _, k := range strings.Split(only, ",") {
		switch strings.TrimSpace(k) {
		case "64b":
			loads = append(loads, countLoad{"64b", o.small, o.countSmall})
		case "16k":
			loads = append(loads, countLoad{"16k", o.big, o.countBig})
		default:
			return fmt.Errorf("-count runs the 64b and 16k loads, not %q", k)
		}
	}
	extra := strings.Fields(o.args)
	fmt.Printf("counting: the relay's process under perf (%s), %d rounds; %s; service %s; load average %s\n",
		strings.Join(perfEvents, ", "), o.rounds, strings.Join(append([]string{"sockscope --headless"}, extra...), " "), echoServiceOf(o), loadAverage())
	for _, k := range strings.Split(o.sessions, ",") {
		if k != "own" && k != "one" {
			return fmt.Errorf("-sessions %q: want own, one or both (own,one)", k)
		}
		ownSession = k == "own"
		fmt.Println("== " + arrangementTitle(k))
		results, err := countArrangement(ctx, o, dir, loads, extra)
		printCountTable(os.Stdout, results)
		if err != nil {
			return err
		}
	}
	fmt.Printf("load average at the end %s\n", loadAverage())
	return nil
}

// countArrangement runs every load in the current arrangement.
func countArrangement(ctx context.Context, o options, dir string, loads []countLoad, extra []string) ([]countResult, error) {
	stop, upstream, _, err := startServices(o, dir, nil)
	if err != nil {
		return nil, err
	}
	defer stop()
	svc := upstream[echoServiceOf(o)]
	relays := []string{pathHeadless, pathBare}
	var results []countResult
	for _, l := range loads {
		for round := range o.rounds {
			for i := range relays {
				if ctx.Err() != nil {
					return results, ctx.Err()
				}
				p := relays[(i+round)%len(relays)]
				r, err := countOne(ctx, o, dir, svc, p, l, extra)
				if err != nil {
					return results, fmt.Errorf("%s, %s: %w", l.key, p, err)
				}
				results = append(results, r)
				fmt.Printf("  %s %-9s %s\n", l.key, p, r.line())
			}
		}
	}
	return results, nil
}

// countOne starts relay p afresh, warms it up and counts one run of load l.
func countOne(ctx context.Context, o options, dir, svc, p string, l countLoad, extra []string) (countResult, error) {
	var rl *relay
	var err error
	if p == pathBare {
		rl, err = startBare(dir, "bare", svc)
	} else {
		rl, err = startSockscope(o.bin, dir, "headless", svc, false, extra...)
	}
	if err != nil {
		return countResult{}, err
	}
	defer rl.stop()
	var got atomic.Int64
	if err := push(ctx, rl.addr, l.size, max(countWarmBytes/int64(l.size), 100), &got); err != nil {
		return countResult{}, fmt.Errorf("warm-up: %w", err)
	}
	pid := rl.pid()
	pr, err := startPerf(pid, dir, "count")
	if err != nil {
		return countResult{}, err
	}
	defer os.Remove(pr.file)
	defer pr.stop() // on the way out of an error; stopping twice is harmless
	if err := pr.command("enable"); err != nil {
		return countResult{}, err
	}
	cpu0, err0 := threadsCPU(pid)
	lerr := push(ctx, rl.addr, l.size, l.n, &got)
	cpu1, err1 := threadsCPU(pid)
	derr := pr.command("disable")
	out := pr.stop()
	if err := firstErr(lerr, derr, err0, err1); err != nil {
		return countResult{}, err
	}
	counts, warning, err := pr.script()
	if err != nil {
		return countResult{}, fmt.Errorf("%w\n(perf record printed: %s)", err, out)
	}
	r := countResult{relay: p, scenario: l.key, n: l.n, perfCounts: counts, cpu: cpu1 - cpu0, dropped: -1, warning: warning}
	printed := strings.TrimSpace(rl.stop())
	if p == pathHeadless {
		r.dropped = droppedEvents(printed)
	}
	return r, nil
}

// firstErr is the first of errs that is not nil.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// line is one run's figures, per 1,000 requests.
func (r countResult) line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d calls: per 1,000: system calls %.1f (", r.n, r.per(r.allSyscalls()))
	for i, c := range countNames {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %.1f", c.name, r.per(r.syscalls[c.nr]))
	}
	fmt.Fprintf(&b, "), switches %.1f (sleeping %.1f, preempted %.1f", r.per(r.switches()), r.per(r.sleeping), r.per(r.preempted))
	if r.other > 0 {
		fmt.Fprintf(&b, ", other %.1f", r.per(r.other))
	}
	fmt.Fprintf(&b, "); CPU %.0f ns a request", float64(r.cpu)/float64(r.n))
	if r.dropped >= 0 {
		fmt.Fprintf(&b, "; dropped %d events", r.dropped)
	}
	if r.warning != "" {
		fmt.Fprintf(&b, " [perf: %s]", r.warning)
	}
	return b.String()
}

// printCountTable prints, per load and relay, the range (lowest–highest)
// of each figure over the rounds.
func printCountTable(w io.Writer, results []countResult) {
	if len(results) == 0 {
		return
	}
	type key struct{ scenario, relay string }
	var keys []key
	by := map[key][]countResult{}
	for _, r := range results {
		k := key{r.scenario, r.relay}
		if by[k] == nil {
			keys = append(keys, k)
		}
		by[k] = append(by[k], r)
	}
	fmt.Fprintln(w, "\nper 1,000 requests, lowest–highest of the rounds; CPU: the relay's process's threads, ns a request")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"load", "relay", "runs", "system calls"}
	for _, c := range countNames {
		head = append(head, c.name)
	}
	head = append(head, "switches", "sleeping", "preempted", "CPU", "")
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, k := range keys {
		rs := by[k]
		cells := []string{k.scenario, k.relay, fmt.Sprint(len(rs)), countRange(rs, func(r countResult) float64 { return r.per(r.allSyscalls()) })}
		for _, c := range countNames {
			cells = append(cells, countRange(rs, func(r countResult) float64 { return r.per(r.syscalls[c.nr]) }))
		}
		cells = append(cells,
			countRange(rs, func(r countResult) float64 { return r.per(r.switches()) }),
			countRange(rs, func(r countResult) float64 { return r.per(r.sleeping) }),
			countRange(rs, func(r countResult) float64 { return r.per(r.preempted) }),
			countRangeF(rs, "%.0f", func(r countResult) float64 { return float64(r.cpu) / float64(r.n) }),
			"")
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	tw.Flush()
}

// countRange renders the lowest and highest of f over rs with one decimal.
func countRange(rs []countResult, f func(countResult) float64) string {
	return countRangeF(rs, "%.1f", f)
}

// countRangeF renders the lowest and highest of f over rs in format.
func countRangeF(rs []countResult, format string, f func(countResult) float64) string {
	vs := make([]float64, len(rs))
	for i, r := range rs {
		vs[i] = f(r)
	}
	lo, hi := fmt.Sprintf(format, slices.Min(vs)), fmt.Sprintf(format, slices.Max(vs))
	if lo == hi {
		return lo
	}
	return lo + "–" + hi
}

// loadAverage is the machine's load averages over 1, 5 and 15 minutes.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
