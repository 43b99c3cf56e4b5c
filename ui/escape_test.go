package ui

import (
	"testing"

	tea "charm.land/bubbletea/v2"
)

// An Escape typed just before a key reaches the UI as the key with alt (a
// terminal sends both as "\x1b?"): it is taken as the Escape and the key.
// esc then ? typed fast while filtering left the filter open and showed no
// help. A text input keeps the alt keys it binds (alt+b: a word back).
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
	// A capital keeps its shift: esc then G goes to the newest row.
	m = press(t, m, "g")
	first := m.list.sel
	m = update(t, m, tea.KeyPressMsg{Code: 'g', ShiftedCode: 'G', Mod: tea.ModShift | tea.ModAlt})
	if m.list.sel == first {
		t.Error("esc then G as one key: the selection did not move to the newest row")
	}

	t.Setenv("EDITOR", "")
	c := selectMethod(t, newControlModel(t, demoStore(t), 80, 24, &fakeControl{}), "getUser")
	c = pressRun(t, c, "e")
	c = update(t, c, tea.KeyPressMsg{Code: 'b', Mod: tea.ModAlt})
	if k, ok := c.overlays.topKind(); !ok || k != overlayCompose {
		t.Errorf("alt+b in the inline editor closed it (top overlay %v, %v)", k, ok)
	}
}
