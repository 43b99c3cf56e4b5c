package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"sockscope/internal/plural"
	"sockscope/protocol"
	"sockscope/store"
)

// statsModel is the latency view: a per-method table, a sparkline of the
// most recent latencies and a histogram of them.
type statsModel struct {
	c       *common
	conn    uint64 // 0 = all connections
	methods []store.MethodStats
	recent  []time.Duration
	top     int // first visible table row
	height  int
}

func newStatsModel(c *common) statsModel { return statsModel{c: c} }

// refresh re-reads the statistics of connection conn (0 for all).
func (m statsModel) refresh(conn uint64) statsModel {
	m.conn = conn
	m.methods = m.c.st.Methods(conn)
	m.recent = m.c.st.RecentLatencies(m.recent[:0])
	m.top = clamp(m.top, 0, m.lastTop())
	return m
}

// histRows is how many histogram rows a pane body of h rows draws: none
// where it is too short, and the sparkline must do.
func histRows(h int) int {
	if h < 14 {
		return 0
	}
	return len(histBuckets)
}

// lastTop is the table's last useful first row: the one that shows the
// last method on the pane's last line (the sparkline, its caption, the
// histogram, a blank line and the column header come before the rows).
func (m statsModel) lastTop() int {
	rows := max(1, m.height-4-histRows(m.height))
	return max(0, len(m.methods)-rows)
}

// update scrolls the table while the pane has the focus.
func (m statsModel) update(msg tea.Msg) (statsModel, tea.Cmd) {
	if s, ok := navStep(msg, &m.c.keys, m.height/2); ok {
		m.top = s.apply(m.top, m.lastTop())
	}
	return m, nil
}

// scroll moves the table by d rows (the mouse wheel).
func (m statsModel) scroll(d int) statsModel {
	m.top = clamp(m.top+d, 0, m.lastTop())
	return m
}

// bindings are the pane's keys, for the help.
func (m statsModel) bindings() []key.Binding {
	k := &m.c.keys
	top, bottom := k.Top, k.Bottom
	top.SetHelp("g/home", "first method")
	bottom.SetHelp("G/end", "last method")
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, top, bottom}
}

// sparkBlocks draw a sparkline, lowest to highest.
var sparkBlocks = []rune("▁▂▃▄▅▆▇█")

// sparkline draws the last w latencies on a log scale.
func sparkline(lat []time.Duration, w int) string {
	if len(lat) > w {
		lat = lat[len(lat)-w:]
	}
	if len(lat) == 0 {
		return ""
	}
	lo, hi := lat[0], lat[0]
	for _, d := range lat {
		lo, hi = min(lo, d), max(hi, d)
	}
	lo = max(lo, time.Microsecond)
	span := logf(hi) - logf(lo)
	var b strings.Builder
	for _, d := range lat {
		i := 0
		if span > 0 {
			i = int((logf(max(d, lo)) - logf(lo)) / span * float64(len(sparkBlocks)-1))
		}
		b.WriteRune(sparkBlocks[clamp(i, 0, len(sparkBlocks)-1)])
	}
	return b.String()
}

// logf is a cheap log2 of a duration in nanoseconds, good enough to scale.
func logf(d time.Duration) float64 {
	f := float64(max(d, 1))
	n := 0.0
	for f >= 2 {
		f /= 2
		n++
	}
	return n + (f - 1)
}

// histBuckets are the histogram's upper bounds.
var histBuckets = []time.Duration{100 * time.Microsecond, time.Millisecond, 10 * time.Millisecond,
	100 * time.Millisecond, time.Second, 1<<63 - 1}

var histLabels = []string{"<100µs", "<1ms", "<10ms", "<100ms", "<1s", "≥1s"}

// statsColW is the width of a column of numbers in the stats table.
const statsColW = 7

// statsColumns says which of the table's optional columns (err, p90, max)
// fit in w cells, and how wide the method's column is: where the method's
// name would get less than 12 columns, p90 goes, then max, then err,
// rather than the table be cut.
func statsColumns(w int) (show map[string]bool, nameW int) {
	nameW = w - 8 - 5*(statsColW+1) // count, then err, p50, p90, p99 and max
	show = map[string]bool{"err": true, "p90": true, "max": true}
	for _, c := range []string{"p90", "max", "err"} {
		if nameW >= 12 {
			break
		}
		show[c], nameW = false, nameW+statsColW+1
	}
	return show, max(8, nameW)
}

// statsTitle is the pane's title at width w: the latencies its table
// shows there, and no other.
func statsTitle(w int) string {
	show, _ := statsColumns(w)
	cols := []string{"p50"}
	if show["p90"] {
		cols = append(cols, "p90")
	}
	cols = append(cols, "p99")
	if show["max"] {
		cols = append(cols, "max")
	}
	return "per method · " + strings.Join(cols, " ")
}

// view renders the pane body in w×h cells.
func (m statsModel) view(w, h int) []string {
	s := &m.c.styles
	var lines []string
	scope := "all connections"
	if m.conn != 0 {
		scope = fmt.Sprintf("connection #%d", m.conn)
	}
	lines = append(lines, s.Dim.Render(cut(fmt.Sprintf("recent %s (%s, all conns)", plural.Of(len(m.recent), "latency", "latencies"), "log scale"), w)))
	lines = append(lines, s.Spark.Render(sparkline(m.recent, w)))
	counts := make([]int, len(histBuckets))
	for _, d := range m.recent {
		for i, b := range histBuckets {
			if d < b {
				counts[i]++
				break
			}
		}
	}
	most := 1
	for _, c := range counts {
		most = max(most, c)
	}
	for i := range histRows(h) {
		barW := max(0, w-16)
		n := counts[i] * barW / most
		if counts[i] > 0 {
			n = max(n, 1)
		}
		lines = append(lines, fitLeft(histLabels[i], 6)+" "+s.Bar.Render(strings.Repeat("█", n))+" "+s.Dim.Render(fmtCount(counts[i])))
	}
	lines = append(lines, "")
	show, nameW := statsColumns(w)
	col := func(name, cell string) string {
		if !show[name] {
			return ""
		}
		return cell
	}
	hdr := cells(fit("method ("+scope+")", nameW), fitLeft("count", 7), col("err", fitLeft("err", statsColW)),
		fitLeft("p50", statsColW), col("p90", fitLeft("p90", statsColW)), fitLeft("p99", statsColW), col("max", fitLeft("max", statsColW)))
	lines = append(lines, s.ColHeader.Render(fit(hdr, w)))
	if len(m.methods) == 0 {
		lines = append(lines, s.Dim.Render("  no requests yet"))
	}
	for i := m.top; i < len(m.methods) && len(lines) < h; i++ {
		ms := &m.methods[i]
		errs := fitLeft(fmtCount(ms.Errors), statsColW)
		if ms.Errors > 0 {
			errs = s.status(protocol.StatusError).Render(errs)
		}
		lat := func(d time.Duration) string {
			if ms.Latency.Count == 0 {
				return s.Dim.Render(fitLeft("-", statsColW))
			}
			if ms.Latency.NoPercentiles && d != ms.Latency.Max { // beyond the statistics' memory budget
				return s.Dim.Render(fitLeft("n/a", statsColW))
			}
			return latencyStyle(d, s).Render(fitLeft(fmtDur(d), statsColW))
		}
		lines = append(lines, cells(fit(sanitize(ms.Method), nameW), fitLeft(fmtCount(ms.Count), 7), col("err", errs),
			lat(ms.Latency.P50), col("p90", lat(ms.Latency.P90)), lat(ms.Latency.P99), col("max", lat(ms.Latency.Max))))
	}
	return lines
}
