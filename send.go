package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	xterm "github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"sockscope/client"
	"sockscope/protocol"
	"sockscope/proxy"
)

// sendOptions are the flags of `sockscope send`.
type sendOptions struct {
	framing string
	id      string
	timeout time.Duration
	verbose bool
	notify  bool
}

// Exit statuses of `sockscope send`.
const (
	sendOK     = 0 // a success reply
	sendFailed = 1 // an error reply
	sendBroken = 2 // a timeout, a transport error, bad input
)

func newSendCmd() *cobra.Command {
	var o sendOptions
	cmd := &cobra.Command{
		Use:   "send ADDR [MESSAGE | @FILE | -]",
		Short: "Send one message (or one per line of stdin) and print the reply",
		Long: `send connects to ADDR, sends a JSON message, waits for the reply paired with
it and prints it: indented on a terminal, one line otherwise. @FILE sends
each JSON message in FILE in turn; with - (or no message) it reads one
message per line of stdin; each waits for its reply, all on one
connection. A message without an id gets one, but a notification given
by name (initialized, exit, $/…, textDocument/didOpen and the other
…/didX, MCP's notifications/…), which goes as it is and gets no reply
to wait for; --notify sends every message so. An error reply with a null id (a parse error) is the
answer. On QMP (a {"QMP":…} greeting) qmp_capabilities goes first, unless
the first message is that.

--framing auto frames as the server frames its greeting; when the
server does not speak first, an LSP or DAP message (initialize,
textDocument/…, {"type":"request",…}) goes with Content-Length, anything
else as a line. A timeout with nothing heard from the server says which
--framing to try.

Exit status: 0 for a success reply (or notifications alone), 1 for an
error reply (or an MCP tools/call result that says isError) or a server
that closed the connection before replying, 2 for a timeout, a transport
error, bad input (not JSON, an empty batch or one of anything but
objects, no message at all) or an interrupt (SIGINT).`,
		Example: `  sockscope send /tmp/app.sock '{"rid":1,"method":"add","args":[1,2]}'
  sockscope send --framing content-length /tmp/gopls.sock @initialize.json
  printf '%s\n' "$msg1" "$msg2" | sockscope send :9000 -`,
		Args:          argsWithUsage(cobra.RangeArgs(1, 2)),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			msg := "-"
			if len(args) == 2 {
				msg = args[1]
			}
			if status := runSend(cmd.Context(), o, args[0], msg); status != sendOK {
				return exitError(status)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.framing, "framing", "auto", "auto|lines|content-length (auto: as the server frames its greeting, else Content-Length for an LSP or DAP message, lines for others)")
	f.StringVar(&o.id, "id", "", "the `FIELD` that carries the id of a message that has none (default: id for JSON-RPC and QMP, request_id for mpv's commands, seq for DAP, rid otherwise)")
	f.DurationVar(&o.timeout, "timeout", 10*time.Second, "how long to wait for each reply")
	f.BoolVar(&o.notify, "notify", false, "send each message as it is, with no id added, and wait for no reply: a notification send does not know by name")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "show on stderr what the server sends that is not the reply (a greeting, notifications)")
	return usageStatus(cmd, sendBroken)
}

// greetingWait is how long send, with --framing auto, waits for a server
// that speaks first before it sends.
const greetingWait = 200 * time.Millisecond

// runSend is `sockscope send`; it returns the exit status.
func runSend(ctx context.Context, o sendOptions, addr, msg string) int {
	framing, err := protocol.ParseFraming(o.framing)
	if err != nil {
		return complain(fmt.Errorf("--framing: %w", err))
	}
	switch framing {
	case protocol.FramingAuto, protocol.FramingLines, protocol.FramingContentLength:
	default: // it sends JSON messages: nothing else frames one
		return complain(fmt.Errorf("--framing %s: send frames JSON messages as lines or with Content-Length (auto, lines, content-length)", framing))
	}
	if o.timeout <= 0 {
		// Refused before anything is sent: the message would go out,
		// and its reply never be waited for.
		return complain(fmt.Errorf("--timeout %v: want a duration above 0", o.timeout))
	}
	a, err := proxy.ParseAddr(addr)
	if err != nil {
		return complain(err)
	}
	ctx, cancel := signalContext(ctx)
	defer cancel()
	// broken says why send ends before its replies: "interrupted" once
	// a signal came (never "context canceled").
	broken := func(err error) int {
		if ctx.Err() != nil {
			err = errors.New("interrupted")
		}
		return complain(err)
	}
	msgs, err := sendInput(msg)
	if err != nil {
		return complain(err)
	}
	// The first message is read before connecting: none is an error,
	// and its shape says how to frame it for a server that does not
	// speak first.
	first, err := msgs(ctx)
	if err == io.EOF {
		return complain(fmt.Errorf("no message to send: %s held none", inputName(msg)))
	}
	if err != nil {
		return broken(err)
	}
	nc, err := proxy.DialFunc(a)(ctx)
	if err != nil {
		return broken(err)
	}
	var ids []string // --id's field first, that the reply it carries pairs
	if o.id != "" {
		ids = append([]string{o.id}, protocol.DefaultIDFields...)
	}
	fallback := protocol.FramingLines // with auto, when the server does not speak first
	if contentLengthShaped(first) {
		fallback = protocol.FramingContentLength // LSP's, DAP's
	}
	greeted := make(chan []byte, 1)
	c := client.New(nc, client.Options{Framing: framing, Fallback: fallback, IDFields: ids, NullID: true, Other: func(p []byte) {
		select {
		case greeted <- p:
		default:
		}
		if o.verbose {
			fmt.Fprintf(os.Stderr, "sockscope send: the server sent: %s\n", p)
		}
	}})
	defer c.Close()
	var greeting []byte
	if framing == protocol.FramingAuto {
		select {
		case greeting = <-greeted:
		case <-time.After(greetingWait):
		case <-ctx.Done():
			return broken(ctx.Err())
		}
	}
	// noReply says a call got no reply, and, when send guessed the
	// framing and the server has said nothing, that the guess may be
	// what it waits for.
	noReply := func(err error) int {
		switch {
		case ctx.Err() != nil:
			return broken(err)
		case errors.Is(err, client.ErrClosed) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET):
			fmt.Fprintln(os.Stderr, "sockscope send: the server closed the connection before replying")
			return sendFailed
		case errors.Is(err, context.DeadlineExceeded):
			err = fmt.Errorf("no reply within %v", o.timeout)
			if framing == protocol.FramingAuto && c.Heard() == protocol.FramingAuto {
				if fallback == protocol.FramingContentLength {
					err = fmt.Errorf("%w: the server said nothing to a message framed with Content-Length (as LSP and DAP frame); is it framed with lines? try --framing lines", err)
				} else {
					err = fmt.Errorf("%w: the server said nothing to a message framed as a line; is it framed with Content-Length (LSP, DAP)? try --framing content-length", err)
				}
			}
		}
		return complain(err)
	}
	tty := xterm.IsTerminal(os.Stdout.Fd())
	status := sendOK
	next := 1 // the id the next message without one gets
	payload := first
	for first := true; ; first = false {
		if !first {
			payload, err = msgs(ctx)
			if err == io.EOF {
				return status
			}
			if err != nil {
				return broken(err)
			}
		}
		if first && isQMPGreeting(greeting) && string(protocol.Classify(payload, nil).Method) != "qmp_capabilities" {
			// QEMU answers every command but qmp_capabilities with
			// CommandNotFound until the capabilities are negotiated.
			cctx, ccancel := context.WithTimeout(ctx, o.timeout)
			reply, err := c.Handshake(cctx, "qmp_capabilities", []byte(`{"execute":"qmp_capabilities"}`))
			ccancel()
			if err != nil {
				if ctx.Err() != nil {
					return broken(err)
				}
				return complain(fmt.Errorf("qmp_capabilities, which QMP needs first: %w", timeoutSaid(err, o.timeout)))
			}
			if protocol.Classify(reply, nil).IsError {
				return complain(fmt.Errorf("qmp_capabilities, which QMP needs first, failed: %s", reply))
			}
			if o.verbose {
				fmt.Fprintf(os.Stderr, "sockscope: qmp_capabilities first, as QMP needs: %s\n", reply)
			}
		}
		if o.notify {
			payload, err = compacted(payload)
		} else {
			payload, err = withID(payload, o.id, &next)
		}
		if err != nil {
			return complain(err)
		}
		if o.notify || protocol.Classify(payload, idsOr(ids)).ID == nil {
			// A notification (LSP's initialized, MCP's
			// notifications/…): it gets no reply to wait for.
			if err := c.Send(payload); err != nil {
				return noReply(err)
			}
			if o.verbose {
				fmt.Fprintf(os.Stderr, "sockscope: sent a notification, which gets no reply: %s\n", payload)
			}
			continue
		}
		cctx, ccancel := context.WithTimeout(ctx, o.timeout)
		reply, err := c.Call(cctx, payload)
		ccancel()
		if err != nil {
			return noReply(err)
		}
		printReply(reply, tty)
		if failed(payload, reply, ids) {
			status = sendFailed
		}
	}
}

// idsOr returns ids, or protocol.DefaultIDFields when nil.
func idsOr(ids []string) []string {
	if ids == nil {
		return protocol.DefaultIDFields
	}
	return ids
}

// inputName names where send's messages came from, for an error.
func inputName(msg string) string {
	switch {
	case msg == "-":
		return "stdin"
	case strings.HasPrefix(msg, "@"):
		return msg[1:]
	}
	return "the argument"
}

// failed reports whether reply, the reply to request payload, says it
// failed: an error reply, or a result of MCP's tools/call that says the
// tool failed (isError), as sockscope shows it.
func failed(payload, reply []byte, ids []string) bool {
	return protocol.Classify(reply, nil).IsError ||
		string(protocol.Classify(payload, ids).Method) == "tools/call" && protocol.ToolFailed(reply)
}

// timeoutSaid says a call's deadline as "no reply within" the timeout.
func timeoutSaid(err error, timeout time.Duration) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no reply within %v", timeout)
	}
	return err
}

// isQMPGreeting reports whether p is QMP's greeting ({"QMP":{…}}).
func isQMPGreeting(p []byte) bool {
	info := protocol.Classify(p, nil)
	return info.Kind == protocol.KindNotification && string(info.Method) == "QMP"
}

// sendInput returns the messages to send, one per call, then io.EOF:
// the argument itself, a file's (@FILE: one JSON value after another,
// each checked before anything is sent) or stdin's (-) lines. A call
// reading stdin returns ctx's error once ctx is done.
func sendInput(msg string) (func(ctx context.Context) ([]byte, error), error) {
	switch {
	case msg == "-":
	case strings.HasPrefix(msg, "@"):
		b, err := os.ReadFile(msg[1:])
		if err != nil {
			return nil, err
		}
		var all [][]byte
		d := json.NewDecoder(bytes.NewReader(b))
		for {
			var m json.RawMessage
			if err := d.Decode(&m); err == io.EOF {
				break
			} else if err != nil {
				return nil, fmt.Errorf("%s: not JSON: %v", msg[1:], err)
			}
			m, err := checkMessage(m)
			if err != nil {
				return nil, fmt.Errorf("%s: message %d: %w", msg[1:], len(all)+1, err)
			}
			all = append(all, m)
		}
		return func(context.Context) ([]byte, error) {
			if len(all) == 0 {
				return nil, io.EOF
			}
			m := all[0]
			all = all[1:]
			return m, nil
		}, nil
	default:
		m, err := checkMessage([]byte(msg))
		if err != nil {
			return nil, err
		}
		done := false
		return func(context.Context) ([]byte, error) {
			if done {
				return nil, io.EOF
			}
			done = true
			return m, nil
		}, nil
	}
	type line struct {
		b   []byte
		err error
	}
	lines := make(chan line)
	started := false
	return func(ctx context.Context) ([]byte, error) {
		if !started {
			// Read on a goroutine of its own, so that a signal ends a
			// wait for a line typed on a terminal.
			started = true
			go func() {
				sc := bufio.NewScanner(os.Stdin)
				sc.Buffer(nil, client.DefaultMaxFrame) // a message is sent whole, as a reply is taken
				for sc.Scan() {
					if b := bytes.TrimSpace(sc.Bytes()); len(b) > 0 {
						m, err := checkMessage(b)
						lines <- line{m, err}
						if err != nil {
							return
						}
					}
				}
				err := sc.Err()
				switch {
				case err == nil:
					err = io.EOF
				case errors.Is(err, bufio.ErrTooLong):
					err = fmt.Errorf("a line of stdin is longer than %d bytes: send it from a file (@FILE)", client.DefaultMaxFrame)
				}
				lines <- line{nil, err}
			}()
		}
		select {
		case l := <-lines:
			return l.b, l.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}, nil
}

// checkMessage returns msg compacted, or why send refuses it: it is not
// JSON, not an object, or a batch that is empty or holds something but
// objects (a JSON-RPC server answers either with an error, and send has
// no request to pair it with).
func checkMessage(msg []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, msg); err != nil {
		return nil, fmt.Errorf("not JSON: %v: %s", err, msg)
	}
	msg = buf.Bytes()
	switch msg[0] {
	case '{':
	case '[':
		es := protocol.BatchElements(msg)
		if len(es) == 0 {
			return nil, errors.New("an empty batch ([]): it holds no request to send")
		}
		for i, e := range es {
			if e[0] != '{' {
				return nil, fmt.Errorf("a batch holds JSON objects, requests and notifications: its element %d is %s", i+1, e)
			}
		}
	default:
		return nil, fmt.Errorf("not a JSON object (nor a batch of them): %s", msg)
	}
	return msg, nil
}

// compacted returns JSON message msg compacted, or why it is not JSON.
func compacted(msg []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, msg); err != nil {
		return nil, fmt.Errorf("not JSON: %v: %s", err, msg)
	}
	return buf.Bytes(), nil
}

// withID returns msg, compacted, with an id: its own, or *next in field
// (by default id for JSON-RPC and QMP messages, request_id for mpv's
// commands, seq for DAP's requests, rid for the seed protocol's), which
// then counts on. A message's own integer id moves *next past it, so no
// number given is one the user gave before. A batch with no id in it,
// which would get no reply, has each of its objects numbered so; one with
// an id is sent as it is (its other elements are notifications its reply
// leaves out).
func withID(msg []byte, field string, next *int) ([]byte, error) {
	msg, err := compacted(msg)
	if err != nil {
		return nil, err
	}
	fields := protocol.DefaultIDFields
	if field != "" {
		fields = []string{field}
	}
	info := protocol.Classify(msg, fields)
	if info.ID == nil && isNotification(msg) {
		return msg, nil // it asks for no reply: an id would make it a request
	}
	if info.ID != nil {
		if protocol.IsBatch(msg) {
			for _, e := range protocol.BatchElements(msg) {
				countPast(protocol.Classify(e, fields).ID, next)
			}
		}
		countPast(info.ID, next)
		return msg, nil
	}
	if protocol.IsBatch(msg) {
		out := []byte{'['}
		for i, e := range protocol.BatchElements(msg) {
			if i > 0 {
				out = append(out, ',')
			}
			if e[0] == '{' {
				var err error
				if e, err = withID(e, field, next); err != nil {
					return nil, err
				}
			}
			out = append(out, e...)
		}
		return append(out, ']'), nil
	}
	n := *next
	*next++
	if field == "" {
		field = "rid"
		switch {
		case client.IsDAP(msg): // {"type":"request","command":…}: DAP's, whose id is seq
			field = "seq"
		case bytes.Contains(msg, []byte(`"jsonrpc"`)) || bytes.Contains(msg, []byte(`"execute"`)):
			field = "id" // QMP's execute is by order too, but takes an id
		case info.Kind == protocol.KindRequest && info.ByOrder: // {"command":[…]}: mpv's, whose id is request_id
			field = "request_id"
		}
	}
	out := protocol.AddMember(msg, field, []byte(strconv.Itoa(n)))
	if out == nil {
		return nil, fmt.Errorf("not a JSON object: %s", msg)
	}
	return out, nil
}

// notifications are the methods of LSP (and JSON-RPC protocols like it)
// that are notifications, besides those isNotification knows by their
// shape: a client sends them with no id, and a server answers none.
var notifications = map[string]bool{
	"initialized":                     true,
	"exit":                            true,
	"textDocument/willSave":           true,
	"textDocument/publishDiagnostics": true,
	"window/workDoneProgress/cancel":  true,
	"window/logMessage":               true,
	"window/showMessage":              true,
	"telemetry/event":                 true,
}

// isNotification reports whether JSON-RPC message msg, which has no id,
// calls a notification by name: LSP's initialized, exit, $/cancelRequest
// ($/ anything), textDocument/didOpen (did anything), MCP's
// notifications/…. Such a message gets no id.
func isNotification(msg []byte) bool {
	var m struct {
		JSONRPC json.RawMessage `json:"jsonrpc"`
		Method  string          `json:"method"`
	}
	if json.Unmarshal(msg, &m) != nil || m.JSONRPC == nil {
		return false
	}
	last := m.Method[strings.LastIndexByte(m.Method, '/')+1:]
	return notifications[m.Method] || strings.HasPrefix(m.Method, "$/") || strings.HasPrefix(m.Method, "notifications/") ||
		len(last) > 3 && strings.HasPrefix(last, "did") && last[3] >= 'A' && last[3] <= 'Z'
}

// lspPrefixes begin the methods of LSP's requests and notifications.
var lspPrefixes = []string{"textDocument/", "workspace/", "window/", "$/", "callHierarchy/", "typeHierarchy/",
	"completionItem/", "codeAction/", "codeLens/", "documentLink/", "inlayHint/", "notebookDocument/", "workspaceSymbol/", "telemetry/"}

// contentLengthShaped reports whether msg is a message of LSP or DAP, whose
// servers frame with Content-Length: a JSON-RPC message calling one of
// LSP's methods (initialize, unless MCP's: it says its protocolVersion,
// and MCP frames with lines), or a DAP message ({"seq":…,"type":"request"}).
func contentLengthShaped(msg []byte) bool {
	if client.IsDAP(msg) {
		return true
	}
	var m struct {
		JSONRPC json.RawMessage `json:"jsonrpc"`
		Method  string          `json:"method"`
		Params  json.RawMessage `json:"params"`
	}
	if json.Unmarshal(msg, &m) != nil || m.JSONRPC == nil {
		return false
	}
	switch m.Method {
	case "initialize":
		var p struct {
			ProtocolVersion json.RawMessage `json:"protocolVersion"`
		}
		json.Unmarshal(m.Params, &p)
		return p.ProtocolVersion == nil
	case "initialized", "shutdown", "exit":
		return true
	}
	for _, pre := range lspPrefixes {
		if strings.HasPrefix(m.Method, pre) {
			return true
		}
	}
	return false
}

// countPast moves *next past id when id is an integer.
func countPast(id []byte, next *int) {
	if n, err := strconv.Atoi(string(id)); err == nil && n >= *next {
		*next = n + 1
	}
}

// printReply prints a reply: indented on a terminal, one line otherwise.
func printReply(reply []byte, tty bool) {
	if tty {
		var buf bytes.Buffer
		if json.Indent(&buf, reply, "", "  ") == nil {
			reply = buf.Bytes()
		}
	}
	os.Stdout.Write(append(reply, '\n'))
}

// complain prints err and returns the exit status for it.
func complain(err error) int {
	fmt.Fprintln(os.Stderr, "sockscope send:", err)
	return sendBroken
}
