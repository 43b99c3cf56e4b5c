package replay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
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
	b, _ := json.Marshal(s)
	return b[1 : len(b)-1]
}

// mapPaths rewrites every occurrence of each map's from side to its to side
// (forward: Old to New).
func mapPaths(p []byte, maps []PathMap, forward bool) []byte {
	for _, m := range maps {
		from, to := m.Old, m.New
		if !forward {
			from, to = to, from
		}
		p = bytes.ReplaceAll(p, jsonText(from), jsonText(to))
	}
	return p
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
