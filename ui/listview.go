package ui

import (
	"strconv"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"sockscope/protocol"
	"sockscope/query"
	"sockscope/store"
)

// listColumns is the width of each column of the list for one pane width;
// zero hides a column.
type listColumns struct {
	time, conn, dir, id, method, status, lat, size, preview int
}

func exchangeColumns(w int) listColumns {
	c := listColumns{time: 12, conn: 4, dir: 1, id: 6, status: 8, lat: 7, size: 11}
	fixed := func() int {
		n := 0
		for _, v := range []int{c.time, c.conn, c.dir, c.id, c.status, c.lat, c.size} {
			if v > 0 {
				n += v + 1
			}
		}
		return n
	}
	for _, drop := range []*int{&c.size, &c.id, &c.conn, &c.time} {
		if w-fixed() >= 12 {
			break
		}
		*drop = 0
	}
	c.method = max(1, w-fixed())
	return c
}

func rawColumns(w int) listColumns {
	c := listColumns{time: 12, conn: 4, dir: 1, status: 8, id: 6, method: 14, size: 6}
	for _, drop := range []*int{&c.id, &c.conn, &c.time} {
		if w-(c.time+c.conn+c.dir+c.status+c.id+c.method+c.size+7) >= 10 {
			break
		}
		*drop = 0
	}
	c.preview = max(0, w-(c.time+c.conn+c.dir+c.status+c.id+c.method+c.size+7))
	return c
}

// cells joins non-empty columns with one space.
func cells(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p)
	}
	return b.String()
}

// col fits s to w cells, or drops it when the column is hidden.
func col(s string, w int) string {
	if w == 0 {
		return ""
	}
	return fit(s, w)
}

func rcol(s string, w int) string {
	if w == 0 {
		return ""
	}
	return fitLeft(s, w)
}

// header is the column header line.
func (m listModel) header(w int) string {
	if m.idx.raw {
		c := rawColumns(w)
		return m.c.styles.ColHeader.Render(fit(cells(col("time", c.time), col("conn", c.conn), col("", c.dir),
			col("kind", c.status), col("id", c.id), col("method", c.method), rcol("size", c.size), col("frame", c.preview)), w))
	}
	c := exchangeColumns(w)
	return m.c.styles.ColHeader.Render(fit(cells(col("time", c.time), col("conn", c.conn), col("", c.dir),
		col("id", c.id), col("method", c.method), col("status", c.status), rcol("latency", c.lat), rcol("req/resp", c.size)), w))
}

// view renders the visible entries, reading each from the store now, so
// pending timers and late answers always show.
func (m listModel) view(w int, focused bool) []string {
	lines := make([]string, 0, m.height+1)
	lines = append(lines, m.header(w))
	n := m.count()
	_, ti := m.positions()
	marks := m.skipMarks()
	var prev time.Time // of the entry above, for the skip markers
	if len(marks) > 0 && ti > 0 {
		prev, _ = m.entryTime(ti - 1)
	}
	shown, selLine := 0, -1
	i := ti
	for ; i < n && shown < m.height; i++ {
		seq := m.at(i)
		selected := seq == m.sel
		var (
			line string
			at   time.Time
		)
		if h, ok := m.heldAt(seq); ok {
			line, at = m.heldLine(&h, w, selected), h.Since
		} else if m.idx.raw {
			msg, ok := m.c.st.Message(seq)
			if !ok {
				continue
			}
			line, at = m.messageLine(&msg, w, selected), msg.At
		} else {
			r, ok := m.c.st.Row(seq)
			if !ok {
				continue
			}
			line, at = m.rowLine(&r, w, selected), rowTime(&r)
		}
		if len(marks) > 0 {
			if sk := m.skipLine(marks, prev, at, w); sk != "" {
				lines = append(lines, sk)
			}
			prev = at
		}
		if selected {
			selLine = len(lines)
			if focused {
				line = m.c.styles.Selected.Render(line)
			} else {
				line = m.c.styles.SelectedBlur.Render(line)
			}
		}
		lines = append(lines, line)
		shown++
	}
	tail := false // a marker after the last entry
	if len(marks) > 0 && i == n && n > 0 {
		if sk := m.skipLine(marks, prev, time.Time{}, w); sk != "" {
			lines = append(lines, sk)
			tail = true
		}
	}
	if n == 0 {
		for _, l := range m.emptyLines(max(10, w-2)) {
			lines = append(lines, m.c.styles.Dim.Render("  "+l))
		}
	}
	// Markers took room: keep the selected entry on screen, and the marker
	// after the last entry when that one is selected (following).
	if extra := len(lines) - 1 - m.height; extra > 0 && len(marks) > 0 {
		if selLine > m.height || tail && selLine == len(lines)-2 {
			lines = append(lines[:1], lines[1+extra:]...)
		} else {
			lines = lines[:m.height+1]
		}
	}
	return lines
}

// entryTime is when the entry at position i began.
func (m listModel) entryTime(i int) (time.Time, bool) {
	seq := m.at(i)
	if h, ok := m.heldAt(seq); ok {
		return h.Since, true
	}
	if m.idx.raw {
		msg, ok := m.c.st.Message(seq)
		return msg.At, ok
	}
	r, ok := m.c.st.Row(seq)
	return rowTime(&r), ok
}

// emptyLines is emptyText wrapped to w cells, none of it cut off: an
// address that does not fit beside the words begins a line of its own,
// so that it reads (and copies) whole where it can.
func (m listModel) emptyLines(w int) []string {
	text := m.emptyText()
	if lipgloss.Width(text) <= w {
		return []string{text}
	}
	words, addr := text, ""
	if i := strings.Index(text, " connect to "); i >= 0 {
		words, addr = text[:i+len(" connect to")], text[i+len(" connect to "):]
	}
	lines := strings.Split(lipgloss.Wrap(words, w, ""), "\n")
	if addr != "" {
		lines = append(lines, strings.Split(ansi.Hardwrap(addr, w, false), "\n")...)
	}
	return lines
}

// emptyText is what an empty list says instead: why it is empty, and
// what to do about it. The status bar's addresses are cut on a narrow
// terminal, so a live proxy's says where the clients connect.
func (m listModel) emptyText() string {
	o := m.c.opts
	switch {
	case m.idx.scanning():
		return "filtering…"
	case !m.idx.all():
		return "nothing matches the filter (esc clears it)"
	case o.File != nil:
		switch f := o.File(); {
		case !f.Done:
			return "reading the file…"
		case f.Follow:
			return "nothing in the file yet: waiting for it to grow…"
		case m.idx.raw:
			return "the file holds no messages"
		}
		return "the file holds no exchanges"
	case m.idx.raw:
		return "no messages yet"
	case o.SendAddr != "":
		return "waiting for traffic: clients connect to " + sanitize(o.SendAddr)
	}
	return "waiting for traffic…"
}

// styled renders s with st unless plain (a selected line is styled whole).
func styled(st lipgloss.Style, s string, plain bool) string {
	if plain || s == "" {
		return s
	}
	return st.Render(s)
}

func (m listModel) rowLine(r *store.Row, w int, plain bool) string {
	s := &m.c.styles
	c := exchangeColumns(w)
	arrow, dirSt := dirArrow(r.Dir, s)
	lat, latSt := "", s.Dim
	if d, ok := query.RowLatency(r, m.c.now()); ok {
		lat = fmtDur(d)
		switch {
		case d >= verySlowLatency:
			latSt = s.VerySlow
		case d >= slowLatency:
			latSt = s.Slow
		case r.Status == protocol.StatusPending:
			latSt = s.status(protocol.StatusPending)
		default:
			latSt = lipgloss.NewStyle()
		}
	}
	size := ""
	if c.size > 0 {
		size = fmtSize(int64(r.ReqSize))
		if r.Resp != 0 {
			size += "/" + fmtSize(int64(r.RespSize))
		}
		if r.Req == 0 {
			size = "-/" + fmtSize(int64(r.RespSize))
		}
	}
	method := sanitize(r.Method)
	if r.Duplicate {
		method += " (dup id)"
	}
	if r.Gap {
		method += " (gap)"
	}
	return cells(
		styled(s.Dim, col(fmtClock(rowTime(r)), c.time), plain),
		styled(s.Dim, col("#"+strconv.FormatUint(r.Conn, 10), c.conn), plain),
		styled(dirSt, col(arrow, c.dir), plain),
		col(sanitize(r.ID), c.id),
		m.methodCell(method, c.method, r, plain),
		styled(s.status(r.Status), col(statusText(r), c.status), plain),
		styled(latSt, rcol(lat, c.lat), plain),
		styled(s.Dim, rcol(size, c.size), plain),
	)
}

func (m listModel) messageLine(msg *protocol.Message, w int, plain bool) string {
	s := &m.c.styles
	c := rawColumns(w)
	arrow, dirSt := dirArrow(msg.Dir, s)
	kind := msg.Info.Kind.String()
	kindSt := s.Dim
	if msg.Info.IsError {
		kind, kindSt = "error", s.status(protocol.StatusError)
	}
	preview := ""
	if c.preview > 0 {
		data := msg.Frame.Data
		if len(data) > c.preview*4 {
			data = data[:c.preview*4]
		}
		preview = sanitize(string(data))
	}
	return cells(
		styled(s.Dim, col(fmtClock(msg.At), c.time), plain),
		styled(s.Dim, col("#"+strconv.FormatUint(msg.Conn, 10), c.conn), plain),
		styled(dirSt, col(arrow, c.dir), plain),
		styled(kindSt, col(kind, c.status), plain),
		col(sanitize(string(msg.Info.ID)), c.id),
		flagged(sanitize(string(msg.Info.Method)), c.method, msgMark(msg), s, plain),
		styled(s.Dim, rcol(fmtSize(int64(msg.Frame.Size)), c.size), plain),
		col(preview, c.preview),
	)
}

// dirArrow draws a direction: → client to server, ← server to client.
func dirArrow(d protocol.Dir, s *Styles) (string, lipgloss.Style) {
	if d == protocol.S2C {
		return "←", s.DirS2C
	}
	return "→", s.DirC2S
}

// rowTime is when a row began: its request, or for an orphan its response.
func rowTime(r *store.Row) time.Time {
	if r.ReqAt.IsZero() {
		return r.RespAt
	}
	return r.ReqAt
}

// markText is the flag the list shows for what sockscope itself did to a
// message: "inj" for one it sent, "w/h" for one it withheld (the reply to
// its own request); "" for ordinary traffic.
func markText(injected, withheld bool) string {
	switch {
	case injected:
		return "inj"
	case withheld:
		return "w/h"
	}
	return ""
}

// rowMark is a row's flag: what sockscope did to its request or response
// (held, edit, drop, fab, delay, dup, close, timeout), else inj.
func rowMark(r *store.Row) string {
	if r.Act != protocol.ActNone {
		return r.Act.String()
	}
	return markText(r.Injected, false)
}

// msgMark is a message's flag in the raw stream.
func msgMark(msg *protocol.Message) string {
	if msg.Note != nil {
		return msg.Note.Act.String()
	}
	return markText(msg.Injected, msg.Withheld)
}

// flagged fits text to a w-cell column whose right edge, beside the status
// column, holds flag (when there is one and room for it).
func flagged(text string, w int, flag string, s *Styles, plain bool) string {
	fw := len(flag) + 1
	if flag == "" || w < fw+3 {
		return col(text, w)
	}
	return fit(text, w-fw) + " " + styled(s.Injected, flag, plain)
}
