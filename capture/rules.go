package capture

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"sockscope/query"
)

// Actions names every ACTION for people, as --rule's help and the error
// for a rule without one list them.
const Actions = "delay:D[±J], drop, reply:JSON, error:CODE[:msg], set:$.path=JSON, replace:JSON, garbage, truncate:N, duplicate, close, reset, hold, bandwidth:KB/s, slice:BYTES"

// Rule describes one rule of the interceptor, as listed.
type Rule struct {
	Name     string // r1, r2, ... or the name a rules file gave
	Match    string // the filter it matches frames with
	Action   string // as written: delay:500ms, error:-32000:boom, ...
	Count    string // as written: once, after:2, ...; "" for every match
	Disabled bool
	Matched  int64 // frames that matched
	Hits     int64 // times it acted
}

// String writes the rule back as --rule takes it.
func (r Rule) String() string {
	s := strings.TrimSpace(r.Match + " " + r.Action + " " + r.Count)
	return s
}

// count is when a matching rule acts.
type count struct {
	after, every, times int64 // 0: no bound
	prob                float64
}

// fires reports whether a rule acts on its n-th match (from 1), having
// acted hits times before; draw gives a number in [0, 1) for prob.
func (c count) fires(n, hits int64, draw func() float64) bool {
	if n <= c.after {
		return false
	}
	if c.every > 0 && (n-c.after)%c.every != 0 {
		return false
	}
	if c.times > 0 && hits >= c.times {
		return false
	}
	if c.prob > 0 && draw() >= c.prob {
		return false
	}
	return true
}

// isCount reports whether a word of a rule is a COUNT.
func isCount(w string) bool {
	if w == "once" {
		return true
	}
	k, _, ok := strings.Cut(w, ":")
	return ok && (k == "times" || k == "after" || k == "every" || k == "prob")
}

func parseCount(words []string) (count, error) {
	var c count
	for _, w := range words {
		if w == "once" {
			c.times = 1
			continue
		}
		k, v, _ := strings.Cut(w, ":")
		if k == "prob" {
			p, err := strconv.ParseFloat(v, 64)
			if err != nil || p <= 0 || p > 1 {
				return c, fmt.Errorf("%s: a probability in (0, 1]", w)
			}
			c.prob = p
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		least := int64(1)
		if k == "after" {
			least = 0 // after:0 skips none
		}
		if err != nil || n < least {
			return c, fmt.Errorf("%s: not a count (a whole number, at least %d)", w, least)
		}
		switch k {
		case "times":
			c.times = n
		case "after":
			c.after = n
		case "every":
			c.every = n
		}
	}
	return c, nil
}

// actionWords are the ACTIONs, each with whether it takes an argument.
var actionWords = map[string]bool{
	"delay": true, "drop": false, "reply": true, "error": true, "set": true, "replace": true,
	"garbage": false, "truncate": true, "duplicate": false, "close": false, "reset": false,
	"hold": false, "bandwidth": true, "slice": true,
}

// isAction reports whether word w starts an ACTION.
func isAction(w string) bool {
	k, _, arg := strings.Cut(w, ":")
	takes, ok := actionWords[k]
	return ok && takes == arg
}

// ParseRule parses 'MATCH ACTION [COUNT]' into the rule named name. It is
// checked fully: the filter, the action's argument (JSON included) and the
// count.
func ParseRule(name, spec string) (Rule, error) {
	words := strings.Fields(spec)
	a := -1
	for i, w := range words {
		if isAction(w) {
			a = i
			break
		}
	}
	if a < 0 {
		return Rule{}, fmt.Errorf("rule %q: no ACTION (%s)", spec, Actions)
	}
	c := len(words)
	for c > a+1 && isCount(words[c-1]) {
		c--
	}
	r := Rule{Name: name, Match: strings.Join(words[:a], " "), Action: strings.Join(words[a:c], " "), Count: strings.Join(words[c:], " ")}
	if _, err := r.compile(); err != nil {
		return Rule{}, err
	}
	return r, nil
}

// compiled is a Rule ready to match and act.
type compiled struct {
	q   *query.Query
	act action
	cnt count
}

func (r Rule) compile() (compiled, error) {
	name := r.Name
	if name == "" { // one being added: named once it is
		name = strconv.Quote(strings.Join(strings.Fields(r.Match+" "+r.Action+" "+r.Count), " "))
	}
	q, err := query.Parse(r.Match)
	if err != nil {
		return compiled{}, fmt.Errorf("rule %s: match: %w", name, err)
	}
	act, err := parseAction(r.Action)
	if err != nil {
		return compiled{}, fmt.Errorf("rule %s: %w", name, err)
	}
	cnt, err := parseCount(strings.Fields(r.Count))
	if err != nil {
		return compiled{}, fmt.Errorf("rule %s: count %w", name, err)
	}
	return compiled{q: q, act: act, cnt: cnt}, nil
}

// fileRule is one entry of a rules file: a string as --rule takes it, or
// an object.
type fileRule struct {
	Name   string `yaml:"name" json:"name"`
	Match  string `yaml:"match" json:"match"`
	Action string `yaml:"action" json:"action"`
	Count  string `yaml:"count" json:"count"`
	Rule   string `yaml:"rule" json:"rule"`
}

// UnmarshalYAML lets an entry be a plain string.
func (f *fileRule) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		f.Rule = n.Value
		return nil
	}
	type plain fileRule
	return n.Decode((*plain)(f))
}

// ReadRules reads a rules file: JSON or YAML (YAML reads JSON too), a list
// whose entries are strings as --rule takes them or objects with match,
// action, count and an optional name. Unnamed rules are named first, first+1, ...
func ReadRules(path string, first int) ([]Rule, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var list []fileRule
	if err := yaml.Unmarshal(b, &list); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return nil, fmt.Errorf("%s: not a list of rules: %w", path, err)
	}
	out := make([]Rule, 0, len(list))
	for i, f := range list {
		name := f.Name
		if name == "" {
			name = "r" + strconv.Itoa(first+i)
		}
		var (
			r   Rule
			err error
		)
		if f.Rule != "" {
			r, err = ParseRule(name, f.Rule)
		} else {
			// Each part as it is named: a match holding a word that
			// reads as an action (a text term "close") stays the match.
			r, err = fieldRule(name, f)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: entry %d: %w", path, i+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// fieldRule is the rule named name that the object entry f gives by its
// parts.
func fieldRule(name string, f fileRule) (Rule, error) {
	r := Rule{Name: name, Match: strings.TrimSpace(f.Match), Action: strings.TrimSpace(f.Action), Count: strings.TrimSpace(f.Count)}
	if w := strings.Fields(r.Action); len(w) == 0 || !isAction(w[0]) {
		return Rule{}, fmt.Errorf("rule %s: action %q: not an ACTION (%s)", name, r.Action, Actions)
	}
	if _, err := r.compile(); err != nil {
		return Rule{}, err
	}
	return r, nil
}

// parseDelay parses "500ms" or "500ms±100ms" (also "+-").
func parseDelay(s string) (d, jitter time.Duration, err error) {
	base, j, ok := strings.Cut(s, "±")
	if !ok {
		base, j, ok = strings.Cut(s, "+-")
	}
	if d, err = time.ParseDuration(base); err != nil || d < 0 {
		return 0, 0, fmt.Errorf("delay:%s: a duration such as 500ms", s)
	}
	if ok {
		if jitter, err = time.ParseDuration(j); err != nil || jitter < 0 {
			return 0, 0, fmt.Errorf("delay:%s: a jitter such as ±100ms", s)
		}
	}
	return d, jitter, nil
}
