package ui

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"

	"sockscope/protocol"
)

// contentLengthHeader is the shortest header of a Content-Length frame.
const contentLengthHeader = len("Content-Length: 0\r\n\r\n")

// cameAsContentLength reports whether msg came in Content-Length framing:
// its frame took a header's worth of bytes more on the wire than its
// payload (a line takes one or two, a raw chunk none).
func cameAsContentLength(msg *protocol.Message) bool {
	return msg.Frame.Wire-msg.Frame.Size >= contentLengthHeader
}

// shellQuote quotes s for a POSIX shell: in single quotes, each ' written
// as '\”. Words of safe characters stay as they are.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// sendCommand is the shell command that sends msg again through sockscope
// listening on addr; ids are the members that carry request ids.
func sendCommand(addr string, msg *protocol.Message, ids []string) (string, error) {
	payload, err := checkJSON(msg.Frame.Data)
	if err != nil {
		return "", err
	}
	argv := []string{"sockscope", "send"}
	if cameAsContentLength(msg) {
		argv = append(argv, "--framing", "content-length")
	}
	if f := idField(payload, ids); f != "" && !slices.Contains(protocol.DefaultIDFields, f) && f != "seq" {
		// send would not find the id there: it would add one of its own
		// and wait for a reply that carries it.
		argv = append(argv, "--id", shellQuote(f))
	}
	argv = append(argv, shellQuote(addr), shellQuote(string(payload)))
	return strings.Join(argv, " "), nil
}

// copyCommand is Y: it copies the selected request as a shell command to
// the clipboard (OSC 52) and shows it.
func (m Model) copyCommand() (Model, tea.Cmd) {
	addr := m.c.opts.SendAddr
	msg, err := m.selectedRequest()
	if err == nil && addr == "" {
		err = errNoListen
	}
	var line string
	if err == nil {
		line, err = sendCommand(addr, &msg, m.c.opts.IDFields)
	}
	if err != nil {
		return m.setNotice("nothing copied: "+err.Error(), true), nil
	}
	return m.setNotice("copied: "+sanitize(line), false), tea.SetClipboard(line)
}

// idField returns the first of ids that is a member of the JSON object
// payload, "" when none is.
func idField(payload []byte, ids []string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(payload, &m) != nil {
		return ""
	}
	for _, f := range ids {
		if _, ok := m[f]; ok {
			return f
		}
	}
	return ""
}

var errNoListen = errors.New("no address to send to (a wrapped child's stdio or an attached viewer has none)")
