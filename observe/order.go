package observe

import (
	"cmp"
	"slices"
	"time"

	"sockscope/protocol"
)

// inOrder pairs message m of a protocol that pairs by order (HTTP/1.1,
// RESP, varlink), or one that has no id in a protocol that pairs by id
// (Info.ByOrder: mpv's), begun at since if in an earlier read than its end
// (else zero), and reports whether it did anything: notifications and raw
// frames are left to frame's default, but for a Redis pub/sub
// confirmation that answers its command.
func (o *Observer) inOrder(c *conn, m *protocol.Message, since time.Time) bool {
	if c.order == nil {
		c.order = protocol.NewOrderPairer(o.cfg.MaxPending)
	}
	switch m.Info.Kind {
	case protocol.KindRequest:
		o.counts.Requests++
		// A reply read since the request began may answer it; if one
		// read before its end is held (an HTTP server's 413 before the
		// body is in), the request is timed from its start, not from its
		// end after the answer. (One read after its end, but reported
		// before it, is timed from its end, as it is reported in order.)
		begun, sent := m.At, time.Time{}
		if !since.IsZero() {
			begun = since
			if at, ok := c.early.first(); ok && at.Before(m.At) {
				sent = since
			}
		}
		row := o.addRequest(m, sent)
		if c.repl == protocol.ReplAsked && c.syncRow == 0 {
			c.syncRow = row // the SYNC or PSYNC c.redis just read
		}
		if c.exec != nil && c.exec.row == 0 {
			c.exec.row = row // the EXEC it waits for
		}
		if dropped(m) {
			o.noReply(c, protocol.Pending{Token: row, At: o.tx.Stamp(&m.At), Dir: m.Dir})
			return true
		}
		var sub protocol.SubWord
		var want int
		if m.Framing == protocol.FramingRESP {
			sub, want = protocol.RESPSub(m.Frame.Data, m.Dir, &m.Info)
		}
		res := c.order.RequestSub(m.Dir, o.tx.Stamp(&begun), row, sub, want)
		for _, n := range res.Notes {
			o.unmatched(c, n)
		}
		for _, e := range res.Streamed {
			if i := c.early.find(e.Token); i >= 0 {
				o.streamed(c.early.at(i), row)
				c.early.done(i)
			}
		}
		if res.Answered {
			o.answerEarly(c, row, res.Reply.Token)
		} else if !since.IsZero() && sent.IsZero() {
			c.spanned(row, since, m.At, o.cfg.MaxPending)
		}
		for _, e := range res.Evicted {
			o.noReply(c, e)
		}
	case protocol.KindResponse:
		req, ok := c.order.Response(m.Dir, o.tx.Stamp(&m.At), m.Seq, m.Info.Continues)
		if ok && len(c.spans) > 0 {
			o.readEarly(c, req.Token, m.At)
		}
		switch {
		case ok && m.Info.Continues:
			o.streamed(m, req.Token)
		case ok:
			o.answer(c, req.Token, m)
		default:
			c.early.push(m)
			if req.Token != 0 {
				o.unmatched(c, req)
			}
		}
	case protocol.KindNotification:
		if m.Framing != protocol.FramingRESP {
			return false
		}
		sub, _ := protocol.RESPSub(m.Frame.Data, m.Dir, &m.Info)
		if sub == protocol.SubNone {
			return false
		}
		// A pub/sub confirmation: its command's answer, or a notification.
		switch what, p := c.order.Confirm(m.Dir, o.tx.Stamp(&m.At), m.Seq, sub); what {
		case protocol.ConfirmAnswers:
			o.answer(c, p.Token, m)
		case protocol.ConfirmEarly:
			c.early.push(m)
			if p.Token != 0 {
				o.unmatched(c, p)
			}
		default:
			return false
		}
	default:
		return false
	}
	return true
}

// A begun is a request of a protocol paired by order whose first bytes
// came in an earlier read than its end, and that no reply held early
// answered: one read before its end may yet be reported after it.
type begun struct {
	row        uint64
	since, end time.Time
}

// spanned notes request row, begun at since and ended at end, until its
// reply (at most max of them: the oldest go).
func (c *conn) spanned(row uint64, since, end time.Time, max int) {
	if len(c.spans) >= cmp.Or(max, protocol.DefaultMaxPending) {
		c.spans = c.spans[1:]
	}
	c.spans = append(c.spans, begun{row, since, end})
}

// readEarly times row, just answered by a reply read at at, from its
// start if it is one that reply was read before the end of: the
// relay reports each direction once it has forwarded it, so the client's
// next read (the rest of a body, sent once the 413 came) can be reported
// before the reply it followed. It is then timed as a request answered
// by a reply reported early (inOrder).
func (o *Observer) readEarly(c *conn, row uint64, at time.Time) {
	i := slices.IndexFunc(c.spans, func(s begun) bool { return s.row >= row })
	if i < 0 {
		c.spans = c.spans[:0] // all answered, or given up on
		return
	}
	s := c.spans[i]
	if s.row != row {
		c.spans = c.spans[i:]
		return
	}
	c.spans = c.spans[i+1:]
	if !at.Before(s.end) {
		return
	}
	o.tx.Began(row, s.since)
	if len(o.sinks.rows) > 0 {
		if r, ok := o.tx.Row(row); ok {
			r.ReqAt = s.since // as read, not as the store's clock gives it back
			o.sinks.row(&r)
		}
	}
}

// streamed adds the row of m, a streaming reply of the call whose row is
// call: a row of its own under the call's method; the call is answered by
// the last one.
func (o *Observer) streamed(m *protocol.Message, call uint64) {
	r := rowOf(m, protocol.StatusNone, o.tx.Intern(m.Info.Method))
	if c, found := o.tx.Row(call); found {
		r.Method = c.Method
	}
	o.counts.Streamed++
	r.Seq = o.tx.AddRow(&r)
	o.sinks.row(&r)
}

// unmatched turns an early reply that found no request into a row: an
// orphan, or, for a pub/sub confirmation, a notification.
func (o *Observer) unmatched(c *conn, e protocol.Pending) {
	if e.Sub.Word == protocol.SubNone {
		o.orphan(c, e.Token)
		return
	}
	i := c.early.find(e.Token)
	if i < 0 {
		return
	}
	m := c.early.at(i)
	o.counts.Notifications++
	r := rowOf(m, protocol.StatusNone, o.tx.Intern(m.Info.Method))
	r.Seq = o.tx.AddRow(&r)
	o.sinks.row(&r)
	c.early.done(i)
}
