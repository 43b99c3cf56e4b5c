package ui

import tea "charm.land/bubbletea/v2"

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
