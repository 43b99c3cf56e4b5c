package ui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
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
	status    protocol.Status // a request without a reply: pending, then no reply
	gap       bool            // …and whether its reply may be in dropped bytes
	width     int
	hex       bool
	styleGen  int
	sideBySid bool
	verdict   query.Compare // a replay's, which comes after the response
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
		k.resp, k.status, k.gap = row.Resp, row.Status, row.Gap
		_, k.verdict = m.c.verdict(&row)
	}
	if k == m.key {
		return m
	}
	sameSel := k.seq == m.key.seq && k.raw == m.key.raw
	// A held frame waits for the user: it is shown at once.
	if following && !sameSel && !isHeldSeq(seq) && m.key.seq != 0 && k.raw == m.key.raw && m.cost > slowBuild && m.c.now().Sub(m.builtAt) < followEvery {
		return m
	}
	start := m.c.now() // the model's clock: a test's fixed one never throttles
	m.key = k
	var lines []string
	switch {
	case seq == 0:
		lines = nil
	case isHeldSeq(seq):
		lines = m.heldBody(seq)
	case raw:
		if msg, ok := m.c.st.Message(seq); ok {
			lines = messageBody(&msg, m.width, m.hex, &m.c.styles)
		}
	default:
		lines, m.sections[sideResponse] = m.exchangeBody(&row)
		m.sections[sideRequest] = 0
		lines = m.withComparison(&row, lines)
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
	m.builtAt = m.c.now()
	m.cost = m.builtAt.Sub(start)
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
		if i == 0 && seq != 0 {
			name = headingOf(r.Kind)
		}
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
		titles[i] = name + " " + arrow + " " + msg.Dir.String() + " · " + fmtSize(int64(msg.Frame.Size)) + batchText(&msg)
		if msg.Injected {
			titles[i] += " · injected"
		} else if msg.Withheld {
			titles[i] += " · withheld"
		}
		if msg.Note != nil {
			titles[i] += " · " + msg.Note.String()
			if w := noteWords(msg.Note); w != "" {
				titles[i] += ": " + w
			}
		}
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

// batchText says what a JSON-RPC batch holds (" · batch: 2 requests,
// 1 notification"; its reply " · batch: 2 responses, 1 error"), for its
// section's title; "" for any other message.
func batchText(msg *protocol.Message) string {
	if msg.Info.Kind == protocol.KindRaw || msg.Info.Kind == protocol.KindOther || !protocol.IsJSON(msg.Framing) || !protocol.IsBatch(msg.Frame.Data) {
		return ""
	}
	b, ok := protocol.BatchOf(msg.Frame.Data, nil)
	if !ok {
		return ""
	}
	return " · batch: " + b.String()
}

// headingOf names the first message of a row of kind k: a request, a
// notification (JSON-RPC, msgpack-RPC, a QMP event alike), else a message.
func headingOf(k protocol.Kind) string {
	switch k {
	case protocol.KindRequest:
		return sideRequest.String()
	case protocol.KindNotification:
		return "notification"
	}
	return "message"
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

// update handles the pane's keys: scrolling while it has the focus, and
// the keys that choose what it shows (h/l, x), which act from the list too.
func (m detailModel) update(msg tea.Msg) (detailModel, tea.Cmd) {
	k := &m.c.keys
	if s, ok := navStep(msg, k, m.vp.Height()); ok {
		m.vp.SetYOffset(s.apply(m.vp.YOffset(), m.vp.TotalLineCount()))
		return m, nil
	}
	if msg, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case keyMatches(msg, k.Side):
			if s := msg.String(); s == "h" || s == "left" {
				m = m.setSide(sideRequest)
			} else {
				m = m.setSide(sideResponse)
			}
		case keyMatches(msg, k.Hex):
			m.hex = !m.hex
		}
	}
	return m, nil
}

// ownsKey reports whether msg is one of the keys that act on the pane from
// any pane (h/l, x).
func (m detailModel) ownsKey(msg tea.KeyPressMsg) bool {
	return keyMatches(msg, m.c.keys.Side, m.c.keys.Hex)
}

// scroll scrolls the body by d lines (the mouse wheel).
func (m detailModel) scroll(d int) detailModel {
	if d < 0 {
		m.vp.ScrollUp(-d)
	} else {
		m.vp.ScrollDown(d)
	}
	return m
}

// bindings are the pane's scrolling keys, for the help.
func (m detailModel) bindings() []key.Binding {
	k := &m.c.keys
	top, bottom := k.Top, k.Bottom
	top.SetHelp("g/home", "top")
	bottom.SetHelp("G/end", "bottom")
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, top, bottom}
}

// selectionBindings are the keys that choose what the pane shows, from any
// pane.
func (m detailModel) selectionBindings() []key.Binding {
	return []key.Binding{m.c.keys.Side, m.c.keys.Hex}
}

// title is the information in the pane's title line.
func (m detailModel) title(raw bool, seq uint64) string {
	info := ""
	if isHeldSeq(seq) {
		info = "held: a forward · e edit · d drop · f answer · x hex · y copy · w write"
	} else if seq != 0 && !raw {
		info = "h/l request/response · x hex · y copy · w write"
	} else if seq != 0 {
		info = "x hex · y copy · w write"
	}
	if m.hex && info != "" {
		info = "hex · " + info
	} else if m.hex {
		info = "hex"
	}
	return info
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
