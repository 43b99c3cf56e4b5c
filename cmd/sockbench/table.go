//go:build unix

package main

import (
	"fmt"
	"io"
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
	target  float64 // minimum ratio, or maximum added median µs
}

// row is one scenario's medians: med[0] direct, med[1] sockscope, then
// socat when measured.
type row struct {
	scenario
	med []sample
	hwm int64 // sockscope's peak RSS after the scenario, 0 if unknown
}

func selectScenarios(o options) ([]scenario, error) {
	all := []scenario{
		{
			key: "64b", title: fmt.Sprintf("pipelined %d B", o.small), target: 0.55,
			run: func(addr string) (sample, error) {
				r, err := pipelined(addr, o.small, o.duration)
				return sample{v: r.Requests}, err
			},
			format: func(v float64) string { return si(v) + " req/s" },
		},
		{
			key: "16k", title: fmt.Sprintf("pipelined %s", size(o.big)), target: 0.45,
			run: func(addr string) (sample, error) {
				r, err := pipelined(addr, o.big, o.duration)
				return sample{v: r.Bytes / 1e6}, err
			},
			format: func(v float64) string { return fmt.Sprintf("%.0f MB/s", v) },
		},
		{
			key: "conn", title: fmt.Sprintf("connections (%d × %d req)", burstConns, requestsPerConn), target: 0.5,
			run: func(addr string) (sample, error) {
				v, err := connRate(addr, o.duration)
				return sample{v: v}, err
			},
			format: func(v float64) string { return si(v) + " conn/s" },
		},
		{
			key: "latency", title: fmt.Sprintf("round trip %d B", o.small), latency: true, target: 60,
			run: func(addr string) (sample, error) {
				r, err := latency(addr, o.small, o.latencyN)
				return sample{v: us(r.P50), p99: us(r.P99)}, err
			},
			format: func(v float64) string { return fmt.Sprintf("%.1f µs", v) },
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
			return nil, fmt.Errorf("unknown scenario %q (want 64b, 16k, conn or latency)", k)
		}
	}
	return out, nil
}

// printTable prints the medians against the targets.
func printTable(w io.Writer, rows []row, withSocat bool) {
	if len(rows) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "scenario\tdirect\tvia sockscope\tratio\ttarget\t\t"
	if withSocat {
		head += "via socat\tratio\t"
	}
	fmt.Fprintln(w)
	fmt.Fprintln(tw, head)
	for _, r := range rows {
		direct, via := r.med[0], r.med[1]
		cells := []string{r.title, r.format(direct.v), r.format(via.v)}
		if r.latency {
			added := via.v - direct.v
			cells = append(cells, fmt.Sprintf("+%.1f µs", added),
				fmt.Sprintf("≤ +%.0f µs", r.target), verdict(added <= r.target))
		} else {
			ratio := via.v / direct.v
			cells = append(cells, fmt.Sprintf("%.2f×", ratio),
				fmt.Sprintf("≥ %.2f×", r.target), verdict(ratio >= r.target))
		}
		if withSocat && len(r.med) > 2 {
			cells = append(cells, r.format(r.med[2].v), compare(r, r.med[2]))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
		if r.latency {
			p99 := []string{"  p99", fmt.Sprintf("%.1f µs", direct.p99), fmt.Sprintf("%.1f µs", via.p99),
				fmt.Sprintf("+%.1f µs", via.p99-direct.p99), "", ""}
			if withSocat && len(r.med) > 2 {
				p99 = append(p99, fmt.Sprintf("%.1f µs", r.med[2].p99), fmt.Sprintf("+%.1f µs", r.med[2].p99-direct.p99))
			}
			fmt.Fprintln(tw, strings.Join(p99, "\t")+"\t")
		}
	}
	tw.Flush()
}

// compare renders a relay's median against direct, as the row's target does.
func compare(r row, s sample) string {
	if r.latency {
		return fmt.Sprintf("+%.1f µs", s.v-r.med[0].v)
	}
	return fmt.Sprintf("%.2f×", s.v/r.med[0].v)
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
