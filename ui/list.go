package ui

import (
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"sockscope/internal/plural"
	"sockscope/protocol"
	"sockscope/query"
	"sockscope/store"
)

// Latencies over these are drawn as slow and very slow.
const (
	slowLatency     = 100 * time.Millisecond
	verySlowLatency = time.Second
)

// listModel is the exchanges list (or, toggled, the raw message stream). It
// remembers its selection and its first visible entry by seq, never by
// position, so eviction, new traffic and filters never move what the user
// chose; follow mode keeps the newest entry selected.
type listModel struct {
	c      *common
	idx    seqIndex
	q      *query.Query // the filter and connection the index was built for
	sel    uint64       // selected seq (0: none)
	top    uint64       // seq of the first visible entry
	follow bool
	paused bool
	height int // visible entries
	scanID int // identifies the current chain of scanMsgs
	// held are the held frames the filter lets through, listed after the
	// index's entries (heldrows.go): not the store's until forwarded.
	held []HeldFrame
}

// scanMsg continues building a filtered index; scanID tells stale chains apart.
type scanMsg struct{ id int }

func newListModel(c *common) listModel {
	return listModel{c: c, follow: true}
}

// raw reports whether the raw message stream is shown.
func (m listModel) raw() bool { return m.idx.raw }

// setQuery rebuilds the index for a new filter or connection, keeping the
// selection, and starts scanning.
func (m listModel) setQuery(q *query.Query) (listModel, tea.Cmd) {
	m.q = q
	m.held = m.filterHeld(m.c.held)
	return m.rebuild(m.idx.raw)
}

// setRaw switches between exchanges and the raw message stream, carrying
// the selection over to the matching entry of the other view.
func (m listModel) setRaw(raw bool) (listModel, tea.Cmd) {
	if raw == m.idx.raw {
		return m, nil
	}
	if m.sel != 0 && !m.follow {
		m.sel = m.translate(m.sel, raw)
		m.top = m.sel
	}
	return m.rebuild(raw)
}

func (m listModel) rebuild(raw bool) (listModel, tea.Cmd) {
	if m.q != nil && m.q.NeedsConns() {
		m.q.BindConns(m.c.st.Conns())
	}
	m.idx.reset(raw, m.q)
	m.scanID++
	more := m.idx.sync(m.c.st, m.c.now)
	m = m.fix()
	if more {
		return m, m.scanCmd()
	}
	return m, nil
}

func (m listModel) scanCmd() tea.Cmd {
	id := m.scanID
	return func() tea.Msg { return scanMsg{id} }
}

// translate maps a row seq to its first message seq, or a message seq to
// the row holding it (looking back a bounded way).
func (m listModel) translate(seq uint64, toRaw bool) uint64 {
	if isHeldSeq(seq) {
		return seq // a held frame is its own entry in both views
	}
	st := m.c.st
	if toRaw {
		if r, ok := st.Row(seq); ok {
			if r.Req != 0 {
				return r.Req
			}
			return r.Resp
		}
		return seq
	}
	_, next := st.RowBounds()
	found, n := uint64(0), 0
	st.RowsBefore(next, func(r store.Row) bool {
		n++
		if r.Req == seq || r.Resp == seq {
			found = r.Seq
			return false
		}
		return n < 20000
	})
	if found == 0 {
		return seq
	}
	return found
}

// refresh takes in what the store gained since the last tick (unless the
// display is paused).
func (m listModel) refresh() (listModel, tea.Cmd) {
	if m.paused {
		return m, nil
	}
	if m.q != nil && m.q.NeedsConns() {
		m.q.BindConns(m.c.st.Conns())
	}
	scanning := m.idx.scanning()
	more := m.idx.sync(m.c.st, m.c.now)
	m = m.fix()
	if more && !scanning {
		m.scanID++
		return m, m.scanCmd()
	}
	return m, nil
}

// scan continues an index build.
func (m listModel) scan(msg scanMsg) (listModel, tea.Cmd) {
	if msg.id != m.scanID || !m.idx.scanning() {
		return m, nil
	}
	more := m.idx.scan(m.c.st, m.c.now)
	m = m.fix()
	if more {
		return m, m.scanCmd()
	}
	return m, nil
}

// clear forgets everything (after the store was cleared).
func (m listModel) clear() listModel {
	m.idx.reset(m.idx.raw, m.q)
	m.sel, m.top, m.follow = 0, 0, true
	m.idx.sync(m.c.st, m.c.now)
	return m.fix()
}

// positions returns the index positions of the selection and of the first
// visible entry.
func (m listModel) positions() (sel, top int) {
	n := m.count()
	if n == 0 {
		return -1, 0
	}
	return min(m.find(m.sel), n-1), min(m.find(m.top), n-1)
}

// fix makes sel and top name entries that exist and keeps the selection
// on screen; in follow mode the newest entry is selected.
func (m listModel) fix() listModel {
	n := m.count()
	if n == 0 {
		m.sel, m.top = 0, 0
		return m
	}
	h := max(m.height, 1)
	si, ti := m.positions()
	if m.follow || m.sel == 0 {
		si = n - 1
	}
	if si < ti {
		ti = si
	}
	if si >= ti+h {
		ti = si - h + 1
	}
	ti = min(ti, max(0, n-h)) // no blank rows below the last while earlier ones hide above
	if m.follow {
		ti = max(0, n-h)
	}
	m.sel, m.top = m.at(si), m.at(ti)
	return m
}

// moveTo selects the entry at position i; following stops unless it is the
// newest and follow was on.
func (m listModel) moveTo(i int) listModel {
	n := m.count()
	if n == 0 {
		return m
	}
	i = clamp(i, 0, n-1)
	m.follow = m.follow && i == n-1
	m.sel = m.at(i)
	return m.fix()
}

// move moves the selection by delta entries.
func (m listModel) move(delta int) listModel {
	si, _ := m.positions()
	if si < 0 {
		return m
	}
	return m.moveTo(si + delta)
}

// followNewest selects the newest entry and keeps it selected.
func (m listModel) followNewest() listModel {
	m.follow = true
	return m.fix()
}

// clickRow selects the entry drawn on visible line y.
func (m listModel) clickRow(y int) listModel {
	_, ti := m.positions()
	if y < 0 || ti+y >= m.count() {
		return m
	}
	return m.moveTo(ti + y)
}

// update handles the list's keys while it has the focus.
func (m listModel) update(msg tea.Msg) (listModel, tea.Cmd) {
	s, ok := navStep(msg, &m.c.keys, m.height-1)
	switch {
	case !ok:
	case s.end > 0:
		m = m.followNewest()
	default:
		if si, _ := m.positions(); si >= 0 {
			m = m.moveTo(s.apply(si, m.count()-1))
		}
	}
	return m, nil
}

// bindings are the list's keys, for the help.
func (m listModel) bindings() []key.Binding {
	k := &m.c.keys
	b := []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
	if isHeldSeq(m.sel) {
		b = append(b, k.HeldForward, k.HeldEdit, k.HeldDrop, k.HeldFabricate, k.HeldAll)
	}
	return b
}

// togglePause stops or resumes taking in new traffic; resuming takes in
// what came meanwhile.
func (m listModel) togglePause() (listModel, tea.Cmd) {
	m.paused = !m.paused
	if m.paused {
		return m, nil
	}
	return m.refresh()
}

// title describes the list for its pane title.
func (m listModel) title() (name, info string) {
	name = "Exchanges"
	if m.idx.raw {
		name = "Raw stream"
	}
	var parts []string
	n := m.idx.len()
	if m.idx.all() {
		parts = append(parts, fmtCount(n)+" "+plural.Noun(n, map[bool]string{true: "message", false: "row"}[m.idx.raw]))
	} else {
		total := int(m.idx.next - m.idx.first)
		parts = append(parts, fmtCount(n)+" of "+fmtCount(total))
		if m.idx.scanning() {
			parts = append(parts, "filtering "+fmtCount(int(m.idx.progress()*100))+"%")
		}
	}
	if len(m.held) > 0 {
		parts = append(parts, fmtCount(len(m.held))+" held")
	}
	if m.follow {
		parts = append(parts, "following")
	}
	return name, strings.Join(parts, " · ")
}

// statusText is a row's status column: the status (an answered HTTP
// exchange's status code), or for rows that expect
// no reply, what they are.
func statusText(r *store.Row) string {
	if r.Code != 0 && (r.Status == protocol.StatusOK || r.Status == protocol.StatusError) {
		// An HTTP exchange: its status code, styled ok or error (4xx/5xx).
		return strconv.Itoa(r.Code)
	}
	if r.Status != protocol.StatusNone {
		return r.Status.String()
	}
	switch r.Kind {
	case protocol.KindNotification:
		return "notify"
	case protocol.KindRaw:
		return "raw"
	case protocol.KindResponse:
		return "response"
	}
	return r.Kind.String()
}
