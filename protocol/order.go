package protocol

// OrderPairer pairs the requests and responses of one connection by their
// order, for protocols whose messages carry no id (HTTP/1.1, RESP,
// varlink): a response answers the first unanswered request that went the
// other way. Like Pairer it holds a response that arrives before its
// request (the directions are relayed in parallel) as early, until Settle
// or Close. Its queues are rings that grow to the largest number in flight
// and are then reused: pairing allocates nothing per message.
//
// Redis's pub/sub commands are requests of their own kind (RequestSub):
// one is answered by a reply as any command is (an error, +QUEUED inside
// MULTI), or by its first confirmation (Confirm); its further
// confirmations, and those no command asked for, answer nothing.
type OrderPairer struct {
	max      int
	pending  [2]ring    // requests, by the direction they travelled
	early    [2]ring    // early responses, by the direction their request would travel
	evicted  [1]Pending // what Request returns in Evicted, reused
	notes    []Pending  // what Request returns in Notes, reused
	streamed []Pending  // what Request returns in Streamed, reused
	// extra is, by the direction its command travelled, the pub/sub
	// command answered last: the word of its confirmations and how many
	// more are its own (-1: any number, an UNSUBSCRIBE of all), until a
	// reply that is no confirmation.
	extra [2]struct {
		sub  SubWord
		left int32
	}
}

// NewOrderPairer returns an OrderPairer holding at most maxPending
// requests per direction (if zero, DefaultMaxPending).
func NewOrderPairer(maxPending int) *OrderPairer {
	if maxPending <= 0 {
		maxPending = DefaultMaxPending
	}
	return &OrderPairer{max: maxPending}
}

// Request records a request that travelled in dir, read at at. If the
// first early response waiting for dir was read no sooner, it is the
// reply: Answered is set; or, if it continues (Response's more), it and
// the early ones after it that do are the request's streaming replies
// (Streamed), and the next, if any, its reply. A request over the bound
// pushes out the oldest, returned in Evicted (its no reply; the slice is
// valid until the next Request).
func (p *OrderPairer) Request(dir Dir, at int64, tok uint64) (r RequestResult) {
	return p.RequestSub(dir, at, tok, SubNone, 0)
}

// RequestSub is Request for a command that may be a pub/sub one: with sub
// not SubNone, it is answered by a reply, or by a confirmation of sub
// (Confirm), of which it gets want (0: one or more). Early confirmations
// that it shows to answer nothing are returned in Notes (notifications;
// the slice is valid until the next Request).
func (p *OrderPairer) RequestSub(dir Dir, at int64, tok uint64, sub SubWord, want int) (r RequestResult) {
	e := &p.early[dir]
	p.notes, p.streamed = p.notes[:0], p.streamed[:0]
	for f, ok := e.front(); ok; f, ok = e.front() {
		switch {
		case f.At >= at && f.Sub.more:
			e.pop()
			p.streamed = append(p.streamed, f)
			continue
		case f.At >= at && (f.Sub.Word == SubNone || f.Sub.Word == sub):
			e.pop()
			r.Answered, r.Reply = true, f
			if f.Sub.Word != SubNone {
				p.confirmed(dir, sub, want)
				x := &p.extra[dir]
				for g, ok := e.front(); ok && x.left > 0 && g.Sub.Word == sub; g, ok = e.front() {
					e.pop()
					x.left--
					p.notes = append(p.notes, g)
				}
			}
			r.Notes, r.Streamed = p.notes, p.streamed
			return r
		case f.Sub.Word != SubNone:
			// A confirmation before any command that it could answer.
			e.pop()
			p.notes = append(p.notes, f)
			continue
		}
		break
	}
	r.Notes, r.Streamed = p.notes, p.streamed
	q := &p.pending[dir]
	q.push(Pending{Token: tok, At: at, Dir: dir, Sub: PubSub{Word: sub, want: uint16(min(want, 1<<16-1))}})
	if q.n > p.max {
		old, _ := q.pop()
		p.evicted[0] = old // only at the bound
		r.Evicted = p.evicted[:]
	}
	return r
}

// Response matches a response that travelled in dir with the first
// unanswered request that went the other way, and returns it with true.
// With more set (a streaming reply that others follow) the request stays
// unanswered. With no request waiting, the response is held as early
// under tok (with more, as one that continues) and false is returned; a
// non-zero Token then names an early response pushed out by the bound,
// an orphan now.
//
// A pushed-out early response with Sub set is a confirmation: not an
// orphan, but a notification.
func (p *OrderPairer) Response(dir Dir, at int64, tok uint64, more bool) (Pending, bool) {
	p.extra[dir.Opposite()].sub = SubNone // the confirmations before it are over
	q := &p.pending[dir.Opposite()]
	if req, ok := q.front(); ok {
		if !more {
			q.pop()
		}
		return req, true
	}
	e := &p.early[dir.Opposite()]
	e.push(Pending{Token: tok, At: at, Dir: dir, Sub: PubSub{more: more}})
	if e.n > p.max {
		old, _ := e.pop()
		return old, false
	}
	return Pending{}, false
}

// Confirmed says what became of a pub/sub confirmation (Confirm).
type Confirmed uint8

const (
	// ConfirmAnswers: it answers the pub/sub command returned.
	ConfirmAnswers Confirmed = iota
	// ConfirmNote: it answers nothing, a notification: a further
	// confirmation of a command answered already, or one no command
	// waiting could get.
	ConfirmNote
	// ConfirmEarly: held as early, as a response is, until its command
	// comes, Settle or Close (which return it with Sub set: a
	// notification, not an orphan); a Pending with a non-zero Token
	// returned with it was pushed out by the bound.
	ConfirmEarly
)

// Confirm takes a pub/sub confirmation of sub (a Redis reply that starts
// with "subscribe", "unsubscribe", …) that travelled in dir, read at at. It
// answers the first unanswered command that went the other way when that
// is a pub/sub command of sub, unless it is one more of the confirmations
// of the command answered before it.
func (p *OrderPairer) Confirm(dir Dir, at int64, tok uint64, sub SubWord) (Confirmed, Pending) {
	rd := dir.Opposite()
	x := &p.extra[rd]
	if x.sub == sub && x.left > 0 {
		x.left--
		return ConfirmNote, Pending{}
	}
	q := &p.pending[rd]
	if req, ok := q.front(); ok {
		if req.Sub.Word != sub {
			return ConfirmNote, Pending{}
		}
		q.pop()
		p.confirmed(rd, sub, int(req.Sub.want))
		return ConfirmAnswers, req
	}
	e := &p.early[rd]
	e.push(Pending{Token: tok, At: at, Dir: dir, Sub: PubSub{Word: sub}})
	if e.n > p.max {
		old, _ := e.pop()
		return ConfirmEarly, old
	}
	return ConfirmEarly, Pending{}
}

// confirmed notes that a command that travelled in dir and gets want
// confirmations of sub (0: one or more) got its first.
func (p *OrderPairer) confirmed(dir Dir, sub SubWord, want int) {
	x := &p.extra[dir]
	x.sub, x.left = sub, int32(want-1)
	if want <= 0 {
		x.left = -1
	}
}

// Settle is called after the observer has seen everything direction dir
// carried up to upTo: early responses whose request would have travelled
// in dir before upTo are orphans (early confirmations, with Sub set,
// notifications), returned in read order.
func (p *OrderPairer) Settle(dir Dir, upTo int64) []Pending {
	e := &p.early[dir]
	var out []Pending
	for {
		f, ok := e.front()
		if !ok || f.At > upTo {
			return out
		}
		e.pop()
		out = append(out, f)
	}
}

// Close ends the connection: the requests never answered and the early
// responses that never found a request (confirmations among them with Sub
// set), each in read order.
func (p *OrderPairer) Close() (noReply, orphans []Pending) {
	for d := range p.pending {
		noReply = p.pending[d].drain(noReply)
		orphans = p.early[d].drain(orphans)
	}
	sortByRead(noReply)
	sortByRead(orphans)
	return noReply, orphans
}

// Len returns how many requests are in flight.
func (p *OrderPairer) Len() int { return p.pending[0].n + p.pending[1].n }

// ring is a FIFO of Pending that grows by doubling and never shrinks.
type ring struct {
	buf     []Pending
	head, n int
}

func (r *ring) push(v Pending) {
	if r.n == len(r.buf) {
		nb := make([]Pending, max(8, 2*len(r.buf)))
		for i := range r.n {
			nb[i] = r.buf[(r.head+i)%len(r.buf)]
		}
		r.buf, r.head = nb, 0
	}
	r.buf[(r.head+r.n)%len(r.buf)] = v
	r.n++
}

func (r *ring) front() (Pending, bool) {
	if r.n == 0 {
		return Pending{}, false
	}
	return r.buf[r.head], true
}

func (r *ring) pop() (Pending, bool) {
	v, ok := r.front()
	if ok {
		r.head = (r.head + 1) % len(r.buf)
		r.n--
	}
	return v, ok
}

func (r *ring) drain(out []Pending) []Pending {
	for r.n > 0 {
		v, _ := r.pop()
		out = append(out, v)
	}
	return out
}
