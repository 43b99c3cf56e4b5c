package ui

import (
	"cmp"
	"errors"
	"os"
	"path/filepath"
	"strings"

	tea "charm.land/bubbletea/v2"

	"sockscope/export"
	"sockscope/internal/plural"
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
// typed is the text a refused export had, kept for the user to correct;
// note says why it was refused, above the line.
func newExportLine(c *common, typed, note string) exportLine {
	l := newLine(c, "export the listed rows to (.pcapng, .jsonl, .har): ", typed, command1)
	l.ti.Placeholder = exportDefault // shown as wide as the input is (newLine fits it; a longer path scrolls)
	l.note = note
	return exportLine{l}
}

func (o exportLine) update(msg tea.Msg) (overlay, effect) {
	k := &o.c.keys
	if km, ok := msg.(tea.KeyPressMsg); ok && keyMatches(km, k.FilterApply) {
		typed := o.ti.Value()
		return o, effect{msg: exportMsg{path: cmp.Or(strings.TrimSpace(typed), exportDefault), typed: typed}, done: true}
	}
	l, eff := o.lineOverlay.update(msg)
	o.lineOverlay = l.(lineOverlay)
	return o, eff
}

// exportMsg asks the root to export to path (typed is the line as it was
// typed; overwrite, that the user said yes to replacing the file);
// exportedMsg says how it went.
type (
	exportMsg struct {
		path, typed string
		overwrite   bool
	}
	exportedMsg struct {
		path, typed string
		format      export.Format
		st          export.Stats
		err         error
	}
)

// exportUpdate handles the export's messages. A refused or failed export
// gives the line back with what was typed in it, and why above it.
func (m Model) exportUpdate(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case exportMsg:
		if msg.path == "" {
			return m, nil
		}
		refuse := func(why string) (Model, tea.Cmd) {
			m.overlays = m.overlays.push(newExportLine(m.c, msg.typed, why))
			return m, nil
		}
		f, ok := export.FormatOf(msg.path)
		if !ok {
			return refuse("export: name the file .pcapng, .jsonl or .har")
		}
		path := msg.path
		if !filepath.IsAbs(path) {
			path = filepath.Join(m.c.dir, path)
		}
		if _, err := os.Stat(path); err == nil && !msg.overwrite {
			// A .jsonl name may be a recording's: the one shown, say.
			if is, err := session.IsFile(path); err != nil || is {
				return refuse("export: " + cmp.Or(err, errNotOverwriting(path)).Error())
			}
			yes := msg
			yes.overwrite = true
			q := newConfirm(m.c, sanitize(filepath.Base(path))+" exists: overwrite it?", yes)
			q.no = pushMsg{newExportLine(m.c, msg.typed, "")}
			m.overlays = m.overlays.push(q)
			return m, nil
		}
		w := exportWait{exportMsg: msg, path: path, format: f, q: m.exportQuery()}
		if fs := m.c.opts.File; fs != nil {
			w.until = fs().Total
		}
		if m.exportReady(w.until) {
			return m.startExport(w)
		}
		note := "export to " + sanitize(path) + " waits for the whole file to be indexed (esc cancels)"
		if m.exportWait != nil {
			note += ", instead of the one to " + sanitize(m.exportWait.path)
		}
		m.exportWait = &w
		return m.setNotice(note, false), nil
	case exportedMsg:
		if msg.err != nil {
			why := "export failed: " + msg.err.Error()
			if m.overlays.top() == nil { // else the user went on to something else
				m.overlays = m.overlays.push(newExportLine(m.c, msg.typed, sanitize(why)))
			}
			return m.setNotice(why, true), nil
		}
		note := "exported " + plural.Of(msg.st.Exchanges, "exchange") + " (" + plural.Of(msg.st.Messages, "message") + ") as " +
			msg.format.String() + " to " + msg.path
		if msg.format == export.PCAPNG {
			note += "; read it with " + export.TsharkCommand(msg.path, msg.st)
		}
		return m.setNotice(sanitize(note), false), nil
	}
	return m, nil
}

// exportWait is an export asked for while a session file is still being
// indexed: the rows listed and the connections counted so far are only
// part of the file, and an export from them would silently lack the rest
// (rows, and the open and close of connections not yet counted). It
// starts once the whole file is indexed (one followed, once what it held
// when asked is); esc cancels it.
type exportWait struct {
	exportMsg
	path   string // where to write it
	format export.Format
	q      *query.Query
	until  int64 // the file's size when asked: a followed file's bytes to index first
}

// exportReady reports whether an export can start: not a session file,
// or one whose background indexing is over (following it, past until).
func (m Model) exportReady(until int64) bool {
	fs := m.c.opts.File
	if fs == nil {
		return true
	}
	s := fs()
	return s.Done || s.Follow && s.Indexed >= until
}

// exportTick starts the waiting export, if any, once it can.
func (m Model) exportTick() (Model, tea.Cmd) {
	if m.exportWait == nil || !m.exportReady(m.exportWait.until) {
		return m, nil
	}
	w := *m.exportWait
	m.exportWait = nil
	return m.startExport(w)
}

// cancelExport is esc while an export waits.
func (m Model) cancelExport() Model {
	path := m.exportWait.path
	m.exportWait = nil
	return m.setNotice("export to "+sanitize(path)+" cancelled", false)
}

// startExport writes the export in the background. A file that was not
// there when it was asked for (no overwrite said yes to) is not replaced
// if one came since.
func (m Model) startExport(w exportWait) (Model, tea.Cmd) {
	st := m.c.st
	m = m.setNotice("exporting to "+sanitize(w.path)+"…", false)
	return m, func() tea.Msg {
		out := exportedMsg{path: w.path, typed: w.typed, format: w.format}
		if is, err := session.IsFile(w.path); err != nil || is {
			out.err = cmp.Or(err, errNotOverwriting(w.path))
			return out
		}
		flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if !w.overwrite {
			flags |= os.O_EXCL
		}
		file, err := os.OpenFile(w.path, flags, 0o600)
		if err != nil {
			out.err = err
			return out
		}
		out.st, out.err = export.Write(file, st, w.format, export.Options{Filter: w.q})
		if err := file.Close(); out.err == nil {
			out.err = err
		}
		return out
	}
}

// errNotOverwriting refuses to export onto a session file.
func errNotOverwriting(path string) error {
	return errors.New("not overwriting " + filepath.Base(path) + ": a sockscope session file")
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
