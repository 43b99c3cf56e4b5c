package protocol

// OrderPairer pairs the requests and responses of one connection by their
// order, for protocols whose messages carry no id (HTTP/1.1, RESP,
// varlink): a response answers the first unanswered request that went the
// other way. Like Pairer it holds a response that arrives before its
// request (the directions are relayed in parallel) as early, until Settle
// or Close. Its queues are rings that grow to the largest number in flight
// and are then reused: pairing allocates nothing per message.
type OrderPairer struct {
	max     int
	pending [2]ring    // requests, by the direction they travelled
	early   [2]ring    // early responses, by the direction their request would travel
	evicted [1]Pending // what Request returns in Evicted, reused
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
// reply: Answered is set. A request over the bound pushes out the oldest,
// returned in Evicted (its no reply; the slice is valid until the next
// Request).
func (p *OrderPairer) Request(dir Dir, at int64, tok uint64) (r RequestResult) {
	if e, ok := p.early[dir].front(); ok && e.At >= at {
		p.early[dir].pop()
		r.Answered, r.Reply = true, e
		return r
	}
	q := &p.pending[dir]
	q.push(Pending{Token: tok, At: at, Dir: dir})
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
// under tok and false is returned; a non-zero Token then names an early
// response pushed out by the bound, an orphan now.
func (p *OrderPairer) Response(dir Dir, at int64, tok uint64, more bool) (Pending, bool) {
	q := &p.pending[dir.Opposite()]
	if req, ok := q.front(); ok {
		if !more {
			q.pop()
		}
		return req, true
	}
	e := &p.early[dir.Opposite()]
	e.push(Pending{Token: tok, At: at, Dir: dir})
	if e.n > p.max {
		old, _ := e.pop()
		return old, false
	}
	return Pending{}, false
}

// Settle is called after the observer has seen everything direction dir
// carried up to upTo: early responses whose request would have travelled
// in dir before upTo are orphans, returned in read order.
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
// responses that never found a request, each in read order.
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
