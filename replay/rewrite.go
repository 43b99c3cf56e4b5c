package replay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"sockscope/protocol"
)

// PathMap rewrites file paths (and the file URIs holding them) from Old,
// in the recording, to New, in this replay's checkout; what comes back is
// mapped from New to Old before it is compared.
type PathMap struct{ Old, New string }

// ParsePathMap parses --map-path OLD=NEW.
func ParsePathMap(s string) (PathMap, error) {
	old, new, ok := strings.Cut(s, "=")
	if !ok || old == "" || new == "" {
		return PathMap{}, fmt.Errorf("--map-path %q: want OLD=NEW", s)
	}
	return PathMap{Old: old, New: new}, nil
}

// jsonText is s as it appears inside a JSON string.
func jsonText(s string) []byte {
	b := marshal(s)
	return b[1 : len(b)-1]
}

// marshal is json.Marshal without its HTML escapes: <, > and & as they
// are, as most peers write them (and as people read them, in a miss's
// message).
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// mapPaths rewrites each map's from side to its to side (forward: Old to
// New), spelt as a path and as in a file URI (percent-encoded: "my ws" as
// "my%20ws"), where it is a whole path or its start: not inside a longer
// name (/home/a/src is not rewritten in /home/a/src2 or /x/home/a/src).
func mapPaths(p []byte, maps []PathMap, forward bool) []byte {
	for _, m := range maps {
		from, to := m.Old, m.New
		if !forward {
			from, to = to, from
		}
		p = replacePath(p, jsonText(from), jsonText(to))
		if uf, ut := uriPath(from), uriPath(to); uf != from || ut != to {
			p = replacePath(p, jsonText(uf), jsonText(ut))
		}
	}
	return p
}

// uriPath is path as a file URI spells it (as Go and gopls do).
func uriPath(path string) string {
	return (&url.URL{Path: path}).EscapedPath()
}

// replacePath replaces from with to in p where from is not part of a
// longer name: the byte before it and the one after it (unless from ends
// with a '/') are not path bytes.
func replacePath(p, from, to []byte) []byte {
	if len(from) == 0 || !bytes.Contains(p, from) {
		return p
	}
	var out []byte
	last := 0
	for i := 0; i < len(p); {
		j := bytes.Index(p[i:], from)
		if j < 0 {
			break
		}
		j += i
		end := j + len(from)
		if (j == 0 || !pathByte(p[j-1])) && (end == len(p) || from[len(from)-1] == '/' || !pathByte(p[end])) {
			out = append(append(out, p[last:j]...), to...)
			last, i = end, end
			continue
		}
		i = j + 1
	}
	if out == nil {
		return p
	}
	return append(out, p[last:]...)
}

// pathByte reports whether c may be part of a file or directory name (so
// that a path followed by it names another file): not '/', a quote, a
// space or other punctuation that ends a path in a message.
func pathByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c >= 0x80 ||
		strings.IndexByte("-_.~%+@", c) >= 0
}

// withProcessID returns an LSP initialize request with params.processId
// set to pid (the spec lets a server exit once that process is gone), or
// payload unchanged when it has no processId.
func withProcessID(payload []byte, pid int) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(payload, &m) != nil {
		return payload
	}
	var params map[string]json.RawMessage
	if json.Unmarshal(m["params"], &params) != nil || params["processId"] == nil || string(params["processId"]) == "null" {
		return payload
	}
	params["processId"] = json.RawMessage(strconv.Itoa(pid))
	m["params"], _ = json.Marshal(params)
	out, err := json.Marshal(m)
	if err != nil {
		return payload
	}
	return out
}

// typedDefault is the answer to a server's request the recording has no
// answer for: the result the protocol defines for "nothing" (null; one null
// per item for workspace/configuration; an edit not applied).
func typedDefault(req []byte, id []byte, method string) []byte {
	var m struct {
		Type    string `json:"type"`
		Command string `json:"command"`
		Seq     json.RawMessage
		Params  struct {
			Items []json.RawMessage `json:"items"`
		} `json:"params"`
	}
	json.Unmarshal(req, &m)
	if m.Type == "request" && m.Command != "" { // DAP's reverse requests
		return fmt.Appendf(nil, `{"type":"response","request_seq":%s,"success":true,"command":%q}`, id, m.Command)
	}
	result := "null"
	switch method {
	case "workspace/configuration":
		result = "[" + strings.TrimSuffix(strings.Repeat("null,", len(m.Params.Items)), ",") + "]"
	case "workspace/applyEdit":
		result = `{"applied":false}`
	case "workspace/workspaceFolders":
		result = "[]"
	}
	return fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%s,"result":%s}`, id, result)
}

// withSeq returns DAP message p with its seq set to n (added first when p
// has none), the rest as it was; p itself when it is no JSON object.
func withSeq(p []byte, n int) []byte {
	d := json.NewDecoder(bytes.NewReader(p))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return p
	}
	for d.More() {
		k, err := d.Token()
		if err != nil {
			return p
		}
		at := d.InputOffset() // after the key
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return p
		}
		if k == "seq" {
			end := int(d.InputOffset())
			start := end - len(v)
			if start < int(at) {
				return p
			}
			out := make([]byte, 0, len(p)+8)
			out = append(out, p[:start]...)
			out = strconv.AppendInt(out, int64(n), 10)
			return append(out, p[end:]...)
		}
	}
	if out := protocol.AddMember(p, "seq", strconv.AppendInt(nil, int64(n), 10)); out != nil {
		return out
	}
	return p
}
