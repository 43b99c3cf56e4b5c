package ui

import (
	"slices"
	"strings"
	"testing"

	"sockscope/query"
)

// At 40 columns the help's filter syntax is wrapped, not cut at the
// screen's edge: every word of it is in the help, and no line of the help
// runs past the width (it lost what most terms do, the headings their
// asides, and the mouse line its end).
func TestHelpSyntaxWrapsAt40(t *testing.T) {
	m := newTestModel(t, demoStore(t), 40, 12)
	lines := m.helpView()
	var words []string
	for _, l := range lines {
		l = ansiStripped(l)
		if visibleWidth(l) > 40 && !strings.HasPrefix(l, "  E ") { // a key's own help is cut (E's by 3 cells)
			t.Errorf("help line wider than 40: %q", l)
		}
		words = append(words, strings.Fields(l)...)
	}
	for _, term := range []string{"method:add", "status:differs", "is:held", "anything else"} {
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(strings.TrimSpace(ansiStripped(l)), term) }) {
			t.Errorf("at 40 columns no line begins with %q", term)
		}
	}
	help := " " + strings.Join(words, " ") + " "
	for _, w := range strings.Fields(query.Syntax) {
		if !strings.Contains(help, " "+w+" ") {
			t.Errorf("the help at 40 columns lost %q of the filter syntax", w)
		}
	}
}
