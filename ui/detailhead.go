package ui

import (
	"strconv"
	"time"

	"charm.land/lipgloss/v2"

	"sockscope/protocol"
	"sockscope/query"
)

// header is the live part of the pane: what, who, when. It is rendered on
// every frame, so a pending request's wait ticks.
func (m detailModel) header(raw bool, seq uint64) []string {
	s := &m.c.styles
	if seq == 0 {
		return []string{s.Dim.Render("nothing selected")}
	}
	now := m.c.now()
	if isHeldSeq(seq) {
		return m.heldHeader(seq, now)
	}
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
			cells(s.Bold.Render("message #"+strconv.FormatUint(seq, 10)), kind, sanitize(string(msg.Info.Method)), idText(string(msg.Info.ID)), mark(&msg, s)),
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
	switch {
	case r.Kind != protocol.KindRequest:
		asked = r.Dir.String()
	case r.Injected: // not the client nor the server: it said "client asked"
		asked = "sockscope asked"
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
	if r.Injected {
		line1 += s.Injected.Render(" injected by sockscope")
	}
	if r.Act != protocol.ActNone {
		line1 += s.Injected.Render(" " + r.Act.String())
	}
	line1 += m.c.verdictHeader(&r)
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

// mark says what sockscope itself did to msg, for the detail pane ("" for
// ordinary traffic).
func mark(msg *protocol.Message, s *Styles) string {
	if n := msg.Note; n != nil {
		text := n.String()
		if w := noteWords(n); w != "" {
			text += ": " + w
		}
		if msg.Withheld {
			text += " (the peer never saw it)"
		}
		return s.Injected.Render(text)
	}
	switch {
	case msg.Injected:
		return s.Injected.Render("injected by sockscope")
	case msg.Withheld:
		return s.Injected.Render("withheld: sockscope consumed it, the peer never saw it")
	}
	return ""
}
