package ui

import (
	"slices"
	"strings"

	"sockscope/query"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// helpOverlay is the full help over the panes. What it shows is composed by
// the root when it is drawn (the global keys and the focused pane's, or the
// keys of the overlay below it), so it never offers a key that does nothing.
type helpOverlay struct {
	c       *common
	top     int             // first line shown
	content func() []string // the help's lines
}

// helpMsg asks the root to open the help (from an overlay: its keys are
// in it).
type helpMsg struct{}

func (o helpOverlay) kind() overlayKind { return overlayHelp }

func (o helpOverlay) update(msg tea.Msg) (overlay, effect) {
	km, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return o, effect{}
	}
	k := &o.c.keys
	h := o.c.height - 2
	last := len(o.content()) - h
	switch {
	case keyMatches(km, k.Quit) && km.String() == "ctrl+c":
		return o, effect{cmd: tea.Quit}
	case keyMatches(km, k.HelpClose): // q too: back to what was under it, as in less
		return o, effect{done: true}
	}
	if s, ok := navStep(km, k, h/2); ok {
		o.top = s.apply(o.top, last)
	}
	return o, effect{}
}

// bindings are the help's own keys, for the bottom line while it is
// shown (the full help names them in its first line).
func (o helpOverlay) bindings() []key.Binding {
	k := &o.c.keys
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.HelpClose}
}

func (o helpOverlay) view(w, h int) []string {
	lines := o.content()
	top := clamp(o.top, 0, max(0, len(lines)-h))
	return box(lines[top:], w, h)
}

// fullHelp composes the full help: the focused pane's keys, the root's and
// the keys acting on the selection; or, over an overlay, the overlay's.
// Disabled bindings are left out when it is drawn.
func (m Model) fullHelp() [][]key.Binding {
	k := &m.c.keys
	groups := [][]key.Binding{
		m.focusedBindings(),
		{k.NextPane, k.PrevPane, k.Enter, k.Back, k.Conns, k.Stats},
		{k.Filter, k.Raw, k.Pause, k.Clear, k.Help, k.Quit},
		append(m.detail.selectionBindings(), k.Copy, k.Write, k.Export),
		{k.Resend, k.Edit, k.Compose, k.ComposeNew, k.CopyCommand},
	}
	if m.hasInterceptor() {
		groups = append(groups, []key.Binding{k.Intercept, k.InterceptToggle, k.Command})
	}
	if m.c.opts.Nav != nil {
		groups = append(groups, []key.Binding{k.Find, k.FindNext, k.FindPrev, k.GoTime, k.NextError, k.NextSlow})
	}
	// An overlay under the help (the intercept pane) gets every key once
	// the help closes: its keys alone act, and are all the help lists
	// (it listed the panes' too, r, s, / and the rest, which did nothing
	// there, and e twice, as "edit & send" and as "edit & forward").
	for _, o := range slices.Backward(m.overlays) {
		if o.kind() == overlayHelp {
			continue // its keys are in its first line
		}
		if f, ok := o.(interface{ fullBindings() []key.Binding }); ok {
			return [][]key.Binding{f.fullBindings()}
		}
		return [][]key.Binding{o.bindings()}
	}
	return groups
}

// focusedBindings are the keys of the pane that has the focus.
func (m Model) focusedBindings() []key.Binding {
	switch m.focused() {
	case paneDetail:
		return m.detail.bindings()
	case paneStats:
		return m.stats.bindings()
	case paneConns:
		return m.conns.bindings()
	}
	return m.list.bindings()
}

// shortHelp is the bottom line's keys: the top overlay's own (it gets
// every key), else the common ones.
func (m Model) shortHelp() []key.Binding {
	if t := m.overlays.top(); t != nil {
		if sb, ok := t.(interface{ shortBindings(w int) []key.Binding }); ok {
			return sb.shortBindings(m.c.width)
		}
		return t.bindings()
	}
	k := &m.c.keys
	return []key.Binding{k.Up, k.Down, k.Enter, k.Filter, k.Back, k.Raw, k.Stats, k.Help, k.Quit}
}

// helpView is the full help (the keys that apply now, from fullHelp) and
// the filter syntax.
func (m Model) helpView() []string {
	s := &m.c.styles
	// A heading's aside goes under it where the line has no room for it.
	heading := func(title, aside string) []string {
		if lipgloss.Width("  "+title+"   "+aside) > m.c.width {
			return []string{s.Bold.Render("  " + title), s.Dim.Render("  " + aside)}
		}
		return []string{s.Bold.Render("  "+title) + s.Dim.Render("   "+aside)}
	}
	lines := append(heading("Keys", "(?, esc or q closes; j/k scroll)"), "")
	// Lay the groups out in as many rows as the width needs: each row
	// takes as many of the groups left as fit beside each other.
	// A group whose keys are all disabled (R e n N Y with no way back to
	// the connections) shows nothing: left in, it began a row of its own
	// after a group too wide to share one, an empty line in the help.
	groups := slices.DeleteFunc(m.fullHelp(), func(g []key.Binding) bool {
		return !slices.ContainsFunc(g, key.Binding.Enabled)
	})
	wide := m.help
	wide.SetWidth(0)
	for i, g := range groups {
		if lipgloss.Width(wide.FullHelpView([][]key.Binding{g})) > m.c.width-2 {
			groups[i] = wrapGroup(g, m.c.width-2)
		}
	}
	for i := 0; i < len(groups); {
		n := 1
		for i+n < len(groups) && lipgloss.Width(wide.FullHelpView(groups[i:i+n+1])) <= m.c.width-2 {
			n++
		}
		if i > 0 {
			lines = append(lines, "")
		}
		for _, l := range strings.Split(wide.FullHelpView(groups[i:i+n]), "\n") {
			// Without the padding to the group's widest key, a line that
			// fits is not cut at the edge with a "…" as if it had lost words.
			if tw := lipgloss.Width(strings.TrimRight(ansi.Strip(l), " ")); tw+2 <= m.c.width {
				l = ansi.Truncate(l, tw, "")
			}
			lines = append(lines, "  "+l)
		}
		i += n
	}
	lines = append(append(lines, ""), heading("Filter", "(/ to type; applies as you type)")...)
	for _, l := range wrapSyntax(query.Syntax, m.c.width-2) {
		lines = append(lines, "  "+s.Dim.Render(l))
	}
	// The prose is wrapped to the width, so none of it is cut off.
	prose := func(text string) {
		for _, l := range wrapWords(text, m.c.width-4) {
			lines = append(lines, "  "+s.Dim.Render(l))
		}
	}
	if m.hasInterceptor() {
		lines = append(lines, "", s.Bold.Render("  Intercept"))
		prose("i: the held frames, a e d f A S on them; : add/disable/enable/rm rules.")
		prose(holdingNote)
	}
	if m.c.opts.Nav != nil {
		lines = append(lines, "", s.Bold.Render("  The whole file"))
		prose("F finds a text in every payload in the background, esc stops it, ] and [ go to its hits; " +
			"T goes to a time: 15:04:05, 2006-01-02 15:04:05, +90s from the start; ! the next error, L the next slow exchange (p99); " +
			"the top line's sparklines are the frame rate and the slowest latency over the whole file.")
	}
	lines = append(lines, "")
	prose("Mouse: click selects, the wheel scrolls the pane under it.")
	return lines
}

// wrapGroup is group g of the full help laid out in w cells: a
// description too long for its column beside the keys is wrapped, its
// lines after the first as bindings with no key of their own, which the
// help shows under it in the same column. Cut at the screen's edge, a
// narrow terminal lost the end of a key's description (E's at 40 cells).
func wrapGroup(g []key.Binding, w int) []key.Binding {
	kw := 0
	for _, b := range g {
		if b.Enabled() {
			kw = max(kw, lipgloss.Width(b.Help().Key))
		}
	}
	dw := w - kw - 1 // the key column and the space after it
	var out []key.Binding
	for _, b := range g {
		if !b.Enabled() || lipgloss.Width(b.Help().Desc) <= dw {
			out = append(out, b)
			continue
		}
		for i, l := range wrapWords(b.Help().Desc, dw) {
			k := b.Help().Key
			if i > 0 {
				k = ""
			}
			out = append(out, key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(k, l)))
		}
	}
	return out
}

// syntaxNarrow is the fewest cells a syntax line's description keeps in
// its column (wrapWords' least width); narrower, it goes under its term.
const syntaxNarrow = 20

// syntaxEntry is a term of the filter syntax and what it does (its lines
// as written, and the column the description starts in).
type syntaxEntry struct {
	lines      []string
	lead, col  int
	term, desc string
}

// wrapSyntax lays the filter syntax (a term, and what it does in a column
// after it, continued on lines of that column) out in w cells: as written
// where it fits; else the description wraps in its column, or, where that
// leaves it too little room, under its term. Cut at the screen's edge, a
// narrow terminal lost what most terms do.
func wrapSyntax(syntax string, w int) []string {
	var entries []syntaxEntry
	for _, line := range strings.Split(syntax, "\n") {
		text := strings.TrimLeft(line, " ")
		lead := len(line) - len(text)
		if n := len(entries); n > 0 && entries[n-1].term != "" && lead > entries[n-1].lead && lead >= entries[n-1].col {
			e := &entries[n-1] // more of its description
			e.lines, e.desc = append(e.lines, line), e.desc+" "+text
			continue
		}
		e := syntaxEntry{lines: []string{line}, lead: lead, col: lead, desc: text}
		if i := strings.LastIndex(text, "  "); i > 0 { // "dir:c2s  dir:s2c   the side that asked"
			e.desc = strings.TrimLeft(text[i:], " ")
			e.term, e.col = strings.TrimRight(text[:i], " "), lead+len(text)-len(e.desc)
		}
		entries = append(entries, e)
	}
	var out []string
	for _, e := range entries {
		narrow := w-e.col < syntaxNarrow // then every term is laid out alike
		if !narrow && !slices.ContainsFunc(e.lines, func(l string) bool { return len(l) > w }) {
			out = append(out, e.lines...)
			continue
		}
		col, term := e.col, e.term
		if narrow {
			col = min(col, e.lead+4)
			if term != "" {
				out = append(out, strings.Repeat(" ", e.lead)+term)
			}
			term = ""
		}
		for i, l := range wrapWords(e.desc, w-col) {
			if i == 0 && term != "" {
				out = append(out, strings.Repeat(" ", e.lead)+term+strings.Repeat(" ", col-e.lead-len(term))+l)
				continue
			}
			out = append(out, strings.Repeat(" ", col)+l)
		}
	}
	return out
}
