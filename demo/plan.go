package demo

// outgoing is a call a client is about to make.
type outgoing struct {
	Method string
	Args   []any
}

// answerable reports whether the service answers this call with a response
// carrying its rid.
func (o outgoing) answerable() bool {
	switch o.Method {
	case "boom", "never", "crash":
		return false
	}
	return true
}

// UnknownMethod is the method the demo clients call that the service does
// not have.
const UnknownMethod = "multiply"

// Greeting is the multi-byte UTF-8 text the clients send, so a character
// may be split across reads on its way.
const Greeting = "héllo→世界"

// plan says what a client calls at one step of a connection: the reference
// demo's add and time first (time answers after add, out of order), then a
// weighted random mix of everything the service does, its quirks included.
func (c *client) plan(step int) []outgoing {
	if step == 0 {
		return []outgoing{
			{"add", []any{1, 2, 3, 4, 5}},
			{"time", []any{1, 2, 3, 4, 5}},
		}
	}
	r := c.rng
	switch n := r.IntN(100); {
	case n < 22:
		return []outgoing{{"add", []any{r.IntN(100), r.IntN(100), r.IntN(100)}}}
	case n < 30:
		// time first, add right behind it: replies come back out of order.
		return []outgoing{{"time", nil}, {"add", []any{r.IntN(10), r.IntN(10)}}}
	case n < 42:
		return []outgoing{{"echo", []any{Greeting}}}
	case n < 48:
		return []outgoing{{"echo", []any{map[string]any{"n": step, "tags": []string{"a", "b"}, "ok": true}}}}
	case n < 62:
		return []outgoing{{"slow", nil}}
	case n < 69:
		return []outgoing{{UnknownMethod, []any{6, 7}}}
	case n < 74:
		return []outgoing{{"add", nil}} // reduce of an empty array: an error reply
	case n < 78:
		return []outgoing{{"add", []any{1, nil}}} // an error reply
	case n < 83:
		return []outgoing{{"add", []any{"n=", r.IntN(10)}}} // string concatenation, JS style
	case n < 90:
		return []outgoing{{"boom", nil}}
	case n < 97:
		return []outgoing{{"never", nil}}
	case n < 99:
		return []outgoing{{"time", []any{2, 3, 7}}}
	default:
		return []outgoing{{"crash", nil}}
	}
}
