// Package cpuload tells whether a machine has a CPU to spare, from the
// idle time its kernel counts (/proc/stat on Linux) and the CPU time the
// asking process takes. The decoder asks it while the traffic outruns it:
// it gives the CPU back then only if the other programs would have used
// it (issue 16).
package cpuload

import (
	"bytes"
	"errors"
	"strconv"
	"time"
)

// interval is the shortest time a Meter measures the idle time over: at
// the kernel's usual 100 ticks a second, 10 ticks per CPU.
const interval = 100 * time.Millisecond

// spare is the CPU, in CPUs, under which a machine has none to spare: a
// whole CPU, idle or taken by this process (which would leave it idle if
// it stopped). Less, and a program that wakes often finds none idle and
// waits for one, or preempts what runs there: under issue 16's pipelined
// 64 B load on 2 CPUs, 0.7-0.9 CPUs stood idle behind the bare relay, and
// sockscope's decoder at nice 19 still cost the peers a tenth of their
// speed.
const spare = 1.0

// stale is how old a Meter's last sample may be and still measure the
// load now: past it (the traffic paused, and the decoder with it), the
// time since is not the load the traffic meets, and the machine counts as
// busy until a fresh interval says. Counted idle instead, a pipelined
// flood's first second went to the decoder's process at full speed
// (180 ms of CPU against the relay's process's 110 ms, under issue 16's
// 64 B load on this project's 2-CPU VM).
const stale = time.Second

// A Meter measures the machine's idle time, and this process's CPU time,
// between its calls. Its zero value is not usable: see New. A Meter is
// not safe for concurrent use.
type Meter struct {
	read func() (stat, error)
	last stat      // the last sample
	at   time.Time // when it was taken
	busy bool      // the answer from it
}

// stat is one sample of the kernel's CPU times: all CPUs' together, in
// ticks, and how many there are; and the CPU time this process used.
type stat struct {
	idle, total uint64
	cpus        int
	self        time.Duration
}

// New returns a Meter of this machine's CPUs. In a process that also
// relays (a decoder in the relay's process), the relay's CPU counts as
// this process's too, and the machine looks less busy than it is.
func New() *Meter { return &Meter{read: readStat} }

// Busy reports whether the machine had less than a CPU to spare (idle, or
// this process's) since the Meter last sampled, at least interval ago (the
// last answer if it sampled more recently). At the first call, and when
// the last sample is stale, it is true until the next sample says; where
// the kernel does not say, false.
func (m *Meter) Busy() bool {
	now := time.Now()
	if !m.at.IsZero() && now.Sub(m.at) < interval {
		return m.busy
	}
	s, err := m.read()
	if err != nil {
		m.at, m.busy = now, false
		return false
	}
	m.busy = m.at.IsZero() || now.Sub(m.at) > stale
	if !m.busy && m.last.cpus > 0 && s.total > m.last.total && s.idle >= m.last.idle {
		idle := float64(s.idle-m.last.idle) / float64(s.total-m.last.total) * float64(s.cpus)
		self := float64(s.self-m.last.self) / float64(now.Sub(m.at))
		m.busy = idle+self < spare
	}
	m.last, m.at = s, now
	return m.busy
}

var errFormat = errors.New("cpuload: no cpu line")

// parseStat reads the first line of /proc/stat, "cpu" and the ticks the
// CPUs spent in user, nice, system, idle, iowait, irq, softirq and steal
// time (guest time is in user's), and counts the "cpuN" lines that follow.
func parseStat(b []byte) (stat, error) {
	line, rest, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 5 || string(f[0]) != "cpu" {
		return stat{}, errFormat
	}
	var s stat
	for i, v := range f[1:min(len(f), 9)] {
		n, err := strconv.ParseUint(string(v), 10, 64)
		if err != nil {
			return stat{}, err
		}
		s.total += n
		if i == 3 || i == 4 { // idle, iowait
			s.idle += n
		}
	}
	for len(rest) > 0 {
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		if len(line) > 3 && bytes.HasPrefix(line, []byte("cpu")) && line[3] >= '0' && line[3] <= '9' {
			s.cpus++
		}
	}
	if s.cpus == 0 {
		return stat{}, errFormat
	}
	return s, nil
}
