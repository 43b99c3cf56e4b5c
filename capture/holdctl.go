package capture

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"sockscope/protocol"
	"sockscope/proxy"
)

// prepare makes a new connection of relay r frame-aware from its first
// byte when the interceptor is armed, so that rules and the intercept
// filter see every frame.
func (e *Engine) prepare(r *Relay, c *proxy.Conn) {
	if !e.ic.armed.Load() {
		return
	}
	tbl := r.table(c.ID(), e.cfg.IDFields)
	for _, d := range []protocol.Dir{protocol.C2S, protocol.S2C} {
		c.SetFraming(d, e.cfg.Framing, e.verdictFor(c, d, tbl), e.headFor(c, d), 0)
	}
}

// unjudged tells the user of a frame a relay forwarded as it arrived, with
// no verdict of the rules or the intercept filter.
func (e *Engine) unjudged(c *proxy.Conn, d protocol.Dir, why string) {
	if e.ic.armed.Load() {
		e.ic.notice("conn %d %s: a frame went on unseen by rules and intercept: %s", c.ID(), d, why)
	}
}

// armAll makes the live connections frame-aware (at a frame boundary),
// now that a rule or the intercept filter wants to see their frames.
func (e *Engine) armAll(ctx context.Context) error {
	if !e.ic.armed.Load() {
		return nil
	}
	src, err := e.relay()
	if err != nil {
		return nil // a recording: nothing to act on
	}
	var errs []string
	for _, c := range src.r.Conns() {
		tbl := src.table(c.ID(), e.cfg.IDFields)
		for _, d := range []protocol.Dir{protocol.C2S, protocol.S2C} {
			if err := e.frameAware(ctx, c, d, tbl); err != nil {
				errs = append(errs, err.Error())
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// Interceptor is the holding and the rules of a relay's engine, as a UI
// drives them: the Engine, or a decoder's process's way back to the
// relay's (split.Source), whose engine holds the frames.
type Interceptor interface {
	Held() []Held
	Forward(id uint64) error
	ForwardAll() int
	Drop(id uint64) error
	Edit(id uint64, payload []byte) error
	Fabricate(id uint64, reply []byte) error
	ReplyTemplate(id uint64, failed bool) ([]byte, error)
	Sticky(ctx context.Context, id uint64, payload []byte, fabricate bool) (Rule, error)
	SetIntercept(ctx context.Context, expr string, on bool) error
	Intercepting() (expr string, on bool)
	Rules() []Rule
	AddRule(ctx context.Context, spec string) (Rule, error)
	EnableRule(ctx context.Context, name string, on bool) error
	RemoveRule(name string) error
	Notices() []string
}

var _ Interceptor = (*Engine)(nil)

// Held lists the frames held now, oldest first.
func (e *Engine) Held() []Held {
	ic := e.ic
	ic.mu.Lock()
	out := make([]Held, 0, len(ic.held))
	for _, h := range ic.held {
		out = append(out, h.Held)
	}
	ic.mu.Unlock()
	slices.SortFunc(out, func(a, b Held) int { return int(a.ID) - int(b.ID) })
	return out
}

// Forward lets held frame id go on as it is.
func (e *Engine) Forward(id uint64) error {
	h, err := e.ic.take(id)
	if err != nil {
		return err
	}
	h.decide <- proxy.Verdict{Note: &protocol.Note{Act: protocol.ActHeld}}
	return nil
}

// ForwardAll lets every held frame go on as it is; it returns how many.
func (e *Engine) ForwardAll() int {
	n := 0
	for _, h := range e.Held() {
		if e.Forward(h.ID) == nil {
			n++
		}
	}
	return n
}

// Drop drops held frame id: the other peer never gets it.
func (e *Engine) Drop(id uint64) error {
	h, err := e.ic.take(id)
	if err != nil {
		return err
	}
	h.decide <- proxy.Verdict{Drop: true, Note: &protocol.Note{Act: protocol.ActDropped}}
	return nil
}

// Edit forwards payload, one JSON message, instead of held frame id,
// framed as the frame was; for a frame of HTTP/1, RESP or msgpack-RPC,
// payload is its JSON view, written back (protocol.EncodeView). Invalid
// JSON, or a view no such frame has, is refused with the reason, and the
// frame stays held.
func (e *Engine) Edit(id uint64, payload []byte) error {
	out, err := compact(payload)
	if err != nil {
		return err
	}
	err = e.ic.check(id, func(h *Held) error {
		if err := h.Editable(); err != nil || !protocol.Encodes(h.Framing) {
			return err
		}
		if out, err = protocol.EncodeView(h.Framing, out); err != nil {
			return fmt.Errorf("held #%d: not %s: %w", id, h.Framing, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	h, err := e.ic.take(id)
	if err != nil {
		return err
	}
	h.decide <- proxy.Verdict{Replace: h.seen.enc.Append(nil, out),
		Note: &protocol.Note{Act: protocol.ActEdited, Diff: diff(h.Payload, out), Was: bytes.Clone(h.Payload)}}
	return nil
}

// Fabricate answers held request id with reply, one JSON message, in
// place of the other peer: the request is never forwarded, and the reply
// carries the request's id as its asker sent it.
func (e *Engine) Fabricate(id uint64, reply []byte) error {
	out, err := compact(reply)
	if err != nil {
		return err
	}
	if err := e.ic.check(id, (*Held).Answerable); err != nil {
		return err
	}
	h, err := e.ic.take(id)
	if err != nil {
		return err
	}
	out = withID(out, h.Payload, h.Info.ID, e.cfg.IDFields)
	h.decide <- proxy.Verdict{Drop: true, Note: &protocol.Note{Act: protocol.ActFabricated, Diff: "answered by sockscope"},
		Answer: h.seen.enc.Append(nil, out), AnswerNote: &protocol.Note{Act: protocol.ActFabricated}}
	return nil
}

// ReplyTemplate returns a reply to held request id in its protocol's
// shape (result null, or an error when failed), for the user to edit.
func (e *Engine) ReplyTemplate(id uint64, failed bool) ([]byte, error) {
	e.ic.mu.Lock()
	h := e.ic.held[id]
	e.ic.mu.Unlock()
	if h == nil {
		return nil, fmt.Errorf("no frame is held as #%d", id)
	}
	if err := h.Answerable(); err != nil {
		return nil, err
	}
	if failed {
		return errorShape(h.Payload, h.Info, -32000, "sockscope", e.cfg.IDFields), nil
	}
	return replyShape(h.Payload, h.Info, []byte("null"), e.cfg.IDFields), nil
}

// Sticky adds a rule that does to the next frames like held frame id
// what payload did to it: an edit (replace:) or, fabricate, a reply
// (replace: on the request's replies is not it: a reply: rule). The rule
// matches the frame's method and direction.
func (e *Engine) Sticky(ctx context.Context, id uint64, payload []byte, fabricate bool) (Rule, error) {
	out, err := compact(payload)
	if err != nil {
		return Rule{}, err
	}
	e.ic.mu.Lock()
	h := e.ic.held[id]
	e.ic.mu.Unlock()
	if h == nil {
		return Rule{}, fmt.Errorf("no frame is held as #%d", id)
	}
	match := "dir:" + h.Dir.String()
	if len(h.Info.Method) > 0 {
		match += " method:" + string(h.Info.Method)
	}
	act := "replace:" + string(out)
	if fabricate {
		act = "reply:" + string(resultOf(out))
	}
	return e.AddRule(ctx, match+" "+act)
}

// resultOf returns a reply's result (or the seed's data, QMP's return),
// or the reply itself.
func resultOf(reply []byte) []byte {
	for _, k := range []string{"result", "data", "return", "body"} {
		if v := member(reply, k); v != nil {
			return v
		}
	}
	return reply
}

// SetIntercept sets the intercept filter and turns intercepting on or
// off. Turning it on makes live connections frame-aware.
func (e *Engine) SetIntercept(ctx context.Context, expr string, on bool) error {
	if err := e.ic.setFilter(expr, on); err != nil {
		return err
	}
	return e.armAll(ctx)
}

// Intercepting returns the intercept filter and whether it is on.
func (e *Engine) Intercepting() (expr string, on bool) {
	e.ic.mu.Lock()
	defer e.ic.mu.Unlock()
	return e.ic.cfg.Filter, e.ic.cfg.On
}

// Rules lists the rules with their counts.
func (e *Engine) Rules() []Rule {
	e.ic.mu.Lock()
	defer e.ic.mu.Unlock()
	out := make([]Rule, len(e.ic.rules))
	for i, r := range e.ic.rules {
		out[i] = r.Rule
	}
	return out
}

// AddRule adds a rule, 'MATCH ACTION [COUNT]' as --rule takes it, after
// the others, and makes live connections frame-aware.
func (e *Engine) AddRule(ctx context.Context, spec string) (Rule, error) {
	r, err := ParseRule("", spec)
	if err != nil {
		return Rule{}, err
	}
	if r, err = e.ic.add(r); err != nil {
		return Rule{}, err
	}
	return r, e.armAll(ctx)
}

// EnableRule enables or disables the rule named name.
func (e *Engine) EnableRule(ctx context.Context, name string, on bool) error {
	ic := e.ic
	ic.mu.Lock()
	i := ic.find(name)
	if i >= 0 {
		ic.rules[i].Disabled = !on
		ic.rearm()
	}
	ic.mu.Unlock()
	if i < 0 {
		return fmt.Errorf("no rule is named %s", name)
	}
	return e.armAll(ctx)
}

// RemoveRule removes the rule named name.
func (e *Engine) RemoveRule(name string) error {
	ic := e.ic
	ic.mu.Lock()
	defer ic.mu.Unlock()
	i := ic.find(name)
	if i < 0 {
		return fmt.Errorf("no rule is named %s", name)
	}
	ic.rules = slices.Delete(ic.rules, i, i+1)
	ic.rearm()
	return nil
}

// find returns the index of the rule named name, -1 if none; the caller
// holds mu.
func (ic *interceptor) find(name string) int {
	return slices.IndexFunc(ic.rules, func(r *ruleState) bool { return r.Name == name })
}

// Notices returns, and forgets, what the interceptor has to tell the
// user: holds that timed out, frames not held for the caps, holds a close
// ended.
func (e *Engine) Notices() []string {
	e.ic.mu.Lock()
	defer e.ic.mu.Unlock()
	n := e.ic.notices
	e.ic.notices = nil
	return n
}
