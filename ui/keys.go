package ui

import "charm.land/bubbles/v2/key"

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
	Help, Quit                              key.Binding

	// The filter overlay's.
	FilterApply, FilterCancel key.Binding
}

func newKeyMap() keyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return keyMap{
		Up:           b([]string{"k", "up"}, "↑/k", "up"),
		Down:         b([]string{"j", "down"}, "↓/j", "down"),
		PageUp:       b([]string{"pgup", "ctrl+b", "ctrl+u"}, "pgup", "page up"),
		PageDown:     b([]string{"pgdown", "ctrl+f", "ctrl+d"}, "pgdn", "page down"),
		Top:          b([]string{"g", "home"}, "g/home", "oldest"),
		Bottom:       b([]string{"G", "end"}, "G/end", "follow newest"),
		NextPane:     b([]string{"tab"}, "tab", "next pane"),
		PrevPane:     b([]string{"shift+tab"}, "S-tab", "previous pane"),
		Enter:        b([]string{"enter"}, "enter", "open"),
		Back:         b([]string{"esc"}, "esc", "back / clear filter"),
		Filter:       b([]string{"/"}, "/", "filter"),
		Raw:          b([]string{"r"}, "r", "raw stream"),
		Stats:        b([]string{"s"}, "s", "latency stats"),
		Conns:        b([]string{"c"}, "c", "connections"),
		Pause:        b([]string{"p", "space"}, "p", "pause"),
		Clear:        b([]string{"C"}, "C", "clear all"),
		Side:         b([]string{"h", "l", "left", "right"}, "h/l", "request/response"),
		Hex:          b([]string{"x"}, "x", "hex view"),
		Copy:         b([]string{"y"}, "y", "copy message"),
		Write:        b([]string{"w"}, "w", "write to file"),
		Help:         b([]string{"?"}, "?", "help"),
		Quit:         b([]string{"q", "ctrl+c"}, "q", "quit"),
		FilterApply:  b([]string{"enter"}, "enter", "apply filter"),
		FilterCancel: b([]string{"esc"}, "esc", "clear filter"),
	}
}

// keyContext is what setContext needs to know to enable the right keys.
type keyContext struct {
	focus     focus
	raw       bool // the raw stream is shown
	haveSel   bool // a row or message is selected
	filtered  bool // a filter or a connection restricts the list
	helpShown bool
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
	k.Back.SetEnabled((ctx.filtered || ctx.focus != focusList || ctx.helpShown))
	k.Side.SetEnabled(!ctx.raw && ctx.haveSel)
	k.Hex.SetEnabled(ctx.haveSel)
	k.Copy.SetEnabled(ctx.haveSel)
	k.Write.SetEnabled(ctx.haveSel)
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
