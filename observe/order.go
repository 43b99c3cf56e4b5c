package observe

import (
	"time"

	"sockscope/protocol"
)

// inOrder pairs message m of a protocol that pairs by order (HTTP/1.1,
// RESP, varlink), begun at since if in an earlier read than its end
// (else zero), and reports whether it did anything: notifications and raw
// frames are left to frame's default.
func (o *Observer) inOrder(c *conn, m *protocol.Message, since time.Time) bool {
	if c.order == nil {
		c.order = protocol.NewOrderPairer(o.cfg.MaxPending)
	}
	switch m.Info.Kind {
	case protocol.KindRequest:
		o.counts.Requests++
		row := o.addRequest(m)
		if dropped(m) {
			o.noReply(c, protocol.Pending{Token: row, At: o.tx.Stamp(&m.At), Dir: m.Dir})
			return true
		}
		// A reply read since the request began may answer it.
		begun := m.At
		if !since.IsZero() {
			begun = since
		}
		res := c.order.Request(m.Dir, o.tx.Stamp(&begun), row)
		if res.Answered {
			o.answerEarly(c, row, res.Reply.Token)
		}
		for _, e := range res.Evicted {
			o.noReply(c, e)
		}
	case protocol.KindResponse:
		req, ok := c.order.Response(m.Dir, o.tx.Stamp(&m.At), m.Seq, m.Info.Continues)
		switch {
		case ok && m.Info.Continues:
			// A streaming reply: a row of its own under its call's method;
			// the call is answered by the last one.
			r := rowOf(m, protocol.StatusNone, o.tx.Intern(m.Info.Method))
			if call, found := o.tx.Row(req.Token); found {
				r.Method = call.Method
			}
			o.counts.Streamed++
			r.Seq = o.tx.AddRow(&r)
			o.sinks.row(&r)
		case ok:
			o.answer(req.Token, m)
		default:
			c.early.push(m)
			if req.Token != 0 {
				o.orphan(c, req.Token)
			}
		}
	default:
		return false
	}
	return true
}
