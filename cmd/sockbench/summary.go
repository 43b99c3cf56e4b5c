//go:build unix

package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// arrangement is one arrangement's results (-sessions).
type arrangement struct {
	key   string // own or one
	title string
	rows  []row
}

// arrangementTitle is what the summary calls arrangement key.
func arrangementTitle(key string) string {
	if key == "own" {
		return "each program in a session of its own"
	}
	return "every program in one session"
}

// printSummary prints, at the end of the run, each arrangement's table and
// CPU per request, then a verdict line per target of issue 16.
func printSummary(w io.Writer, o options, arrs []arrangement) {
	for _, a := range arrs {
		fmt.Fprintf(w, "\n== summary: %s\n", a.title)
		printTable(w, a.rows)
		printCPUTable(w, a.rows, o.inproc)
	}
	fmt.Fprintln(w, "\n== issue 16's targets")
	if note := conditions(o, arrs); note != "" {
		fmt.Fprintf(w, "(this run: %s)\n", note)
	}
	for _, l := range verdicts(o, arrs) {
		fmt.Fprintln(w, l)
	}
}

// conditions says how this run differs from the one issue 16's targets are
// measured with: `-json -bare`, both arrangements, sockscope's default mode.
func conditions(o options, arrs []arrangement) string {
	var notes []string
	if o.aa {
		notes = append(notes, "-aa: \"sockscope\" is a second bare relay, and the verdicts say what noise alone makes of the targets")
	}
	if !o.json {
		notes = append(notes, "without -json: the targets are for the JSON-decoding service")
	}
	if !o.bare {
		notes = append(notes, "without -bare: nothing to compare with")
	}
	if len(arrs) < 2 {
		notes = append(notes, "one arrangement only (-sessions own,one runs both)")
	}
	if lossless(o) {
		notes = append(notes, "--lossless: the relay and CPU targets are for the default mode")
	}
	return strings.Join(notes, "; ")
}

// lossless says whether sockscope runs with --lossless.
func lossless(o options) bool {
	return slices.Contains(strings.Fields(o.args), "--lossless")
}

// Verdicts.
const (
	vOK     = "ok    "
	vMissed = "MISSED"
	vNA     = "n/a   "
)

// verdicts is a line per target: its verdict, the target, and the figures
// of each arrangement.
func verdicts(o options, arrs []arrangement) []string {
	return []string{
		rateVerdict(arrs),
		latencyVerdict(arrs),
		cpuVerdict(arrs),
		losslessVerdict(o, arrs),
		vNA + " memory: RSS after 10 M calls ≤ the store's cap + 64 MiB: measured by `go run ./cmd/sockbench -mem` (optionally -max-bytes N)",
	}
}

// worse is the worse of verdicts a and b: a miss over what was not
// measured, over ok.
func worse(a, b string) string {
	rank := map[string]int{vOK: 0, vNA: 1, vMissed: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// findRow is the row of scenario key, if it ran.
func findRow(rows []row, key string) (row, bool) {
	for _, r := range rows {
		if r.key == key {
			return r, true
		}
	}
	return row{}, false
}

// bareIndex is the bare relay's path in r, if it ran.
func bareIndex(r row) (int, bool) {
	bi := slices.Index(r.paths, pathBare)
	return bi, bi > 0 && len(r.med) > bi
}

// verdictLine joins a verdict, the target and its figures.
func verdictLine(v, target string, figures []string) string {
	return v + " " + target + ": " + strings.Join(figures, "; ")
}

// rateVerdict checks sockscope ≥ 0.9× the bare relay on 64b, 16k and conn.
func rateVerdict(arrs []arrangement) string {
	v := vOK
	var figs []string
	for _, a := range arrs {
		f := a.key
		for _, key := range []string{"64b", "16k", "conn"} {
			r, ran := findRow(a.rows, key)
			bi, ok := bareIndex(r)
			if !ran || !ok {
				f += " " + key + " –"
				v = worse(v, vNA)
				continue
			}
			ratio := r.ratio(1, bi)
			f += fmt.Sprintf(" %s %.2f×", key, ratio)
			if ratio < r.bareTarget {
				v = worse(v, vMissed)
			}
		}
		figs = append(figs, f)
	}
	return verdictLine(v, "sockscope ≥ 0.9× io.Copy on 64b, 16k, conn", figs)
}

// latencyVerdict checks the median round trip: ≤ 10 µs over the bare relay.
func latencyVerdict(arrs []arrangement) string {
	v := vOK
	var figs []string
	for _, a := range arrs {
		r, ran := findRow(a.rows, "latency")
		bi, ok := bareIndex(r)
		if !ran || !ok {
			figs = append(figs, a.key+" –")
			v = worse(v, vNA)
			continue
		}
		via, bare := r.med[1], r.med[bi]
		added := via.v - bare.v
		figs = append(figs, fmt.Sprintf("%s %+.1f µs (%.1f vs %.1f)", a.key, added, via.v, bare.v))
		if added > r.bareTarget {
			v = worse(v, vMissed)
		}
	}
	return verdictLine(v, "median round trip ≤ io.Copy's + 10 µs", figs)
}

// cpuVerdict checks sockscope's CPU per request ≤ 1.5× the bare relay's in
// every scenario where it dropped: its relay's process's, which runs at
// the peers' priority (the decoder's process takes only the CPU no one
// else wants, and says so by dropping); all of it is shown too.
func cpuVerdict(arrs []arrangement) string {
	v, dropped := vOK, false
	var figs []string
	for _, a := range arrs {
		f := a.key
		for _, r := range a.rows {
			ratio, ok := cpuRatio(r, pathHeadless, true)
			all, _ := cpuRatio(r, pathHeadless, false)
			d := r.drops[pathHeadless]
			switch {
			case !ok:
				f += " " + r.key + " ?"
				if d != 0 {
					v = worse(v, vNA)
				}
			case d > 0:
				dropped = true
				f += fmt.Sprintf(" %s %.1f× (all %.1f×, dropped %d)", r.key, ratio, all, d)
				if ratio > cpuTarget {
					v = worse(v, vMissed)
				}
			default:
				f += fmt.Sprintf(" %s %.1f× (all %.1f×)", r.key, ratio, all)
			}
		}
		figs = append(figs, f)
	}
	target := "sockscope's relay's process's CPU per request ≤ 1.5× io.Copy's where it dropped"
	if !dropped && v == vOK {
		target += " (it dropped nowhere)"
	}
	return verdictLine(v, target, figs)
}

// losslessVerdict checks --lossless pipelined 64 B: ≥ 4 M calls a second
// decoded, nothing dropped.
func losslessVerdict(o options, arrs []arrangement) string {
	const target = "--lossless pipelined 64 B ≥ 4 M calls/s"
	if !lossless(o) {
		// Without -json: the service that decodes its JSON answers fewer
		// than 4 M calls a second here without any relay.
		return vNA + " " + target + ": measured by `go run ./cmd/sockbench -bare -args --lossless -only 64b`"
	}
	v := vOK
	var figs []string
	for _, a := range arrs {
		r, ran := findRow(a.rows, "64b")
		if !ran || len(r.med) < 2 {
			figs = append(figs, a.key+" –")
			v = worse(v, vNA)
			continue
		}
		rate, d := r.med[1].v, r.drops[pathHeadless]
		figs = append(figs, fmt.Sprintf("%s %s calls/s (direct %s), dropped %s", a.key, si(rate), si(r.med[0].v), drops(d)))
		if rate < 4e6 || d != 0 {
			v = worse(v, vMissed)
		}
	}
	return verdictLine(v, target, figs)
}
