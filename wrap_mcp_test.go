//go:build unix

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sockscope/internal/missing"
	"sockscope/internal/nodetest"
	"sockscope/protocol"
	"sockscope/session"
)

// mcpDir holds the official MCP SDK and the everything server, installed
// by .ci/run (npm ci) from the committed package-lock.json.
const mcpDir = "testdata/mcp"

// The everything MCP server (stdio), wrapped by the real binary and driven
// by the official TypeScript SDK's client, whose StdioClientTransport runs
// sockscope as the server's command: initialize, the tools listed, a tool
// called, a hundred calls at once, every one answered right and paired in
// the recording, the server's stderr passed through and kept.
func TestWrapMCPServer(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(mcpDir, "node_modules", "@modelcontextprotocol", "sdk")); err != nil {
		missing.Peer(t, "the MCP packages are not installed: (cd testdata/mcp && npm ci)")
	}
	dir := shortDir(t)
	rec := filepath.Join(dir, "mcp.jsonl")
	cmd := exec.Command("node", filepath.Join(mcpDir, "client.mjs"), binary, rec)
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+dir)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("the MCP client: %v\n%s\n%s", err, out, stderr)
	}
	var got struct {
		Server struct{ Name string }
		Tools  []string
		Echo   string
		Calls  int
		Wrong  []string
		Stderr string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("client output %q: %v", out, err)
	}
	if !slices.Contains(got.Tools, "echo") || !slices.Contains(got.Tools, "get-sum") || got.Echo != "Echo: hello" {
		t.Fatalf("the client saw tools %v and echo %q", got.Tools, got.Echo)
	}
	if len(got.Wrong) > 0 {
		t.Fatalf("%d of %d concurrent calls answered wrong: %q", len(got.Wrong), got.Calls, got.Wrong)
	}
	if !strings.Contains(got.Stderr, "Starting default (STDIO) server") {
		t.Errorf("the server's stderr did not reach the client's transport: %q", got.Stderr)
	}

	st := decodeRecording(t, rec)
	methods := map[string]int{}
	for _, r := range allRows(st) {
		if r.Kind != protocol.KindRequest {
			continue
		}
		if r.Status != protocol.StatusOK {
			t.Errorf("%s (id %s): %v, want ok", r.Method, r.ID, r.Status)
		}
		methods[r.Method]++
	}
	if methods["initialize"] != 1 || methods["tools/list"] != 1 || methods["tools/call"] != got.Calls+1 {
		t.Errorf("paired requests by method: %v", methods)
	}
	recs, err := session.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	var errConn uint64
	kept := ""
	for _, r := range recs {
		if r.Type == session.TypeOpen && r.Client == "stderr" {
			errConn = r.Conn
		}
		if r.Type == session.TypeFrame && errConn != 0 && r.Conn == errConn {
			kept += string(r.Data) + "\n"
		}
	}
	if kept != got.Stderr {
		t.Errorf("the recorded stderr stream %q is not what passed through %q", kept, got.Stderr)
	}
}

// `sockscope send` to the everything MCP server (testdata/mcp/socket.mjs:
// one per connection on a Unix socket): a tools/call whose result says
// isError, MCP's way of reporting a tool that failed, ends send with 1,
// as sockscope shows such a call as an error (send said 0); a tool that
// works ends it with 0.
func TestSendMCPToolFailure(t *testing.T) {
	if _, err := os.Stat(filepath.Join(mcpDir, "node_modules", "@modelcontextprotocol", "server-everything")); err != nil {
		missing.Peer(t, "the MCP packages are not installed: (cd testdata/mcp && npm ci)")
	}
	sock := filepath.Join(shortDir(t), "mcp.sock")
	nodetest.Start(t, filepath.Join("..", "mcp", "socket.mjs"), sock).Expect(t, "listening")
	initialize := `{"jsonrpc":"2.0","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"sockscope-test","version":"1"}}}` + "\n"
	for _, c := range []struct {
		tool, want string
		status     int
	}{
		{`{"name":"nosuchtool","arguments":{}}`, `"isError":true`, 1},
		{`{"name":"echo","arguments":{"message":"hi"}}`, `"text":"Echo: hi"`, 0},
	} {
		out, errOut, status := runSendCmd(t, initialize+`{"jsonrpc":"2.0","method":"tools/call","params":`+c.tool+"}\n", sock, "-")
		if lines := strings.Split(strings.TrimSpace(out), "\n"); status != c.status || len(lines) != 2 || !strings.Contains(lines[1], c.want) {
			t.Errorf("send tools/call %s: status %d, stderr %q, stdout:\n%s\nwant status %d, a reply with %s", c.tool, status, errOut, out, c.status, c.want)
		}
	}
}
