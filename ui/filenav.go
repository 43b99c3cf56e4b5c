package ui

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"sockscope/internal/plural"
)

// FileNav is how the UI reaches the whole of a session file beyond the
// list: a search over every frame's payload in the background, and the
// scrubber (a time, the next error or slow exchange, a sparkline of the
// whole file). Options.Nav; nil for a live proxy.
type FileNav interface {
	// Search starts looking for text in every frame's payload.
	Search(ctx context.Context, text string) FileSearch
	// RowAt returns the first row begun at or after t.
	RowAt(t time.Time) uint64
	// NextError and NextSlow return the first failed, or slow, row after
	// seq (before it, back).
	NextError(seq uint64, back bool) (uint64, bool)
	NextSlow(seq uint64, back bool) (uint64, bool)
	// Sparkline returns the file's frame rate and slowest latency by span
	// of time, in at most n spans, oldest first.
	Sparkline(n int) (rate []int64, lat []time.Duration)
}

// FileSearch is a search running in the background (FileNav.Search).
type FileSearch interface {
	Cancel()
	Progress() (rows, of uint64, over, full bool)
	Hits() int
	Next(seq uint64, back bool) (uint64, bool)
}

// Lines the file's keys type.
const (
	findLine lineUse = iota + 16 // the text to find in payloads
	timeLine                     // a time to jump to
)

// newFindLine asks for the text to find: it starts empty, the last text
// looked for shown until something is typed (typed after it, the two ran
// together), and found again when nothing is.
func newFindLine(c *common, last string) lineOverlay {
	l := newLine(c, "find in payloads: ", "", findLine)
	if last != "" {
		l.ti.Placeholder = last // shown as wide as the input is (newLine fits it)
	}
	return l
}

type findMsg struct{ text string }
type timeMsg struct{ text string }

// fileNavState is the search of the file, if one was started.
type fileNavState struct {
	search FileSearch
	text   string
}

// searching reports whether a search runs.
func (s fileNavState) searching() bool {
	if s.search == nil {
		return false
	}
	_, _, over, _ := s.search.Progress()
	return !over
}

// fileKey handles the file's keys; ok is false for any other key.
func (m Model) fileKey(msg tea.KeyPressMsg) (Model, tea.Cmd, bool) {
	nav := m.c.opts.Nav
	k := &m.c.keys
	if nav == nil {
		return m, nil, false
	}
	switch {
	case keyMatches(msg, k.Find):
		m.overlays = m.overlays.push(newFindLine(m.c, m.nav.text))
	case keyMatches(msg, k.GoTime):
		m.overlays = m.overlays.push(newLine(m.c, "go to time (15:04:05, 2006-01-02 15:04:05, +90s): ", "", timeLine))
	case keyMatches(msg, k.FindNext), keyMatches(msg, k.FindPrev):
		if m.nav.search == nil {
			return m.setNotice("no search: F finds a text in every payload", true), nil, true
		}
		seq, ok := m.nav.search.Next(m.rowSel(keyMatches(msg, k.FindPrev)), keyMatches(msg, k.FindPrev))
		return m.jumpRow(seq, ok, "no more rows hold "+strconv.Quote(m.nav.text)), nil, true
	case keyMatches(msg, k.NextError):
		seq, ok := nav.NextError(m.rowSel(false), false)
		return m.jumpRow(seq, ok, "no error after this row"), nil, true
	case keyMatches(msg, k.NextSlow):
		seq, ok := nav.NextSlow(m.rowSel(false), false)
		return m.jumpRow(seq, ok, "no slow exchange after this row"), nil, true
	default:
		return m, nil, false
	}
	return m, nil, true
}

// rowSel is the selected row's seq (in the raw stream, the row of the
// selected message) to look from: 0 (the start) when none is selected or
// the list follows the newest, or, looking back, the end.
func (m Model) rowSel(back bool) uint64 {
	if m.list.sel == 0 || m.list.follow {
		if back {
			return math.MaxUint64
		}
		return 0
	}
	if m.list.raw() {
		return m.list.translate(m.list.sel, false)
	}
	return m.list.sel
}

// jumpRow selects row seq (ok false: says why not, with why).
func (m Model) jumpRow(seq uint64, ok bool, why string) Model {
	if !ok {
		return m.setNotice(why, true)
	}
	if m.list.raw() {
		seq = m.list.translate(seq, true)
	}
	m.list = m.list.moveTo(m.list.idx.find(seq))
	return m
}

// fileLine takes a line typed for the file's keys.
func (m Model) fileLine(msg tea.Msg) Model {
	nav := m.c.opts.Nav
	switch msg := msg.(type) {
	case findMsg:
		if m.nav.search != nil {
			m.nav.search.Cancel()
		}
		m.nav = fileNavState{}
		if msg.text != "" {
			m.nav = fileNavState{search: nav.Search(context.Background(), msg.text), text: msg.text}
		}
	case timeMsg:
		t, err := parseJumpTime(msg.text, m.c.opts.File())
		if err != nil {
			return m.setNotice(err.Error(), true)
		}
		return m.jumpRow(nav.RowAt(t), true, "")
	}
	return m
}

// cancelSearch is esc while a search runs: it stops, its hits stay.
func (m Model) cancelSearch() Model {
	m.nav.search.Cancel()
	return m.setNotice("search cancelled: "+plural.Of(m.nav.search.Hits(), "hit")+" so far", false)
}

// parseJumpTime reads a time to jump to: a clock time on the file's first
// day, a date and time (local, as the list shows them), RFC 3339, or +D
// from the file's first frame.
func parseJumpTime(s string, f FileStatus) (time.Time, error) {
	s = strings.TrimSpace(s)
	first := f.First.Local()
	if strings.HasPrefix(s, "+") {
		d, err := time.ParseDuration(s[1:])
		if err != nil {
			return time.Time{}, err
		}
		return f.First.Add(d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, l := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(l, s, time.Local); err == nil {
			return t, nil
		}
	}
	for _, l := range []string{"15:04:05.999999999", "15:04"} {
		if t, err := time.ParseInLocation(l, s, time.Local); err == nil {
			y, mo, d := first.Date()
			return time.Date(y, mo, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.Local), nil
		}
	}
	return time.Time{}, &timeError{s}
}

type timeError struct{ s string }

func (e *timeError) Error() string {
	return "not a time: " + strconv.Quote(e.s) + " (15:04:05, 2006-01-02 15:04:05, +90s)"
}

// rateline draws vs in len(vs) cells, scaled to their maximum.
func rateline(vs []int64) string {
	var hi int64
	for _, v := range vs {
		hi = max(hi, v)
	}
	var b strings.Builder
	for _, v := range vs {
		i := 0
		if hi > 0 {
			i = int(v * int64(len(sparkBlocks)-1) / hi)
		}
		b.WriteRune(sparkBlocks[i])
	}
	return b.String()
}

// navSegments are the status bar's segments of the file's search and its
// sparklines (rate and slowest latency over the whole file).
func (m Model) navSegments(segs []segment) []segment {
	nav := m.c.opts.Nav
	if nav == nil {
		return segs
	}
	s := &m.c.styles
	if srch := m.nav.search; srch != nil {
		rows, of, over, full := srch.Progress()
		text := "find " + strconv.Quote(m.nav.text) + ": " + fmtCount(int64(srch.Hits())) + " " + plural.Noun(srch.Hits(), "hit")
		switch {
		case full:
			text += " (the first ones)"
		case !over && of > 0:
			text += " " + strconv.Itoa(int(rows*100/of)) + "% (esc stops)"
		}
		segs = append(segs, segment{text: text, style: s.HeaderKey, priority: 9, shrink: true})
	}
	rate, lat := nav.Sparkline(24)
	if len(rate) > 1 {
		segs = append(segs, segment{text: "rate " + rateline(rate) + " lat " + sparkline(lat, len(lat)), style: s.HeaderDim, priority: 2})
	}
	return segs
}
