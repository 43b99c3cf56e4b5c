package ui

import (
	"cmp"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"sockscope/export"
	"sockscope/query"
	"sockscope/session"
)

// Export from the UI (E): the rows the list shows — the filter and the
// selected connection applied — written as pcapng, JSON Lines or HAR, as
// `sockscope export` writes a session file. The format comes from the file
// name typed.

// exportDefault is the file name the export line offers.
const exportDefault = "sockscope-export.pcapng"

// exportLine is the bottom line asking where to export.
type exportLine struct{ lineOverlay }

// newExportLine asks for the file: what is typed, or exportDefault, shown
// until something is (typed after it, a path made a file name of it).
func newExportLine(c *common) exportLine {
	l := newLine(c, "export the listed rows to (.pcapng, .jsonl, .har): ", "", command1)
	l.ti.Placeholder = exportDefault // shown as wide as the input is (newLine fits it; a longer path scrolls)
	return exportLine{l}
}

func (o exportLine) update(msg tea.Msg) (overlay, effect) {
	k := &o.c.keys
	if km, ok := msg.(tea.KeyPressMsg); ok && keyMatches(km, k.FilterApply) {
		return o, effect{msg: exportMsg{path: cmp.Or(strings.TrimSpace(o.ti.Value()), exportDefault)}, done: true}
	}
	l, eff := o.lineOverlay.update(msg)
	o.lineOverlay = l.(lineOverlay)
	return o, eff
}

// exportMsg asks the root to export to path; exportedMsg says how it went.
type (
	exportMsg   struct{ path string }
	exportedMsg struct {
		path   string
		format export.Format
		st     export.Stats
		err    error
	}
)

// exportUpdate handles the export's messages.
func (m Model) exportUpdate(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case exportMsg:
		if msg.path == "" {
			return m, nil
		}
		f, ok := export.FormatOf(msg.path)
		if !ok {
			return m.setNotice("export: name the file .pcapng, .jsonl or .har", true), nil
		}
		path := msg.path
		if !filepath.IsAbs(path) {
			path = filepath.Join(m.c.dir, path)
		}
		q := m.exportQuery()
		st := m.c.st
		m = m.setNotice("exporting to "+sanitize(path)+"…", false)
		return m, func() tea.Msg {
			out := exportedMsg{path: path, format: f}
			// A .jsonl name may be a recording's: the one shown, say.
			if is, err := session.IsFile(path); err != nil || is {
				out.err = cmp.Or(err, errors.New("not overwriting "+filepath.Base(path)+": a sockscope session file"))
				return out
			}
			file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			if err != nil {
				out.err = err
				return out
			}
			out.st, out.err = export.Write(file, st, f, export.Options{Filter: q})
			if err := file.Close(); out.err == nil {
				out.err = err
			}
			return out
		}
	case exportedMsg:
		if msg.err != nil {
			return m.setNotice("export failed: "+msg.err.Error(), true), nil
		}
		note := "exported " + strconv.Itoa(msg.st.Exchanges) + " exchanges (" + strconv.Itoa(msg.st.Messages) + " messages) as " +
			msg.format.String() + " to " + msg.path
		if msg.format == export.PCAPNG {
			note += "; read it with " + export.TsharkCommand(msg.path, msg.st)
		}
		return m.setNotice(sanitize(note), false), nil
	}
	return m, nil
}

// exportQuery is a copy of the list's query (the filter, the connection
// and a replay's verdicts), which the export reads on its own goroutine.
func (m Model) exportQuery() *query.Query {
	q := m.list.q
	if q.Empty() {
		return nil
	}
	return m.c.bindReplay(q.WithConn(q.Conn))
}
