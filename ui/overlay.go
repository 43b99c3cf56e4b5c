package ui

import (
	"slices"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// overlayKind names a mode that sits on top of the panes.
type overlayKind uint8

const (
	overlayHelp      overlayKind = iota // the full help, over the panes
	overlayFilter                       // the filter line, being edited
	overlayCompose                      // a message being written, over the panes
	overlayConfirm                      // a yes/no question in the bottom line
	overlayIntercept                    // the held frames and the rules, over the panes
	overlayLine                         // a line being typed (the intercept filter, a : command)
)

var overlayNames = [...]string{"help", "filter", "compose", "confirm", "intercept", "line"}

// String returns the overlay's name.
func (k overlayKind) String() string {
	if int(k) < len(overlayNames) {
		return overlayNames[k]
	}
	return "overlay?"
}

// covers reports whether an overlay of this kind is drawn instead of the
// panes (so the mouse does not reach them).
func (k overlayKind) covers() bool {
	return k == overlayHelp || k == overlayCompose || k == overlayIntercept
}

// effect is what an overlay's update asks of the root.
type effect struct {
	cmd  tea.Cmd // for Bubble Tea to run
	msg  tea.Msg // for the root to handle at once (a changed filter, a message to send)
	done bool    // the overlay is finished: pop it
}

// An overlay is a mode on top of the panes (help, filter, compose, confirm).
// The top overlay of the root's stack gets key presses and pastes before
// anything else, and sees every other message too. An overlay never reaches
// into the root: it speaks to it in messages (effect.msg).
type overlay interface {
	kind() overlayKind
	// update handles a message and returns the overlay as it is now.
	update(msg tea.Msg) (overlay, effect)
	// bindings are the overlay's keys, for the help.
	bindings() []key.Binding
	// view draws the overlay: w×h cells for one that covers the panes, a
	// line of w cells for the others.
	view(w, h int) []string
}

// overlayStack is the root's overlays, the top last. Its operations copy,
// so a Model value never shares a changed stack with an older copy.
type overlayStack []overlay

// top returns the top overlay, or nil.
func (s overlayStack) top() overlay {
	if len(s) == 0 {
		return nil
	}
	return s[len(s)-1]
}

// topKind returns the top overlay's kind; ok is false when there is none.
func (s overlayStack) topKind() (k overlayKind, ok bool) {
	if t := s.top(); t != nil {
		return t.kind(), true
	}
	return 0, false
}

// has reports whether an overlay of kind k is on the stack.
func (s overlayStack) has(k overlayKind) bool {
	return slices.ContainsFunc(s, func(o overlay) bool { return o.kind() == k })
}

// cover returns the topmost overlay drawn instead of the panes (under a
// line or a question typed over it), or nil.
func (s overlayStack) cover() overlay {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i].kind().covers() {
			return s[i]
		}
	}
	return nil
}

// push returns the stack with o on top.
func (s overlayStack) push(o overlay) overlayStack {
	return append(slices.Clip(s), o)
}

// pop returns the stack without its top.
func (s overlayStack) pop() overlayStack {
	if len(s) == 0 {
		return s
	}
	return slices.Clip(s[:len(s)-1])
}

// replaceTop returns the stack with o instead of its top.
func (s overlayStack) replaceTop(o overlay) overlayStack {
	out := slices.Clone(s)
	out[len(out)-1] = o
	return out
}

// updateOverlay hands msg to the top overlay and applies what it asks.
func (m Model) updateOverlay(msg tea.Msg) (Model, tea.Cmd) {
	o, eff := m.overlays.top().update(msg)
	if eff.done {
		m.overlays = m.overlays.pop()
	} else {
		m.overlays = m.overlays.replaceTop(o)
	}
	var cmd tea.Cmd
	if eff.msg != nil {
		m, cmd = m.handle(eff.msg)
	}
	return m, tea.Batch(eff.cmd, cmd)
}

// confirmOverlay asks a yes/no question in the bottom line before the root
// acts: yes hands the root its message, no its other one (if any).
type confirmOverlay struct {
	c        *common
	question string
	yes, no  tea.Msg
}

func newConfirm(c *common, question string, yes tea.Msg) confirmOverlay {
	return confirmOverlay{c: c, question: question, yes: yes}
}

func (o confirmOverlay) kind() overlayKind { return overlayConfirm }

func (o confirmOverlay) update(msg tea.Msg) (overlay, effect) {
	km, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return o, effect{}
	}
	k := &o.c.keys
	switch {
	case keyMatches(km, k.ConfirmYes):
		return o, effect{msg: o.yes, done: true}
	case keyMatches(km, k.ConfirmNo):
		return o, effect{msg: o.no, done: true}
	case keyMatches(km, k.Quit) && km.String() == "ctrl+c":
		return o, effect{done: true}
	}
	return o, effect{} // any other key: the question stays
}

func (o confirmOverlay) bindings() []key.Binding {
	return []key.Binding{o.c.keys.ConfirmYes, o.c.keys.ConfirmNo}
}

func (o confirmOverlay) view(w, _ int) []string {
	s := &o.c.styles
	return []string{cut(s.Notice.Render(" "+o.question), w)}
}
