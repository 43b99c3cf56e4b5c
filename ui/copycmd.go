package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
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
// listening on addr; ids are the members that carry request ids. A Redis
// command is redis-cli's, an HTTP request curl's; JSON is sockscope send's.
func sendCommand(addr string, msg *protocol.Message, ids []string) (string, error) {
	switch msg.Framing {
	case protocol.FramingRESP:
		return redisCommand(addr, msg)
	case protocol.FramingHTTP:
		return curlCommand(addr, msg)
	case protocol.FramingMsgpack:
		return "", errors.New("no shell command sends msgpack-RPC (R sends it again)")
	}
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

// shellAddr cuts the address sockscope listens on (a Unix socket's path, a
// TCP host:port, as the listener or the command line writes it) into a
// network and an address; a Windows named pipe is refused: neither
// redis-cli nor curl opens one.
func shellAddr(addr string) (network, address string, err error) {
	switch {
	case strings.HasPrefix(addr, "unix:"):
		return "unix", addr[len("unix:"):], nil
	case strings.HasPrefix(addr, "tcp:"):
		return "tcp", addr[len("tcp:"):], nil
	case strings.HasPrefix(addr, "pipe:") || strings.HasPrefix(addr, `\\`):
		return "", "", errors.New("sockscope listens on a named pipe, which redis-cli and curl do not open")
	case strings.Contains(addr, "/"):
		return "unix", addr, nil
	}
	return "tcp", addr, nil
}

// redisCommand is the redis-cli command that sends Redis command msg
// through sockscope listening on addr. Its handshake (AUTH, SELECT) is not
// in it: a password does not belong on a clipboard.
func redisCommand(addr string, msg *protocol.Message) (string, error) {
	network, address, err := shellAddr(addr)
	if err != nil {
		return "", err
	}
	var words []string
	if err := json.Unmarshal(requestJSON(msg), &words); err != nil || len(words) == 0 {
		return "", errors.New("the command has words that are not text, which a shell cannot pass")
	}
	argv := []string{"redis-cli"}
	if network == "unix" {
		argv = append(argv, "-s", shellQuote(address))
	} else {
		host, port, err := net.SplitHostPort(address)
		if err != nil {
			return "", err
		}
		argv = append(argv, "-h", shellQuote(host), "-p", shellQuote(port))
	}
	for _, w := range words {
		if strings.IndexByte(w, 0) >= 0 {
			return "", errors.New("a word of the command holds a NUL byte, which a shell cannot pass")
		}
		argv = append(argv, shellQuote(w))
	}
	return strings.Join(argv, " "), nil
}

// curlCommand is the curl command that sends HTTP request msg through
// sockscope listening on addr: its method, target, headers and body (its
// Content-Length and a chunked Transfer-Encoding are curl's to write).
func curlCommand(addr string, msg *protocol.Message) (string, error) {
	network, address, err := shellAddr(addr)
	if err != nil {
		return "", err
	}
	h, ok := protocol.ParseHTTP(msg.Frame.Data)
	if !ok {
		return "", errors.New("the request has no whole head")
	}
	method, target, version := h.StartParts()
	host, _ := h.Get("Host")
	argv := []string{"curl"}
	if string(version) == "HTTP/1.0" {
		argv = append(argv, "--http1.0")
	}
	url := "http://" + address + string(target)
	if network == "unix" {
		argv = append(argv, "--unix-socket", shellQuote(address))
		url = "http://" + string(host) + string(target)
		if len(host) == 0 {
			url = "http://localhost" + string(target)
		}
	}
	if bytes.HasPrefix(target, []byte("http://")) {
		url = string(target) // the absolute form a proxy is asked in
	}
	switch string(method) {
	case "HEAD":
		argv = append(argv, "--head")
	case "GET":
	default:
		if string(method) != "POST" || len(h.Body) == 0 {
			argv = append(argv, "-X", shellQuote(string(method)))
		}
	}
	for _, f := range h.Headers {
		name := string(f.Name)
		switch strings.ToLower(name) {
		case "content-length", "transfer-encoding":
			continue
		case "host":
			if network == "unix" {
				continue // in the URL
			}
		}
		argv = append(argv, "-H", shellQuote(name+": "+string(f.Value)))
	}
	if len(h.Body) > 0 {
		if bytes.IndexByte(h.Body, 0) >= 0 {
			return "", errors.New("the body holds a NUL byte, which a shell cannot pass (w writes it to a file)")
		}
		argv = append(argv, "--data-binary", shellQuote(string(h.Body)))
	}
	return strings.Join(append(argv, shellQuote(url)), " "), nil
}
