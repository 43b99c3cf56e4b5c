package ui

import (
	"slices"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// handleKey routes a key press no overlay took: the root's keys, then the
// keys the detail pane takes from any pane, and finally the focused pane.
func (m Model) handleKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	k := &m.c.keys
	if m, cmd, ok := m.heldRowKey(msg); ok {
		return m, cmd
	}
	if fm, cmd, ok := m.fileKey(msg); ok {
		return fm, cmd
	}
	switch {
	case keyMatches(msg, k.Quit):
		return m, tea.Quit
	case keyMatches(msg, k.Help):
		return m.handle(helpMsg{})
	case keyMatches(msg, k.Filter):
		m.overlays = m.overlays.push(newFilterOverlay(m.filter))
	case keyMatches(msg, k.Back):
		return m.back()
	case keyMatches(msg, k.Raw):
		var cmd tea.Cmd
		m.list, cmd = m.list.setRaw(!m.list.raw())
		return m, cmd
	case keyMatches(msg, k.Stats):
		if m.area == areaStats {
			m.area = areaDetail
		} else {
			m.area = areaStats
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
		var cmd tea.Cmd
		m.list, cmd = m.list.togglePause()
		if m.list.paused {
			m.pausedRows = m.totals.Rows
			what := "display paused: traffic still passes and is decoded (p resumes)"
			switch {
			case m.c.opts.File != nil:
				what = "display paused (p resumes)"
			case m.c.opts.RecordPath != "":
				what = "display paused: traffic still passes, decoded and recorded (p resumes)"
			}
			m = m.setNotice(what, false)
		} else {
			m = m.setNotice("display resumed", false)
		}
		return m, cmd
	case keyMatches(msg, k.Clear):
		m.c.st.Clear()
		m.list = m.list.clear()
		m = m.setNotice("cleared the stored messages (statistics stay)", false)
	case m.c.opts.File != nil && boundTo(msg, k.Clear):
		return m.setNotice("nothing to clear: a file is shown, not live traffic", true), nil
	case m.fileFixed() && boundTo(msg, k.Pause):
		return m.setNotice("nothing to pause: the file does not change (show --follow does)", true), nil
	case m.area == areaStats && boundTo(msg, k.Side, k.Hex):
		// Said so: the detail pane they act on is not shown.
		return m.setNotice("x, h and l act on the detail pane: s shows it again instead of the latency stats", true), nil
	case m.detail.ownsKey(msg):
		var cmd tea.Cmd
		m.detail, cmd = m.detail.update(msg)
		return m, cmd
	case keyMatches(msg, k.Intercept):
		m.overlays = m.overlays.push(interceptPane{c: m.c, st: m.icpt})
		if m.icpt.expr == "" {
			m.overlays = m.overlays.push(newLine(m.c, "intercept: ", "", query1))
		}
		return m, m.heldCmd()
	case keyMatches(msg, k.InterceptToggle):
		return m.toggleIntercept()
	case keyMatches(msg, k.Command):
		m.overlays = m.overlays.push(newLine(m.c, ":", "", command1))
	case !m.hasInterceptor() && boundTo(msg, k.Intercept, k.InterceptToggle, k.Command):
		// Said so: else a filter typed after i is taken for keys.
		return m.setNotice("no intercept here: i, I and : are the relaying sockscope's own UI's (not an attached viewer's, show's or a replay's)", true), nil
	case m.c.opts.Control == nil && boundTo(msg, k.Resend, k.Edit, k.Compose, k.ComposeNew, k.CopyCommand):
		// Said so, as i is: R, e, n, N and Y send on a live connection.
		return m.setNotice("nothing sent: "+m.noControl(), true), nil
	case m.list.sel == 0 && boundTo(msg, k.Resend, k.Edit, k.Compose, k.ComposeNew, k.CopyCommand):
		return m.setNotice("nothing selected: R, e, n, N and Y act on a selected message (↑/↓ selects one)", true), nil
	case isHeldSeq(m.list.sel) && boundTo(msg, k.Resend, k.Compose, k.ComposeNew, k.CopyCommand):
		// e is the held frame's edit.
		return m.setNotice("a held frame: a forwards it, e edits it, d drops it, f answers it", true), nil
	case keyMatches(msg, k.Resend):
		return m.resend()
	case keyMatches(msg, k.Edit):
		return m.edit()
	case keyMatches(msg, k.Compose):
		return m.compose(false)
	case keyMatches(msg, k.ComposeNew), m.c.opts.OneConn && boundTo(msg, k.ComposeNew):
		return m.compose(true) // on a wrapped child's stdio it says so
	case keyMatches(msg, k.CopyCommand), m.c.opts.SendAddr == "" && boundTo(msg, k.CopyCommand):
		return m.copyCommand() // without an address it says so
	case keyMatches(msg, k.Copy):
		return m.copySelected()
	case keyMatches(msg, k.Write):
		return m.writeSelected()
	case keyMatches(msg, k.Export):
		m.overlays = m.overlays.push(newExportLine(m.c, "", ""))
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

// noControl says why the UI has no way back to the connections.
func (m Model) noControl() string {
	if m.c.opts.File != nil {
		return "a file has no live connection"
	}
	return "this UI has no way back to the connections"
}

// fileFixed reports whether the UI shows a session file that does not
// grow: there is nothing to clear or pause.
func (m Model) fileFixed() bool { return m.c.opts.File != nil && !m.c.opts.File().Follow }

// back is esc: cancel an export that waits, else stop a search, else
// leave a pane, else clear the filter, else the connection.
func (m Model) back() (Model, tea.Cmd) {
	switch {
	case m.exportWait != nil:
		m = m.cancelExport()
	case m.nav.searching():
		m = m.cancelSearch()
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
	switch m.focused() {
	case paneList:
		m.list, cmd = m.list.update(msg)
	case paneStats:
		m.stats, cmd = m.stats.update(msg)
	case paneDetail:
		m.detail, cmd = m.detail.update(msg)
	case paneConns:
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
	if mo.Button != tea.MouseLeft || m.overlays.cover() != nil {
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
	if m.overlays.cover() != nil {
		return m, nil
	}
	l := m.layout()
	switch {
	case l.list.contains(mo.X, mo.Y):
		m.list = m.list.move(d)
	case l.detail.contains(mo.X, mo.Y) && m.area == areaStats:
		m.stats = m.stats.scroll(d)
	case l.detail.contains(mo.X, mo.Y):
		m.detail = m.detail.scroll(d)
	case l.conns.contains(mo.X, mo.Y):
		var changed bool
		if m.conns, changed = m.conns.scroll(d / 3); changed {
			return m.applyQuery()
		}
	}
	return m, nil
}

// boundTo reports whether msg is one of bs's keys, enabled or not.
func boundTo(msg tea.KeyPressMsg, bs ...key.Binding) bool {
	for _, b := range bs {
		if slices.Contains(b.Keys(), msg.String()) {
			return true
		}
	}
	return false
}
