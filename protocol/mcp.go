package protocol

import (
	"bytes"
	"encoding/json"
)

// ToolFailed reports whether data, a JSON-RPC reply to MCP's tools/call,
// is a result that says the tool failed ({"result":{"isError":true,…}}):
// MCP reports a tool's failure so, not as a JSON-RPC error.
func ToolFailed(data []byte) bool {
	var r struct {
		Result struct {
			IsError bool `json:"isError"`
		} `json:"result"`
	}
	return bytes.Contains(data, []byte(`"isError"`)) && json.Unmarshal(data, &r) == nil && r.Result.IsError
}
