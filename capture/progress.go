package capture

import (
	"bytes"
	"encoding/json"
	"slices"
)

// progressTokens are the members of a request's params that ask the server
// for progress notifications: LSP's work-done and partial-result tokens
// ($/progress). MCP's is params._meta.progressToken
// (notifications/progress).
var progressTokens = []string{"workDoneToken", "partialResultToken"}

// withoutProgress returns request payload, compact JSON, without the
// tokens that ask the server for progress notifications: LSP's
// params.workDoneToken and params.partialResultToken, MCP's
// params._meta.progressToken (and _meta when nothing else is left in it).
// The server's notifications for a request sockscope sent would reach the
// client, which knows no such token, or takes it for one of its own calls'.
// The members keep their order; payload comes back as it is, and changed
// false, when it has none of them.
func withoutProgress(payload []byte) (out []byte, changed bool) {
	if !bytes.Contains(payload, []byte(`Token"`)) { // all three end so
		return payload, false
	}
	top, ok := members(payload)
	if !ok {
		return payload, false
	}
	i := slices.IndexFunc(top, func(m field) bool { return m.name == "params" })
	if i < 0 {
		return payload, false
	}
	params, ok := members(top[i].value)
	if !ok {
		return payload, false
	}
	n := len(params)
	params = slices.DeleteFunc(params, func(m field) bool { return slices.Contains(progressTokens, m.name) })
	changed = len(params) != n
	if j := slices.IndexFunc(params, func(m field) bool { return m.name == "_meta" }); j >= 0 {
		if meta, ok := members(params[j].value); ok {
			n := len(meta)
			if meta = slices.DeleteFunc(meta, func(m field) bool { return m.name == "progressToken" }); len(meta) != n {
				changed = true
				if len(meta) == 0 {
					params = slices.Delete(params, j, j+1)
				} else {
					params[j].value = object(meta)
				}
			}
		}
	}
	if !changed {
		return payload, false
	}
	top[i].value = object(params)
	return object(top), true
}

// field is one member of a JSON object, its value as it was written.
type field struct {
	name  string
	value json.RawMessage
}

// members returns the members of JSON object obj in their order, or false
// when obj is not an object.
func members(obj []byte) ([]field, bool) {
	d := json.NewDecoder(bytes.NewReader(obj))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	var ms []field
	for d.More() {
		t, err := d.Token()
		name, ok := t.(string)
		if err != nil || !ok {
			return nil, false
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, false
		}
		ms = append(ms, field{name, v})
	}
	return ms, true
}

// object writes ms as a compact JSON object.
func object(ms []field) []byte {
	out := []byte{'{'}
	for i, m := range ms {
		if i > 0 {
			out = append(out, ',')
		}
		name, _ := json.Marshal(m.name)
		out = append(append(append(out, name...), ':'), m.value...)
	}
	return append(out, '}')
}
