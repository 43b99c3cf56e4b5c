package ui

import (
	"testing"

	tea "charm.land/bubbletea/v2"
)

// An Escape typed just before a key reaches the UI as the key with alt (a
// terminal of the old kind sends both as "\x1b?"): it is taken as the
// Escape and the key. esc then ? typed fast while filtering left the
// filter open and showed no help. Not in the inline editor, whose esc
// would throw the draft away, and not on a terminal that tells an Escape
// from alt.
func TestEscapeBeforeAKey(t *testing.T) {
	m := newTestModel(t, demoStore(t), 80, 24)
	m = press(t, m, "/", "x")
	m = update(t, m, tea.KeyPressMsg{Code: '?', Mod: tea.ModAlt})
	if m.filterEditing() || m.filter.active() {
		t.Error("esc then ? as one key: the filter is still open")
	}
	if k, ok := m.overlays.topKind(); !ok || k != overlayHelp {
		t.Errorf("esc then ? as one key: no help (top overlay %v, %v)", k, ok)
	}
	m = press(t, m, "esc")
	// A capital keeps its shift: esc then G goes to the newest row, as the
	// decoder gives it (with its shifted code) and as it gives Escape O,
	// P and X (the letter in lower case, with shift).
	for _, km := range []tea.KeyPressMsg{
		{Code: 'g', ShiftedCode: 'G', Mod: tea.ModShift | tea.ModAlt},
		{Code: 'g', Mod: tea.ModShift | tea.ModAlt},
	} {
		m = press(t, m, "g")
		first := m.list.sel
		if m = update(t, m, km); m.list.sel == first {
			t.Errorf("esc then G as one key (%+v): the selection did not move to the newest row", km)
		}
	}

	// A terminal that tells them apart (it reported key disambiguation):
	// alt+? is alt+?, bound to nothing.
	k := update(t, newTestModel(t, demoStore(t), 80, 24), tea.KeyboardEnhancementsMsg{Flags: 1})
	k = press(t, k, "/", "x")
	if k = update(t, k, tea.KeyPressMsg{Code: '?', Mod: tea.ModAlt}); !k.filterEditing() {
		t.Error("alt+? on a terminal with key disambiguation closed the filter")
	}

	t.Setenv("EDITOR", "")
	c := selectMethod(t, newControlModel(t, demoStore(t), 80, 24, &fakeControl{}), "getUser")
	c = pressRun(t, c, "e")
	for _, km := range []tea.KeyPressMsg{{Code: 'b', Mod: tea.ModAlt}, {Code: tea.KeyUp, Mod: tea.ModAlt}, {Code: 'a', Mod: tea.ModAlt}} {
		if c = update(t, c, km); !isTop(c, overlayCompose) {
			t.Errorf("%s in the inline editor closed it", km)
		}
	}
}

// isTop reports whether the top overlay is of kind k.
func isTop(m Model, k overlayKind) bool {
	top, ok := m.overlays.topKind()
	return ok && top == k
}
