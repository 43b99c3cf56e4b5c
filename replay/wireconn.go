package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"sockscope/protocol"
)

// errLost is why a message was not sent: the server had ended the
// connection.
var errLost = errors.New("the connection to the server was lost")

// replayWire replays rc, a connection whose protocol is not JSON (see
// wire.go): every frame of its client's as the server received it, in the
// recorded order and pace, and each request's new response, paired as the
// decoder pairs it, compared with the recorded one through their views.
func (r *Replay) replayWire(ctx context.Context, rc *Conn, pick func(*Exchange) bool) {
	rl, ok := r.open(ctx, rc, pick)
	if !ok {
		return
	}
	defer rl.cancel()
	d := newWireDecoder(rc.sendFraming())
	var asked answerCount
	if d.framing == protocol.FramingMsgpack {
		d.answer = r.msgpackAnswerer(&asked)
	}
	read := make(chan struct{})
	go func() {
		defer close(read)
		d.read(rl.ours)
	}()
	var (
		wg       sync.WaitGroup
		compared []*item
		pace     = r.pacer()
		nth      int // the requests without an id sent so far
	)
	for _, m := range rc.Msgs {
		if m.Dir != protocol.C2S {
			continue
		}
		if d.answer != nil && protocol.ClassifyAs(d.framing, m.Payload, m.Dir, nil).Kind == protocol.KindResponse {
			// The client's answer to a request of the server's: the
			// request is answered as it comes (answer), with this reply
			// addressed to its new msgid. Sent as recorded, it would
			// answer twice, or a msgid the server never gave.
			continue
		}
		if !pace.wait(ctx, m) {
			break // stopped: what is not sent is not compared
		}
		x := rc.Exchange(m.Seq)
		switch {
		case m.Cut > 0:
			r.unsendable(rc, rl.conn, m, x, pick)
			continue
		case x == nil || !comparable(x):
			d.send(rl.ours, m, nil) // a command that gets no reply; a lost connection shows on the next request
			continue
		}
		it := &item{c: Compared{RecordedConn: rc.ID, Conn: rl.conn, Dir: x.Row.Dir.String(), ID: x.Row.ID, Method: x.Row.Method}}
		if x.Row.ID == "" { // paired by order
			nth++
			it.c.Nth = nth
		}
		picked := pick(x)
		if picked {
			compared = append(compared, it)
			r.cfg.Live.Expect(rl.conn, it.c.liveID())
		}
		r.await(&wg, it, picked, true, r.callWire(ctx, d, rl.ours, rc, x, &it.c))
	}
	wg.Wait()
	rl.finish(r.cfg.Timeout)
	rl.ours.Close()
	<-read // all that came is counted

	r.countThenWire(rc, d.notes)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Late += d.late
	r.res.Answered += asked.answered
	r.res.ByMethod += asked.byMethod
	r.res.Defaults += asked.defaults
	r.add(compared, d.notes)
}

// answerCount counts the server's requests answered: from the recording
// (by method alone for some), or with a default.
type answerCount struct{ answered, byMethod, defaults int }

// msgpackAnswerer returns what answers a msgpack-RPC request of the
// server's (Neovim's rpcrequest to its client) on one connection: the
// recorded client's answer to the same request (method and params, else
// method alone), addressed to its msgid, or an error that says there is
// none. (Unanswered, the server waited until the replay's timeout, and so
// did the call that made it ask.)
func (r *Replay) msgpackAnswerer(n *answerCount) func(req []byte, method string) []byte {
	var cur Cursor
	return func(req []byte, method string) []byte {
		id := protocol.ClassifyAs(protocol.FramingMsgpack, req, protocol.S2C, nil).ID
		x, ok := r.answers.Find(requestForm(protocol.FramingMsgpack, req), method, &cur)
		byMethod := false
		if !ok {
			x, ok = r.answers.FindMethod(method, &cur)
			byMethod = ok
		}
		if ok && x.Resp != nil {
			if b := protocol.MsgpackReplyTo(x.Resp.Payload, id); b != nil {
				n.answered++
				if byMethod {
					n.byMethod++
				}
				return b
			}
		}
		b := protocol.MsgpackErrorReply(id, "sockscope replay: the recording has no answer to "+method)
		if b != nil { // nil: no msgid to answer
			n.defaults++
		}
		return b
	}
}

// callWire sends request x of rc again through d and returns what waits
// for its end and compares its response with the recorded one. The
// request is written (or found unsendable) when callWire returns. The wait
// returns false when the replay stopped before the reply.
func (r *Replay) callWire(ctx context.Context, d *wireDecoder, w io.Writer, rc *Conn, x *Exchange, c *Compared) (wait func() bool) {
	c.then(x)
	c.Now = "no-reply"
	ch := make(chan wireReply, 1)
	sent := time.Now()
	switch err := d.send(w, x.Req, ch); {
	case errors.Is(err, errLost) && c.ThenResp == nil:
		// The server ended the connection before it (say, after a response
		// that said Connection: close); then it got no reply either.
		r.judge(rc, x, c)
		return func() bool { return true }
	case err != nil:
		c.Verdict, c.Now = Error, "error: not sent: "+err.Error()
		return func() bool { return true }
	}
	return func() bool {
		t := time.NewTimer(time.Until(sent.Add(r.cfg.Timeout)))
		defer t.Stop()
		var rep wireReply
		select {
		case rep = <-ch:
		case <-ctx.Done():
			return false // the replay stopped
		case <-t.C:
			var ok bool
			if rep, ok = d.forget(x.Req, ch); !ok {
				c.TimedOut, c.Now = true, fmt.Sprintf("no-reply (timed out after %v)", r.cfg.Timeout)
				r.judge(rc, x, c)
				return true
			}
		}
		switch {
		case rep.cut > 0:
			c.Verdict, c.Now = Error, fmt.Sprintf("error: the reply is %d bytes, over the %d a replay takes", rep.cut, maxWireFrame)
			return true
		case rep.resp != nil:
			c.Now, c.LatencyNow, c.NowResp = rowStatus(rep.status), rep.at.Sub(sent), wireView(x.viewed, rep.resp, x.Row.Method, x.queued)
		case rep.lost && c.ThenResp != nil:
			// The server ended the connection (say, after a response
			// that said Connection: close); then it answered.
			c.Verdict, c.Now = Error, "error: the connection to the server was lost before the reply"
			return true
		}
		r.judge(rc, x, c)
		return true
	}
}

// rowStatus is a row's status as Compared says it: ok, error or no-reply.
func rowStatus(st protocol.Status) string {
	switch st {
	case protocol.StatusOK:
		return "ok"
	case protocol.StatusError:
		return "error"
	}
	return "no-reply"
}
