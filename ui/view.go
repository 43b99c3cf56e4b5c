package ui

import (
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// wideLayout is the width from which panes sit side by side.
const wideLayout = 120

// rect is a screen area.
type rect struct{ x, y, w, h int }

func (r rect) contains(x, y int) bool {
	return r.w > 0 && r.h > 0 && x >= r.x && x < r.x+r.w && y >= r.y && y < r.y+r.h
}

// screenLayout is where each pane goes. Each pane's first line is its title.
type screenLayout struct {
	wide                bool
	conns, list, detail rect
	filterLines         int // the list's filter lines under its title (the filter, an error under it)
}

// listBodyY is the screen line of the list's first entry.
func (l screenLayout) listBodyY() int {
	y := l.list.y + 2 // title, column header
	y += l.filterLines
	return y
}

func (m Model) connsShown() bool {
	switch m.connsPane {
	case connsShown:
		return true
	case connsHidden:
		return false
	}
	return m.c.width >= wideLayout
}

// layout places the panes between the status bar (top line) and the help
// line (bottom line).
func (m Model) layout() screenLayout {
	l := m.placePanes()
	l.filterLines = len(m.filterLines(l.list.w))
	return l
}

// placePanes places the panes.
func (m Model) placePanes() screenLayout {
	w, h := m.c.width, max(0, m.c.height-1-m.bottomHeight())
	l := screenLayout{wide: w >= wideLayout}
	if l.wide {
		x := 0
		if m.connsShown() {
			cw := min(44, w/4)
			l.conns = rect{0, 1, cw, h}
			x = cw + 1
		}
		rest := w - x
		dw := rest * 45 / 100
		l.list = rect{x, 1, rest - dw - 1, h}
		l.detail = rect{x + rest - dw, 1, dw, h}
		return l
	}
	y := 1
	if m.connsShown() {
		ch := min(len(m.conns.conns)+2, max(3, h/4))
		l.conns = rect{0, y, w, ch}
		y += ch
		h -= ch
	}
	lh := (h + 1) / 2
	l.list = rect{0, y, w, lh}
	l.detail = rect{0, y + lh, w, h - lh}
	return l
}

// relayout sizes the children after a resize or a pane toggle.
func (m Model) relayout() Model {
	l := m.layout()
	m.list.height = max(1, l.list.h-(l.listBodyY()-l.list.y))
	m.list = m.list.fix()
	m.detail = m.detail.setSize(l.detail.w, l.detail.h)
	m.conns.height = max(1, l.conns.h-1)
	m.conns = m.conns.fix()
	m.stats.height = max(1, l.detail.h-1)
	m.help.SetWidth(m.c.width)
	return m
}

// View implements tea.Model.
func (m Model) View() tea.View {
	v := tea.NewView(m.render())
	if m.c.screened != nil && m.c.width > 0 && m.c.height > 0 {
		m.c.screened.Store(true)
	}
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "sockscope"
	return v
}

// render draws the whole screen as a string of exactly height lines.
func (m Model) render() string {
	w, h := m.c.width, m.c.height
	if w <= 0 || h <= 0 {
		return "sockscope: starting…"
	}
	if w < 40 || h < 10 {
		return cut("sockscope: the terminal is too small (need 40×10)", w)
	}
	bottom := m.bottomLine(w)
	screen := make([]string, 0, h)
	screen = append(screen, m.statusBar(w))
	// The topmost that covers, not only the top: a line typed over the
	// intercept pane (i, :) showed the panes where the pane was.
	if t := m.overlays.cover(); t != nil {
		oh := h - 1 - (strings.Count(bottom, "\n") + 1)
		screen = append(screen, box(t.view(w, oh), w, oh)...)
	} else {
		screen = append(screen, m.panes()...)
	}
	screen = append(screen, bottom)
	return strings.Join(screen, "\n")
}

// panes draws the main area.
func (m Model) panes() []string {
	l := m.layout()
	s := &m.c.styles
	var connsB, listB, detailB []string
	if l.conns.w > 0 {
		title := m.paneTitle("Connections", fmtCount(len(m.conns.conns)), m.focus == focusConns, l.conns.w)
		connsB = box(append([]string{title}, m.conns.view(l.conns.w, m.focus == focusConns)...), l.conns.w, l.conns.h)
	}
	name, info := m.list.title()
	if m.list.paused {
		info = s.Paused.Render(" PAUSED +"+fmtCount(m.totals.Rows-m.pausedRows)+" new ") + " " + info
	}
	lines := []string{m.paneTitle(name, info, m.focus == focusList, l.list.w)}
	lines = append(lines, m.filterLines(l.list.w)...)
	lines = append(lines, m.list.view(l.list.w, m.focus == focusList)...)
	listB = box(lines, l.list.w, l.list.h)
	if m.area == areaStats {
		title := m.paneTitle("Latency", statsTitle(l.detail.w), m.focus == focusDetail, l.detail.w)
		detailB = box(append([]string{title}, m.stats.view(l.detail.w, l.detail.h-1)...), l.detail.w, l.detail.h)
	} else {
		title := m.paneTitle("Detail", m.detail.title(m.list.raw(), m.list.sel), m.focus == focusDetail, l.detail.w)
		detailB = box(append([]string{title}, m.detail.view(m.list.raw(), m.list.sel)...), l.detail.w, l.detail.h)
	}
	if !l.wide {
		return append(append(connsB, listB...), detailB...)
	}
	sep := s.Sep.Render("│")
	out := make([]string, l.list.h)
	for i := range out {
		var b strings.Builder
		if connsB != nil {
			b.WriteString(connsB[i])
			b.WriteString(sep)
		}
		b.WriteString(listB[i])
		b.WriteString(sep)
		b.WriteString(detailB[i])
		out[i] = b.String()
	}
	return out
}

// filterLines are the list's filter lines: the editor (and its error)
// while the filter is edited, else the active filter; none without one.
func (m Model) filterLines(w int) []string {
	for _, o := range m.overlays {
		if o.kind() == overlayFilter {
			return o.view(w, 1)
		}
	}
	if !m.filter.active() {
		return nil
	}
	return []string{m.filter.view(w)}
}

// paneTitle is a pane's first line: its name, and information in a dimmer style.
func (m Model) paneTitle(name, info string, focused bool, w int) string {
	s := &m.c.styles
	st := s.PaneTitle
	if focused {
		st = s.PaneTitleFocus
	}
	marker := "  "
	if focused {
		marker = "▌ "
	}
	return cut(st.Render(marker+name)+"  "+s.PaneInfo.Render(info), w)
}

// box makes lines exactly w cells wide and h lines tall.
func box(lines []string, w, h int) []string {
	out := make([]string, h)
	for i := range out {
		if i < len(lines) {
			l := lines[i]
			lw := lipgloss.Width(l)
			if lw > w {
				l = ansi.Truncate(l, w, "…")
				lw = lipgloss.Width(l)
			}
			out[i] = l + strings.Repeat(" ", max(0, w-lw))
		} else {
			out[i] = strings.Repeat(" ", w)
		}
	}
	return out
}
