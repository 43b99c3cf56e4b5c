//go:build unix

package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// scenario is one measured load with its target.
type scenario struct {
	key   string // -only name
	title string
	run   func(addr string) (sample, error)
	// format renders a sample's v.
	format func(v float64) string
	// latency scenarios compare by added microseconds, others by ratio.
	latency bool
	// target is the minimum ratio, or the maximum added median µs, of
	// --headless; 0 when the scenario has none.
	target float64
	// bareTarget is the minimum ratio, or the maximum added median µs, of
	// --headless against the bare io.Copy relay (-bare, issue 16); 0 when
	// the scenario has none.
	bareTarget float64
	// service is what the scenario loads: serviceEcho or serviceDemo.
	service string
	// blocks cuts each round of each path into this many runs, rotated
	// between the paths, so that every path's runs spread over the same
	// seconds (0: one run). The latency scenario does: a path's median
	// round trip moves by ±25 µs between runs of 2 s on this VM, more than
	// the 10 µs its target allows.
	blocks int
}

// row is one scenario's runs and medians, in the order of paths
// (pathDirect first).
type row struct {
	scenario
	paths []string
	runs  [][]sample         // each path's runs, in the order they were run
	med   []sample           // the median of each path's runs
	drops map[string]int64   // events each sockscope dropped (-1: unknown)
	hwm   int64              // --headless's peak RSS after the scenario, 0 if unknown
	cpu   map[string]*cpuUse // by path; nil if not measured
}

// newRow is the row of sc's runs on paths: runs[i] are paths[i]'s, run k
// of each in the same round (or block).
func newRow(sc scenario, paths []string, runs [][]sample) row {
	r := row{scenario: sc, paths: paths, runs: runs}
	for _, s := range runs {
		r.med = append(r.med, median(s))
	}
	return r
}

// ratio is path i's rate over path j's: the median of their ratios round
// by round. The runs of one round are seconds apart, so the drift of this
// machine's speed over a scenario (±20 % on the pipelined loads here),
// which moves each path's median, mostly cancels: two bare relays, nine
// rounds each of the 64 B and 16 KiB loads in two runs, made 0.83-1.23×
// each other by the ratio of their medians over three rounds, 0.91-1.16×
// by this (0.90-1.22× and 0.94-1.19× over five rounds). It is NaN when
// either has no run (the benchmark was interrupted).
func (r row) ratio(i, j int) float64 {
	n := min(len(r.runs[i]), len(r.runs[j]))
	if n == 0 {
		return math.NaN()
	}
	rs := make([]sample, n)
	for k := range n {
		rs[k].v = r.runs[i][k].v / r.runs[j][k].v
	}
	return median(rs).v
}

// latencyBlocks is how many runs a round of the latency scenario takes on
// each path: -n round trips in blocks of -n/latencyBlocks.
const latencyBlocks = 10

func selectScenarios(o options) ([]scenario, error) {
	all := []scenario{
		{
			key: "64b", title: fmt.Sprintf("pipelined %d B", o.small), target: 0.55, bareTarget: 0.9, service: echoServiceOf(o),
			run: func(addr string) (sample, error) {
				r, err := pipelined(addr, 1, o.duration, sized(o.small))
				return sample{v: r.Requests, n: float64(r.Total)}, err
			},
			format: func(v float64) string { return si(v) + " req/s" },
		},
		{
			key: "16k", title: fmt.Sprintf("pipelined %s", size(o.big)), target: 0.45, bareTarget: 0.9, service: echoServiceOf(o),
			run: func(addr string) (sample, error) {
				r, err := pipelined(addr, 1, o.duration, sized(o.big))
				return sample{v: r.Bytes / 1e6, n: float64(r.Total)}, err
			},
			format: func(v float64) string { return fmt.Sprintf("%.0f MB/s", v) },
		},
		{
			key: "conn", title: fmt.Sprintf("connections (%d × %d req)", burstConns, requestsPerConn), target: 0.5, bareTarget: 0.9, service: echoServiceOf(o),
			run: func(addr string) (sample, error) {
				v, conns, err := connRate(addr, o.duration)
				return sample{v: v, n: float64(conns * requestsPerConn)}, err
			},
			format: func(v float64) string { return si(v) + " conn/s" },
		},
		{
			key: "latency", title: fmt.Sprintf("round trip %d B", o.small), latency: true, target: 60, bareTarget: 10, service: echoServiceOf(o),
			blocks: latencyBlocks,
			run: func(addr string) (sample, error) {
				n := max(o.latencyN/latencyBlocks, 1)
				rtts, err := latency(addr, o.small, n)
				if err != nil {
					return sample{}, err
				}
				s := roundTrips(rtts)
				s.n = float64(n + n/20)
				return s, nil
			},
			format: func(v float64) string { return fmt.Sprintf("%.1f µs", v) },
		},
		{
			key: "demo", title: fmt.Sprintf("demo service, %d conns", demoConns), service: serviceDemo,
			run: func(addr string) (sample, error) {
				r, err := pipelined(addr, demoConns, o.duration, appendAdd)
				return sample{v: r.Requests, n: float64(r.Total)}, err
			},
			format: func(v float64) string { return si(v) + " req/s" },
		},
	}
	if o.only == "" {
		return all, nil
	}
	var out []scenario
	for _, k := range strings.Split(o.only, ",") {
		found := false
		for _, sc := range all {
			if sc.key == strings.TrimSpace(k) {
				out = append(out, sc)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown scenario %q (want 64b, 16k, conn, latency or demo)", k)
		}
	}
	return out, nil
}

// printTable prints the medians: sockscope --headless against its target,
// then each other path against direct, and sockscope with its UI against
// --headless too, with the events each sockscope dropped. With the bare
// relay (-bare), each sockscope is also compared with it, against
// bareTarget.
func printTable(w io.Writer, rows []row) {
	if len(rows) == 0 {
		return
	}
	bi := slices.Index(rows[0].paths, pathBare)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"scenario", "direct", "--headless", "vs direct", "target", "", "drops"}
	if bi > 0 {
		head = append(head, "vs io.Copy", "target", "")
	}
	for _, p := range rows[0].paths[2:] {
		head = append(head, p, "vs direct")
		if p == pathUI {
			head = append(head, "vs headless", "drops")
			if bi > 0 {
				head = append(head, "vs io.Copy", "")
			}
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, r := range rows {
		direct, via := r.med[0], r.med[1]
		cells := []string{r.title, r.format(direct.v), r.format(via.v), compare(r, 1, 0)}
		switch {
		case r.target == 0:
			cells = append(cells, "", "")
		case r.latency:
			cells = append(cells, fmt.Sprintf("≤ +%.0f µs", r.target), verdict(via.v-direct.v <= r.target))
		default:
			cells = append(cells, fmt.Sprintf("≥ %.2f×", r.target), verdict(r.ratio(1, 0) >= r.target))
		}
		cells = append(cells, drops(r.drops[pathHeadless]))
		if bi > 0 {
			cells = append(cells, compare(r, 1, bi))
			cells = append(cells, vsBare(r, 1, bi)...)
		}
		for i, p := range r.paths[2:] {
			cells = append(cells, r.format(r.med[i+2].v), compare(r, i+2, 0))
			if p == pathUI {
				cells = append(cells, compare(r, i+2, 1), drops(r.drops[pathUI]))
				if bi > 0 {
					cells = append(cells, compare(r, i+2, bi), vsBare(r, i+2, bi)[1])
				}
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
		if r.latency {
			p99 := []string{"  p99", fmt.Sprintf("%.1f µs", direct.p99), fmt.Sprintf("%.1f µs", via.p99),
				fmt.Sprintf("%+.1f µs", via.p99-direct.p99), "", "", ""}
			if bi > 0 {
				p99 = append(p99, fmt.Sprintf("%+.1f µs", via.p99-r.med[bi].p99), "", "")
			}
			for i, p := range r.paths[2:] {
				s := r.med[i+2]
				p99 = append(p99, fmt.Sprintf("%.1f µs", s.p99), fmt.Sprintf("%+.1f µs", s.p99-direct.p99))
				if p == pathUI {
					p99 = append(p99, fmt.Sprintf("%+.1f µs", s.p99-via.p99), "")
					if bi > 0 {
						p99 = append(p99, fmt.Sprintf("%+.1f µs", s.p99-r.med[bi].p99), "")
					}
				}
			}
			fmt.Fprintln(tw, strings.Join(p99, "\t")+"\t")
		}
	}
	tw.Flush()
}

// vsBare renders the target of path i against the bare relay, path bi,
// and whether i meets it: two empty cells when the scenario has none.
func vsBare(r row, i, bi int) []string {
	switch {
	case r.bareTarget == 0:
		return []string{"", ""}
	case r.latency:
		return []string{fmt.Sprintf("≤ +%.0f µs", r.bareTarget), verdict(r.med[i].v-r.med[bi].v <= r.bareTarget)}
	}
	return []string{fmt.Sprintf("≥ %.2f×", r.bareTarget), verdict(r.ratio(i, bi) >= r.bareTarget)}
}

// compare renders path i against path base: added µs to the median round
// trip for latency, else a ratio.
func compare(r row, i, base int) string {
	if r.latency {
		return fmt.Sprintf("%+.1f µs", r.med[i].v-r.med[base].v)
	}
	return fmt.Sprintf("%.2f×", r.ratio(i, base))
}

// drops renders a dropped-event count.
func drops(n int64) string {
	if n < 0 {
		return "?"
	}
	return strconv.FormatInt(n, 10)
}

func verdict(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSED"
}

// si renders a rate with a k/M suffix.
func si(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// size renders a byte count as B or KiB.
func size(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n/1024)
	}
	return fmt.Sprintf("%d B", n)
}

// us converts d to microseconds.
func us(d time.Duration) float64 {
	return float64(d) / float64(time.Microsecond)
}
