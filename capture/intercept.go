package capture

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"sockscope/protocol"
	"sockscope/proxy"
	"sockscope/query"
)

// Bounds of holding, said once.
const (
	// DefaultHoldTimeout is how long a frame stays held when
	// Intercept.HoldTimeout is zero; then it is forwarded as it was.
	DefaultHoldTimeout = 5 * time.Minute
	// DefaultMaxHeldConn and DefaultMaxHeld bound the bytes of held frames
	// per connection and in all; past them frames are forwarded, not held.
	DefaultMaxHeldConn = 16 << 20
	DefaultMaxHeld     = 64 << 20
	// maxNotices bounds the notices kept for the UI.
	maxNotices = 64
)

// Intercept configures holding and rules (Config.Intercept).
type Intercept struct {
	// Filter is the intercept filter, in the display filter's syntax;
	// frames it matches are held while On.
	Filter string
	On     bool
	// Rules act on the frames they match, in order; the first that acts
	// decides.
	Rules []Rule
	// HoldTimeout: a frame held longer is forwarded as it was. If zero,
	// DefaultHoldTimeout.
	HoldTimeout time.Duration
	// MaxHeldConn and MaxHeld bound held bytes per connection and in all.
	// If zero, DefaultMaxHeldConn and DefaultMaxHeld.
	MaxHeldConn, MaxHeld int64
	// Seed seeds prob: counts, so that a run can be repeated.
	Seed uint64
}

// Held is a frame held for the user, as listed.
type Held struct {
	ID      uint64 // the hold's number
	Conn    uint64
	Dir     protocol.Dir
	Since   time.Time
	Rule    string // the hold rule, "" for the intercept filter
	Payload []byte // the frame's payload (a copy)
	Info    protocol.Info
	// Framing is how the frame was cut (detected, when the relay's is
	// auto): an edit or an answer, JSON, can replace JSON frames only.
	Framing protocol.Framing
}

// Editable says why an edit (JSON, or the JSON view of an HTTP/1 request,
// a Redis command or a msgpack-RPC message) cannot replace the frame, or
// nil.
func (h *Held) Editable() error {
	if protocol.EncodesDir(h.Framing, h.Dir) {
		return nil
	}
	return h.writes("an edit", "replace")
}

// Answerable says why a reply (JSON) cannot answer the frame, or nil.
func (h *Held) Answerable() error {
	if err := h.writes("an answer", "reply"); err != nil {
		return err
	}
	if h.Info.Kind != protocol.KindRequest || h.Info.ID == nil {
		return fmt.Errorf("held #%d is not a request with an id: there is nothing to answer (edit it instead)", h.ID)
	}
	return nil
}

// writes says why what, action kind's JSON, cannot go in place of the
// frame.
func (h *Held) writes(what, kind string) error {
	if why, ok := makesJSON(kind, h.Framing); !ok {
		return fmt.Errorf("held #%d: %s is JSON and %s: forward it (a) or drop it (d)", h.ID, what, why)
	}
	return nil
}

// heldFrame is a frame waiting in a Verdict's Wait.
type heldFrame struct {
	Held
	size   int
	seen   *seen
	decide chan proxy.Verdict // buffered: one decision
}

// ruleState is a rule with its compiled form and counters.
type ruleState struct {
	Rule
	c compiled
}

// interceptor is an Engine's holding and rules.
type interceptor struct {
	e     *Engine
	armed atomic.Bool // a filter is on or a rule is enabled: frames are looked at

	mu       sync.Mutex
	cfg      Intercept
	filter   *query.Query
	rules    []*ruleState
	named    int // rules named rN so far
	held     map[uint64]*heldFrame
	nextHeld uint64
	bytes    int64
	byConn   map[uint64]int64
	rng      *rand.Rand
	notices  []string
}

func newInterceptor(e *Engine, cfg Intercept) (*interceptor, error) {
	ic := &interceptor{e: e, cfg: cfg, held: map[uint64]*heldFrame{}, byConn: map[uint64]int64{},
		rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed))}
	if ic.cfg.HoldTimeout <= 0 {
		ic.cfg.HoldTimeout = DefaultHoldTimeout
	}
	if ic.cfg.MaxHeldConn <= 0 {
		ic.cfg.MaxHeldConn = DefaultMaxHeldConn
	}
	if ic.cfg.MaxHeld <= 0 {
		ic.cfg.MaxHeld = DefaultMaxHeld
	}
	if err := ic.setFilter(cfg.Filter, cfg.On); err != nil {
		return nil, err
	}
	for _, r := range cfg.Rules {
		if _, err := ic.add(r); err != nil {
			return nil, err
		}
	}
	return ic, nil
}

// rearm updates armed; the caller holds mu.
func (ic *interceptor) rearm() {
	on := ic.cfg.On && ic.filter != nil
	for _, r := range ic.rules {
		on = on || !r.Disabled
	}
	ic.armed.Store(on)
}

func (ic *interceptor) setFilter(expr string, on bool) error {
	var q *query.Query
	if expr != "" {
		var err error
		if q, err = query.Parse(expr); err != nil {
			return fmt.Errorf("intercept filter: %w", err)
		}
	}
	ic.mu.Lock()
	defer ic.mu.Unlock()
	ic.filter, ic.cfg.Filter, ic.cfg.On = q, expr, on && q != nil
	ic.rearm()
	return nil
}

// add adds rule r (named rN when it has no name) and returns it.
func (ic *interceptor) add(r Rule) (Rule, error) {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	for r.Name == "" || r.Name[0] == 'r' && ic.find(r.Name) >= 0 && r.Name == "r"+strconv.Itoa(ic.named) {
		ic.named++
		r.Name = "r" + strconv.Itoa(ic.named)
	}
	for _, o := range ic.rules {
		if o.Name == r.Name {
			return Rule{}, fmt.Errorf("a rule is already named %s", r.Name)
		}
	}
	c, err := r.compile()
	if err != nil {
		return Rule{}, err
	}
	r.Matched, r.Hits = 0, 0
	ic.rules = append(ic.rules, &ruleState{Rule: r, c: c})
	ic.rearm()
	return r, nil
}

// draw returns a number in [0, 1) from the seeded source.
func (ic *interceptor) draw() float64 {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	return ic.rng.Float64()
}

// notice keeps a line for the user (a hold that timed out, a cap reached).
func (ic *interceptor) notice(format string, args ...any) {
	ic.mu.Lock()
	ic.notices = append(ic.notices, fmt.Sprintf(format, args...))
	if len(ic.notices) > maxNotices {
		ic.notices = slices.Delete(ic.notices, 0, len(ic.notices)-maxNotices)
	}
	ic.mu.Unlock()
}

// decide returns the verdict of the rules and the intercept filter on
// frame s, and whether one of them acts.
func (ic *interceptor) decide(s *seen) (proxy.Verdict, bool) {
	m := s.message()
	ic.mu.Lock()
	var fire *ruleState
	for _, r := range ic.rules {
		if r.Disabled || !r.c.q.MatchMsg(&m) {
			continue
		}
		r.Matched++
		if r.c.cnt.fires(r.Matched, r.Hits, ic.rng.Float64) {
			r.Hits++
			fire = r
			break
		}
	}
	hold := fire == nil && ic.cfg.On && ic.filter != nil && ic.filter.MatchMsg(&m)
	ic.mu.Unlock()
	switch {
	case fire != nil:
		return ic.e.apply(fire.c.act, fire.Name, s), true
	case hold:
		return ic.hold(s, ""), true
	}
	return proxy.Verdict{}, false
}

// passesHead reports whether no rule and not the intercept filter may act
// on a frame whose head is s (its body still to come).
func (ic *interceptor) passesHead(s *seen) bool {
	m := s.message()
	ic.mu.Lock()
	defer ic.mu.Unlock()
	for _, r := range ic.rules {
		if !r.Disabled && r.c.q.MayMatchMsg(&m) {
			return false
		}
	}
	return !ic.cfg.On || ic.filter == nil || !ic.filter.MayMatchMsg(&m)
}

// message is frame s as the rules and the intercept filter match it.
func (s *seen) message() protocol.Message {
	m := protocol.Message{Conn: s.conn, Dir: s.dir, Frame: s.f, Info: s.info}
	if m.Info.Kind == protocol.KindResponse && protocol.PairingOf(s.framing) != protocol.PairByOrder {
		// A rule's method: is a request's (or a notification's), as a
		// JSON-RPC response has none: a DAP response's command would
		// make a delay twice as long, and after:N count replies. (An
		// HTTP response's method is its status, a RESP error's its code:
		// those are the response's own.)
		m.Info.Method = nil
	}
	return m
}

// hold returns the Verdict that holds frame s until the user (or a rule's
// end: the timeout, the connection's close) decides.
func (ic *interceptor) hold(s *seen, rule string) proxy.Verdict {
	h := &heldFrame{Held: Held{Conn: s.conn, Dir: s.dir, Rule: rule, Info: s.info, Framing: s.framing}, size: len(s.wire), seen: s,
		decide: make(chan proxy.Verdict, 1)}
	ic.mu.Lock()
	if ic.bytes+int64(h.size) > ic.cfg.MaxHeld || ic.byConn[s.conn]+int64(h.size) > ic.cfg.MaxHeldConn {
		ic.mu.Unlock()
		ic.notice("conn %d %s: not held, forwarded: held frames would pass the cap (%d bytes per connection, %d in all)",
			s.conn, s.dir, ic.cfg.MaxHeldConn, ic.cfg.MaxHeld)
		return proxy.Verdict{Note: &protocol.Note{Act: protocol.ActHeld, Rule: rule, Diff: "not held: the cap on held bytes was reached"}}
	}
	ic.nextHeld++
	h.ID = ic.nextHeld
	ic.mu.Unlock()
	timeout := ic.cfg.HoldTimeout
	return proxy.Verdict{Wait: func(stop <-chan struct{}) proxy.Verdict {
		// The frame's bytes stay where the relay read them until Wait
		// returns; the list gets a copy.
		h.Since = time.Now()
		h.Payload = bytes.Clone(s.f.Data)
		ic.mu.Lock()
		ic.held[h.ID] = h
		ic.bytes += int64(h.size)
		ic.byConn[s.conn] += int64(h.size)
		ic.mu.Unlock()
		defer ic.unhold(h)
		t := time.NewTimer(timeout)
		defer t.Stop()
		var v proxy.Verdict
		select {
		case v = <-h.decide:
		case <-t.C:
			ic.notice("conn %d %s: a frame held %v (--hold-timeout) was forwarded as it was", s.conn, s.dir, timeout)
			v = proxy.Verdict{Note: &protocol.Note{Act: protocol.ActTimeout, Diff: "held past --hold-timeout " + timeout.String()}}
		case <-stop:
			ic.notice("conn %d %s: the connection closed while a frame was held: dropped", s.conn, s.dir)
			v = proxy.Verdict{Drop: true, Note: &protocol.Note{Act: protocol.ActDropped, Diff: "held when the connection closed"}}
		}
		if v.Note == nil {
			v.Note = &protocol.Note{Act: protocol.ActHeld}
		}
		v.Note.Rule, v.Note.Held = rule, time.Since(h.Since)
		if v.AnswerNote != nil {
			v.AnswerNote.Rule = rule
		}
		return v
	}}
}

// unhold forgets held frame h.
func (ic *interceptor) unhold(h *heldFrame) {
	ic.mu.Lock()
	delete(ic.held, h.ID)
	ic.bytes -= int64(h.size)
	if ic.byConn[h.Conn] -= int64(h.size); ic.byConn[h.Conn] <= 0 {
		delete(ic.byConn, h.Conn)
	}
	ic.mu.Unlock()
}

// check returns what ok says of held frame id, which stays held.
func (ic *interceptor) check(id uint64, ok func(*Held) error) error {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	h := ic.held[id]
	if h == nil {
		return fmt.Errorf("no frame is held as #%d (forwarded or dropped meanwhile?)", id)
	}
	return ok(&h.Held)
}

// take removes held frame id from the list, for one decision.
func (ic *interceptor) take(id uint64) (*heldFrame, error) {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	h := ic.held[id]
	if h == nil {
		return nil, fmt.Errorf("no frame is held as #%d (forwarded or dropped meanwhile?)", id)
	}
	delete(ic.held, id) // unhold finds it gone and still frees its bytes
	return h, nil
}

// verdictFor returns the FrameFunc of direction d of connection c: the
// rules and the intercept filter first, then the id table.
func (e *Engine) verdictFor(c *proxy.Conn, d protocol.Dir, tbl *idTable) proxy.FrameFunc {
	ids := tbl.verdict(d)
	id := c.ID()
	return func(wire []byte, f protocol.Frame, framing protocol.Framing) proxy.Verdict {
		if e.ic.armed.Load() && !f.Truncated {
			s := &seen{conn: id, dir: d, wire: wire, f: f, framing: framing, info: protocol.ClassifyAs(framing, f.Data, d, e.cfg.IDFields)}
			s.enc = frameEncoder(framing, wire, f)
			if v, ok := e.ic.decide(s); ok {
				return v
			}
		}
		return ids(wire, f, framing)
	}
}

// headFor returns the HeadFunc that goes with verdictFor's FrameFunc: a
// frame whose head no rule and not the intercept filter may act on is
// forwarded as it arrives (the id table acts only on frames with an id
// it can read, and a head has none: HTTP's start line is not JSON).
func (e *Engine) headFor(c *proxy.Conn, d protocol.Dir) proxy.HeadFunc {
	id := c.ID()
	return func(head []byte, framing protocol.Framing) bool {
		if !e.ic.armed.Load() {
			return true
		}
		f := protocol.Frame{Data: head, Size: len(head), Wire: len(head)}
		return e.ic.passesHead(&seen{conn: id, dir: d, wire: head, f: f, framing: framing, info: protocol.ClassifyAs(framing, head, d, e.cfg.IDFields)})
	}
}

// frameEncoder returns how frame f, read as wire and cut with framing
// (perhaps FramingAuto, detected by the framer), was framed: a
// Content-Length frame's other header lines go with what replaces it.
func frameEncoder(framing protocol.Framing, wire []byte, f protocol.Frame) protocol.Encoder {
	if framing == protocol.FramingAuto {
		if f.Wire-f.Size <= 2 {
			return protocol.EncoderOf(protocol.FramingLines, f)
		}
		framing = protocol.FramingContentLength
	}
	if framing == protocol.FramingContentLength {
		return protocol.Encoder{Framing: framing, Head: protocol.HeadOf(wire, f)}
	}
	return protocol.EncoderOf(framing, f)
}
