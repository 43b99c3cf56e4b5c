package query

import (
	"sort"
	"strings"
	"sync"
	"time"

	"sockscope/protocol"
	"sockscope/store"
)

// order puts the cheap terms first, so the frame text is read only for rows
// that pass everything else.
func (q *Query) order() {
	sort.SliceStable(q.terms, func(i, j int) bool {
		return q.terms[i].kind != termText && q.terms[j].kind == termText
	})
}

// RowLatency is an answered row's latency, or how long a pending row has
// waited so far; ok is false for rows that have neither.
func RowLatency(r *store.Row, now time.Time) (time.Duration, bool) {
	switch r.Status {
	case protocol.StatusOK, protocol.StatusError:
		return r.Latency, true
	case protocol.StatusPending:
		return now.Sub(r.ReqAt), true
	}
	return 0, false
}

// MatchRow reports whether row r of st passes q; now is the time pending
// rows' waits are measured to. Text terms read the row's stored frames.
func (q *Query) MatchRow(st store.View, r *store.Row, now time.Time) bool {
	if q == nil {
		return true
	}
	if q.Conn != 0 && r.Conn != q.Conn {
		return false
	}
	for i := range q.terms {
		t := &q.terms[i]
		var ok bool
		switch t.kind {
		case termText:
			ok = t.matchRowText(st, r)
		case termMethod:
			ok = t.matchString(r.Method)
		case termID:
			ok = matchID(r.ID, t.str)
		case termConn:
			ok = r.Conn == t.num
		case termConnName:
			ok = t.conns[r.Conn]
		case termStatus:
			ok = t.set&(1<<r.Status) != 0 || r.Gap && t.set&statusGap != 0 || q.matchCompare(t, r)
		case termDir:
			ok = uint64(r.Dir) == t.num
		case termKindOf:
			ok = t.set&(1<<r.Kind) != 0
		case termFlag:
			ok = t.set&(flag(r.Injected, flagInjected)|flag(r.Duplicate, flagDuplicate)|actFlag(r.Act)) != 0 ||
				t.set&flagWithheld != 0 && rowWithheld(st, r)
		case termLatency:
			if d, known := RowLatency(r, now); known {
				ok = (t.over && d > t.dur) || (!t.over && d < t.dur && r.Status != protocol.StatusPending)
			}
		}
		if ok == t.neg {
			return false
		}
	}
	return true
}

func (t *term) matchString(s string) bool {
	if t.fold {
		return strings.Contains(strings.ToLower(s), t.str)
	}
	return strings.Contains(s, t.str)
}

func (t *term) matchRowText(st store.View, r *store.Row) bool {
	if t.matchString(r.Method) {
		return true
	}
	for _, seq := range [2]uint64{r.Req, r.Resp} {
		if seq == 0 {
			continue
		}
		// Messages lends the stored bytes (Message would copy them): a
		// text filter reads every stored frame once.
		found := false
		st.Messages(seq, func(m *protocol.Message) bool {
			found = m.Seq == seq && t.matchMsgText(m)
			return false
		})
		if found {
			return true
		}
	}
	return false
}

// rowWithheld reports whether sockscope kept one of row r's frames from
// its peer (the reply to a request it injected, a request it dropped or
// answered itself): a row has no flag of its own for it, its messages do.
func rowWithheld(st store.View, r *store.Row) bool {
	if st == nil {
		return false
	}
	for _, seq := range [2]uint64{r.Req, r.Resp} {
		if seq == 0 {
			continue
		}
		found := false
		st.Messages(seq, func(m *protocol.Message) bool {
			found = m.Seq == seq && m.Withheld
			return false
		})
		if found {
			return true
		}
	}
	return false
}

// MatchMsg reports whether message m passes q. In the raw stream, status
// terms can only tell error responses (status:error) from the rest
// (status:ok), and latency terms match nothing.
func (q *Query) MatchMsg(m *protocol.Message) bool { return q.matchMsg(m, true) }

// MayMatchMsg reports whether message m, of which only the head is known
// (an HTTP message's start line and headers: its body is still to come),
// may pass q: whether it passes every term but the text ones, which need
// the whole message.
func (q *Query) MayMatchMsg(m *protocol.Message) bool { return q.matchMsg(m, false) }

func (q *Query) matchMsg(m *protocol.Message, text bool) bool {
	if q == nil {
		return true
	}
	if q.Conn != 0 && m.Conn != q.Conn {
		return false
	}
	for i := range q.terms {
		t := &q.terms[i]
		var ok bool
		switch t.kind {
		case termText:
			if !text {
				continue
			}
			ok = t.matchMsgText(m)
		case termMethod:
			ok = t.matchString(string(m.Info.Method))
		case termID:
			ok = matchID(string(m.Info.ID), t.str)
		case termConn:
			ok = m.Conn == t.num
		case termConnName:
			ok = t.conns[m.Conn]
		case termStatus:
			var s protocol.Status
			switch {
			case m.Info.IsError:
				s = protocol.StatusError
			case m.Info.Kind == protocol.KindResponse:
				s = protocol.StatusOK
			default:
				s = protocol.StatusNone
			}
			ok = t.set&(1<<s) != 0
		case termDir:
			ok = uint64(m.Dir) == t.num
		case termKindOf:
			ok = t.set&(1<<m.Info.Kind) != 0
		case termFlag:
			ok = t.set&(flag(m.Injected, flagInjected)|flag(m.Withheld, flagWithheld)|noteFlag(m.Note)) != 0
		}
		if ok == t.neg {
			return false
		}
	}
	return true
}

// viewBufs are the scratch buffers JSON views are built in while a text
// term is matched.
var viewBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxViewBuf bounds the scratch buffer kept for the next view.
const maxViewBuf = 1 << 20

// matchMsgText tests a text term against a message: its bytes, and, for a
// protocol that is not JSON (HTTP, RESP, msgpack-RPC), the JSON view the
// detail pane shows, so `"GET"` or a msgpack call's method matches there
// as it reads.
func (t *term) matchMsgText(m *protocol.Message) bool {
	if t.matchText(m.Frame.Data) {
		return true
	}
	if !protocol.HasView(m.Framing) {
		return false
	}
	bp := viewBufs.Get().(*[]byte)
	v, ok := protocol.ViewOf((*bp)[:0], m)
	ok = ok && t.matchText(v)
	if cap(v) <= maxViewBuf {
		*bp = v[:0]
	}
	viewBufs.Put(bp)
	return ok
}

// flag is f when b holds, else 0.
func flag(b bool, f uint32) uint32 {
	if b {
		return f
	}
	return 0
}

// noteFlag is the is: bit of what a message's note says sockscope did.
func noteFlag(n *protocol.Note) uint32 {
	if n == nil {
		return 0
	}
	return actFlag(n.Act)
}
