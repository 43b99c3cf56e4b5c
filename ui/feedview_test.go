package ui

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// An attached UI whose feed skipped it ahead says so in the status bar,
// apart from drops, and with a marker in the list where the events it
// never got would have been: between the rows before and after them, and
// after the last row when nothing came after; the selected row stays on
// screen.
func TestFeedSkipMarkers(t *testing.T) {
	for _, sz := range [][2]int{{160, 48}, {80, 24}} {
		m := newTestModel(t, demoStore(t), sz[0], sz[1])
		ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
		m.c.opts.Feed = func() FeedStatus {
			return FeedStatus{SkippedEvents: 1234 + 5, SkippedBytes: 9 << 20, Skips: []FeedSkip{
				{At: ms(280), Events: 1234, Conns: []uint64{2}}, // after getUser (272 ms), before divide (332 ms)
				{At: ms(10_000), Events: 5, Conns: []uint64{1}}, // after everything
			}}
		}
		lines := strings.Split(view(m), "\n")
		if !strings.Contains(lines[0], "1,239 events skipped") || sz[0] == 160 && !strings.Contains(lines[0], "0 drops") {
			t.Fatalf("%v: status bar %q", sz, lines[0])
		}
		at := func(s string) int {
			for i, l := range lines[1:] {
				if strings.Contains(l, s) {
					return i + 1
				}
			}
			return -1
		}
		last := -1
		for i, l := range lines {
			if newestRow.MatchString(l) {
				last = i
			}
		}
		if last < 0 {
			t.Fatalf("%v: the selected (newest) row is off screen:\n%s", sz, strings.Join(lines, "\n"))
		}
		end := at("5 events skipped here (conn #1)")
		if end != last+1 {
			t.Fatalf("%v: the marker after the last row is at line %d, the last row at %d:\n%s", sz, end, last, strings.Join(lines, "\n"))
		}
		if sz[0] == 160 {
			mid, before, after := at("1,234 events skipped here (conn #2)"), at("getUser"), at("divide")
			if before < 0 || mid != before+1 || after != mid+1 {
				t.Fatalf("marker at line %d, getUser %d, divide %d:\n%s", mid, before, after, strings.Join(lines, "\n"))
			}
		}
	}
	// No feed, or nothing skipped: no marker.
	m := newTestModel(t, demoStore(t), 160, 48)
	if v := view(m); strings.Contains(v, "skipped") {
		t.Fatalf("a marker with no feed:\n%s", v)
	}
}

// With the list full and following, the one marker after the newest row
// shows below it: the oldest row on screen makes room for it (it was cut
// off).
func TestFeedSkipMarkerAtTheEndOfAFullList(t *testing.T) {
	m := newTestModel(t, demoStore(t), 80, 16)
	m.c.opts.Feed = func() FeedStatus {
		return FeedStatus{SkippedEvents: 5, SkippedBytes: 1 << 20, Skips: []FeedSkip{
			{At: t0.Add(10 * time.Second), Events: 5, Conns: []uint64{1}}, // after everything
		}}
	}
	lines := strings.Split(view(m), "\n")
	last, marker := -1, -1
	for i, l := range lines {
		if newestRow.MatchString(l) {
			last = i
		}
		if strings.Contains(l, "5 events skipped here") {
			marker = i
		}
	}
	if last < 0 || marker != last+1 {
		t.Fatalf("the newest row at line %d, the marker at %d:\n%s", last, marker, strings.Join(lines, "\n"))
	}
}

// newestRow is the demo store's newest row, the one selected.
var newestRow = regexp.MustCompile(`→ 9 +add +pending`)
