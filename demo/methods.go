package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Delays of the service's slow methods.
const (
	// TimeDelay is how long `time` takes to answer, as in the reference demo.
	TimeDelay = time.Second
	// SlowMin and SlowMax bound the random delay of `slow`.
	SlowMin, SlowMax = 50 * time.Millisecond, 800 * time.Millisecond
)

// errEmptyReduce is what the reference server's reduce throws on no args.
const errEmptyReduce = "Reduce of empty array with no initial value"

// handle answers one request the way the reference server does. It returns
// false when the connection must be dropped (the `crash` method).
func (s *session) handle(ctx context.Context, req request) bool {
	ret := reply{Rid: req.Rid}
	switch req.Method {
	case "add":
		data, err := add(req.Args)
		if err != nil {
			ret.Error = err.Error()
		} else {
			ret.Success, ret.Data = true, data
		}
		s.send(ret)
	case "echo":
		ret.Success = true
		if len(req.Args) == 1 {
			ret.Data = req.Args[0]
		} else {
			ret.Data = nonNil(req.Args)
		}
		s.send(ret)
	case "time":
		s.later(ctx, TimeDelay, func() {
			if len(req.Args) == 0 {
				ret.Success, ret.Data = true, time.Now().Format(time.RFC3339Nano)
				s.send(ret)
				return
			}
			data, err := multiply(req.Args)
			if err != nil {
				ret.Error = err.Error()
			} else {
				ret.Success, ret.Data = true, data
			}
			s.send(ret)
		})
	case "slow":
		d := SlowMin + rand.N(SlowMax-SlowMin+1)
		s.later(ctx, d, func() {
			ret.Success, ret.Data = true, d.Milliseconds()
			s.send(ret)
		})
	case "boom":
		// A rejected promise: the reference catch handler sends the Error
		// object itself, which JSON.stringify turns into {}. No rid, so the
		// request is never answered.
		d := 20*time.Millisecond + rand.N(100*time.Millisecond)
		s.later(ctx, d, func() { s.send(struct{}{}) })
	case "never":
		// The method returns nothing and the server never answers.
	case "crash":
		// The reference server dies on an uncaught exception; here the
		// connection goes down, and whatever was in flight on it with it.
		return false
	default:
		// Unknown method: {"success":false,"rid":N}, no error field.
		s.send(ret)
	}
	return true
}

// later runs f after d unless the connection or the service ends first.
func (s *session) later(ctx context.Context, d time.Duration, f func()) {
	go func() {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			f()
		case <-s.done:
		case <-ctx.Done():
		}
	}()
}

func nonNil(args []json.RawMessage) []json.RawMessage {
	if args == nil {
		return []json.RawMessage{}
	}
	return args
}

// add folds args with JavaScript's +, as the reference `add` does with
// reduce: numbers sum, and once a string is involved it concatenates. No
// arguments throws like reduce does; null, booleans, objects and arrays are
// refused with an error (JavaScript would coerce them to nonsense).
func add(args []json.RawMessage) (any, error) {
	if len(args) == 0 {
		return nil, errors.New(errEmptyReduce)
	}
	var (
		sum   float64
		str   strings.Builder
		isStr bool
	)
	for i, a := range args {
		v, err := scalar(a)
		if err != nil {
			return nil, fmt.Errorf("add: argument %d: %v", i+1, err)
		}
		switch v := v.(type) {
		case float64:
			if isStr {
				str.WriteString(jsNumber(v))
			} else {
				sum += v
			}
		case string:
			if !isStr {
				isStr = true
				if i > 0 {
					str.WriteString(jsNumber(sum))
				}
			}
			str.WriteString(v)
		}
	}
	if isStr {
		return str.String(), nil
	}
	return sum, nil
}

// multiply is the reference `time` method's fold: the product of its args.
func multiply(args []json.RawMessage) (float64, error) {
	p := 1.0
	for i, a := range args {
		f, err := scalar(a)
		if err != nil {
			return 0, fmt.Errorf("time: argument %d is not a number", i+1)
		}
		n, ok := f.(float64)
		if !ok {
			return 0, fmt.Errorf("time: argument %d is not a number", i+1)
		}
		p *= n
	}
	return p, nil
}

// scalar decodes a number or a string.
func scalar(raw json.RawMessage) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var f float64
	if string(raw) == "null" || json.Unmarshal(raw, &f) != nil {
		return nil, fmt.Errorf("%s is not a number", raw)
	}
	return f, nil
}

// jsNumber formats f as JavaScript's String(f) would for ordinary values.
func jsNumber(f float64) string {
	b, err := json.Marshal(f)
	if err != nil {
		return "NaN"
	}
	return string(b)
}
