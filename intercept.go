package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"sockscope/capture"
	"sockscope/ui"
)

// interceptFlags are the flags that hold frames and run rules on them.
type interceptFlags struct {
	intercept   string
	rules       []string
	rulesFile   string
	holdTimeout time.Duration
	maxHeldConn int64
	maxHeld     int64
	seed        uint64
}

// addInterceptFlags declares the flags that hold frames and run rules.
func addInterceptFlags(f *pflag.FlagSet, o *options) {
	f.StringVar(&o.intercept, "intercept", "", "hold the frames `EXPR` matches (the filter syntax; the UI's i and I) until forwarded, edited, dropped or answered")
	f.StringArrayVar(&o.rules, "rule", nil, "act on the frames MATCH selects: `'MATCH ACTION [COUNT]'`, repeatable (see README: "+capture.Actions+"; once, times:N, after:N, every:N, prob:P)")
	f.StringVar(&o.rulesFile, "rules", "", "read rules from `FILE` (JSON or YAML: a list of --rule strings or of {name, match, action, count})")
	f.DurationVar(&o.holdTimeout, "hold-timeout", capture.DefaultHoldTimeout, "a frame held longer is forwarded as it was (and the recording says so)")
	f.Int64Var(&o.maxHeldConn, "max-held-conn", capture.DefaultMaxHeldConn, "bytes of held frames per connection; past it frames are forwarded, not held")
	f.Int64Var(&o.maxHeld, "max-held", capture.DefaultMaxHeld, "bytes of held frames in all; past it frames are forwarded, not held")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the rules' prob: counts, so that a run repeats")
}

// interceptConfig is what the intercept flags ask for.
func (o options) interceptConfig() (capture.Intercept, error) {
	ic := capture.Intercept{Filter: o.intercept, On: o.intercept != "", HoldTimeout: o.holdTimeout,
		MaxHeldConn: o.maxHeldConn, MaxHeld: o.maxHeld, Seed: o.seed}
	if o.rulesFile != "" {
		rs, err := capture.ReadRules(o.rulesFile, 1)
		if err != nil {
			return ic, fmt.Errorf("--rules: %w", err)
		}
		ic.Rules = append(ic.Rules, rs...)
	}
	for i, spec := range o.rules {
		r, err := capture.ParseRule("r"+strconv.Itoa(len(ic.Rules)+1), spec)
		if err != nil {
			return ic, fmt.Errorf("--rule %d: %w", i+1, err)
		}
		ic.Rules = append(ic.Rules, r)
	}
	return ic, nil
}

// checkHolds refuses --intercept, and a rule that holds, in a run without
// a UI (--headless, --dump, a wrap without --ui) and with the default
// --hold-timeout: each held frame would wait 5 minutes for a key that no
// one could press (an attached viewer has no intercept keys). A
// --hold-timeout of one's own says how long they are to wait.
func (o options) checkHolds(ui bool) error {
	if ui || o.holdTimeout != capture.DefaultHoldTimeout {
		return nil
	}
	what := ""
	if o.intercept != "" {
		what = "--intercept"
	} else {
		ic, err := o.interceptConfig()
		if err != nil {
			return err
		}
		for _, r := range ic.Rules {
			if verb, _, _ := strings.Cut(r.Action, ":"); verb == "hold" && what == "" {
				what = fmt.Sprintf("rule %s (%s)", r.Name, r)
			}
		}
	}
	if what == "" {
		return nil
	}
	return fmt.Errorf("%s holds frames until you release them in the UI, and this run has none (--headless, --dump, or a wrap without --ui): each would wait --hold-timeout, %v; use a rule that does not hold (delay:…), the UI, or a --hold-timeout of your own", what, capture.DefaultHoldTimeout)
}

// The capture engine as the UI's Interceptor (ui.Interceptor).

func (c uiControl) Held() []ui.HeldFrame {
	hs := c.e.Held()
	out := make([]ui.HeldFrame, len(hs))
	for i, h := range hs {
		out[i] = ui.HeldFrame{ID: h.ID, Conn: h.Conn, Dir: h.Dir, Since: h.Since, Rule: h.Rule, Payload: h.Payload, Info: h.Info, Framing: h.Framing}
	}
	return out
}

func (c uiControl) Forward(id uint64) error                 { return c.e.Forward(id) }
func (c uiControl) Drop(id uint64) error                    { return c.e.Drop(id) }
func (c uiControl) ForwardAll() int                         { return c.e.ForwardAll() }
func (c uiControl) Edit(id uint64, payload []byte) error    { return c.e.Edit(id, payload) }
func (c uiControl) Fabricate(id uint64, reply []byte) error { return c.e.Fabricate(id, reply) }
func (c uiControl) RemoveRule(name string) error            { return c.e.RemoveRule(name) }
func (c uiControl) Notices() []string                       { return c.e.Notices() }
func (c uiControl) Intercepting() (string, bool)            { return c.e.Intercepting() }
func (c uiControl) ReplyTemplate(id uint64, failed bool) ([]byte, error) {
	return c.e.ReplyTemplate(id, failed)
}

func (c uiControl) Sticky(ctx context.Context, id uint64, payload []byte, fabricate bool) (ui.RuleInfo, error) {
	r, err := c.e.Sticky(ctx, id, payload, fabricate)
	return ruleInfo(r), err
}

func (c uiControl) SetIntercept(ctx context.Context, expr string, on bool) error {
	return c.e.SetIntercept(ctx, expr, on)
}

func (c uiControl) Rules() []ui.RuleInfo {
	rs := c.e.Rules()
	out := make([]ui.RuleInfo, len(rs))
	for i, r := range rs {
		out[i] = ruleInfo(r)
	}
	return out
}

func (c uiControl) AddRule(ctx context.Context, spec string) (ui.RuleInfo, error) {
	r, err := c.e.AddRule(ctx, spec)
	return ruleInfo(r), err
}

func (c uiControl) EnableRule(ctx context.Context, name string, on bool) error {
	return c.e.EnableRule(ctx, name, on)
}

func ruleInfo(r capture.Rule) ui.RuleInfo {
	return ui.RuleInfo{Name: r.Name, Match: r.Match, Action: r.Action, Count: r.Count, Disabled: r.Disabled, Matched: r.Matched, Hits: r.Hits}
}

// uiControl must stay an Interceptor, or the UI's i, I and : go dark.
var _ ui.Interceptor = uiControl{}

// unattend is what quitting a UI that leaves the traffic going (a wrap's
// --ui: the child outlives it) does to the intercept: no one is left to
// release held frames, so intercepting turns off, the rules that hold are
// disabled, and every frame held goes on as it was (in that order: none
// is held after). It returns what it did, "" for nothing, for stderr.
func unattend(ctx context.Context, ic capture.Interceptor) string {
	var did []string
	if expr, on := ic.Intercepting(); on {
		if err := ic.SetIntercept(ctx, expr, false); err != nil {
			did = append(did, "intercept could not be turned off: "+err.Error())
		} else {
			did = append(did, "intercept ("+expr+") off")
		}
	}
	for _, r := range ic.Rules() {
		if verb, _, _ := strings.Cut(r.Action, ":"); verb != "hold" || r.Disabled {
			continue
		}
		if err := ic.EnableRule(ctx, r.Name, false); err != nil {
			did = append(did, "rule "+r.Name+" could not be disabled: "+err.Error())
		} else {
			did = append(did, "rule "+r.Name+" ("+r.String()+") disabled")
		}
	}
	switch n := ic.ForwardAll(); n {
	case 0:
	case 1:
		did = append(did, "the frame held forwarded as it was")
	default:
		did = append(did, fmt.Sprintf("the %d frames held forwarded as they were", n))
	}
	if len(did) == 0 {
		return ""
	}
	return "the UI quit and no one is left to release held frames: " + strings.Join(did, ", ")
}
