package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/pflag"

	"sockscope/capture"
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
	f.StringArrayVar(&o.rules, "rule", nil, "act on the frames MATCH selects: `'MATCH ACTION [COUNT]'`, repeatable (see README: delay:500ms, drop, reply:JSON, error:CODE[:msg], set:$.path=JSON, garbage, truncate:N, duplicate, close, reset, hold, bandwidth:KB/s, slice:N; once, times:N, after:N, every:N, prob:P)")
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
