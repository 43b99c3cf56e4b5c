package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The stats pane's title names the latencies its table shows, at every
// size: at 160×48 the pane is too narrow for p90, which its title named.
func TestStatsTitleNamesTheColumnsShown(t *testing.T) {
	latencies := func(s string) []string {
		var cols []string
		for _, f := range strings.Fields(s) {
			if slices.Contains([]string{"p50", "p90", "p99", "max"}, f) {
				cols = append(cols, f)
			}
		}
		return cols
	}
	for _, sz := range [][2]int{{80, 24}, {100, 30}, {120, 35}, {160, 48}, {200, 50}, {240, 60}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m := newTestModel(t, demoStore(t), sz[0], sz[1])
			m = press(t, m, "s")
			var title, header []string
			for _, l := range strings.Split(view(m), "\n") {
				pane := l // the stats pane is the rightmost
				if i := strings.LastIndex(l, "│"); i >= 0 {
					pane = l[i+len("│"):]
				}
				if _, after, ok := strings.Cut(l, "Latency  per method · "); ok {
					title = latencies(strings.Split(after, "│")[0])
				}
				if strings.HasPrefix(pane, "method (") {
					header = latencies(pane)
				}
			}
			if len(header) < 2 || !slices.Equal(title, header) {
				t.Errorf("the title names %q, the table shows %q", title, header)
			}
		})
	}
}
