//go:build unix

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// CPU per request: what each program spends on a request, by path. The
// load runs in goroutines of this process, so the client's CPU is this
// process's (getrusage(RUSAGE_SELF); with -inproc the services' too); the
// service and the relays are processes of their own, read from
// /proc/PID/stat while they run. A path's client and service CPU is taken
// around each of its runs (the rounds interleave the paths) and summed; a
// relay's is all it used from the first run of the scenario to the end of
// the last, so a decoder that works on after its own run (through the
// next path's) is charged for it: its "off-run" share says how much.

// clockTick is the unit of the times in /proc/PID/stat: sysconf(_SC_CLK_TCK),
// which is 100 on Linux.
const clockTick = 10 * time.Millisecond

// statFields returns the fields of a /proc/PID/stat line from field 3 on,
// and checks it has field last. Field 2 is the command name in
// parentheses, which may hold spaces and parentheses of its own: the
// fields that follow come after the last ')'.
func statFields(stat string, last int) ([]string, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return nil, errors.New("no command name in /proc stat")
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3
	if len(f) < last-2 {
		return nil, fmt.Errorf("/proc stat has %d fields, want %d or more", len(f)+2, last)
	}
	return f, nil
}

// parseStatCPU returns the CPU time in a /proc/PID/stat line: utime and
// stime (fields 14 and 15), plus cutime and cstime (16 and 17: children it
// waited for, such as socat's forked relays), in clock ticks.
func parseStatCPU(stat string) (time.Duration, error) {
	f, err := statFields(stat, 17)
	if err != nil {
		return 0, err
	}
	var ticks int64
	for field := 14; field <= 17; field++ {
		v, err := strconv.ParseInt(f[field-3], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc stat field %d: %v", field, err)
		}
		ticks += v
	}
	return time.Duration(ticks) * clockTick, nil
}

// parseStatFaults returns the minor page faults in a /proc/PID/stat line
// (field 10, minflt): on a VM a fault can cost as much as decoding a dozen
// calls, and sockscope's decoder's process makes most of sockscope's.
func parseStatFaults(stat string) (int64, error) {
	f, err := statFields(stat, 10)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(f[10-3], 10, 64)
}

// procFaults is the minor page faults process pid has made so far.
func procFaults(pid int) (int64, error) { return fromStat(pid, parseStatFaults) }

// procCPU is the CPU time process pid has used so far.
func procCPU(pid int) (time.Duration, error) { return fromStat(pid, parseStatCPU) }

// fromStat is parse of process pid's /proc/PID/stat line.
func fromStat[T any](pid int, parse func(string) (T, error)) (T, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		var zero T
		return zero, err
	}
	return parse(string(b))
}

// treeCPU is the CPU time process pid and its live descendants have used
// so far (sockscope's decoder runs in a child process; socat forks one per
// connection): the children it has reaped count in its own.
func treeCPU(pid int) (time.Duration, error) {
	d, err := procCPU(pid)
	if err != nil {
		return 0, err
	}
	for _, c := range children(pid) {
		if cd, err := treeCPU(c); err == nil {
			d += cd
		}
	}
	return d, nil
}

// children lists the live children of process pid.
func children(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(s); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// selfCPU is the CPU time this process has used so far, all its threads.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuSnap is the CPU each program had used at one moment; -1 where it
// could not be read.
type cpuSnap struct {
	self, service time.Duration
	relay         map[string]time.Duration // by path
	children      map[string]time.Duration // of relay: its child processes' (sockscope's decoder)
	childFaults   map[string]int64         // of relay: its child processes' minor page faults
}

// takeSnap reads the CPU of this process, the service (pid 0: none of its
// own) and each relay.
func takeSnap(servicePid int, relays map[string]*relay) cpuSnap {
	s := cpuSnap{self: selfCPU(), service: -1, relay: map[string]time.Duration{}, children: map[string]time.Duration{}, childFaults: map[string]int64{}}
	if servicePid > 0 {
		if d, err := procCPU(servicePid); err == nil {
			s.service = d
		}
	}
	for p, r := range relays {
		s.relay[p], s.children[p], s.childFaults[p] = -1, -1, -1
		if own, err := procCPU(r.pid()); err == nil {
			var kids time.Duration
			var faults int64
			for _, c := range children(r.pid()) {
				if d, err := treeCPU(c); err == nil {
					kids += d
				}
				if n, err := procFaults(c); err == nil {
					faults += n
				}
			}
			s.relay[p], s.children[p], s.childFaults[p] = own+kids, kids, faults
		}
	}
	return s
}

// cpuUse is a path's CPU over a scenario's runs; a duration is -1 when it
// is unknown.
type cpuUse struct {
	client, service time.Duration
	// relay is all the path's relay used from the first run to the end of
	// the last, off the part of it used outside the path's own runs.
	relay, off time.Duration
	// children is the part of relay its child processes used (sockscope's
	// decoder, at the lowest priority), first to last snapshot, and
	// childFaults the minor page faults they made (-1: unknown).
	children    time.Duration
	childFaults int64
	n           float64 // requests the path's runs made
}

// add accumulates one run of the path between snapshots a and b, with n
// requests.
func (u *cpuUse) add(a, b cpuSnap, path string, n float64) {
	u.client = addDelta(u.client, a.self, b.self)
	u.service = addDelta(u.service, a.service, b.service)
	if path != pathDirect {
		u.relay = addDelta(u.relay, a.relay[path], b.relay[path])
	}
	u.n += n
}

// addDelta adds b-a to sum, or returns -1 if any of them is unknown.
func addDelta(sum, a, b time.Duration) time.Duration {
	if sum < 0 || a < 0 || b < 0 {
		return -1
	}
	return sum + b - a
}

// settle charges each relay with all it used between first and last (the
// snapshots before the first run and after the last): what it used outside
// its own runs is off.
func settle(uses map[string]*cpuUse, first, last cpuSnap) {
	for p, u := range uses {
		if p == pathDirect {
			continue
		}
		total := addDelta(0, first.relay[p], last.relay[p])
		u.children = addDelta(0, first.children[p], last.children[p])
		u.childFaults = -1
		if a, b := first.childFaults[p], last.childFaults[p]; a >= 0 && b >= 0 {
			u.childFaults = b - a
		}
		if total < 0 || u.relay < 0 {
			u.relay, u.off = -1, -1
			continue
		}
		u.off = max(total-u.relay, 0)
		u.relay = max(total, u.relay)
	}
}

// perRequest is d per request, in µs; -1 if unknown.
func (u *cpuUse) perRequest(d time.Duration) float64 {
	if d < 0 || u == nil || u.n <= 0 {
		return -1
	}
	return float64(d) / float64(time.Microsecond) / u.n
}

// cpuRatio is sockscope's CPU per request over the bare relay's in row r
// (for path p, --headless or the UI): all of it, or with own only its
// relay's process's (the decoder's process runs at the lowest priority,
// on CPU nothing else wants). ok is false when either is unknown or the
// bare relay did not run.
func cpuRatio(r row, p string, own bool) (ratio float64, ok bool) {
	s, b := r.cpu[p], r.cpu[pathBare]
	if s == nil || b == nil {
		return 0, false
	}
	sv, bv := s.perRequest(s.relay), b.perRequest(b.relay)
	if own {
		sv = s.perRequest(addDelta(s.relay, s.children, 0))
	}
	if sv < 0 || bv <= 0 {
		return 0, false
	}
	return sv / bv, true
}

// cpuTarget is the most CPU per request sockscope may use, as a multiple
// of the bare relay's, whenever its decoder drops (issue 16).
const cpuTarget = 1.5

// printCPUTable prints each path's CPU per request, by program, and
// sockscope's relay CPU against the bare relay's.
func printCPUTable(w io.Writer, rows []row, inproc bool) {
	if len(rows) == 0 || rows[0].cpu == nil {
		return
	}
	fmt.Fprintln(w)
	client := "client (sockbench)"
	if inproc {
		client = "client+services (sockbench, -inproc)"
	}
	fmt.Fprintf(w, "CPU per request, µs: %s by getrusage, the others by /proc/PID/stat (10 ms ticks); relay: all it and its child processes used during the scenario's runs; decoder: the part of it sockscope's decoder's process used, at nice 19, and its page faults per 1,000 requests\n", client)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tpath\tclient\tservice\trelay\tdecoder\tfaults/1k\toff-run\tall vs io.Copy\trelay's process vs io.Copy\ttarget\t\t")
	for _, r := range rows {
		for i, p := range r.paths {
			u := r.cpu[p]
			title := ""
			if i == 0 {
				title = r.title
			}
			cells := []string{title, p, micros(u.perRequest(u.client)), micros(u.perRequest(u.service)), "", "", "", "", "", "", "", ""}
			if inproc {
				cells[3] = "(in client)"
			}
			if p != pathDirect {
				cells[4] = micros(u.perRequest(u.relay))
				if u.children > 0 {
					cells[5] = micros(u.perRequest(u.children))
					if u.childFaults >= 0 && u.n > 0 {
						cells[6] = fmt.Sprintf("%.1f", 1000*float64(u.childFaults)/u.n)
					}
				}
				if u.relay > 0 {
					cells[7] = fmt.Sprintf("%.0f %%", 100*float64(u.off)/float64(u.relay))
				}
			}
			all, ok := cpuRatio(r, p, false)
			own, _ := cpuRatio(r, p, true)
			if ok && (p == pathHeadless || p == pathUI) {
				cells[8], cells[9] = fmt.Sprintf("%.1f×", all), fmt.Sprintf("%.1f×", own)
				if d := r.drops[p]; d > 0 {
					cells[10], cells[11] = fmt.Sprintf("≤ %.1f× (dropping)", cpuTarget), verdict(own <= cpuTarget)
				} else {
					cells[10] = "(no drops)"
				}
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
		}
	}
	tw.Flush()
}

// micros renders µs per request ("?" when unknown).
func micros(v float64) string {
	if v < 0 {
		return "?"
	}
	return fmt.Sprintf("%.2f", v)
}
