package ui

import (
	"regexp"
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
		if visibleWidth(l) > 40 {
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

// At 40x12 every key's description shows whole: one too long for its
// column beside the keys wraps in that column (E's was cut by 3 cells at
// the screen's edge: "export listed rows (pcapng/jsonl/h"), with the keys
// of the way back and of the intercept pane too.
func TestHelpKeysWholeAt40(t *testing.T) {
	for name, m := range map[string]Model{
		"demo":      newTestModel(t, demoStore(t), 40, 12),
		"intercept": newHeldModel(t, 40, 12, &fakeInterceptor{}),
	} {
		// As the help overlay draws it at 40 columns, every line at once.
		var lines []string
		for _, l := range (helpOverlay{c: m.c, content: m.helpView}).view(40, len(m.helpView())) {
			lines = append(lines, strings.TrimRight(ansiStripped(l), " "))
		}
		help := strings.Join(lines, "\n")
		for _, g := range m.fullHelp() {
			for _, b := range g {
				if !b.Enabled() {
					continue
				}
				// The key, then each word of its description in order,
				// none cut.
				words := strings.Fields(b.Help().Desc)
				at := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(b.Help().Key) + ` +` + regexp.QuoteMeta(words[0])).FindStringIndex(help)
				if at == nil {
					t.Errorf("%s: no line starts with the key %q and %q:\n%s", name, b.Help().Key, words[0], help)
					continue
				}
				rest := help[at[0]+2+len(b.Help().Key):]
				for _, w := range words {
					i := strings.Index(rest, w)
					if i < 0 || i+len(w) < len(rest) && rest[i+len(w)] != ' ' && rest[i+len(w)] != '\n' {
						t.Errorf("%s: %s's description %q is not whole at 40 columns:\n%s", name, b.Help().Key, b.Help().Desc, help)
						break
					}
					rest = rest[i+len(w):]
				}
			}
		}
	}
}

// A group of keys all disabled (R e n N Y, with no way back to the
// connections: a file, an attached viewer) leaves no empty line in the
// help, whatever the width and the pane: the group before it too wide
// to share a row (E's at 40 columns before its description wrapped, any
// at 23 and less), it began a row of its own, empty.
func TestHelpNoEmptyGroup(t *testing.T) {
	for w := 16; w <= 60; w++ {
		for _, keys := range [][]string{nil, {"enter"}, {"s"}, {"c", "tab", "tab"}, {"r"}} {
			m := press(t, newTestModel(t, demoStore(t), w, 40), keys...)
			if k := m.c.keys; k.Resend.Enabled() || k.Compose.Enabled() {
				t.Fatal("R or n enabled without a way back")
			}
			lines := m.helpView()
			for i := 1; i < len(lines); i++ {
				if strings.TrimSpace(ansiStripped(lines[i])) == "" && strings.TrimSpace(ansiStripped(lines[i-1])) == "" {
					t.Errorf("%d columns, keys %v: an empty line in the help:\n%s", w, keys, ansiStripped(strings.Join(lines[max(0, i-4):i+2], "\n")))
					break
				}
			}
		}
	}
}
