package protocol

import (
	"cmp"
	"slices"
	"time"
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
	pending map[pairKey]Pending
	early   map[pairKey]Pending
	scratch []byte // where ids are canonicalised
}

// pairKey is (direction the request travelled, id). Ids of up to
// shortID bytes (nearly all) are kept inline, so a lookup allocates nothing.
type pairKey struct {
	dir   Dir
	n     uint8 // length of a short id in short; longID for a long one
	short [shortID]byte
	long  string
}

const (
	shortID = 22
	longID  = 255
)

// keyOf is the key of id, which travelled in dir. An id with other
// spellings is compared in its canonical one (idkey.go), written in the
// Pairer's scratch buffer; plain numbers and strings are used as they are.
func (p *Pairer) keyOf(dir Dir, id []byte) pairKey {
	if !needsCanon(id) {
		return keyOf(dir, id)
	}
	p.scratch = canonID(p.scratch[:0], id)
	k := keyOf(dir, p.scratch)
	if cap(p.scratch) > keepBuf {
		p.scratch = nil // a huge id once: do not keep its memory
	}
	return k
}

// keyOf is the key of id as it is spelt.
func keyOf(dir Dir, id []byte) pairKey {
	k := pairKey{dir: dir}
	if len(id) <= shortID {
		k.n = uint8(copy(k.short[:], id))
	} else {
		k.n, k.long = longID, string(id)
	}
	return k
}

// Pending is a request (or an early response) held by a Pairer.
type Pending struct {
	// Token is the caller's handle: for a request, its exchange record; for
	// an early response, the response message.
	Token uint64
	At    time.Time
	Dir   Dir // the direction it travelled
}

// NewPairer returns a Pairer holding at most maxPending requests (if zero,
// DefaultMaxPending).
func NewPairer(maxPending int) *Pairer {
	if maxPending <= 0 {
		maxPending = DefaultMaxPending
	}
	return &Pairer{max: maxPending, pending: map[pairKey]Pending{}, early: map[pairKey]Pending{}}
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
	// no reply.
	Evicted []Pending
}

// Request records a request that travelled in dir, read at at.
func (p *Pairer) Request(dir Dir, id []byte, at time.Time, tok uint64) RequestResult {
	var r RequestResult
	k := p.keyOf(dir, id)
	if e, ok := p.early[k]; ok && !e.At.Before(at) {
		delete(p.early, k)
		r.Answered, r.Reply = true, e
		return r
	}
	if old, ok := p.pending[k]; ok {
		r.Duplicate, r.Replaced = true, old
	}
	p.pending[k] = Pending{Token: tok, At: at, Dir: dir}
	if len(p.pending) > p.max {
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
func (p *Pairer) Response(dir Dir, id []byte, at time.Time, tok uint64) (Pending, bool) {
	k := p.keyOf(dir.Opposite(), id)
	if req, ok := p.pending[k]; ok {
		delete(p.pending, k)
		return req, true
	}
	if old, ok := p.early[k]; ok {
		// Two replies with one id and no request yet: the older can no
		// longer be paired before the newer, so keep the newer.
		p.early[k] = Pending{Token: tok, At: at, Dir: dir}
		return old, false
	}
	p.early[k] = Pending{Token: tok, At: at, Dir: dir}
	return Pending{}, false
}

// Settle is called after the observer has seen everything direction dir
// carried up to time upTo. Early responses whose request would have had to
// travel in dir before upTo are orphans now, and are returned in read order.
func (p *Pairer) Settle(dir Dir, upTo time.Time) []Pending {
	if len(p.early) == 0 {
		return nil
	}
	var out []Pending
	for k, e := range p.early {
		if k.dir == dir && !e.At.After(upTo) {
			delete(p.early, k)
			out = append(out, e)
		}
	}
	sortByRead(out)
	return out
}

// Close ends the connection: it returns the requests that never got a reply
// (in read order) and the early responses that never found their request
// (in read order).
func (p *Pairer) Close() (noReply, orphans []Pending) {
	for k, e := range p.pending {
		noReply = append(noReply, e)
		delete(p.pending, k)
	}
	sortByRead(noReply)
	for k, e := range p.early {
		orphans = append(orphans, e)
		delete(p.early, k)
	}
	sortByRead(orphans)
	return noReply, orphans
}

// sortByRead orders requests or early responses by read time, then token,
// so that what Settle and Close return does not depend on map order.
func sortByRead(ps []Pending) {
	slices.SortFunc(ps, func(a, b Pending) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return cmp.Compare(a.Token, b.Token)
	})
}

// Len returns how many requests are in flight.
func (p *Pairer) Len() int { return len(p.pending) }

// evictOldest makes room when more than max requests are pending: the
// oldest tenth go (they count as no reply), so that a peer that never
// answers costs one sort per max/10 requests, not one per request.
func (p *Pairer) evictOldest() []Pending {
	all := make([]Pending, 0, len(p.pending))
	for _, e := range p.pending {
		all = append(all, e)
	}
	sortByRead(all)
	out := all[:len(p.pending)-p.max+p.max/10]
	gone := make(map[uint64]bool, len(out))
	for _, e := range out {
		gone[e.Token] = true
	}
	for k, e := range p.pending {
		if gone[e.Token] {
			delete(p.pending, k)
		}
	}
	return out
}
