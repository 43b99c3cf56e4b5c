package ui

import (
	tea "charm.land/bubbletea/v2"
)

// handleKey routes a key press: the filter line first while it is edited,
// then the help, the global keys, and finally the focused pane.
func (m Model) handleKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	k := &m.c.keys
	if m.filter.editing {
		var changed bool
		m.filter, changed = m.filter.update(msg)
		if changed {
			return m.applyQuery()
		}
		return m, nil
	}
	if m.showHelp {
		switch {
		case keyMatches(msg, k.Quit) && msg.String() == "ctrl+c":
			return m, tea.Quit
		case keyMatches(msg, k.Help, k.Back, k.Quit):
			m.showHelp = false
		case keyMatches(msg, k.Down):
			m.helpTop++
		case keyMatches(msg, k.Up):
			m.helpTop = max(0, m.helpTop-1)
		case keyMatches(msg, k.PageDown):
			m.helpTop += m.c.height / 2
		case keyMatches(msg, k.PageUp, k.Top):
			m.helpTop = 0
		}
		m.helpTop = min(m.helpTop, len(m.helpView())-(m.c.height-2))
		m.helpTop = max(0, m.helpTop)
		return m, nil
	}
	switch {
	case keyMatches(msg, k.Quit):
		return m, tea.Quit
	case keyMatches(msg, k.Help):
		m.showHelp, m.helpTop = true, 0
	case keyMatches(msg, k.Filter):
		m.filter = m.filter.start()
	case keyMatches(msg, k.Back):
		return m.back()
	case keyMatches(msg, k.Raw):
		var cmd tea.Cmd
		m.list, cmd = m.list.setRaw(!m.list.raw())
		return m, cmd
	case keyMatches(msg, k.Stats):
		m.showStats = !m.showStats
		if m.showStats {
			m.stats = m.stats.refresh(m.conns.sel)
		}
	case keyMatches(msg, k.Conns):
		if m.connsShown() {
			m.connsPane = connsHidden
			if m.focus == focusConns {
				m.focus = focusList
			}
		} else {
			m.connsPane = connsShown
		}
		m = m.relayout()
	case keyMatches(msg, k.Pause):
		m.list.paused = !m.list.paused
		if m.list.paused {
			m.pausedRows = m.totals.Rows
			m = m.setNotice("display paused: traffic is still recorded (p resumes)", false)
		} else {
			var cmd tea.Cmd
			m.list, cmd = m.list.refresh()
			m = m.setNotice("display resumed", false)
			return m, cmd
		}
	case keyMatches(msg, k.Clear):
		m.c.st.Clear()
		m.list = m.list.clear()
		m = m.setNotice("cleared the stored messages (statistics stay)", false)
	case keyMatches(msg, k.Side):
		if msg.String() == "h" || msg.String() == "left" {
			m.detail = m.detail.setSide(sideRequest)
		} else {
			m.detail = m.detail.setSide(sideResponse)
		}
	case keyMatches(msg, k.Hex):
		m.detail.hex = !m.detail.hex
	case keyMatches(msg, k.Copy):
		return m.copySelected()
	case keyMatches(msg, k.Write):
		return m.writeSelected()
	case keyMatches(msg, k.NextPane):
		m.focus = m.cycleFocus(1)
	case keyMatches(msg, k.PrevPane):
		m.focus = m.cycleFocus(-1)
	case keyMatches(msg, k.Enter):
		switch m.focus {
		case focusList:
			m.focus = focusDetail
		case focusConns:
			m.focus = focusList
		}
	default:
		return m.updateFocused(msg)
	}
	return m, nil
}

// back is esc: leave a pane, else clear the filter, else the connection.
func (m Model) back() (Model, tea.Cmd) {
	switch {
	case m.focus != focusList:
		m.focus = focusList
	case m.filter.active():
		m.filter = m.filter.clear()
		return m.applyQuery()
	case m.conns.sel != 0:
		m.conns = m.conns.selectAt(0)
		return m.applyQuery()
	}
	return m, nil
}

// updateFocused hands a message to the pane that has the focus.
func (m Model) updateFocused(msg tea.Msg) (Model, tea.Cmd) {
	var cmd tea.Cmd
	switch m.focus {
	case focusList:
		m.list, cmd = m.list.update(msg)
	case focusDetail:
		if m.showStats {
			m.stats, cmd = m.stats.update(msg)
		} else {
			m.detail, cmd = m.detail.update(msg)
		}
	case focusConns:
		var changed bool
		m.conns, changed = m.conns.update(msg)
		if changed {
			return m.applyQuery()
		}
	}
	return m, cmd
}

// cycleFocus moves the focus through the visible panes.
func (m Model) cycleFocus(d int) focus {
	order := []focus{focusList, focusDetail}
	if m.connsShown() {
		order = []focus{focusConns, focusList, focusDetail}
	}
	for i, f := range order {
		if f == m.focus {
			return order[(i+d+len(order))%len(order)]
		}
	}
	return focusList
}

// handleClick selects what was clicked and focuses its pane.
func (m Model) handleClick(mo tea.Mouse) (Model, tea.Cmd) {
	if mo.Button != tea.MouseLeft || m.showHelp {
		return m, nil
	}
	l := m.layout()
	switch {
	case l.list.contains(mo.X, mo.Y):
		m.focus = focusList
		m.list = m.list.clickRow(mo.Y - l.listBodyY())
	case l.detail.contains(mo.X, mo.Y):
		m.focus = focusDetail
	case l.conns.contains(mo.X, mo.Y):
		m.focus = focusConns
		var changed bool
		m.conns, changed = m.conns.clickAt(mo.Y-l.conns.y-1, l.conns.w)
		if changed {
			return m.applyQuery()
		}
	}
	return m, nil
}

// handleWheel scrolls the pane under the pointer.
func (m Model) handleWheel(mo tea.Mouse) (Model, tea.Cmd) {
	d := 0
	switch mo.Button {
	case tea.MouseWheelUp:
		d = -3
	case tea.MouseWheelDown:
		d = 3
	default:
		return m, nil
	}
	l := m.layout()
	switch {
	case l.list.contains(mo.X, mo.Y):
		m.list = m.list.move(d)
	case l.detail.contains(mo.X, mo.Y):
		if m.showStats {
			m.stats.top = clamp(m.stats.top+d, 0, max(0, len(m.stats.methods)-1))
		} else if d < 0 {
			m.detail.vp.ScrollUp(-d)
		} else {
			m.detail.vp.ScrollDown(d)
		}
	case l.conns.contains(mo.X, mo.Y):
		before := m.conns.sel
		m.conns = m.conns.selectAt(m.conns.pos() + d/3)
		if m.conns.sel != before {
			return m.applyQuery()
		}
	}
	return m, nil
}
