package replay

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"sockscope/client"
	"sockscope/protocol"
)

// pipeAddr names the client end of a replayed connection.
type pipeAddr string

func (a pipeAddr) Network() string { return "sockscope" }
func (a pipeAddr) String() string  { return string(a) }

// namedConn is the relay's end of a replayed connection.
type namedConn struct {
	net.Conn
	name pipeAddr
}

func (c namedConn) RemoteAddr() net.Addr { return c.name }

// player replays one recorded connection.
type player struct {
	r      *Replay
	rc     *Conn
	cl     *client.Conn
	cursor Cursor // in the server's recorded requests

	mu       sync.Mutex
	notes    map[string]*Count
	answered int
	byMethod int // of answered, matched by method alone
	defaults int
	late     int
}

// replayConn sends rc's client side again on a new connection to the
// server and compares what comes back. A connection that cannot be made
// compares nothing (Run reports it); what the replay did not send, or saw
// no end of, before ctx ended is not compared.
func (r *Replay) replayConn(ctx context.Context, rc *Conn, pick func(*Exchange) bool) {
	if sentAsBytes(rc.sendFraming()) {
		r.replayWire(ctx, rc, pick)
		return
	}
	rl, ok := r.open(ctx, rc, pick)
	if !ok {
		return
	}
	defer rl.cancel()
	ours, conn := rl.ours, rl.conn
	p := &player{r: r, rc: rc, notes: map[string]*Count{}}
	p.cl = client.New(ours, client.Options{Framing: rc.sendFraming(), IDFields: r.rec.IDFields, Other: p.other})

	var (
		wg       sync.WaitGroup
		compared []*item
		pace     = r.pacer()
		own      int // the ids of the replay's own given so far
	)
	for _, m := range rc.Msgs {
		if m.Dir != protocol.C2S || m.Info.Kind == protocol.KindResponse {
			continue // the server's messages; the answers to its requests are given live
		}
		if !pace.wait(ctx, m) {
			break // stopped: what is not sent is not compared
		}
		payload := r.outgoing(m)
		x := rc.Exchange(m.Seq)
		if m.Cut > 0 {
			// Its start is not the message: the server is not sent it.
			r.unsendable(rc, conn, m, x, pick)
			continue
		}
		if x == nil || !comparable(x) {
			p.cl.Send(payload)
			continue
		}
		id := x.Row.ID
		if x.Req.Info.ID == nil { // paired by order: it goes with an id of the replay's
			own++
			payload, id = withOwnID(payload, own)
		}
		it := &item{c: Compared{RecordedConn: rc.ID, Conn: conn, Dir: x.Row.Dir.String(), ID: id, Method: x.Row.Method}}
		picked := pick(x)
		if picked {
			compared = append(compared, it)
			r.cfg.Live.Expect(conn, it.c.ID)
		}
		// One cancelled in the recording is not waited for: its
		// cancellation comes after it.
		r.await(&wg, it, picked, !x.Cancelled, p.call(ctx, x, payload, &it.c))
	}
	wg.Wait()
	rl.finish(r.cfg.Timeout)
	p.cl.Close()
	<-p.cl.Done() // all that came is counted
	p.countThen()

	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Answered += p.answered
	r.res.Defaults += p.defaults
	r.res.ByMethod += p.byMethod
	r.res.Late += p.late
	r.add(compared, p.notes)
}

// item is a request to compare; ok once it is (sent, and answered, timed
// out or cut off before the replay stopped).
type item struct {
	c  Compared
	ok bool
}

// pacer keeps the pace of a replayed connection's messages.
type pacer struct {
	r       *Replay
	start   time.Time
	firstAt time.Time // the first message's recorded time
}

func (r *Replay) pacer() *pacer { return &pacer{r: r, start: time.Now()} }

// wait waits until it is recorded message m's time to go (with
// PaceRecorded: its recorded gap after the first, scaled); false when the
// replay stopped first.
func (p *pacer) wait(ctx context.Context, m *Msg) bool {
	if ctx.Err() != nil {
		return false
	}
	if p.firstAt.IsZero() {
		p.firstAt = m.At
	}
	return p.r.cfg.Pace != PaceRecorded || sleepUntil(ctx, p.start.Add(p.r.scaled(m.At.Sub(p.firstAt))))
}

// await runs wait, which waits for the end of request it and compares it,
// and gives the comparison to the Live view when the request was picked:
// with PaceReply, and unless mayWait is false, before it returns (the next
// request waits for it); else on a goroutine of its own, which wg counts.
func (r *Replay) await(wg *sync.WaitGroup, it *item, picked, mayWait bool, wait func() bool) {
	wg.Add(1)
	compare := func() {
		defer wg.Done()
		it.ok = wait()
		if picked && it.ok {
			r.cfg.Live.Record(it.c)
		}
	}
	if r.cfg.Pace == PaceReply && mayWait {
		compare()
	} else {
		go compare()
	}
}

// add adds what a replayed connection compared and counted to the result.
// Call it with r.mu held.
func (r *Replay) add(compared []*item, notes map[string]*Count) {
	for _, it := range compared {
		if it.ok {
			r.res.Compared = append(r.res.Compared, it.c)
		}
	}
	for k, n := range notes {
		t := r.res.Notes[k]
		if t == nil {
			t = &Count{}
			r.res.Notes[k] = t
		}
		t.Then += n.Then
		t.Now += n.Now
		for i := range n.last {
			if n.last[i] != nil {
				t.last[i] = n.last[i]
			}
		}
	}
}

// replayed is a replayed connection's way to the server.
type replayed struct {
	ours   *pipeEnd // the client's end
	conn   uint64   // the relay's number for it
	served chan struct{}
	cancel context.CancelFunc
}

// open opens the replay's connection for rc through the relay. When it
// cannot be made it returns false, and counts rc's requests as not sent
// (unless the replay stopped: then they are not compared).
func (r *Replay) open(ctx context.Context, rc *Conn, pick func(*Exchange) bool) (*replayed, bool) {
	name := pipeAddr(fmt.Sprintf("replay of conn %d", rc.ID))
	ours, theirs := pipe()
	served, dialed := make(chan struct{}), &dialing{done: make(chan struct{})}
	connCtx, cancel := context.WithCancel(context.WithValue(ctx, dialedKey{}, dialed))
	go func() {
		defer close(served)
		r.relay.ServeConn(connCtx, namedConn{theirs, name})
	}()
	conn, ok := r.connID(name, dialed, served)
	if !ok {
		ours.Close()
		<-served
		cancel()
		if ctx.Err() == nil { // else stopped: not compared
			r.notSent(rc, pick)
		}
		return nil, false
	}
	return &replayed{ours: ours, conn: conn, served: served, cancel: cancel}, true
}

// finish ends the client's side. The server closes its side in turn, and
// what it sends until then is read (a notification after the last reply,
// the greeting of a connection that sent nothing); one that keeps its side
// open is given timeout more, and then the connection ends: a replay ends.
func (rl *replayed) finish(timeout time.Duration) {
	rl.ours.CloseWrite()
	select {
	case <-rl.served:
	case <-time.After(timeout):
		rl.cancel()
		<-rl.served
	}
}

// dialedKey marks the context of a replayed connection: its value, a
// *dialing, is done once the relay dialled the server for it (the relay
// has numbered it).
type dialedKey struct{}

// dialing is how the relay's dial for one replayed connection went: err is
// set before done is closed.
type dialing struct {
	done chan struct{}
	err  error
}

// connID returns the number the relay gave connection name, once it
// dialled (0 when unknown); false when the dial failed or never came.
func (r *Replay) connID(name pipeAddr, dialed *dialing, served <-chan struct{}) (uint64, bool) {
	select {
	case <-dialed.done:
		if dialed.err != nil {
			return 0, false
		}
	case <-served:
		return 0, false
	}
	for _, c := range r.relay.Conns() {
		if p := c.Peer(); p != nil && p.Client == string(name) {
			return c.ID(), true
		}
	}
	return 0, true
}

// withOwnID gives payload, a request that pairs by order, the replay's n-th
// id of its own in the member its server echoes, and returns it with that
// id (raw JSON): QMP's execute without an id gets "id":"sockscope-replay-N"
// (QMP echoes any JSON value), mpv's command without a request_id an
// integer request_id counting down from 2147483646 (mpv takes integers
// only; a client's ids count up). The reply to a request without an id
// pairs by order alone, which client.Conn does not do, and the replay's
// capture would key its verdicts by an empty id; the diff leaves the
// top-level id fields out, so the recorded reply without one matches.
func withOwnID(payload []byte, n int) ([]byte, string) {
	field, id := protocol.ByOrderIDField(payload), strconv.Quote("sockscope-replay-"+strconv.Itoa(n))
	if field == "request_id" {
		id = strconv.Itoa(2147483646 - n)
	}
	if out := protocol.AddMember(payload, field, []byte(id)); out != nil {
		return out, id
	}
	return payload, ""
}

// outgoing is a recorded client message as it is sent again: paths mapped,
// LSP initialize's processId made this process's.
func (r *Replay) outgoing(m *Msg) []byte {
	p := mapPaths(m.Payload, r.cfg.MapPaths, true)
	if string(m.Info.Method) == "initialize" {
		p = withProcessID(p, r.cfg.PID)
	}
	return p
}

// notSent gives the selected requests of rc, whose connection could not
// be made, the verdict error: they count, in the summary, --dump and
// JUnit, as not sent.
func (r *Replay) notSent(rc *Conn, pick func(*Exchange) bool) {
	why := "error: not sent, the server is unreachable"
	if err := r.dialError(); err != nil {
		why = "error: not sent: " + err.Error()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range rc.Msgs {
		x := rc.Exchange(m.Seq)
		if m.Dir != protocol.C2S || x == nil || !comparable(x) || !pick(x) {
			continue
		}
		c := Compared{RecordedConn: rc.ID, Dir: x.Row.Dir.String(), ID: x.Row.ID, Method: x.Row.Method,
			Verdict: Error, Now: why}
		c.then(x)
		r.res.Compared = append(r.res.Compared, c)
		n++
	}
	r.cfg.Live.NotSent(n)
}

// unsendable counts m, a message of rc's client the recording kept only
// the start of, as not sent; a request of x, if pick takes it, gets the
// verdict error, which says why.
func (r *Replay) unsendable(rc *Conn, conn uint64, m *Msg, x *Exchange, pick func(*Exchange) bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Unsent++
	if x == nil || !comparable(x) || !pick(x) {
		return
	}
	c := Compared{RecordedConn: rc.ID, Conn: conn, Dir: x.Row.Dir.String(), ID: x.Row.ID, Method: x.Row.Method, Verdict: Error,
		Now: fmt.Sprintf("error: not sent: the recording kept %d of its %d bytes (it was over --max-frame)", len(m.Payload), len(m.Payload)+m.Cut)}
	c.then(x)
	r.res.Compared = append(r.res.Compared, c)
	r.cfg.Live.NotSent(1)
}

// then sets c's recorded side: x's reply, if it had one (through its view
// when its protocol is not JSON).
func (c *Compared) then(x *Exchange) {
	c.Then = "no-reply"
	switch {
	case x.Resp == nil:
	case x.viewed != protocol.FramingAuto:
		c.Then, c.LatencyThen, c.ThenResp = rowStatus(x.Row.Status), x.Row.Latency, wireView(x.viewed, x.Resp.Payload, x.Row.Method, x.queued)
	default:
		c.Then, c.LatencyThen, c.ThenResp = statusOf(x.Resp.Info), x.Row.Latency, x.Resp.Payload
	}
}

// call sends request x again and returns what waits for the reply and
// compares it with the recorded one. The request is written (or found
// unsendable) when call returns, so requests go out in the recorded
// order however their waits run. The wait returns false when the replay
// stopped before the reply: then there is nothing to compare.
func (p *player) call(ctx context.Context, x *Exchange, payload []byte, c *Compared) (wait func() bool) {
	c.then(x)
	c.Now = "no-reply"
	done := func() bool { return true }
	select {
	case <-p.cl.Done():
		c.Verdict, c.Now = Error, "error: not sent, the connection to the server was lost"
		return done
	default:
	}
	sent := time.Now()
	pending, err := p.cl.Start(payload)
	if err != nil {
		c.Verdict, c.Now = Error, "error: not sent: "+err.Error()
		return done
	}
	return func() bool {
		wctx, cancel := context.WithDeadline(ctx, sent.Add(p.r.cfg.Timeout))
		defer cancel()
		resp, err := pending.Wait(wctx)
		lat := time.Since(sent)
		switch {
		case err == nil:
			resp = mapPaths(resp, p.r.cfg.MapPaths, false)
			c.Now, c.LatencyNow, c.NowResp = statusOf(protocol.Classify(resp, p.r.rec.IDFields)), lat, resp
		case ctx.Err() != nil:
			return false // the replay stopped
		case errors.Is(err, context.DeadlineExceeded):
			c.TimedOut, c.Now = true, fmt.Sprintf("no-reply (timed out after %v)", p.r.cfg.Timeout)
		default: // client.ErrClosed
			c.Verdict, c.Now = Error, "error: the connection to the server was lost before the reply"
			return true
		}
		p.r.judge(p.rc, x, c)
		return true
	}
}

// judge gives c, the comparison of x (a request of rc) whose recorded and
// new replies are set, its differences and verdict.
func (r *Replay) judge(rc *Conn, x *Exchange, c *Compared) {
	switch {
	case c.ThenResp == nil && rc.OpenAtExit && !x.Cancelled:
		c.Verdict = Unanswered // no recorded reply to compare with (one cancelled got none)
		return
	case c.ThenResp == nil && c.NowResp == nil: // no reply then, no reply now
	case c.ThenResp == nil || c.NowResp == nil:
		c.Diff = []Difference{{Path: "$", Then: shortOrEmpty(c.ThenResp), Now: shortOrEmpty(c.NowResp)}}
	case x.Resp.Cut > 0:
		// Only its start was recorded, which no whole response equals:
		// they compare by status.
		c.Partial = true
		if c.Then != c.Now {
			c.Diff = []Difference{{Path: "$", Then: c.Then + " (kept truncated)", Now: c.Now}}
		}
	case x.viewed != protocol.FramingAuto: // views: no id to leave out
		c.Diff = Diff(c.ThenResp, c.NowResp, volatile(x, c.ThenResp, r.cfg.Ignore), nil)
	default:
		c.Diff = Diff(c.ThenResp, c.NowResp, volatile(x, c.ThenResp, r.cfg.Ignore), r.rec.IDFields)
	}
	switch {
	case len(c.Diff) > 0 && x.Cancelled:
		c.Verdict = Race
	case len(c.Diff) > 0:
		c.Verdict = Differs
	}
	if c.ThenResp != nil && c.NowResp != nil {
		c.Slower = float64(c.LatencyNow) > float64(c.LatencyThen)*r.cfg.Slower && c.LatencyNow-c.LatencyThen > r.cfg.SlowerBy
	}
}

func statusOf(info protocol.Info) string {
	if info.IsError {
		return "error"
	}
	return "ok"
}

// other handles what the server sent that answers no call: its requests
// are answered from the recording, the rest counted.
func (p *player) other(payload []byte) {
	info := protocol.Classify(payload, p.r.rec.IDFields)
	switch {
	case info.Kind == protocol.KindRequest && info.ID != nil:
		p.answer(payload, info)
	case info.Kind == protocol.KindResponse && info.ID != nil:
		p.mu.Lock()
		p.late++
		p.mu.Unlock()
	default:
		p.mu.Lock()
		n := p.note(noteKey(info))
		n.Now++
		n.last[1] = payload
		p.mu.Unlock()
	}
}

// answer answers a request of the server's with the recorded answer to the
// same request (method and params), re-addressed to its new id, or with the
// protocol's typed default.
func (p *player) answer(payload []byte, info protocol.Info) {
	method := string(info.Method)
	back := mapPaths(payload, p.r.cfg.MapPaths, false)
	p.mu.Lock()
	x, ok := p.r.answers.Find(back, method, &p.cursor)
	if !ok {
		if x, ok = p.r.answers.FindMethod(method, &p.cursor); ok {
			p.byMethod++
		}
	}
	var reply []byte
	if ok && x.Resp != nil {
		reply = mapPaths(answerWith(x, payload, info.ID, p.r.answers.ids), p.r.cfg.MapPaths, true)
		p.answered++
	} else {
		reply = typedDefault(payload, info.ID, method)
		p.defaults++
	}
	p.mu.Unlock()
	p.cl.Send(reply)
}

// countThen counts what the recorded server sent unasked.
func (p *player) countThen() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.rc.Msgs {
		if m.Dir != protocol.S2C || (m.Info.ID != nil || m.Info.ByOrder) && (m.Info.Kind == protocol.KindRequest || m.Info.Kind == protocol.KindResponse) {
			continue // paired: a reply by order answers its request, compared
		}
		n := p.note(noteKey(m.Info))
		n.Then++
		n.last[0] = m.Payload
	}
}

func (p *player) note(key string) *Count {
	n := p.notes[key]
	if n == nil {
		n = &Count{}
		p.notes[key] = n
	}
	return n
}

// noteKey is what an unpaired message is counted under.
func noteKey(info protocol.Info) string {
	switch {
	case len(info.Method) > 0:
		return string(info.Method)
	case info.Kind == protocol.KindResponse:
		return "(reply without id)"
	case info.Kind == protocol.KindRaw:
		return "(raw)"
	}
	return "(other)"
}
