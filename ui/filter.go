package ui

import (
	"strings"
	"unicode/utf8"

	"sockscope/query"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// filterModel is the filter line: typing edits the query, which applies as
// you type whenever it parses. The root keeps the filter; while it is
// edited, a filterOverlay edits a copy and hands each change back.
type filterModel struct {
	c       *common
	value   string
	err     string
	applied *query.Query // the last query that parsed; nil when none
}

func newFilterModel(c *common) filterModel { return filterModel{c: c} }

// active reports whether a filter restricts the list.
func (m filterModel) active() bool { return !m.applied.Empty() }

// clear empties the filter.
func (m filterModel) clear() filterModel {
	m.value, m.err, m.applied = "", "", nil
	return m
}

// update edits the line; it reports whether the applied query changed.
func (m filterModel) update(msg tea.Msg) (filterModel, bool) {
	before := m.value
	switch msg := msg.(type) {
	case tea.PasteMsg:
		m.value += strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return ' '
			}
			return r
		}, msg.Content)
	case tea.KeyPressMsg:
		switch msg.String() {
		case "backspace", "ctrl+h":
			if m.value != "" {
				_, n := utf8.DecodeLastRuneInString(m.value)
				m.value = m.value[:len(m.value)-n]
			}
		case "ctrl+u":
			m.value = ""
		case "ctrl+w", "alt+backspace":
			v := strings.TrimRight(m.value, " ")
			if i := strings.LastIndexByte(v, ' '); i >= 0 {
				m.value = v[:i+1]
			} else {
				m.value = ""
			}
		case "space":
			m.value += " "
		default:
			if msg.Text != "" && msg.Mod&^tea.ModShift == 0 {
				m.value += msg.Text
			}
		}
	}
	if m.value == before {
		return m, false
	}
	q, err := query.Parse(m.value)
	if err != nil {
		m.err = err.Error()
		return m, false
	}
	m.err = ""
	if q.Empty() && m.applied.Empty() {
		m.applied = q
		return m, false
	}
	m.applied = q
	return m, true
}

// view renders the active filter's line in w cells ("" when none).
func (m filterModel) view(w int) string {
	s := &m.c.styles
	if !m.active() {
		return ""
	}
	return cut(s.FilterPrompt.Render("filter: ")+s.FilterText.Render(sanitize(m.applied.Src))+s.Dim.Render("  (/ edits, esc clears)"), w)
}

// editView renders the line being edited in w cells. An error that does
// not fit beside it goes on lines of its own under it (at most
// maxFilterErrLines), so it can be read in full.
func (m filterModel) editView(w int) []string {
	s := &m.c.styles
	line := s.FilterPrompt.Render("/") + s.FilterText.Render(sanitize(m.value)) + s.FilterPrompt.Render("▏")
	switch {
	case m.err != "" && lipgloss.Width(line)+2+lipgloss.Width(m.err) <= w:
		line += "  " + s.FilterBad.Render(m.err)
	case m.err != "":
		lines := []string{cut(line, w)}
		for _, l := range wrapWords(m.err, w-2) {
			lines = append(lines, cut("  "+s.FilterBad.Render(l), w))
		}
		if len(lines) > 1+maxFilterErrLines {
			lines = lines[:1+maxFilterErrLines]
		}
		return lines
	case m.value == "":
		line += s.Dim.Render("method:add status:error slow:>100ms text   (? shows the syntax)")
	}
	return []string{cut(line, w)}
}

// maxFilterErrLines is how many lines a filter's error may take under it.
const maxFilterErrLines = 3

// filterMsg hands the filter, as edited, back to the root; changed says
// whether its applied query changed.
type filterMsg struct {
	f       filterModel
	changed bool
}

// filterOverlay is the filter line with the keyboard: every key edits it,
// enter keeps it, esc clears it. Enter on a filter that does not parse
// keeps the line open with its error, and the filter applied before the
// line was opened (what was typed applies as far as it parsed).
type filterOverlay struct {
	f      filterModel
	before *query.Query // the query applied when the line was opened
}

func newFilterOverlay(f filterModel) filterOverlay { return filterOverlay{f: f, before: f.applied} }

func (o filterOverlay) kind() overlayKind { return overlayFilter }

func (o filterOverlay) update(msg tea.Msg) (overlay, effect) {
	k := &o.f.c.keys
	if km, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case keyMatches(km, k.FilterApply) && o.f.err != "":
			if o.f.applied == o.before {
				return o, effect{}
			}
			o.f.applied = o.before
			return o, effect{msg: filterMsg{o.f, true}}
		case keyMatches(km, k.FilterApply):
			return o, effect{done: true}
		case keyMatches(km, k.FilterCancel):
			changed := o.f.active()
			o.f = o.f.clear()
			return o, effect{msg: filterMsg{o.f, changed}, done: true}
		}
	}
	switch msg.(type) {
	case tea.KeyPressMsg, tea.PasteMsg:
		before := o.f
		var changed bool
		o.f, changed = o.f.update(msg)
		if o.f != before {
			return o, effect{msg: filterMsg{o.f, changed}}
		}
	}
	return o, effect{}
}

func (o filterOverlay) bindings() []key.Binding {
	return []key.Binding{o.f.c.keys.FilterApply, o.f.c.keys.FilterCancel}
}

func (o filterOverlay) view(w, _ int) []string { return o.f.editView(w) }
