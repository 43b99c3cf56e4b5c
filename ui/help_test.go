package ui

import (
	"regexp"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// helpScreens scrolls the open help from its top to its end and returns
// every line it showed.
func helpScreens(t *testing.T, m Model) string {
	t.Helper()
	m = press(t, m, "g")
	var seen strings.Builder
	for i := 0; i < 200; i++ {
		seen.WriteString(view(m) + "\n")
		top := helpTop(m)
		m = press(t, m, "j")
		if helpTop(m) == top {
			return seen.String()
		}
	}
	t.Fatal("the help does not stop scrolling")
	return ""
}

// Every key the help lists is readable at 80×24, also after a resize
// from a wider terminal: each row of groups is laid out by its own width
// (the intercept keys, after the wider send keys, were cut off).
func TestHelpShowsEveryKeyAt80(t *testing.T) {
	for _, from := range []int{80, 120} {
		fi := &fakeInterceptor{}
		m := newHeldModel(t, from, 24, fi)
		m = press(t, m, "?")
		m = update(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
		seen := helpScreens(t, m)
		n := 0
		for _, g := range m.fullHelp() {
			for _, b := range g {
				if !b.Enabled() {
					continue
				}
				n++
				h := b.Help()
				re := regexp.MustCompile(regexp.QuoteMeta(h.Key) + ` +` + regexp.QuoteMeta(h.Desc) + `( |$)`)
				if !re.MatchString(seen) {
					t.Errorf("from %d columns: %q %q is not in the help at 80x24:\n%s", from, h.Key, h.Desc, seen)
				}
			}
		}
		for _, want := range []string{"i intercept pane / filter", "I intercept on/off", ": rule command", "direction keep flowing."} {
			if !strings.Contains(seen, want) {
				t.Errorf("from %d columns: %q is not in the help:\n%s", from, want, seen)
			}
		}
		if n < 20 {
			t.Fatalf("only %d keys in the help", n)
		}
	}
}
