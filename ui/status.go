package ui

import (
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"sockscope/internal/plural"
)

// noticeFor is how long a notice stays in the bottom line.
const noticeFor = 5 * time.Second

// segment is one part of the status bar; lower priorities go first when
// the bar is too narrow.
type segment struct {
	text     string
	style    lipgloss.Style
	priority int
	shrink   bool // may be cut instead of dropped
	keep     int  // cells at its start a cut leaves (with shrink)
}

// statusBar is the top line: where the proxy listens and forwards to,
// connections, rate, drops, recording, pause and filter.
func (m Model) statusBar(w int) string {
	s := &m.c.styles
	t := m.totals
	o := m.c.opts
	segs := []segment{{text: " sockscope ", style: s.HeaderKey, priority: 9}}
	if o.File != nil {
		return renderSegments(m.fileSegments(segs, o.File()), w, s)
	}
	if o.Replay != nil {
		segs = m.replaySegments(segs)
	} else if o.Listen != "" || o.Upstream != "" {
		segs = append(segs, segment{text: sanitize(o.Listen) + " → " + sanitize(o.Upstream), style: s.Header, priority: 5, shrink: true})
	}
	if m.warning != "" {
		// After the addresses, which are cut first to make room for it.
		segs = append(segs, segment{text: " ⚠ " + sanitize(m.warning) + " ", style: s.Drops, priority: 10, shrink: true})
	}
	segs = append(segs,
		segment{text: fmtCount(t.OpenConns) + "/" + fmtCount(t.Conns) + " " + plural.Noun(t.Conns, "conn"), style: s.Header, priority: 6},
		segment{text: fmtCount(int64(m.rate.perSecond()+0.5)) + " msg/s", style: s.Header, priority: 7},
		segment{text: fmtCount(t.Messages) + " " + plural.Noun(t.Messages, "msg"), style: s.HeaderDim, priority: 3},
	)
	if t.DroppedEvents > 0 {
		// msg/s counts what was decoded, none of what the decoder dropped
		// (while it rests under a flood, nothing): the bytes relayed say
		// the traffic goes on.
		segs = append(segs,
			segment{text: " ⚠ " + fmtCount(t.DroppedEvents) + " dropped (" + fmtSize(int64(t.DroppedBytes)) + ") ", style: s.Drops, priority: 10},
			segment{text: fmtSize(int64(m.relayed.perSecond()+0.5)) + "/s relayed", style: s.Header, priority: 6})
	} else {
		segs = append(segs, segment{text: "0 drops", style: s.HeaderDim, priority: 4})
	}
	if o.Feed != nil {
		segs = m.feedSegments(segs)
	}
	if o.RecordPath != "" {
		rec := "● rec " + sanitize(filepath.Base(o.RecordPath))
		st := s.Rec
		if o.RecordStatus != nil {
			size, err := o.RecordStatus()
			rec += " " + fmtSize(size)
			if err != nil {
				rec += " ⚠ " + sanitize(err.Error())
				st = s.Drops
			}
		}
		segs = append(segs, segment{text: rec, style: st, priority: 8, shrink: true})
	}
	if m.list.paused {
		segs = append(segs, segment{text: " ⏸ PAUSED ", style: s.Paused, priority: 10})
	}
	if m.filter.active() {
		segs = append(segs, segment{text: "filter: " + sanitize(m.filter.applied.Src), style: s.HeaderKey, priority: 9, shrink: true})
	}
	if m.conns.sel != 0 {
		segs = append(segs, segment{text: "conn #" + strconv.FormatUint(m.conns.sel, 10), style: s.HeaderKey, priority: 9})
	}
	if ic := &m.icpt; ic.on || len(ic.held) > 0 {
		// The count first: a narrow bar cuts the filter, not how many wait.
		text := " ⏯ held " + strconv.Itoa(len(ic.held)) + " "
		keep := lipgloss.Width(text)
		if ic.on {
			text = " ⏯ held " + strconv.Itoa(len(ic.held)) + " · intercept " + sanitize(ic.expr) + " "
		}
		segs = append(segs, segment{text: text, style: s.Paused, priority: 10, shrink: true, keep: keep})
	}
	if n := len(m.icpt.rules); n > 0 {
		segs = append(segs, segment{text: plural.Of(n, "rule"), style: s.HeaderKey, priority: 7})
	}
	return renderSegments(segs, w, s)
}

// renderSegments lays segments out with separators, dropping the lowest
// priorities and then cutting shrinkable ones until they fit in w.
func renderSegments(segs []segment, w int, s *Styles) string {
	const sep = " │ "
	width := func() int {
		n := 0
		for i, sg := range segs {
			if i > 0 {
				n += len([]rune(sep))
			}
			n += lipgloss.Width(sg.text)
		}
		return n
	}
	drop := func(below int) bool {
		lowest := -1
		for i, sg := range segs {
			if sg.priority < below && (lowest < 0 || sg.priority < segs[lowest].priority) {
				lowest = i
			}
		}
		if lowest < 0 {
			return false
		}
		segs = append(segs[:lowest], segs[lowest+1:]...)
		return true
	}
	for width() > w && drop(5) {
	}
	for i := range segs {
		if over := width() - w; over > 0 && segs[i].shrink {
			segs[i].text = cut(segs[i].text, max(8, segs[i].keep+1, lipgloss.Width(segs[i].text)-over))
		}
	}
	for width() > w && len(segs) > 1 && drop(100) {
	}
	var b strings.Builder
	for i, sg := range segs {
		if i > 0 {
			b.WriteString(s.HeaderDim.Render(sep))
		}
		b.WriteString(sg.style.Render(sg.text))
	}
	line := cut(b.String(), w)
	return line + s.Header.Render(strings.Repeat(" ", max(0, w-lipgloss.Width(line))))
}

// maxNoticeLines is how many lines of the screen's bottom a long notice
// (a refused rule's error lists every action) may take while it shows.
const maxNoticeLines = 3

// noticeLines is the recent notice wrapped to w cells, on at most
// maxNoticeLines lines, when it is too long to share the bottom line with
// the keys; nil when it is not, or there is none, or a question or a line
// being typed has the bottom line.
func (m Model) noticeLines(w int) []string {
	if t := m.overlays.top(); t != nil && !t.kind().covers() && t.kind() != overlayFilter {
		return nil
	}
	if m.notice == "" || m.c.now().Sub(m.noticeAt) >= noticeFor || w <= 0 {
		return nil
	}
	text := " " + m.notice
	if lipgloss.Width(text) <= w*2/3 {
		return nil
	}
	st := m.c.styles.Notice
	if m.noticeBad {
		st = m.c.styles.ErrorText
	}
	return wrapNotice(text, w, st)
}

// refusalLines are why the line being typed was refused, wrapped to w
// cells above it (on at most maxNoticeLines lines), or a question too long
// for the bottom line; nil when there is none. The notice would have been
// hidden behind the line given back.
func (m Model) refusalLines(w int) []string {
	if q := m.longQuestion(w); q != "" {
		return wrapNotice(" "+q, w, m.c.styles.Notice)
	}
	r, ok := m.overlays.top().(interface{ refusal() string })
	if !ok || r.refusal() == "" || w <= 0 {
		return nil
	}
	return wrapNotice(" "+sanitize(r.refusal()), w, m.c.styles.ErrorText)
}

// longQuestion is the question being asked when it is too long for its
// part of the bottom line (the keys have the rest): it goes above, whole,
// rather than be cut before its end ("overwrite it?" lost at 40 columns).
func (m Model) longQuestion(w int) string {
	c, ok := m.overlays.top().(confirmOverlay)
	if !ok || lipgloss.Width(" "+c.question) <= w*2/3 {
		return ""
	}
	return c.question
}

// wrapNotice wraps text to w cells in st, on at most maxNoticeLines lines.
func wrapNotice(text string, w int, st lipgloss.Style) []string {
	lines := strings.Split(lipgloss.Wrap(text, w, ""), "\n")
	if len(lines) > maxNoticeLines {
		lines = lines[:maxNoticeLines]
		lines[maxNoticeLines-1] = cut(lines[maxNoticeLines-1]+" …", w)
	}
	for i, l := range lines {
		lines[i] = st.Render(cut(l, w))
	}
	return lines
}

// bottomHeight is how many lines the bottom of the screen takes: one, or
// a long notice's, or a refused line's and the reason above it.
func (m Model) bottomHeight() int {
	return max(1, len(m.noticeLines(m.c.width))) + len(m.refusalLines(m.c.width))
}

// bottomLine is a question being asked or a recent notice, then the short
// help; a long notice alone, on as many lines as bottomHeight says.
func (m Model) bottomLine(w int) string {
	if lines := m.noticeLines(w); lines != nil {
		// It is read once, in a few seconds: it takes the whole line
		// rather than be cut, and the keys come back after it.
		return strings.Join(lines, "\n")
	}
	s := &m.c.styles
	var above strings.Builder
	for _, l := range m.refusalLines(w) {
		above.WriteString(l + "\n")
	}
	var b strings.Builder
	switch t := m.overlays.top(); {
	case m.longQuestion(w) != "":
		// The question is above; here the keys alone, y and n.
	case t != nil && !t.kind().covers() && t.kind() != overlayFilter:
		b.WriteString(cut(t.view(w*2/3, 1)[0], w*2/3) + "  ")
	case m.notice != "" && m.c.now().Sub(m.noticeAt) < noticeFor:
		st := s.Notice
		if m.noticeBad {
			st = s.ErrorText
		}
		b.WriteString(st.Render(" "+m.notice) + "  ")
	}
	h := m.help
	h.SetWidth(max(10, w-lipgloss.Width(b.String())))
	b.WriteString(h.ShortHelpView(m.shortHelp()))
	return above.String() + cut(b.String(), w)
}
