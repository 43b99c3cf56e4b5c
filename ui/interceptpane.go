package ui

import (
	"bytes"
	"charm.land/lipgloss/v2"
	"cmp"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"sockscope/protocol"
)

// holdingNote is what the pane (and the help) says of holding.
const holdingNote = "Only the held frame's own stream waits: frames after it on the same connection and direction wait behind it; other connections and the other direction keep flowing."

// interceptPane is the intercept mode over the panes: the filter, the
// held frames with their live timers, the selected one's payload and the
// rules with their hit counts. a, e, d, f act on the selected held frame,
// A on all; S makes the next edit or fabrication sticky (a rule).
type interceptPane struct {
	c      *common
	st     interceptState // the root's, as of the last tick
	sel    uint64         // the selected held frame's id
	sticky bool
}

func (o interceptPane) kind() overlayKind { return overlayIntercept }

// selected returns the selected held frame (the first when none is).
func (o interceptPane) selected() (HeldFrame, int, bool) {
	for i, h := range o.st.held {
		if h.ID == o.sel {
			return h, i, true
		}
	}
	if len(o.st.held) > 0 {
		return o.st.held[0], 0, true
	}
	return HeldFrame{}, -1, false
}

// pushMsg asks the root to open an overlay over the pane: the editor for
// a held frame, a line, the help.
type pushMsg struct{ o overlay }

func (o interceptPane) update(msg tea.Msg) (overlay, effect) {
	if hm, ok := msg.(heldMsg); ok {
		o.st = hm.st
		return o, effect{}
	}
	km, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return o, effect{}
	}
	k := &o.c.keys
	h, i, have := o.selected()
	switch {
	case keyMatches(km, k.PaneClose):
		return o, effect{done: true}
	case keyMatches(km, k.Quit):
		return o, effect{cmd: tea.Quit}
	case keyMatches(km, k.Help):
		return o, effect{msg: helpMsg{}}
	case keyMatches(km, k.Up) && have && i > 0:
		o.sel = o.st.held[i-1].ID
	case keyMatches(km, k.Down) && have && i+1 < len(o.st.held):
		o.sel = o.st.held[i+1].ID
	case keyMatches(km, k.Intercept):
		return o, effect{msg: pushMsg{newLine(o.c, "intercept: ", o.st.expr, query1)}}
	case keyMatches(km, k.InterceptToggle):
		return o, effect{msg: toggleMsg{}}
	case keyMatches(km, k.Command):
		return o, effect{msg: pushMsg{newLine(o.c, ":", "", command1)}}
	case keyMatches(km, k.HeldAll):
		return o, effect{msg: heldActMsg{act: 'A'}}
	case keyMatches(km, k.HeldSticky):
		o.sticky = !o.sticky
	case !have:
	case keyMatches(km, k.HeldForward):
		return o, effect{msg: heldActMsg{act: 'a', id: h.ID}}
	case keyMatches(km, k.HeldDrop):
		return o, effect{msg: heldActMsg{act: 'd', id: h.ID}}
	case keyMatches(km, k.HeldEdit):
		if protocol.EncodesDir(h.Framing, h.Dir) { // edited as its JSON view
			msg := heldMessage(&h)
			ed := o.editor(h, false, pretty(requestJSON(&msg)))
			ed.t.view = h.Framing
			return o, effect{msg: pushMsg{ed}}
		}
		if err := notJSON(h.Framing); err != nil {
			return o, effect{msg: icDoneMsg{what: "edited", err: err}}
		}
		return o, effect{msg: pushMsg{o.editor(h, false, pretty(h.Payload))}}
	case keyMatches(km, k.HeldFabricate):
		if !protocol.IsJSON(h.Framing) {
			err := fmt.Errorf("the frame is %s: sockscope makes up JSON replies only (forward it with a, drop it with d, edit it with e)", h.Framing)
			return o, effect{msg: icDoneMsg{what: "answered", err: err}}
		}
		if h.Info.Kind != protocol.KindRequest || h.Info.ID == nil {
			return o, effect{msg: icDoneMsg{what: "answered", err: errNotRequest}}
		}
		return o, effect{msg: fabricateMsg{id: h.ID, sticky: o.sticky}}
	}
	return o, effect{}
}

// editor returns the editor for held frame h: an edit, or the reply to
// it (fab), sticky when S is on.
func (o interceptPane) editor(h HeldFrame, fab bool, text string) composeOverlay {
	c := newCompose(o.c, target{conn: h.Conn, dir: h.Dir}, text, "held #"+strconv.FormatUint(h.ID, 10))
	c.editing = true
	c.title, c.held, c.heldVerb = "Edit held frame", h.ID, "forward"
	act, sticky := byte('e'), o.sticky
	if fab {
		c.title, c.heldVerb, act = "Answer held request", "answer", 'f'
		c.t.dir = h.Dir.Opposite()
	}
	if sticky {
		c.title += " (sticky: a rule does the same to the next ones)"
	}
	id := h.ID
	c.submit = func(p []byte) tea.Msg {
		if sticky {
			return heldActMsg{act: 'S', id: id, payload: p, fab: fab}
		}
		return heldActMsg{act: act, id: id, payload: p}
	}
	return c
}

func (o interceptPane) bindings() []key.Binding {
	k := &o.c.keys
	return []key.Binding{k.HeldForward, k.HeldEdit, k.HeldDrop, k.HeldFabricate, k.HeldAll, k.HeldSticky,
		k.Intercept, k.InterceptToggle, k.Command, k.PaneClose, k.Help, k.Quit}
}

// The pane's small sizes: under paneRoomy lines the holding note (which
// the help has too) and the blank lines go, so the held frames, the
// selected one's payload and the rules fit; under paneWide columns the
// pane's own keys take its last line (the bottom line has room for few of
// them), and the held frames are described briefly.
const (
	paneRoomy = 20
	paneWide  = 80
)

func (o interceptPane) view(w, h int) []string {
	s := &o.c.styles
	roomy, wide := h >= paneRoomy, w >= paneWide
	state := "off"
	if o.st.on {
		state = "ON"
	}
	filter := o.st.expr
	if filter == "" {
		filter = "(none: i sets one)"
	}
	sticky := ""
	if o.sticky {
		sticky = "   sticky: the next edit or answer becomes a rule"
		if !wide {
			sticky = "  sticky"
		}
	}
	lines := []string{
		cut(s.PaneTitleFocus.Render("▌ Intercept ")+s.PaneInfo.Render(" "+state+"  filter: "+sanitize(filter)+sticky), w),
	}
	if roomy {
		for _, l := range wrapWords(holdingNote, w-4) {
			lines = append(lines, cut(s.Dim.Render("  "+l), w))
		}
		lines = append(lines, "")
	}
	lines = append(lines, cut(s.Bold.Render("  Held ("+strconv.Itoa(len(o.st.held))+")"), w))
	cur, ci, have := o.selected()
	now := o.c.now()
	// A window of the held frames around the selected one: with many held,
	// the list drew them all and the selection (and its payload below, and
	// the rules) went past the pane's end.
	held, rows := o.st.held, max(3, h/3)
	first := 0
	if len(held) > rows {
		rows-- // for the line that says how many more there are
		first = clamp(ci-rows/2, 0, len(held)-rows)
		held = held[first : first+rows]
	}
	for _, hf := range held {
		mark := "   "
		if have && hf.ID == cur.ID {
			mark = " ▶ "
		}
		line := heldLine(&hf, now)
		if !wide {
			line = heldLineShort(&hf, now)
		}
		lines = append(lines, cut(mark+line, w))
	}
	if len(held) < len(o.st.held) {
		more := fmt.Sprintf("   … %d more above, %d below (↑/↓ move)", first, len(o.st.held)-first-len(held))
		lines = append(lines, cut(s.Dim.Render(more), w))
	}
	// Below the payload: the rules (their heading at least) and, narrow,
	// the keys. The payload has what is left, and the rules what it leaves.
	var keys []string
	if !wide {
		keys = o.keyLine(w)
	}
	hint := "   : add MATCH ACTION [COUNT] | disable NAME | enable NAME | rm NAME"
	if !wide {
		hint = "   : adds one"
	}
	rules := []string{cut(s.Bold.Render("  Rules ("+strconv.Itoa(len(o.st.rules))+")")+s.Dim.Render(hint), w)}
	if roomy {
		rules = append([]string{""}, rules...)
	}
	for _, r := range o.st.rules {
		off := ""
		if r.Disabled {
			off = "  [disabled]"
		}
		rules = append(rules, cut("   "+sanitize(r.Name)+"  "+sanitize(r.String())+s.Dim.Render("   matched "+strconv.FormatInt(r.Matched, 10)+", hits "+strconv.FormatInt(r.Hits, 10))+off, w))
	}
	if have {
		msg := heldMessage(&cur)
		body := renderMessage(&msg, w-4, false, "", s) // as the detail pane shows it (x is not the pane's)
		if roomy {
			body = append([]string{""}, body...)
			body = body[:min(len(body), max(0, h/2+5-len(lines)))] // as it was
		}
		// The rules' heading (and the first of them) keep their place.
		room := h - len(lines) - len(keys) - min(len(rules), 2+btoi(roomy))
		for _, l := range body[:min(len(body), max(0, room))] {
			lines = append(lines, cut("    "+l, w))
		}
	}
	lines = append(lines, rules...)
	lines = lines[:min(len(lines), h-len(keys))]
	for len(lines) < h-len(keys) {
		lines = append(lines, "")
	}
	return append(lines, keys...)
}

// btoi is 1 for true.
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// fullBindings are the keys the full help lists over the pane: its own,
// and the moves between its held frames.
func (o interceptPane) fullBindings() []key.Binding {
	k := &o.c.keys
	return append([]key.Binding{k.Up, k.Down}, o.bindings()...)
}

// shortBindings are the bottom line's keys: narrow, those the pane's own
// key line leaves out, the help first (it lists them all).
func (o interceptPane) shortBindings(w int) []key.Binding {
	if w >= paneWide {
		return o.bindings()
	}
	k := &o.c.keys
	filter := k.Intercept
	filter.SetHelp("i", "filter")
	return []key.Binding{k.Help, k.PaneClose, filter, k.InterceptToggle, k.Command, k.HeldSticky, k.Quit}
}

// keyLine is the pane's keys for a held frame, briefly, in a line of w
// cells: a narrow bottom line showed two of them.
func (o interceptPane) keyLine(w int) []string {
	st := &o.c.styles.Help
	var b strings.Builder
	b.WriteString(" ")
	for i, kd := range [][2]string{{"a", "fwd"}, {"e", "edit"}, {"d", "drop"}, {"f", "answer"}, {"A", "all"}} {
		if i > 0 {
			b.WriteString("  ")
		}
		b.WriteString(st.ShortKey.Render(kd[0]) + " " + st.ShortDesc.Render(kd[1]))
	}
	return []string{cut(b.String(), w)}
}

// pretty indents JSON for a person, or returns the bytes as they are.
func pretty(b []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return string(b)
	}
	return out.String()
}

// lineOverlay is one line being typed in the bottom line: the intercept
// filter (i) or a command (:). enter hands it to the root, esc forgets it.
type lineOverlay struct {
	c      *common
	prompt string
	ti     textinput.Model
	to     lineUse
	note   string // why what was typed was refused, shown above the line
}

// refusal is why the line's text was refused (the line is given back to
// correct it), for the lines above it; "" when it was not.
func (o lineOverlay) refusal() string { return o.note }

// lineUse is what a typed line is for.
type lineUse uint8

const (
	query1   lineUse = iota // the intercept filter
	command1                // a : command
)

func newLine(c *common, prompt, value string, to lineUse) lineOverlay {
	ti := textinput.New()
	ti.Prompt = ""
	ti.SetValue(value)
	ti.CursorEnd()
	ti.Focus()
	o := lineOverlay{c: c, prompt: prompt, ti: ti, to: to}
	_, iw := o.fit(c.width * 2 / 3)
	o.ti.SetWidth(iw)
	return o
}

// fit lays the line out in w cells (the bottom line's share): the prompt,
// cut if it would leave what is typed less than half of them, and the
// width the input scrolls within. Uncut, a long prompt (export's, go to
// time's) left the input no room at 80 columns: it was typed blind.
func (o lineOverlay) fit(w int) (prompt string, inputW int) {
	prompt = " " + o.prompt
	if keep := max(10, w/2); lipgloss.Width(prompt) > w-keep {
		prompt = cut(prompt, max(2, w-keep-1)) + " "
	}
	return prompt, max(1, w-lipgloss.Width(prompt)-1)
}

func (o lineOverlay) kind() overlayKind { return overlayLine }

func (o lineOverlay) update(msg tea.Msg) (overlay, effect) {
	k := &o.c.keys
	if km, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case keyMatches(km, k.FilterApply):
			v := strings.TrimSpace(o.ti.Value())
			switch o.to {
			case query1:
				return o, effect{msg: interceptExprMsg{v}, done: true}
			case findLine:
				return o, effect{msg: findMsg{cmp.Or(o.ti.Value(), o.ti.Placeholder)}, done: true}
			case timeLine:
				return o, effect{msg: timeMsg{v}, done: true}
			}
			return o, effect{msg: commandMsg{v}, done: true}
		case keyMatches(km, k.FilterCancel):
			return o, effect{done: true}
		}
	}
	switch msg.(type) {
	case tea.KeyPressMsg, tea.PasteMsg, tea.WindowSizeMsg:
		_, iw := o.fit(o.c.width * 2 / 3)
		o.ti.SetWidth(iw)
		var cmd tea.Cmd
		o.ti, cmd = o.ti.Update(msg)
		return o, effect{cmd: cmd}
	}
	return o, effect{}
}

func (o lineOverlay) bindings() []key.Binding {
	apply, cancel := o.c.keys.FilterApply, o.c.keys.FilterCancel
	apply.SetHelp("enter", "apply")
	cancel.SetHelp("esc", "cancel")
	return []key.Binding{apply, cancel}
}

func (o lineOverlay) view(w, _ int) []string {
	prompt, _ := o.fit(w)
	return []string{cut(o.c.styles.HeaderKey.Render(prompt)+o.ti.View(), w)}
}

// interceptExprMsg is a typed intercept filter; commandMsg a : command;
// toggleMsg is I from the pane; fabricateMsg asks for a reply template.
type (
	interceptExprMsg struct{ expr string }
	commandMsg       struct{ line string }
	toggleMsg        struct{}
	fabricateMsg     struct {
		id     uint64
		sticky bool
	}
)

// wrapWords breaks text into lines of at most w cells, between words.
func wrapWords(text string, w int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) > max(w, 20) {
			lines, line = append(lines, line), ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return append(lines, line)
}
