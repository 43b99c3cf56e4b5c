package ui

import (
	"slices"
	"strconv"
	"time"

	tea "charm.land/bubbletea/v2"

	"sockscope/protocol"
)

// Held frames in the list. A frame the interceptor holds is not forwarded
// yet, so it is not the store's either (bytes are forwarded first and
// observed after): the list draws it from the control port's state, read
// on the tick, as an entry after the store's, flagged held with a live
// timer. Once forwarded (or dropped, edited, answered) it leaves the list
// and the store's row, with its note, takes its place.

// heldBit marks a list entry that is a held frame: heldBit|id, id being
// the hold's number. Such seqs sort after every store seq, so held frames
// are the list's newest entries, oldest hold first.
const heldBit = 1 << 63

// heldSeq is the list entry of hold id.
func heldSeq(id uint64) uint64 { return heldBit | id }

// isHeldSeq reports whether list entry seq is a held frame.
func isHeldSeq(seq uint64) bool { return seq&heldBit != 0 }

// heldMessage is held frame h as a message, for the filter, the detail
// pane, y and w. It is never stored.
func heldMessage(h *HeldFrame) protocol.Message {
	return protocol.Message{Conn: h.Conn, Dir: h.Dir, At: h.Since, Framing: h.Framing,
		Frame: protocol.Frame{Data: h.Payload, Size: len(h.Payload), Wire: len(h.Payload)},
		Info:  h.Info, Note: &protocol.Note{Act: protocol.ActHeld, Rule: h.Rule}}
}

// filterHeld returns the held frames of all the list's filter lets
// through (is:held matches them all).
func (m listModel) filterHeld(all []HeldFrame) []HeldFrame {
	if m.q.Empty() {
		return all
	}
	var out []HeldFrame
	for i := range all {
		msg := heldMessage(&all[i])
		if m.q.MatchMsg(&msg) {
			out = append(out, all[i])
		}
	}
	return out
}

// setHeld takes in the held frames as of this tick. A held frame is shown
// even while the display is paused: it waits for the user.
func (m listModel) setHeld(all []HeldFrame) listModel {
	m.held = m.filterHeld(all)
	return m.fix()
}

// count is how many entries the list has: the index's, then the held.
func (m listModel) count() int { return m.idx.len() + len(m.held) }

// at returns the seq of the i-th entry.
func (m listModel) at(i int) uint64 {
	if n := m.idx.len(); i >= n {
		return heldSeq(m.held[i-n].ID)
	}
	return m.idx.at(i)
}

// find returns the position of the first entry >= seq (count when none).
func (m listModel) find(seq uint64) int {
	n := m.idx.len()
	if !isHeldSeq(seq) {
		return m.idx.find(seq)
	}
	i, _ := slices.BinarySearchFunc(m.held, seq&^heldBit, func(h HeldFrame, id uint64) int {
		switch {
		case h.ID < id:
			return -1
		case h.ID > id:
			return 1
		}
		return 0
	})
	return n + i
}

// heldAt returns the held frame of entry seq, if it is one the list shows.
func (m listModel) heldAt(seq uint64) (HeldFrame, bool) {
	if !isHeldSeq(seq) {
		return HeldFrame{}, false
	}
	i := m.find(seq) - m.idx.len()
	if i < len(m.held) && m.held[i].ID == seq&^heldBit {
		return m.held[i], true
	}
	return HeldFrame{}, false
}

// heldLine draws held frame h as a list row: its kind where the status
// goes (nothing answered it yet), the held flag beside it and the time it
// has been held, live, where the latency goes.
func (m listModel) heldLine(h *HeldFrame, w int, plain bool) string {
	s := &m.c.styles
	arrow, dirSt := dirArrow(h.Dir, s)
	held := fmtDur(m.c.now().Sub(h.Since))
	method := sanitize(string(h.Info.Method))
	kind := h.Info.Kind.String()
	if h.Info.Kind == protocol.KindNotification {
		kind = "notify"
	}
	timerSt := s.status(protocol.StatusPending)
	if m.idx.raw {
		c := rawColumns(w)
		preview := ""
		if c.preview > 0 {
			data := h.Payload[:min(len(h.Payload), c.preview*4)]
			preview = sanitize(string(data))
		}
		return cells(
			styled(s.Dim, col(fmtClock(h.Since), c.time), plain),
			styled(s.Dim, col("#"+strconv.FormatUint(h.Conn, 10), c.conn), plain),
			styled(dirSt, col(arrow, c.dir), plain),
			styled(s.Dim, col(kind, c.status), plain),
			col(sanitize(string(h.Info.ID)), c.id),
			flagged(method, c.method, "held "+held, s, plain),
			styled(s.Dim, rcol(fmtSize(int64(len(h.Payload))), c.size), plain),
			col(preview, c.preview),
		)
	}
	c := exchangeColumns(w)
	size := fmtSize(int64(len(h.Payload)))
	if h.Info.Kind == protocol.KindResponse {
		size = "-/" + size
	}
	return cells(
		styled(s.Dim, col(fmtClock(h.Since), c.time), plain),
		styled(s.Dim, col("#"+strconv.FormatUint(h.Conn, 10), c.conn), plain),
		styled(dirSt, col(arrow, c.dir), plain),
		col(sanitize(string(h.Info.ID)), c.id),
		flagged(method, c.method, "held", s, plain),
		styled(s.Dim, col(kind, c.status), plain),
		styled(timerSt, rcol(held, c.lat), plain),
		styled(s.Dim, rcol(size, c.size), plain),
	)
}

// selectedHeld returns the held frame selected in the list, if one is.
func (m Model) selectedHeld() (HeldFrame, bool) {
	return m.list.heldAt(m.list.sel)
}

// heldRowKey acts on the held frame selected in the list, as the
// intercept pane does on its selection: a forwards it, e edits it, d
// drops it, f answers it, A forwards every held frame. ok is false when
// msg is none of these or no held frame is selected.
func (m Model) heldRowKey(msg tea.KeyPressMsg) (Model, tea.Cmd, bool) {
	h, sel := m.selectedHeld()
	k := &m.c.keys
	if !sel || m.focus == focusConns || !keyMatches(msg, k.HeldForward, k.HeldEdit, k.HeldDrop, k.HeldFabricate, k.HeldAll) {
		return m, nil, false
	}
	pane := interceptPane{c: m.c, st: m.icpt, sel: h.ID}
	pane.st.held = []HeldFrame{h} // the list's copy: the pane acts on it alone
	_, eff := pane.update(msg)
	if eff.msg == nil {
		return m, nil, true
	}
	do := eff.msg
	return m, func() tea.Msg { return do }, true
}

// heldFrame returns held frame id as of the last tick.
func (c *common) heldFrame(id uint64) (HeldFrame, bool) {
	for _, h := range c.held {
		if h.ID == id {
			return h, true
		}
	}
	return HeldFrame{}, false
}

// heldHeader is the detail pane's live header for a held frame: what it
// is, who sent it, and how long it has been held.
func (m detailModel) heldHeader(seq uint64, now time.Time) []string {
	s := &m.c.styles
	h, ok := m.c.heldFrame(seq &^ heldBit)
	if !ok {
		return []string{s.Dim.Render("no longer held")}
	}
	arrow, dst := dirArrow(h.Dir, s)
	by := "the intercept filter"
	if h.Rule != "" {
		by = "rule " + sanitize(h.Rule)
	}
	return []string{
		cells(s.Bold.Render("held #"+strconv.FormatUint(h.ID, 10)), h.Info.Kind.String(), sanitize(string(h.Info.Method)), idText(string(h.Info.ID)),
			s.Injected.Render("held")),
		cells(m.connText(h.Conn), dst.Render(arrow+" "+h.Dir.String())),
		cells("read "+fmtClock(h.Since), s.status(protocol.StatusPending).Render("held "+fmtDur(now.Sub(h.Since))), s.Dim.Render("by "+by+"; not forwarded yet")),
	}
}

// heldBody is the detail pane's body for a held frame: its payload as the
// peer sent it, which the other peer has not received.
func (m detailModel) heldBody(seq uint64) []string {
	h, ok := m.c.heldFrame(seq &^ heldBit)
	if !ok {
		return nil
	}
	msg := heldMessage(&h)
	arrow, _ := dirArrow(h.Dir, &m.c.styles)
	title := m.c.styles.Bold.Render("held "+h.Info.Kind.String()+" "+arrow+" "+h.Dir.String()+" · "+fmtSize(int64(len(h.Payload)))) +
		m.c.styles.Dim.Render(" · a forwards it, e edits it, d drops it, f answers it")
	return append([]string{title}, messageBody(&msg, m.width, m.hex, &m.c.styles)...)
}
