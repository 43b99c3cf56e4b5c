package ui

import (
	"strconv"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"sockscope/protocol"
	"sockscope/query"
	"sockscope/store"
)

// side is which message of an exchange the detail pane acts on.
type side uint8

const (
	sideRequest side = iota
	sideResponse
)

// String returns "request" or "response".
func (s side) String() string {
	if s == sideResponse {
		return "response"
	}
	return "request"
}

// detailKey is what the rendered body depends on; the body is rebuilt only
// when it changes, so pretty-printing happens once per selection.
type detailKey struct {
	raw       bool
	seq       uint64
	resp      uint64
	width     int
	hex       bool
	styleGen  int
	sideBySid bool
}

// detailModel shows the selected exchange or message: a live header with
// timing, and the payloads in a scrolling viewport.
type detailModel struct {
	c        *common
	vp       viewport.Model
	key      detailKey
	side     side
	hex      bool
	sections [2]int // first line of the request and response sections
	jump     bool   // scroll to the active section at the next sync
	width    int
	height   int
	// What the last body cost to build, and when: a heavy body is not
	// rebuilt for every new row while following a flood.
	cost    time.Duration
	builtAt time.Time
}

// While following, a body that took over slowBuild to build is rebuilt for
// a newer row at most once per followEvery (the list itself moves on every
// tick). Wall-clock times: this is about CPU, not about what is shown when.
const (
	slowBuild   = time.Millisecond
	followEvery = 200 * time.Millisecond
)

func newDetailModel(c *common) detailModel {
	vp := viewport.New()
	vp.MouseWheelEnabled = false
	vp.KeyMap = viewport.KeyMap{}
	return detailModel{c: c, vp: vp}
}

// headerLines is how many lines the live header takes above the viewport.
const headerLines = 3

// setSize sizes the pane (title line included).
func (m detailModel) setSize(w, h int) detailModel {
	m.width, m.height = w, h
	m.vp.SetWidth(w)
	m.vp.SetHeight(max(0, h-1-headerLines))
	return m
}

// sync rebuilds the body when the selection or what it depends on changed.
func (m detailModel) sync(raw bool, seq uint64, following bool) detailModel {
	k := detailKey{raw: raw, seq: seq, width: m.width, hex: m.hex, styleGen: m.c.styleGen, sideBySid: m.sideBySide()}
	var row store.Row
	if !raw && seq != 0 {
		row, _ = m.c.st.Row(seq)
		k.resp = row.Resp
	}
	if k == m.key {
		return m
	}
	sameSel := k.seq == m.key.seq && k.raw == m.key.raw
	if following && !sameSel && m.key.seq != 0 && k.raw == m.key.raw && m.cost > slowBuild && time.Since(m.builtAt) < followEvery {
		return m
	}
	start := time.Now()
	m.key = k
	var lines []string
	switch {
	case seq == 0:
		lines = nil
	case raw:
		if msg, ok := m.c.st.Message(seq); ok {
			lines = messageBody(&msg, m.width, m.hex, &m.c.styles)
		}
	default:
		lines, m.sections[sideResponse] = m.exchangeBody(&row)
	}
	y := m.vp.YOffset()
	m.vp.SetContentLines(lines)
	switch {
	case m.jump:
		m.vp.SetYOffset(m.sections[m.sideFor(&row)])
		m.jump = false
	case sameSel:
		m.vp.SetYOffset(y)
	default:
		m.vp.GotoTop()
		if m.sideFor(&row) == sideResponse && !m.sideBySide() {
			m.vp.SetYOffset(m.sections[sideResponse])
		}
	}
	m.cost, m.builtAt = time.Since(start), time.Now()
	return m
}

func (m detailModel) sideBySide() bool { return m.width >= 110 }

// sideFor is the message of r that h/l, y and w act on: the one the user
// chose, unless r lacks it.
func (m detailModel) sideFor(r *store.Row) side {
	switch {
	case m.side == sideResponse && r.Resp == 0:
		return sideRequest
	case m.side == sideRequest && r.Req == 0 && r.Resp != 0:
		return sideResponse
	}
	return m.side
}

// exchangeBody renders request and response, side by side when the pane is
// wide, else stacked.
func (m detailModel) exchangeBody(r *store.Row) (lines []string, respStart int) {
	s := &m.c.styles
	active := m.sideFor(r)
	bodies := [2][]string{}
	titles := [2]string{}
	colW := m.width
	if m.sideBySide() {
		colW = (m.width - 3) / 2
	}
	for i, seq := range [2]uint64{r.Req, r.Resp} {
		name := side(i).String()
		if seq == 0 {
			titles[i] = name
			switch {
			case i == 0 && r.Gap:
				bodies[i] = []string{s.Warn.Render("(no request seen: sockscope's decoder fell behind and dropped bytes where it would be)")}
			case i == 0:
				bodies[i] = []string{s.Dim.Render("(no request: an orphan response)")}
			case r.Status == protocol.StatusPending:
				bodies[i] = []string{s.status(protocol.StatusPending).Render("waiting for the reply…")}
			case r.Status == protocol.StatusNoReply && r.Gap:
				bodies[i] = []string{s.Warn.Render("no reply seen, but sockscope's decoder fell behind and dropped bytes where it would be: the server may have answered")}
			case r.Status == protocol.StatusNoReply:
				bodies[i] = []string{s.status(protocol.StatusNoReply).Render("no reply: the connection ended or the request was dropped")}
			default:
				bodies[i] = []string{s.Dim.Render("(expects no reply)")}
			}
			bodies[i] = wrapLines(bodies[i], colW)
			continue
		}
		msg, ok := m.c.st.Message(seq)
		if !ok {
			titles[i] = name
			bodies[i] = []string{s.Dim.Render("(evicted from the store)")}
			continue
		}
		arrow, _ := dirArrow(msg.Dir, s)
		titles[i] = name + " " + arrow + " " + msg.Dir.String() + " · " + fmtSize(int64(msg.Frame.Size))
		bodies[i] = messageBody(&msg, colW, m.hex, s)
	}
	if m.sideBySide() {
		lines = append(lines, fit(m.sectionTitle(titles[0], sideRequest, active, colW), colW)+s.Sep.Render(" │ ")+m.sectionTitle(titles[1], sideResponse, active, colW))
		for i := 0; i < max(len(bodies[0]), len(bodies[1])); i++ {
			var l, r string
			if i < len(bodies[0]) {
				l = bodies[0][i]
			}
			if i < len(bodies[1]) {
				r = bodies[1][i]
			}
			lines = append(lines, fit(l, colW)+s.Sep.Render(" │ ")+r)
		}
		return lines, 0
	}
	lines = append(lines, m.sectionTitle(titles[0], sideRequest, active, m.width))
	lines = append(lines, bodies[0]...)
	lines = append(lines, "")
	respStart = len(lines)
	lines = append(lines, m.sectionTitle(titles[1], sideResponse, active, m.width))
	lines = append(lines, bodies[1]...)
	return lines, respStart
}

func (m detailModel) sectionTitle(t string, sd, active side, w int) string {
	st := m.c.styles.Section
	if sd == active {
		st = m.c.styles.SectionActive
	}
	t = "── " + t + " "
	return st.Render(t) + m.c.styles.Sep.Render(strings.Repeat("─", max(0, w-len([]rune(t)))))
}

// setSide makes sd the active message and scrolls to it.
func (m detailModel) setSide(sd side) detailModel {
	m.side = sd
	m.key.styleGen = -1 // re-render the section titles
	m.jump = true
	return m
}

// update handles the pane's keys while it has the focus.
func (m detailModel) update(msg tea.Msg) (detailModel, tea.Cmd) {
	k := m.c.keys
	if msg, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case keyMatches(msg, k.Up):
			m.vp.ScrollUp(1)
		case keyMatches(msg, k.Down):
			m.vp.ScrollDown(1)
		case keyMatches(msg, k.PageUp):
			m.vp.PageUp()
		case keyMatches(msg, k.PageDown):
			m.vp.PageDown()
		case keyMatches(msg, k.Top):
			m.vp.GotoTop()
		case keyMatches(msg, k.Bottom):
			m.vp.GotoBottom()
		}
	}
	return m, nil
}

// header is the live part of the pane: what, who, when. It is rendered on
// every frame, so a pending request's wait ticks.
func (m detailModel) header(raw bool, seq uint64) []string {
	s := &m.c.styles
	if seq == 0 {
		return []string{s.Dim.Render("nothing selected")}
	}
	now := m.c.now()
	if raw {
		msg, ok := m.c.st.Message(seq)
		if !ok {
			return []string{s.Dim.Render("evicted")}
		}
		arrow, dst := dirArrow(msg.Dir, s)
		kind := msg.Info.Kind.String()
		if msg.Info.IsError {
			kind = s.status(protocol.StatusError).Render("error " + kind)
		}
		return []string{
			cells(s.Bold.Render("message #"+strconv.FormatUint(seq, 10)), kind, sanitize(string(msg.Info.Method)), idText(string(msg.Info.ID))),
			cells(m.connText(msg.Conn), dst.Render(arrow+" "+msg.Dir.String())),
			cells("read "+fmtClock(msg.At), "·", fmtCount(msg.Frame.Size)+" B", s.Dim.Render("("+fmtCount(msg.Frame.Wire)+" on the wire)")),
		}
	}
	r, ok := m.c.st.Row(seq)
	if !ok {
		return []string{s.Dim.Render("evicted")}
	}
	arrow, dst := dirArrow(r.Dir, s)
	asked := "client asked"
	if r.Dir == protocol.S2C {
		asked = "server asked"
	}
	if r.Kind != protocol.KindRequest {
		asked = r.Dir.String()
	}
	line1 := cells(s.Bold.Render("#"+strconv.FormatUint(seq, 10)), sanitize(r.Method), idText(r.ID),
		s.status(r.Status).Render(statusText(&r)))
	if d, ok := query.RowLatency(&r, now); ok {
		line1 = cells(line1, latencyStyle(d, s).Render(fmtDur(d)))
	}
	if r.Duplicate {
		line1 += s.Warn.Render(" duplicate id")
	}
	if r.Gap {
		line1 += s.Warn.Render(" maybe unseen")
	}
	var timing string
	switch r.Status {
	case protocol.StatusOK, protocol.StatusError:
		timing = cells("sent "+fmtClock(r.ReqAt), "→ answered "+fmtClock(r.RespAt))
	case protocol.StatusPending:
		timing = cells("sent "+fmtClock(r.ReqAt), s.status(protocol.StatusPending).Render("→ waiting…"))
	case protocol.StatusOrphan:
		timing = cells("received "+fmtClock(r.RespAt), s.Dim.Render("no request with this id"))
	default:
		timing = "at " + fmtClock(rowTime(&r))
	}
	sizes := fmtSize(int64(r.ReqSize))
	if r.Resp != 0 {
		sizes += "/" + fmtSize(int64(r.RespSize))
	}
	return []string{line1, cells(dst.Render(arrow+" "+asked), m.connText(r.Conn)), cells(timing, s.Dim.Render("· "+sizes))}
}

func idText(id string) string {
	if id == "" {
		return ""
	}
	return "id " + sanitize(id)
}

func latencyStyle(d time.Duration, s *Styles) lipgloss.Style {
	switch {
	case d >= verySlowLatency:
		return s.VerySlow
	case d >= slowLatency:
		return s.Slow
	}
	return s.status(protocol.StatusOK)
}

// connText describes a connection in one phrase.
func (m detailModel) connText(id uint64) string {
	c, ok := m.c.st.Conn(id)
	if !ok {
		return "conn #" + strconv.FormatUint(id, 10)
	}
	return "conn #" + strconv.FormatUint(id, 10) + " " + clientText(&c)
}

// view renders the pane body below its title.
func (m detailModel) view(raw bool, seq uint64) []string {
	if m.key.raw == raw {
		seq = m.key.seq // the header names the row the body shows
	}
	lines := m.header(raw, seq)
	for len(lines) < headerLines {
		lines = append(lines, "")
	}
	if seq == 0 {
		return lines
	}
	return append(lines[:headerLines], strings.Split(m.vp.View(), "\n")...)
}
