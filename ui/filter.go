package ui

import (
	"sockscope/query"
	"strings"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
)

// filterModel is the filter line: typing edits the query, which applies as
// you type whenever it parses.
type filterModel struct {
	c       *common
	editing bool
	value   string
	err     string
	applied *query.Query // the last query that parsed; nil when none
}

func newFilterModel(c *common) filterModel { return filterModel{c: c} }

// active reports whether a filter restricts the list.
func (m filterModel) active() bool { return !m.applied.Empty() }

// start gives the filter line the keyboard.
func (m filterModel) start() filterModel {
	m.editing = true
	return m
}

// clear empties the filter and stops editing.
func (m filterModel) clear() filterModel {
	m.editing, m.value, m.err, m.applied = false, "", "", nil
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
		k := m.c.keys
		switch {
		case keyMatches(msg, k.FilterApply):
			m.editing = false
			return m, false
		case keyMatches(msg, k.FilterCancel):
			changed := m.active()
			m = m.clear()
			return m, changed
		}
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

// view renders the filter line in w cells: the editor while editing, else
// the active filter.
func (m filterModel) view(w int) string {
	s := &m.c.styles
	switch {
	case m.editing:
		line := s.FilterPrompt.Render("/") + s.FilterText.Render(sanitize(m.value)) + s.FilterPrompt.Render("▏")
		if m.err != "" {
			line += "  " + s.FilterBad.Render(m.err)
		} else if m.value == "" {
			line += s.Dim.Render("method:add status:error slow:>100ms text   (? shows the syntax)")
		}
		return cut(line, w)
	case m.active():
		return cut(s.FilterPrompt.Render("filter: ")+s.FilterText.Render(sanitize(m.applied.Src))+s.Dim.Render("  (/ edits, esc clears)"), w)
	}
	return ""
}
