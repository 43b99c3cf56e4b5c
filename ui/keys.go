package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// keyMap is every key binding of the inspector, in one place. Bindings that
// do not apply in the current state are disabled by setContext, so the help
// (composed by the root from the global keys, the focused pane's and the
// overlays') never offers a key that does nothing. An overlay's own keys
// are matched only while it is on top.
type keyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	NextPane, PrevPane, Enter, Back         key.Binding
	Filter, Raw, Stats, Conns, Pause, Clear key.Binding
	Side, Hex, Copy, Write                  key.Binding
	Export                                  key.Binding // the listed rows as pcapng, jsonl or har (ui/export.go)
	Help, Quit                              key.Binding
	HelpClose                               key.Binding // the help's own: ?, esc and q close it

	// The way back (only with Options.Control).
	Resend, Edit, Compose, ComposeNew, CopyCommand key.Binding

	// Intercepting (only with an Interceptor): the intercept pane, holding
	// on and off, the command line for rules.
	Intercept, InterceptToggle, Command key.Binding
	// The intercept pane's, on the selected held frame.
	HeldForward, HeldEdit, HeldDrop, HeldFabricate, HeldAll, HeldSticky, PaneClose key.Binding

	// A session file's (only with Options.Nav): find in payloads, the next
	// and previous hit, go to a time, the next error and slow exchange.
	Find, FindNext, FindPrev, GoTime, NextError, NextSlow key.Binding

	// The filter overlay's.
	FilterApply, FilterCancel key.Binding
	// The compose overlay's.
	ComposeSend, ComposeDir, ComposeCancel key.Binding
	// The confirm overlay's.
	ConfirmYes, ConfirmNo key.Binding
}

func newKeyMap() keyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return keyMap{
		Up:              b([]string{"k", "up"}, "↑/k", "up"),
		Down:            b([]string{"j", "down"}, "↓/j", "down"),
		PageUp:          b([]string{"pgup", "ctrl+b", "ctrl+u"}, "pgup", "page up"),
		PageDown:        b([]string{"pgdown", "ctrl+f", "ctrl+d"}, "pgdn", "page down"),
		Top:             b([]string{"g", "home"}, "g/home", "oldest"),
		Bottom:          b([]string{"G", "end"}, "G/end", "follow newest"),
		NextPane:        b([]string{"tab"}, "tab", "next pane"),
		PrevPane:        b([]string{"shift+tab"}, "S-tab", "previous pane"),
		Enter:           b([]string{"enter"}, "enter", "open"),
		Back:            b([]string{"esc"}, "esc", "back / clear filter"),
		Filter:          b([]string{"/"}, "/", "filter"),
		Raw:             b([]string{"r"}, "r", "raw stream"),
		Stats:           b([]string{"s"}, "s", "latency stats"),
		Conns:           b([]string{"c"}, "c", "connections"),
		Pause:           b([]string{"p", "space"}, "p/space", "pause"),
		Clear:           b([]string{"C"}, "C", "clear all"),
		Side:            b([]string{"h", "l", "left", "right"}, "h/l", "request/response"),
		Hex:             b([]string{"x"}, "x", "hex view"),
		Copy:            b([]string{"y"}, "y", "copy message"),
		Write:           b([]string{"w"}, "w", "write to file"),
		Export:          b([]string{"E"}, "E", "export listed rows (pcapng/jsonl/har)"),
		Help:            b([]string{"?"}, "?", "help"),
		Quit:            b([]string{"q", "ctrl+c"}, "q", "quit"),
		HelpClose:       b([]string{"?", "esc", "q"}, "?/esc/q", "close help"),
		FilterApply:     b([]string{"enter"}, "enter", "apply filter"),
		FilterCancel:    b([]string{"esc"}, "esc", "clear filter"),
		Resend:          b([]string{"R"}, "R", "resend request"),
		Edit:            b([]string{"e"}, "e", "edit & send ($EDITOR)"),
		Compose:         b([]string{"n"}, "n", "new message"),
		ComposeNew:      b([]string{"N"}, "N", "send on a new conn"),
		CopyCommand:     b([]string{"Y"}, "Y", "copy as send command"),
		ComposeSend:     b([]string{"ctrl+s"}, "ctrl+s", "send"),
		ComposeDir:      b([]string{"ctrl+t"}, "ctrl+t", "other direction"),
		ComposeCancel:   b([]string{"esc"}, "esc", "cancel"),
		ConfirmYes:      b([]string{"y", "enter"}, "y/enter", "yes"),
		Intercept:       b([]string{"i"}, "i", "intercept pane / filter"),
		InterceptToggle: b([]string{"I"}, "I", "intercept on/off"),
		Command:         b([]string{":"}, ":", "rule command"),
		HeldForward:     b([]string{"a"}, "a", "forward"),
		HeldEdit:        b([]string{"e"}, "e", "edit & forward"),
		HeldDrop:        b([]string{"d"}, "d", "drop"),
		HeldFabricate:   b([]string{"f"}, "f", "fabricate reply"),
		HeldAll:         b([]string{"A"}, "A", "forward all"),
		HeldSticky:      b([]string{"S"}, "S", "sticky (a rule)"),
		PaneClose:       b([]string{"esc"}, "esc", "close"),
		ConfirmNo:       b([]string{"n", "esc"}, "n/esc", "no"),
		Find:            b([]string{"F"}, "F", "find in payloads"),
		FindNext:        b([]string{"]"}, "]", "next hit"),
		FindPrev:        b([]string{"["}, "[", "previous hit"),
		GoTime:          b([]string{"T"}, "T", "go to time"),
		NextError:       b([]string{"!"}, "!", "next error"),
		NextSlow:        b([]string{"L"}, "L", "next slow exchange"),
	}
}

// keyContext is what setContext needs to know to enable the right keys.
type keyContext struct {
	focus     focus
	raw       bool // the raw stream is shown
	haveSel   bool // a row or message is selected
	stats     bool // the latency stats take the detail pane's place
	heldSel   bool // the selection is a held frame, not the store's
	filtered  bool // a filter or a connection restricts the list
	helpShown bool
	control   bool // Options.Control is set
	sendAddr  bool // ... and there is an address to send to (Y)
	oneConn   bool // ... and it is a wrapped child's one connection (no N)
	intercept bool // Options.Control is an Interceptor
	file      bool // Options.Nav is set
	fileShown bool // a session file is shown (Options.File): nothing to clear
	fileFixed bool // ... and it does not grow: nothing to pause
	searching bool // a search of the file runs (esc stops it)
	waiting   bool // an export waits for the file's index (esc cancels it)
}

// setContext enables the bindings that apply in ctx and disables the others.
func (k *keyMap) setContext(ctx keyContext) {
	k.Enter.SetEnabled(ctx.focus != focusDetail)
	switch ctx.focus {
	case focusConns:
		k.Enter.SetHelp("enter", "show its exchanges")
	default:
		k.Enter.SetHelp("enter", "open detail")
	}
	k.Back.SetEnabled((ctx.filtered || ctx.focus != focusList || ctx.helpShown || ctx.searching || ctx.waiting))
	for _, b := range []*key.Binding{&k.Find, &k.FindNext, &k.FindPrev, &k.GoTime, &k.NextError, &k.NextSlow} {
		b.SetEnabled(ctx.file)
	}
	k.Clear.SetEnabled(!ctx.fileShown)
	k.Pause.SetEnabled(!ctx.fileFixed)
	k.Side.SetEnabled(!ctx.raw && ctx.haveSel && !ctx.heldSel && !ctx.stats)
	k.Hex.SetEnabled(ctx.haveSel && !ctx.stats)
	k.Copy.SetEnabled(ctx.haveSel)
	k.Write.SetEnabled(ctx.haveSel)
	for _, b := range []*key.Binding{&k.Resend, &k.Edit, &k.Compose, &k.ComposeNew, &k.CopyCommand} {
		b.SetEnabled(ctx.control && ctx.haveSel && !ctx.heldSel) // a held frame has a, e, d, f
	}
	if !ctx.sendAddr {
		k.CopyCommand.SetEnabled(false) // a wrapped child's stdio, an attached viewer: Y says so
	}
	if ctx.oneConn {
		k.ComposeNew.SetEnabled(false) // a wrapped child's stdio: N says so
	}
	for _, b := range []*key.Binding{&k.Intercept, &k.InterceptToggle, &k.Command} {
		b.SetEnabled(ctx.intercept)
	}
	if ctx.raw {
		k.Raw.SetHelp("r", "exchanges")
	} else {
		k.Raw.SetHelp("r", "raw stream")
	}
	if ctx.helpShown {
		k.Help.SetHelp("?", "close help")
	} else {
		k.Help.SetHelp("?", "help")
	}
}

// step is where a navigation key moves a pane's position: by delta, or to
// one end.
type step struct {
	delta int
	end   int // -1: to the top, +1: to the bottom, 0: by delta
}

// navStep reads a navigation key (up, down, a page of page entries, top,
// bottom). Every pane and the help move with it, so they agree on the keys.
func navStep(msg tea.Msg, k *keyMap, page int) (step, bool) {
	km, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return step{}, false
	}
	page = max(1, page)
	switch {
	case keyMatches(km, k.Up):
		return step{delta: -1}, true
	case keyMatches(km, k.Down):
		return step{delta: 1}, true
	case keyMatches(km, k.PageUp):
		return step{delta: -page}, true
	case keyMatches(km, k.PageDown):
		return step{delta: page}, true
	case keyMatches(km, k.Top):
		return step{end: -1}, true
	case keyMatches(km, k.Bottom):
		return step{end: 1}, true
	}
	return step{}, false
}

// apply returns the position the step moves pos to, within [0, last].
func (s step) apply(pos, last int) int {
	last = max(0, last)
	switch s.end {
	case -1:
		return 0
	case 1:
		return last
	}
	return clamp(pos+s.delta, 0, last)
}
