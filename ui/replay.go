package ui

import (
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"sockscope/internal/plural"
	"sockscope/query"
	"sockscope/replay"
	"sockscope/store"
)

// The UI of `sockscope replay`: the replay's own capture, each replayed
// request carrying its comparison with the recorded response (Options.Replay).

// verdict is the replay's comparison of row r, a request the replay sent
// again; query.CompareNone for any other row, or when nothing replays.
func (c *common) verdict(r *store.Row) (replay.Compared, query.Compare) {
	if c.opts.Replay == nil {
		return replay.Compared{}, query.CompareNone
	}
	return c.opts.Replay.LookupRow(c.st, r)
}

// bindReplay gives q the replay's verdicts (status:differs and the like).
func (c *common) bindReplay(q *query.Query) *query.Query {
	if c.opts.Replay != nil && q != nil {
		q.BindCompare(func(r *store.Row) query.Compare {
			_, v := c.verdict(r)
			return v
		})
	}
	return q
}

// verdictFlag is what the list says of a compared row, beside its method:
// "differs $.data", "same", "race", "comparing"; "" when not compared.
func (c *common) verdictFlag(r *store.Row) (string, lipgloss.Style) {
	cmp, v := c.verdict(r)
	s := &c.styles
	switch {
	case cmp.Verdict == replay.Error:
		return "error", s.ErrorText
	case cmp.Verdict == replay.Unanswered:
		return "unanswered then", s.Warn
	}
	switch v {
	case query.CompareDiffers:
		return "differs " + strings.Join(cmp.Paths(), ","), s.ErrorText
	case query.CompareRace:
		return "race", s.Warn
	case query.CompareMatch:
		if cmp.Slower {
			return "same, slower", s.Slow
		}
		return "same", s.Dim
	case query.ComparePending:
		return "comparing", s.Dim
	}
	return "", s.Dim
}

// verdictHeader is the detail header's phrase for a compared row: the
// verdict, then and now, the recorded latency.
func (c *common) verdictHeader(r *store.Row) string {
	cmp, v := c.verdict(r)
	s := &c.styles
	switch v {
	case query.CompareNone:
		return ""
	case query.ComparePending:
		return s.Dim.Render(" · replay: comparing…")
	}
	text, st := "replay: "+v.String(), s.Dim
	switch {
	case cmp.Verdict == replay.Error:
		st, text = s.ErrorText, "replay: "+cmp.Now
	case cmp.Verdict == replay.Unanswered:
		st, text = s.Warn, "replay: unanswered when recorded"
	case v == query.CompareDiffers:
		st = s.ErrorText
		text += " at " + strings.Join(cmp.Paths(), ", ")
	case v == query.CompareRace:
		st = s.Warn
		text += " (cancelled in the recording)"
	}
	return " · " + st.Render(sanitize(text)) + s.Dim.Render(sanitize(" · recorded "+withLatency(cmp.Then, cmp.LatencyThen)))
}

// withLatency is a status with its latency: "ok in 1.2ms", "no-reply".
func withLatency(status string, lat time.Duration) string {
	if lat > 0 {
		return status + " in " + fmtDur(lat)
	}
	return status
}

// diffSideBySide is the pane width from which the diff view puts the
// recorded and the new response side by side (responses are narrower than
// the request and response the pane shows beside each other from 110).
const diffSideBySide = 80

// comparisonBody is the diff view of a compared row, shown above its
// request and response: the verdict, then and now, the paths that differ,
// and the recorded and the new response side by side (stacked when
// narrow), each line at a path that differs marked ≠ and highlighted, each
// ignored one marked · and dimmed. nil for a row that is not compared.
func (m detailModel) comparisonBody(r *store.Row) []string {
	cmp, v := m.c.verdict(r)
	if v < query.CompareMatch {
		return nil
	}
	s := &m.c.styles
	live := m.c.opts.Replay
	title := "replay: " + v.String()
	switch {
	case cmp.Verdict == replay.Error:
		title = "replay: " + cmp.Now
	case cmp.Verdict == replay.Unanswered:
		title = "replay: unanswered when recorded"
	case v == query.CompareDiffers:
		title += " at " + strings.Join(cmp.Paths(), ", ")
	}
	lines := []string{m.sectionTitle(sanitize(title), sideResponse, sideResponse, m.width)}
	tn := "recorded: " + withLatency(cmp.Then, cmp.LatencyThen) + " · now: " + withLatency(cmp.Now, cmp.LatencyNow)
	if cmp.Slower {
		tn += " · slower"
	}
	if cmp.Then == "no-reply" && strings.HasPrefix(cmp.Now, "no-reply") {
		tn += " · no reply then, no reply now: a match"
	}
	lines = append(lines, s.Dim.Render(sanitize(tn)))
	for _, d := range cmp.Diff {
		lines = append(lines, wrapLines([]string{s.ErrorText.Render("≠ " + sanitize(d.String()))}, m.width)...)
	}
	if cmp.ThenResp == nil && cmp.NowResp == nil {
		return append(lines, "")
	}
	sides := [2][]string{}
	colW := m.width
	sbs := m.width >= diffSideBySide
	if sbs {
		colW = (m.width - 3) / 2
	}
	for i, resp := range [2][]byte{cmp.ThenResp, cmp.NowResp} {
		if resp == nil {
			sides[i] = []string{s.Dim.Render("(no reply)")}
			continue
		}
		for _, l := range replay.Annotate(resp, cmp.Diff, live.Ignore, live.Skip) {
			text := sanitize(l.Text)
			switch l.Mark {
			case replay.MarkDiffers:
				sides[i] = append(sides[i], s.ErrorText.Render(cut("≠ "+text, colW)))
			case replay.MarkIgnored:
				sides[i] = append(sides[i], s.Dim.Render(cut("· "+text, colW)))
			default:
				sides[i] = append(sides[i], cut("  "+highlightJSON(text, s), colW))
			}
		}
	}
	titles := [2]string{"recorded response", "new response"}
	if sbs {
		lines = append(lines, fit(m.sectionTitle(titles[0], sideRequest, sideResponse, colW), colW)+s.Sep.Render(" │ ")+
			m.sectionTitle(titles[1], sideRequest, sideResponse, colW))
		for i := 0; i < max(len(sides[0]), len(sides[1])); i++ {
			var l, r string
			if i < len(sides[0]) {
				l = sides[0][i]
			}
			if i < len(sides[1]) {
				r = sides[1][i]
			}
			lines = append(lines, fit(l, colW)+s.Sep.Render(" │ ")+r)
		}
	} else {
		for i := range sides {
			lines = append(lines, m.sectionTitle(titles[i], sideRequest, sideResponse, m.width))
			lines = append(lines, sides[i]...)
		}
	}
	return append(lines, "")
}

// withComparison puts the comparison of r, if any, above body and moves
// the sections' starts below it.
func (m *detailModel) withComparison(r *store.Row, body []string) []string {
	cmp := m.comparisonBody(r)
	if len(cmp) == 0 {
		return body
	}
	m.sections[sideRequest] = len(cmp)
	m.sections[sideResponse] += len(cmp)
	return append(cmp, body...)
}

// replaySegments are the status bar's segments of a replay: the file and
// the server, how many requests are compared so far, how many differ.
func (m Model) replaySegments(segs []segment) []segment {
	s := &m.c.styles
	l := m.c.opts.Replay
	st := l.Status()
	segs = append(segs, segment{text: "replay " + sanitize(filepath.Base(l.File)) + " → " + sanitize(l.Upstream), style: s.Header, priority: 8, shrink: true})
	progress := "compared " + strconv.Itoa(st.Compared) + "/" + strconv.Itoa(st.Expected)
	if st.Done {
		progress += " · done"
	}
	segs = append(segs, segment{text: progress, style: s.Rec, priority: 9})
	if st.Differ > 0 {
		segs = append(segs, segment{text: " ≠ " + strconv.Itoa(st.Differ) + " differ ", style: s.Drops, priority: 10})
	} else {
		segs = append(segs, segment{text: "0 differ", style: s.HeaderDim, priority: 7})
	}
	if st.Races > 0 {
		segs = append(segs, segment{text: plural.Of(st.Races, "race"), style: s.HeaderDim, priority: 6})
	}
	return segs
}

// methodCell is the list's method column: the method, and at its right
// edge what sockscope did to the row or, in a replay, its verdict (cut to
// what the method leaves, but at most half the column).
func (m listModel) methodCell(method string, w int, r *store.Row, plain bool) string {
	s := &m.c.styles
	flag, st := m.c.verdictFlag(r)
	if flag == "" {
		return flagged(method, w, rowMark(r), s, plain)
	}
	fw := min(lipgloss.Width(flag), max(w/2, w-lipgloss.Width(method)-1))
	if fw < 4 {
		return col(method, w)
	}
	return fit(method, w-fw-1) + " " + styled(st, fit(sanitize(flag), fw), plain)
}
