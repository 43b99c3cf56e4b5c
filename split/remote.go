//go:build unix

package split

import (
	"context"
	"encoding/json"
	"time"

	"sockscope/capture"
)

// The interceptor's calls on the link: the UI runs in the decoder's
// process, the frames are held in the relay's (its engine is the
// capture.Interceptor). Each carries the hold's number in Hold, a payload
// in Msg, a filter, rule or name in Text, a flag in OK, and what it
// returns in Val (JSON) or N.
const (
	opHeld          = "held"
	opForward       = "forward"
	opForwardAll    = "forward_all"
	opDrop          = "drop"
	opEdit          = "edit"
	opFabricate     = "fabricate"
	opReplyTemplate = "reply_template"
	opSticky        = "sticky"
	opSetIntercept  = "set_intercept"
	opIntercepting  = "intercepting"
	opRules         = "rules"
	opAddRule       = "add_rule"
	opEnableRule    = "enable_rule"
	opRemoveRule    = "remove_rule"
	opNotices       = "notices"
)

// icTimeout bounds an interceptor call that takes no context.
const icTimeout = 10 * time.Second

// Source is a capture.Interceptor: the relay's engine's, over the link.
var _ capture.Interceptor = (*Source)(nil)

// ic calls the relay's process's interceptor.
func (s *Source) ic(ctx context.Context, m msg) (msg, error) {
	if ctx == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), icTimeout)
		defer cancel()
	}
	return s.link.call(ctx, m)
}

// icVal calls the relay's process's interceptor and decodes what it
// returns into v.
func (s *Source) icVal(ctx context.Context, m msg, v any) error {
	a, err := s.ic(ctx, m)
	if err == nil {
		err = json.Unmarshal(a.Val, v)
	}
	return err
}

func (s *Source) Held() []capture.Held {
	var hs []capture.Held
	s.icVal(nil, msg{Op: opHeld}, &hs)
	return hs
}

func (s *Source) Forward(id uint64) error {
	_, err := s.ic(nil, msg{Op: opForward, Hold: id})
	return err
}

func (s *Source) ForwardAll() int {
	a, _ := s.ic(nil, msg{Op: opForwardAll})
	return int(a.N)
}

func (s *Source) Drop(id uint64) error {
	_, err := s.ic(nil, msg{Op: opDrop, Hold: id})
	return err
}

func (s *Source) Edit(id uint64, payload []byte) error {
	_, err := s.ic(nil, msg{Op: opEdit, Hold: id, Msg: payload})
	return err
}

func (s *Source) Fabricate(id uint64, reply []byte) error {
	_, err := s.ic(nil, msg{Op: opFabricate, Hold: id, Msg: reply})
	return err
}

func (s *Source) ReplyTemplate(id uint64, failed bool) ([]byte, error) {
	a, err := s.ic(nil, msg{Op: opReplyTemplate, Hold: id, OK: failed})
	return a.Msg, err
}

func (s *Source) Sticky(ctx context.Context, id uint64, payload []byte, fabricate bool) (capture.Rule, error) {
	var r capture.Rule
	err := s.icVal(ctx, msg{Op: opSticky, Hold: id, Msg: payload, OK: fabricate}, &r)
	return r, err
}

func (s *Source) SetIntercept(ctx context.Context, expr string, on bool) error {
	_, err := s.ic(ctx, msg{Op: opSetIntercept, Text: expr, OK: on})
	return err
}

func (s *Source) Intercepting() (string, bool) {
	a, _ := s.ic(nil, msg{Op: opIntercepting})
	return a.Text, a.OK
}

func (s *Source) Rules() []capture.Rule {
	var rs []capture.Rule
	s.icVal(nil, msg{Op: opRules}, &rs)
	return rs
}

func (s *Source) AddRule(ctx context.Context, spec string) (capture.Rule, error) {
	var r capture.Rule
	err := s.icVal(ctx, msg{Op: opAddRule, Text: spec}, &r)
	return r, err
}

func (s *Source) EnableRule(ctx context.Context, name string, on bool) error {
	_, err := s.ic(ctx, msg{Op: opEnableRule, Text: name, OK: on})
	return err
}

func (s *Source) RemoveRule(name string) error {
	_, err := s.ic(nil, msg{Op: opRemoveRule, Text: name})
	return err
}

func (s *Source) Notices() []string {
	var ns []string
	s.icVal(nil, msg{Op: opNotices}, &ns)
	return ns
}

// serveIntercept answers the decoder's process's interceptor call m on
// ic, the relay's engine, and reports whether m is one.
func serveIntercept(ic capture.Interceptor, m msg) (msg, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var (
		a   msg
		err error
		val any // returned as Val
	)
	switch m.Op {
	case opHeld:
		val = ic.Held()
	case opForward:
		err = ic.Forward(m.Hold)
	case opForwardAll:
		a.N = int64(ic.ForwardAll())
	case opDrop:
		err = ic.Drop(m.Hold)
	case opEdit:
		err = ic.Edit(m.Hold, m.Msg)
	case opFabricate:
		err = ic.Fabricate(m.Hold, m.Msg)
	case opReplyTemplate:
		a.Msg, err = ic.ReplyTemplate(m.Hold, m.OK)
	case opSticky:
		val, err = ic.Sticky(ctx, m.Hold, m.Msg, m.OK)
	case opSetIntercept:
		err = ic.SetIntercept(ctx, m.Text, m.OK)
	case opIntercepting:
		a.Text, a.OK = ic.Intercepting()
	case opRules:
		val = ic.Rules()
	case opAddRule:
		val, err = ic.AddRule(ctx, m.Text)
	case opEnableRule:
		err = ic.EnableRule(ctx, m.Text, m.OK)
	case opRemoveRule:
		err = ic.RemoveRule(m.Text)
	case opNotices:
		val = ic.Notices()
	default:
		return msg{}, false
	}
	if val != nil {
		a.Val, _ = json.Marshal(val)
	}
	if err != nil {
		a.Err = err.Error()
	}
	return a, true
}
