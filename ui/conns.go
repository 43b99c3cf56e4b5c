package ui

import (
	"strconv"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"sockscope/internal/plural"
	"sockscope/protocol"
	"sockscope/store"
)

// connsModel is the connections pane: an "all connections" entry, then every
// connection. The entry under the cursor is the selected one, and it
// restricts the list.
type connsModel struct {
	c      *common
	conns  []store.Conn
	sel    uint64 // selected connection id; 0 = all
	top    int    // first visible entry
	height int    // visible lines
}

func newConnsModel(c *common) connsModel { return connsModel{c: c} }

// refresh re-reads the connections.
func (m connsModel) refresh() connsModel {
	m.conns = m.c.st.Conns()
	return m.fix()
}

// pos returns the entry index of the selection: 0 for all, i+1 for conns[i].
func (m connsModel) pos() int {
	for i := range m.conns {
		if m.conns[i].ID == m.sel {
			return i + 1
		}
	}
	return 0
}

// perEntry is how many lines one entry takes.
func (m connsModel) perEntry(w int) int {
	if w >= 70 {
		return 1
	}
	return 3
}

func (m connsModel) fix() connsModel {
	if m.sel != 0 && m.pos() == 0 {
		// Keep a selected connection even if the store no longer lists it.
		return m
	}
	rows := max(1, m.height/max(1, m.perEntry(m.c.width)))
	p := m.pos()
	if p < m.top {
		m.top = p
	}
	if p >= m.top+rows {
		m.top = p - rows + 1
	}
	m.top = clamp(m.top, 0, max(0, len(m.conns)+1-rows))
	return m
}

// selectAt moves the cursor to entry i.
func (m connsModel) selectAt(i int) connsModel {
	i = clamp(i, 0, len(m.conns))
	if i == 0 {
		m.sel = 0
	} else {
		m.sel = m.conns[i-1].ID
	}
	return m.fix()
}

// update handles the pane's keys while it has the focus; it reports whether
// the selection changed.
func (m connsModel) update(msg tea.Msg) (connsModel, bool) {
	before := m.sel
	if s, ok := navStep(msg, &m.c.keys, m.height-1); ok {
		m = m.selectAt(s.apply(m.pos(), len(m.conns)))
	}
	return m, m.sel != before
}

// bindings are the pane's keys, for the help.
func (m connsModel) bindings() []key.Binding {
	k := &m.c.keys
	top, bottom := k.Top, k.Bottom
	top.SetHelp("g/home", "all connections")
	bottom.SetHelp("G/end", "newest connection")
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, top, bottom}
}

// scroll moves the cursor by d entries (the mouse wheel); it reports
// whether the selection changed.
func (m connsModel) scroll(d int) (connsModel, bool) {
	before := m.sel
	m = m.selectAt(m.pos() + d)
	return m, m.sel != before
}

// clickAt selects the entry drawn on visible line y (below the title).
func (m connsModel) clickAt(y, w int) (connsModel, bool) {
	i := m.top + y/m.perEntry(w)
	if y < 0 || i > len(m.conns) {
		return m, false
	}
	before := m.sel
	m = m.selectAt(i)
	return m, m.sel != before
}

// clientText describes a connection's client: its address and, where the
// OS said, its process.
func clientText(c *store.Conn) string {
	s := sanitize(c.Client)
	if s == "" {
		s = "?"
	}
	if c.PID > 0 {
		p := "pid " + strconv.Itoa(c.PID)
		if c.Process != "" {
			p = sanitize(c.Process) + " " + p
		}
		s += " (" + p + ")"
	}
	return s
}

// view renders the pane body.
func (m connsModel) view(w int, focused bool) []string {
	s := &m.c.styles
	now := m.c.now()
	var lines []string
	per := m.perEntry(w)
	for i := m.top; i <= len(m.conns) && len(lines)+per <= max(m.height, per); i++ {
		var entry []string
		var id uint64
		if i == 0 {
			t := m.c.st.Totals()
			entry = []string{fit(cells("  all connections", s.Dim.Render(fmtCount(t.OpenConns)+" open, "+fmtCount(t.Conns)+" seen")), w)}
			if per > 1 {
				entry = append(entry, s.Dim.Render(cut(cells("     ", fmtCount(t.Messages)+" msg", fmtCount(t.Rows)+" "+plural.Noun(t.Rows, "row")), w)),
					s.Dim.Render(cut(cells("     ", latencyCells(t.Latency)), w)))
			}
		} else {
			c := &m.conns[i-1]
			id = c.ID
			entry = m.entry(c, w, per, now)
		}
		if id == m.sel {
			st := s.SelectedBlur
			if focused {
				st = s.Selected
			}
			for j := range entry {
				entry[j] = st.Render(fit(stripStyles(entry[j]), w))
			}
		}
		lines = append(lines, entry...)
	}
	return lines
}

func (m connsModel) entry(c *store.Conn, w, per int, now time.Time) []string {
	s := &m.c.styles
	state := s.ConnOpen
	switch c.State {
	case store.ConnClosed:
		state = s.ConnClosed
	case store.ConnFailed:
		state = s.ConnFailed
	}
	label := c.State.String()
	if c.State == store.ConnOpenAtExit {
		label, state = "exit", s.ConnClosed // open when sockscope stopped: no failure
	}
	end := now
	if !c.Closed.IsZero() {
		end = c.Closed
	}
	head := cells(fitLeft("#"+strconv.FormatUint(c.ID, 10), 4), state.Render(fit(label, 6)), s.Dim.Render(fitLeft(fmtAge(end.Sub(c.Opened)), 4)))
	errs := fmtCount(c.Errors) + " err"
	if c.Errors > 0 {
		errs = s.status(protocol.StatusError).Render(errs)
	}
	counts := cells(fmtCount(c.Messages)+" msg", errs, fmtCount(c.InFlight)+" in flight")
	lat := latencyCells(c.Latency)
	if c.Latency.Count == 0 || c.Latency.NoPercentiles {
		lat = s.Dim.Render(lat)
	}
	if c.State == store.ConnFailed && c.Err != "" {
		lat = cells(lat, s.ConnFailed.Render(sanitize(c.Err)))
	}
	if per == 1 {
		return []string{cut(cells(head, fit(clientText(c), max(10, w-64)), counts, lat), w)}
	}
	return []string{cut(cells(head, clientText(c)), w), cut("      "+counts, w), cut("      "+lat, w)}
}

// latencyCells says a latency summary's p50 and p99, or why there are none.
func latencyCells(l store.Latency) string {
	switch {
	case l.Count == 0:
		return "no latencies yet"
	case l.NoPercentiles:
		return "max " + fmtDur(l.Max) + ", no percentiles (memory bound)"
	}
	return cells("p50 "+fmtDur(l.P50), "p99 "+fmtDur(l.P99))
}
