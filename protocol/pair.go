package protocol

import (
	"cmp"
	"slices"
)

// Pairer pairs the requests and responses of one connection, in both
// directions: the key is (direction that asked, id), so ids that overlap
// between the two directions (LSP) never mix. It is not safe for concurrent
// use; one observer owns it.
//
// The two directions of a connection are relayed in parallel, so a fast
// reply can reach the observer before its request does. A response that
// matches nothing is therefore held as "early" until the direction that
// would carry its request has been observed past the response's read time
// (Settle) or the connection ends (Close); only then is it an orphan.
type Pairer struct {
	max     int
	pending idTable
	early   idTable
	scratch []byte    // where ids are canonicalised
	all     []Pending // where evictOldest selects the oldest, reused
	evicted []Pending // what evictOldest returns, reused
	key     pairKey   // the key of the id at hand when it is no integer
	// fifo lists the early responses with integer keys, by the direction
	// they travelled, in the order they were held (earlyfifo.go).
	fifo    [2]earlyFIFO
	settled []Pending // what Settle returns, reused
}

// ShareSpare has p's lists of early responses keep their memory for bursts
// in s, which other Pairers of the same goroutine may share.
func (p *Pairer) ShareSpare(s *FIFOSpare) {
	p.fifo[C2S].spare, p.fifo[S2C].spare = s, s
}

// Pending is a request (or an early response) held by a Pairer.
type Pending struct {
	// Token is the caller's handle: for a request, its exchange record; for
	// an early response, the response message.
	Token uint64
	// At is when it was read, as a number that orders read times: the
	// caller's clock (the store's stamps, say), the same for all the calls
	// of one Pairer. A number, not a time.Time, because a time holds a
	// pointer (its location), and storing one in a slot costs a write
	// barrier's check and a typed copy per request.
	At  int64
	Dir Dir // the direction it travelled
	// Sub, for an OrderPairer, is a pub/sub command's or an early
	// response's that is a confirmation. (A struct: Pending keeps to four
	// fields, which the compiler keeps in registers; a fifth made pairing
	// JSON by id 9 % slower, BenchmarkObserve64B.)
	Sub PubSub
}

// PubSub says what a Pending is to Redis's pub/sub, and of an early
// response of an OrderPairer's, whether it continues.
type PubSub struct {
	// Word is the word of the confirmations of a pub/sub command, or of
	// an early response that is a confirmation; SubNone for any other.
	Word SubWord
	// more marks an early response that others follow (varlink's
	// "continues"): a streaming reply of the request that takes it.
	more bool
	want uint16 // how many confirmations a pub/sub command gets (0: one or more; at most 65,535)
}

// NewPairer returns a Pairer holding at most maxPending requests (if zero,
// DefaultMaxPending).
func NewPairer(maxPending int) *Pairer {
	if maxPending <= 0 {
		maxPending = DefaultMaxPending
	}
	return &Pairer{max: maxPending, pending: newIDTable(), early: newIDTable()}
}

// RequestResult says what became of a request.
type RequestResult struct {
	// Answered is set when the reply had already been seen; Reply is it.
	Answered bool
	Reply    Pending
	// Duplicate is set when a request with the same id was already in
	// flight; Replaced is that request, which will now never be paired.
	Duplicate bool
	Replaced  Pending
	// Evicted holds requests pushed out by the pending bound: they count as
	// no reply. It is the Pairer's: valid until its next Request.
	Evicted []Pending
	// Notes, from an OrderPairer, are early pub/sub confirmations the
	// request showed to answer nothing: notifications. Valid until its
	// next Request.
	Notes []Pending
	// Streamed, from an OrderPairer, are early streaming replies of the
	// request (varlink's "continues"), in order, before Reply, its last
	// if that came too. Valid until its next Request.
	Streamed []Pending
}

// Request records a request that travelled in dir, read at at.
func (p *Pairer) Request(dir Dir, id []byte, at int64, tok uint64) (r RequestResult) {
	if n, ok := intKey(dir, id); ok && !p.earlyInt(n) {
		// The common case (an integer id, no reply ahead of its request):
		// one slot of the intTable, written in place.
		s, had := p.pending.ints.slot(n)
		if had {
			r.Replaced, r.Duplicate = s.val, true
		}
		s.val = Pending{Token: tok, At: at, Dir: dir}
		if p.pending.len() > p.max {
			r.Evicted = p.evictOldest()
		}
		return r
	}
	return p.request(dir, id, at, tok)
}

// TryRequest is Request's fast path: when the request needs saying no
// more than that it is pending (an integer id, no reply held early under
// it, none pending with it, room under the bound), it records it and returns
// true; otherwise it records nothing and returns false, and the caller
// calls Request. It spares the caller Request's result.
func (p *Pairer) TryRequest(dir Dir, id []byte, at int64, tok uint64) bool {
	return p.TryRequestID(dir, id, 0, at, tok)
}

// TryRequestID is TryRequest for an id whose IntID the classifier found
// (n; 0 if none): the id is not read again.
func (p *Pairer) TryRequestID(dir Dir, id []byte, n IntID, at int64, tok uint64) bool {
	k, ok := n.key(dir), n != 0
	if !ok {
		k, ok = intKey(dir, id)
	}
	if !ok || p.earlyInt(k) || p.pending.len() >= p.max {
		return false
	}
	s, had := p.pending.ints.slot(k) // had: s is as it was
	if had {
		return false
	}
	s.val = Pending{Token: tok, At: at, Dir: dir}
	return true
}

// earlyInt reports whether an early response is held under integer key
// k. (One held under another key can't answer a request whose id is an
// integer: such ids always have integer keys.)
func (p *Pairer) earlyInt(k uint64) bool {
	if p.early.ints.n == 0 {
		return false
	}
	_, ok := p.early.ints.find(k)
	return ok
}

func (p *Pairer) request(dir Dir, id []byte, at int64, tok uint64) RequestResult {
	var r RequestResult
	k := p.keyOf(dir, id)
	if p.early.len() > 0 {
		if e, ok := p.early.get(&k); ok && e.At >= at {
			p.early.take(&k)
			r.Answered, r.Reply = true, e
			return r
		}
	}
	r.Replaced, r.Duplicate = p.pending.swap(&k, Pending{Token: tok, At: at, Dir: dir})
	if p.pending.len() > p.max {
		r.Evicted = p.evictOldest()
	}
	return r
}

// Response matches a response that travelled in dir (so its request went
// the other way), read at at. It returns the request and true when one was
// pending; otherwise the response is held as early under tok and false is
// returned: Settle or Close later says whether it became an orphan. When
// false is returned with a non-zero Token, that is an earlier early response
// with the same key that this one displaced: it is an orphan now.
func (p *Pairer) Response(dir Dir, id []byte, at int64, tok uint64) (Pending, bool) {
	return p.ResponseID(dir, id, 0, at, tok)
}

// ResponseID is Response for an id whose IntID the classifier found (n; 0
// if none): the id is not read again when its request is pending.
func (p *Pairer) ResponseID(dir Dir, id []byte, n IntID, at int64, tok uint64) (Pending, bool) {
	k, ok := n.key(dir.Opposite()), n != 0
	if !ok {
		k, ok = intKey(dir.Opposite(), id)
	}
	if ok && p.pending.ints.n > 0 {
		// The common case: an integer id whose request is pending.
		t := &p.pending.ints
		if i, ok := t.find(k); ok {
			req := t.slots[i].val
			t.remove(i)
			return req, true
		}
	}
	return p.response(dir, id, at, tok)
}

func (p *Pairer) response(dir Dir, id []byte, at int64, tok uint64) (Pending, bool) {
	k := p.keyOf(dir.Opposite(), id)
	if req, ok := p.pending.take(&k); ok {
		return req, true
	}
	// Two replies with one id and no request yet: the older can no longer
	// be paired before the newer, so keep the newer.
	return p.hold(&k, Pending{Token: tok, At: at, Dir: dir}), false
}

// hold holds e early under k, and returns the early response it
// displaced, if any.
func (p *Pairer) hold(k *idKey, e Pending) Pending {
	old, _ := p.early.swap(k, e)
	if k.isInt {
		if e.Dir <= S2C {
			p.fifo[e.Dir].push(k.n, e, &p.early.ints)
		} else { // no direction Settle knows: scan
			p.fifo[C2S].scan, p.fifo[S2C].scan = true, true
		}
	}
	return old
}

// EndEarly holds tok, a message read at at that travelled the other way
// from dir and ends the request under id that travelled in dir, which is
// not pending (End said so) but may still be on its way (the directions
// are read in parallel): it is held as an early response is, and answers
// the request when it comes (Request: Answered); Settle or Close return
// it when none came. Unless a response is held early under id already:
// that answers the request, and tok came after it; then nothing is held,
// and EndEarly returns false.
func (p *Pairer) EndEarly(dir Dir, id []byte, at int64, tok uint64) bool {
	k := p.keyOf(dir, id)
	if _, ok := p.early.get(&k); ok {
		return false
	}
	p.hold(&k, Pending{Token: tok, At: at, Dir: dir.Opposite()})
	return true
}

// End takes the request that travelled in dir under id, if one is
// pending, and reports whether one was: a message that ends it without
// being its reply (Info.Ends) answers it. Unlike Response, nothing is
// held when none is pending: no early reply, no orphan.
func (p *Pairer) End(dir Dir, id []byte) (Pending, bool) {
	k := p.keyOf(dir, id)
	return p.pending.take(&k)
}

// EndAbove takes every request pending that travelled in dir under an
// integer id above last (not negative), and returns them in read order.
func (p *Pairer) EndAbove(dir Dir, last uint64) []Pending {
	d := uint64(dir&1) << 63
	out := p.pending.ints.removeIf(nil, func(k uint64, _ Pending) bool {
		return k&(1<<63) == d && k&(1<<62) == 0 && k&^(3<<62) > last
	})
	sortByRead(out)
	return out
}

// Settle is called after the observer has seen everything direction dir
// carried up to time upTo. Early responses whose request would have had to
// travel in dir before upTo are orphans now, and are returned in read order.
// The slice returned is the Pairer's: it is valid until the next Settle.
//
// It costs what it settles: the early responses with integer keys are
// listed by the direction they travelled, in read order (earlyfifo.go), and
// popped from the front. Others (ids that are no integer, responses held
// out of read order) make it scan the early table.
func (p *Pairer) Settle(dir Dir, upTo int64) []Pending {
	if p.early.len() == 0 {
		p.resetFIFOs() // of stale entries (taken by their requests)
		return nil
	}
	// An early response travelled the other way from its request.
	out := p.settled[:0]
	if d := dir.Opposite(); dir <= S2C && len(p.early.strs) == 0 && !p.fifo[d].scan {
		out = p.fifo[d].settle(&p.early.ints, upTo, out)
	} else {
		out = p.early.removeIf(out, func(e Pending) bool { return e.Dir != dir && e.At <= upTo })
		sortByRead(out)
	}
	if p.early.len() == 0 {
		p.resetFIFOs()
	}
	p.settled = out
	if cap(out) > keepFIFO {
		p.settled = nil
	}
	return out
}

// resetFIFOs empties the lists of early responses, when the table holds
// none, and sheds their memory beyond keepFIFO (also that of a list
// emptied by settling).
func (p *Pairer) resetFIFOs() {
	for d := range p.fifo {
		if f := &p.fifo[d]; len(f.q) != 0 || f.scan || cap(f.q) > keepFIFO {
			f.reset()
		}
	}
}

// Close ends the connection: it returns the requests that never got a reply
// (in read order) and the early responses that never found their request
// (in read order).
func (p *Pairer) Close() (noReply, orphans []Pending) {
	noReply = p.pending.drain(make([]Pending, 0, p.pending.len()))
	sortByRead(noReply)
	orphans = p.early.drain(make([]Pending, 0, p.early.len()))
	sortByRead(orphans)
	p.resetFIFOs()
	return noReply, orphans
}

// readAfter reports whether a was read after b (by read time, then
// token): the order sortByRead sorts in.
func readAfter(a, b Pending) bool {
	if a.At != b.At {
		return a.At > b.At
	}
	return a.Token > b.Token
}

// sortByRead orders requests or early responses by read time, then token,
// so that what Settle and Close return does not depend on map order.
func sortByRead(ps []Pending) {
	slices.SortFunc(ps, func(a, b Pending) int {
		if c := cmp.Compare(a.At, b.At); c != 0 {
			return c
		}
		return cmp.Compare(a.Token, b.Token)
	})
}

// Len returns how many requests are in flight.
func (p *Pairer) Len() int { return p.pending.len() }

// evictOldest makes room when more than max requests are pending: the
// oldest tenth go (they count as no reply), so that a peer that never
// answers (or whose replies the decoder dropped) costs a selection among
// the pending requests per max/10 requests, not one per request.
func (p *Pairer) evictOldest() []Pending {
	all := p.pending.values(p.all[:0])
	p.all = all
	n := len(all) - p.max + p.max/10
	last := nthByRead(all, n-1)
	out := p.pending.removeIf(p.evicted[:0], func(e Pending) bool { return !readAfter(e, last) })
	sortByRead(out)
	p.evicted = out
	return out
}

// nthByRead rearranges ps so that its first n+1 are the n+1 read first
// (in no order) and returns the last of them, ps[n]: a selection in
// linear time, where a sort of every pending request would cost
// n log n each time the oldest tenth are given up.
func nthByRead(ps []Pending, n int) Pending {
	lo, hi := 0, len(ps)-1
	for lo < hi {
		// Median of three as the pivot, then Hoare's partition.
		mid := lo + (hi-lo)/2
		if readAfter(ps[lo], ps[mid]) {
			ps[lo], ps[mid] = ps[mid], ps[lo]
		}
		if readAfter(ps[mid], ps[hi]) {
			ps[mid], ps[hi] = ps[hi], ps[mid]
			if readAfter(ps[lo], ps[mid]) {
				ps[lo], ps[mid] = ps[mid], ps[lo]
			}
		}
		pivot := ps[mid]
		i, j := lo, hi
		for i <= j {
			for readAfter(pivot, ps[i]) {
				i++
			}
			for readAfter(ps[j], pivot) {
				j--
			}
			if i <= j {
				ps[i], ps[j] = ps[j], ps[i]
				i++
				j--
			}
		}
		switch {
		case n <= j:
			hi = j
		case n >= i:
			lo = i
		default:
			return ps[n]
		}
	}
	return ps[n]
}
