package ui

import (
	"unicode"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textarea"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
)

// A terminal sends alt and a key as an Escape and the key ("\x1b?"), and
// so it sends an Escape typed just before a key: esc to leave the filter
// and ? for the help, typed fast, came as alt+?, which nothing binds, and
// both were lost. splitEscape takes such a key as the Escape and the key,
// one after the other, unless what has the keyboard binds the key with
// alt: a text input's word motions (alt+b, alt+f, alt+backspace, …).

// textAltKeys are the keys bound with alt by the text inputs the overlays
// type in: bubbles' textarea (compose) and textinput (a line's input).
var textAltKeys = func() []key.Binding {
	ti, ta := textinput.DefaultKeyMap(), textarea.DefaultKeyMap()
	return []key.Binding{
		ti.WordForward, ti.WordBackward, ti.DeleteWordBackward, ti.DeleteWordForward,
		ta.WordForward, ta.WordBackward, ta.DeleteWordBackward, ta.DeleteWordForward,
		ta.InputBegin, ta.InputEnd, ta.CapitalizeWordForward, ta.LowercaseWordForward,
		ta.UppercaseWordForward, ta.SelectWordForward, ta.SelectWordBackward,
	}
}()

// splitEscape returns the key km stands for without its alt, and whether
// km is to be taken as an Escape and that key.
func (m Model) splitEscape(km tea.KeyPressMsg) (tea.KeyPressMsg, bool) {
	if km.Mod&tea.ModAlt == 0 {
		return km, false
	}
	if k, ok := m.overlays.topKind(); ok {
		switch k {
		case overlayFilter:
			if km.String() == "alt+backspace" {
				return km, false
			}
		case overlayCompose, overlayLine:
			if keyMatches(km, textAltKeys...) {
				return km, false
			}
		}
	}
	km.Mod &^= tea.ModAlt
	if km.Text == "" && km.Mod&^tea.ModShift == 0 { // a printable key is typed text without its alt
		r := km.Code
		if km.Mod&tea.ModShift != 0 && km.ShiftedCode != 0 {
			r = km.ShiftedCode
		}
		if r <= unicode.MaxRune && unicode.IsPrint(r) {
			km.Text = string(r)
		}
	}
	return km, true
}
