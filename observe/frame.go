package observe

import (
	"bytes"
	"strconv"
	"time"
	"unsafe"

	"sockscope/protocol"
	"sockscope/store"
)

// frames stores the frames its steps classified (each message kept by its
// step: it is stored and paired in place) and pairs them: those of
// connection c in steps from i on, up to the first step that is not one of
// c's frames, whose index it returns. (A loop over the frames of a read, not
// a call per frame.)
func (o *Observer) frames(c *conn, steps []step, i int) int {
	for ; i < len(steps) && steps[i].kind == stepFrame && steps[i].msg.Conn == c.id; i++ {
		m := &steps[i].msg
		if m.Framing == protocol.FramingRESP {
			if c.exec != nil && c.exec.row != 0 && m.Dir == c.exec.dir {
				if c.exec.hold(&steps[i]) {
					continue // classified once EXEC's reply says how
				}
				o.execDone(c, true) // too many to hold: taken as run
			}
			c.redis(m)
		}
		m.Seq = o.tx.AddMessage(m)
		if !steps[i].since.IsZero() { // rare: a frame of a protocol paired by order, begun in an earlier read
			o.tx.SetBegan(m.Seq, steps[i].since)
		}
		o.counts.Messages++
		if len(o.sinks.list) > 0 {
			o.sinks.frame(m, m.Framing, steps[i].since)
		}

		if m.Info.ByOrder || protocol.PairingOf(m.Framing) == protocol.PairByOrder {
			if o.inOrder(c, m, steps[i].since) {
				continue
			}
		}
		switch info := &m.Info; {
		case info.Kind == protocol.KindRequest && info.ID != nil:
			if m.Framing != protocol.FramingHTTP2 {
				o.request(c, m)
				break
			}
			c.h2Open(m)
			o.request(c, m)
			if c.h2GoAway != nil {
				o.goneAway(c, m)
			}
		case info.Kind == protocol.KindResponse && info.ID != nil:
			o.response(c, m)
		case info.Kind == protocol.KindResponse: // a reply without id (the seed's "{}")
			o.orphanRow(m, false)
		default:
			if m.Framing == protocol.FramingHTTP2 && o.ends(c, m) {
				continue
			}
			switch info.Kind {
			case protocol.KindRaw:
				o.counts.Raw++
			default:
				o.counts.Notifications++
			}
			r := rowOf(m, protocol.StatusNone, o.tx.Intern(m.Info.Method))
			r.Seq = o.tx.AddRow(&r)
			o.sinks.row(&r)
		}
	}
	return i
}

// redis classifies again a Redis message m by what came before it on c: a
// command that CLIENT REPLY left without a reply, and anything of a
// replication stream, is a notification, never paired.
func (c *conn) redis(m *protocol.Message) {
	if c.repl != protocol.ReplNone || m.Info.Kind == protocol.KindRequest {
		c.repl = protocol.RESPReplication(m.Frame.Data, m.Dir, &m.Info, c.repl)
	}
	if m.Info.Kind == protocol.KindRequest {
		var answered bool
		before := c.replies
		if answered, c.replies = protocol.RESPReplies(m.Frame.Data, &m.Info, c.replies); !answered {
			m.Info.Kind = protocol.KindNotification
		} else if string(m.Info.Method) == "EXEC" {
			// Taken as run until its reply says otherwise: what comes
			// after it waits for that when a failure would change it.
			if failed := protocol.RESPExecFailed(before); failed != c.replies {
				c.exec = &execWait{dir: m.Dir, failed: failed}
			}
		}
	}
}

// syncEnded ends c's wait for the reply to its SYNC or PSYNC, which got
// the reply classified as info (nil: none).
func (c *conn) syncEnded(info *protocol.Info) {
	c.syncRow, c.repl = 0, protocol.ReplNone
	if info != nil {
		c.repl = protocol.RESPSyncAnswered(info)
	}
}

// rowOf is the row a message starts, with status st; method is
// m.Info.Method interned (Tx.Intern). Its ID aliases the message's bytes
// without a copy: the store copies ids in AddRow and keeps no string. (It
// is small enough to inline, so that the row is built where AddRow takes
// it, not copied there.)
func rowOf(m *protocol.Message, st protocol.Status, method string) store.Row {
	return store.Row{
		Conn: m.Conn, Dir: m.Dir, Kind: m.Info.Kind,
		ID: unsafe.String(unsafe.SliceData(m.Info.ID), len(m.Info.ID)), Method: method, Status: st,
		Req: m.Seq, ReqAt: m.At, ReqSize: m.Frame.Size, Injected: m.Injected, Act: actOf(m),
	}
}

func (o *Observer) request(c *conn, m *protocol.Message) {
	o.counts.Requests++
	row := o.addRequest(m, time.Time{})
	if string(m.Info.Method) == "tools/call" {
		if c.toolCalls == nil {
			c.toolCalls = map[uint64]struct{}{}
		}
		c.toolCalls[row] = struct{}{}
	}
	at := o.tx.Stamp(&m.At) // AddMessage stamped it: a comparison
	if dropped(m) {
		o.noReply(c, protocol.Pending{Token: row, At: at, Dir: m.Dir})
		return
	}
	if c.pairer.TryRequestID(m.Dir, m.Info.ID, m.IntID, at, row) {
		return // pending, and nothing more to it
	}
	res := c.pairer.Request(m.Dir, m.Info.ID, at, row)
	if res.Answered {
		o.answerEarly(c, row, res.Reply.Token)
		return
	}
	if res.Duplicate {
		o.counts.Duplicates++
		o.tx.SetDuplicate(row)
		o.tx.SetDuplicate(res.Replaced.Token)
		o.noReply(c, res.Replaced)
	}
	for _, e := range res.Evicted {
		o.noReply(c, e)
	}
}

func (o *Observer) response(c *conn, m *protocol.Message) {
	req, ok := c.pairer.ResponseID(m.Dir, m.Info.ID, m.IntID, o.tx.Stamp(&m.At), m.Seq)
	if ok {
		o.answer(c, req.Token, m)
		return
	}
	// Held as early: its request may still be on its way to us.
	c.early.push(m)
	if req.Token != 0 { // an older early reply with the same id was pushed out
		o.orphan(c, req.Token)
	}
}

// ends ends the requests still pending that m, a notification, ends
// without being their reply (protocol.EndingOf: HTTP/2's RST_STREAM and
// GOAWAY): each is answered by m, as an error. It reports whether m was
// the answer of a request under its own id, and so is no row of its own.
func (o *Observer) ends(c *conn, m *protocol.Message) bool {
	e, ok := protocol.EndingOf(m)
	if !ok {
		return false
	}
	failed := *m // it answers as an error; the message stored stays as it is
	failed.Info.IsError = true
	if !e.Above {
		req, ok := c.pairer.End(e.Dir, m.Info.ID)
		if ok {
			o.answer(c, req.Token, &failed)
			return true
		}
		// The peer's reset of a stream the client has not opened yet, as
		// far as we read: its request is still on its way (the directions
		// are read in parallel). Held as an early reply is, it ends the
		// request when it comes (answerEarly); it is a notification if
		// none does (orphan), or if the stream's answer came before it.
		if m.Dir != e.Dir && e.Stream%2 == 1 && e.Stream > c.h2Opened &&
			c.pairer.EndEarly(e.Dir, m.Info.ID, o.tx.Stamp(&m.At), m.Seq) {
			c.early.push(m)
			return true
		}
		return false
	}
	for _, req := range c.pairer.EndAbove(e.Dir, e.Last) {
		o.answer(c, req.Token, &failed)
	}
	// A request on a stream above Last read after it (the directions are
	// read in parallel) is one the server leaves unprocessed too: kept,
	// it ends those (goneAway). A later GOAWAY only lowers Last.
	g := failed
	g.Frame.Data = bytes.Clone(m.Frame.Data)
	g.Info.ID, g.Info.Method = bytes.Clone(m.Info.ID), bytes.Clone(m.Info.Method)
	c.h2GoAway, c.h2GoAwayLast = &g, e.Last
	return false
}

// goneAway ends m, an HTTP/2 request just read, as an error answered by
// the server's GOAWAY read before it, if its stream is above the GOAWAY's
// last: the server does not process it.
func (o *Observer) goneAway(c *conn, m *protocol.Message) {
	if m.Dir != protocol.C2S {
		return
	}
	id := unsafe.String(unsafe.SliceData(m.Info.ID), len(m.Info.ID))
	if n, err := strconv.ParseUint(id, 10, 31); err != nil || n <= c.h2GoAwayLast {
		return
	}
	if req, ok := c.pairer.End(m.Dir, m.Info.ID); ok {
		o.answer(c, req.Token, c.h2GoAway)
	}
}

// answerEarly pairs row with the early reply whose message seq is seq.
func (o *Observer) answerEarly(c *conn, row, seq uint64) {
	i := c.early.find(seq)
	if i < 0 {
		return // cannot be: the Pairers hold only what push held; the row stays pending
	}
	m := c.early.at(i)
	if earlyReset(m) {
		m.Info.IsError = true // it ends its request as an error
	}
	o.answer(c, row, m)
	c.early.done(i)
}

// earlyReset reports whether m, held early, is an HTTP/2 reset (ends),
// not a reply.
func earlyReset(m *protocol.Message) bool {
	return m.Framing == protocol.FramingHTTP2 && m.Info.Kind == protocol.KindNotification
}

// h2Open notes the stream m, an HTTP/2 request, opened.
func (c *conn) h2Open(m *protocol.Message) {
	id := unsafe.String(unsafe.SliceData(m.Info.ID), len(m.Info.ID))
	if n, err := strconv.ParseUint(id, 10, 31); err == nil && m.Dir == protocol.C2S {
		c.h2Opened = max(c.h2Opened, n)
	}
}

// answer pairs row, of connection c, with its reply.
func (o *Observer) answer(c *conn, row uint64, resp *protocol.Message) {
	if c.toolCalls != nil {
		if _, ok := c.toolCalls[row]; ok {
			delete(c.toolCalls, row)
			if !resp.Info.IsError && protocol.ToolFailed(resp.Frame.Data) {
				failed := *resp // the frame is a result; its exchange failed
				failed.Info.IsError = true
				resp = &failed
			}
		}
	}
	o.tx.Answer(row, resp)
	if c.syncRow != 0 && row == c.syncRow {
		c.syncEnded(&resp.Info)
	}
	if resp.Info.IsError {
		o.counts.Errors++
	} else {
		o.counts.OK++
	}
	if o.sinks.wantEnds() {
		if r, ok := o.tx.Row(row); ok {
			o.sinks.exchange(&r)
		} else {
			st := protocol.StatusOK
			if resp.Info.IsError {
				st = protocol.StatusError
			}
			o.sinks.ended(row, st, resp, false)
		}
	}
	if c.exec != nil && c.exec.row == row {
		o.execDone(c, protocol.RESPExecRan(resp.Frame.Data, &resp.Info))
	}
}

// noReply gives up on request req. If bytes its reply would have been in
// were dropped, its row says so: the reply may have come unseen.
func (o *Observer) noReply(c *conn, req protocol.Pending) {
	delete(c.toolCalls, req.Token)
	gap := o.tx.Stamp(&c.gapTo[req.Dir.Opposite()]) > req.At // bytes read after it dropped
	if gap {
		o.tx.SetGap(req.Token)
		o.counts.UnseenMaybe++
	}
	o.tx.SetStatus(req.Token, protocol.StatusNoReply)
	if c.syncRow != 0 && req.Token == c.syncRow {
		c.syncEnded(nil)
	}
	o.counts.NoReply++
	if o.sinks.wantEnds() {
		if r, ok := o.tx.Row(req.Token); ok {
			o.sinks.exchange(&r)
		} else {
			o.sinks.ended(req.Token, protocol.StatusNoReply, nil, gap)
		}
	}
	if c.exec != nil && c.exec.row == req.Token {
		o.execDone(c, true) // EXEC got no reply: taken as run
	}
}

// orphan turns an early reply that never found its request into a row.
func (o *Observer) orphan(c *conn, msgSeq uint64) {
	i := c.early.find(msgSeq)
	if i < 0 {
		return
	}
	m := c.early.at(i)
	if earlyReset(m) {
		// Its request never came: the notification it would have been.
		o.counts.Notifications++
		r := rowOf(m, protocol.StatusNone, o.tx.Intern(m.Info.Method))
		r.Seq = o.tx.AddRow(&r)
		o.sinks.row(&r)
	} else {
		o.orphanRow(m, c.mayHaveDroppedBefore(m.Dir.Opposite(), m.At))
	}
	c.early.done(i)
}

// orphanRow adds a row for reply m, which answers nothing seen. With gap
// set, bytes its request would have been in were dropped: it may have
// passed unseen.
func (o *Observer) orphanRow(m *protocol.Message, gap bool) {
	o.counts.Orphan++
	r := rowOf(m, protocol.StatusOrphan, o.tx.Intern(m.Info.Method))
	r.Req, r.ReqAt, r.ReqSize = 0, m.At, 0
	r.Resp, r.RespAt, r.RespSize = m.Seq, m.At, m.Frame.Size
	r.Code = protocol.StatusCode(m)
	r.Seq = o.tx.AddRow(&r)
	o.sinks.row(&r)
	if gap {
		o.tx.SetGap(r.Seq)
		r.Gap = true
		o.counts.UnseenMaybe++
	}
	o.sinks.exchange(&r)
}

// addRequest adds the pending row request m starts, and returns its seq;
// since, if not zero, is when it began (its first bytes came in an
// earlier read than its end, and a reply read before its end may answer
// it): its row says it was sent then, and its latency runs from there. Without
// sinks of rows, and since zero, the store writes it from m
// (Tx.AddRequest), and the Row is never built.
func (o *Observer) addRequest(m *protocol.Message, since time.Time) uint64 {
	method := o.tx.Intern(m.Info.Method)
	if len(o.sinks.rows) == 0 && since.IsZero() {
		return o.tx.AddRequest(m, method)
	}
	r := rowOf(m, protocol.StatusPending, method)
	if !since.IsZero() {
		r.ReqAt = since
	}
	r.Seq = o.tx.AddRow(&r)
	o.sinks.row(&r)
	return r.Seq
}

// dropped reports whether m was dropped by sockscope (intercept, a rule):
// it never reached its peer, so no reply will come; its row ends as no
// reply at once, rather than stay pending for the connection's life.
func dropped(m *protocol.Message) bool { return m.Note != nil && m.Note.Act == protocol.ActDropped }

// actOf is the flag a message's note puts on its row.
func actOf(m *protocol.Message) protocol.Act {
	if m.Note == nil {
		return protocol.ActNone
	}
	return m.Note.Act
}
