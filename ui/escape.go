package ui

import (
	"unicode"

	tea "charm.land/bubbletea/v2"
)

// A terminal of the old kind sends alt and a key as an Escape and the key
// ("\x1b?"), and so it sends an Escape typed just before a key: esc to
// leave the filter and ? for the help, typed fast, came as alt+?, which
// nothing binds, and both were lost. splitEscape takes such a key as the
// Escape and the key, one after the other, where nothing binds it and an
// Escape loses nothing typed: not in the inline editor or a line's input
// (their esc throws the text away; a stray alt key there is ignored, as
// before), and not on a terminal that tells an Escape from alt (kitty's
// protocol, which Bubble Tea asks for): there an alt key is one.

// splitEscape returns the key km stands for without its alt, and whether
// km is to be taken as an Escape and that key.
func (m Model) splitEscape(km tea.KeyPressMsg) (tea.KeyPressMsg, bool) {
	if km.Mod&tea.ModAlt == 0 || m.c.altKeys {
		return km, false
	}
	if k, ok := m.overlays.topKind(); ok {
		switch k {
		case overlayFilter:
			if km.String() == "alt+backspace" { // the filter's word back
				return km, false
			}
		case overlayCompose, overlayLine:
			return km, false
		}
	}
	km.Mod &^= tea.ModAlt
	if km.Text == "" && km.Mod&^tea.ModShift == 0 { // a printable key is typed text without its alt
		r := km.Code
		switch {
		case km.Mod&tea.ModShift == 0:
		case km.ShiftedCode != 0:
			r = km.ShiftedCode
		default: // Escape O, P, X: their decoder gives shift and the letter in lower case
			r = unicode.ToUpper(r)
		}
		if r <= unicode.MaxRune && unicode.IsPrint(r) {
			km.Text = string(r)
		}
	}
	return km, true
}
