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

// While the help is shown it gets every key: the bottom line names its
// keys, not the panes' (enter, /, r, s did nothing, and q, which the line
// said quits, closed the help), and each key it names does what it says.
func TestHelpBottomLineIsTheHelps(t *testing.T) {
	m := press(t, newTestModel(t, demoStore(t), 80, 24), "?")
	lines := strings.Split(view(m), "\n")
	bottom := lines[len(lines)-1]
	for _, lie := range []string{"open detail", "filter", "raw stream", "latency stats", "quit"} {
		if strings.Contains(bottom, lie) {
			t.Errorf("the bottom line offers %q, which the help does not do: %q", lie, bottom)
		}
	}
	for _, want := range []string{"↓/j down", "close help"} {
		if !strings.Contains(bottom, want) {
			t.Errorf("the bottom line does not say %q: %q", want, bottom)
		}
	}
	for _, k := range []string{"/", "r", "s", "enter"} {
		if h := press(t, m, k); !h.helpShown() || h.filterEditing() || h.list.raw() || h.statsShown() {
			t.Errorf("%s in the help acted on the panes", k)
		}
	}
	if helpTop(press(t, m, "j")) != 1 {
		t.Error("j does not scroll the help down")
	}
	for _, k := range []string{"?", "esc", "q"} {
		tm, cmd := m.Update(keyMsg(k))
		if tm.(Model).helpShown() {
			t.Errorf("%s does not close the help", k)
		}
		if cmd != nil {
			if _, quit := cmd().(tea.QuitMsg); quit {
				t.Errorf("%s in the help quits", k)
			}
		}
	}
}
