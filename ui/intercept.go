package ui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"sockscope/protocol"
)

// Interceptor is the part of the control port that holds frames and runs
// rules. The UI finds it on Options.Control (a Control that also
// implements Interceptor); without it i, I and : do nothing. Like Control,
// it is called only inside tea.Cmds.
type Interceptor interface {
	// Held lists the frames held now, oldest first.
	Held() []HeldFrame
	// Forward, Drop: held frame id goes on as it is, or never.
	Forward(id uint64) error
	Drop(id uint64) error
	// ForwardAll forwards every held frame and says how many.
	ForwardAll() int
	// Edit forwards payload (JSON) instead of held frame id, re-framed.
	Edit(id uint64, payload []byte) error
	// Fabricate answers held request id with reply in place of the other
	// peer, with the request's id; the request is never forwarded.
	Fabricate(id uint64, reply []byte) error
	// ReplyTemplate is a reply to held request id in its protocol's shape.
	ReplyTemplate(id uint64, failed bool) ([]byte, error)
	// Sticky adds a rule that does to the next frames like held frame id
	// what payload did (an edit, or with fabricate a reply).
	Sticky(ctx context.Context, id uint64, payload []byte, fabricate bool) (RuleInfo, error)
	// SetIntercept sets the intercept filter and turns holding on or off.
	SetIntercept(ctx context.Context, expr string, on bool) error
	// Intercepting returns the filter and whether holding is on.
	Intercepting() (expr string, on bool)
	// Rules lists the rules with their counts; AddRule, EnableRule and
	// RemoveRule change them live.
	Rules() []RuleInfo
	AddRule(ctx context.Context, spec string) (RuleInfo, error)
	EnableRule(ctx context.Context, name string, on bool) error
	RemoveRule(name string) error
	// Notices returns, once, what holding has to tell the user (a hold
	// that timed out, a cap reached, a hold a close ended).
	Notices() []string
}

// HeldFrame is a frame held for the user.
type HeldFrame struct {
	ID      uint64
	Conn    uint64
	Dir     protocol.Dir
	Since   time.Time
	Rule    string // the hold rule, "" for the intercept filter
	Payload []byte
	Info    protocol.Info
	Framing protocol.Framing // how it was cut: an edit is JSON; a msgpack-RPC frame is shown as JSON
}

// RuleInfo is a rule as listed.
type RuleInfo struct {
	Name, Match, Action, Count string
	Disabled                   bool
	Matched, Hits              int64
}

// String writes the rule as --rule takes it.
func (r RuleInfo) String() string {
	return strings.TrimSpace(r.Match + " " + r.Action + " " + r.Count)
}

// interceptState is what the root knows of holding, refreshed on the tick.
type interceptState struct {
	held  []HeldFrame
	rules []RuleInfo
	expr  string
	on    bool
}

// hasInterceptor reports whether the control port can hold frames.
func (m Model) hasInterceptor() bool {
	_, ok := m.interceptor()
	return ok
}

// errNotRequest is what f says on a frame that is not a request.
var errNotRequest = errors.New("the held frame is not a request with an id: nothing to answer (e edits it)")

// fabricateCmd fetches a reply template for held request msg.id and asks
// the root to open the editor on it.
func (m Model) fabricateCmd(msg fabricateMsg) tea.Cmd {
	ic, ok := m.interceptor()
	if !ok {
		return nil
	}
	var h HeldFrame
	for _, x := range m.icpt.held {
		if x.ID == msg.id {
			h = x
		}
	}
	pane := interceptPane{c: m.c, st: m.icpt, sticky: msg.sticky}
	return func() tea.Msg {
		tmpl, err := ic.ReplyTemplate(msg.id, false)
		if err != nil {
			return icDoneMsg{what: "answered", err: err}
		}
		return pushMsg{pane.editor(h, true, pretty(tmpl))}
	}
}

// command runs a : command: add (or rule) MATCH ACTION [COUNT], disable,
// enable or rm NAME, intercept EXPR.
func (m Model) command(line string) tea.Cmd {
	verb, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
	rest = strings.TrimSpace(rest)
	switch verb {
	case "":
		return nil
	case "disable", "enable", "rm", "remove", "del":
		if rest == "" {
			return func() tea.Msg {
				return icDoneMsg{what: ":" + verb, err: fmt.Errorf("which rule? :%s NAME (the intercept pane, i, lists the rules: r1, r2, …)", verb)}
			}
		}
	}
	switch verb {
	case "add", "rule":
		return m.icCmd("added rule", func(ctx context.Context, ic Interceptor) (string, error) {
			r, err := ic.AddRule(ctx, rest)
			return r.Name + " " + r.String(), err
		})
	case "disable", "enable":
		return m.icCmd(verb+"d "+rest, func(ctx context.Context, ic Interceptor) (string, error) {
			return "", ic.EnableRule(ctx, rest, verb == "enable")
		})
	case "rm", "remove", "del":
		return m.icCmd("removed "+rest, func(_ context.Context, ic Interceptor) (string, error) { return "", ic.RemoveRule(rest) })
	case "intercept":
		return func() tea.Msg { return interceptExprMsg{rest} }
	}
	return func() tea.Msg {
		return icDoneMsg{what: ":" + verb, err: fmt.Errorf("no such command (add MATCH ACTION [COUNT], disable NAME, enable NAME, rm NAME, intercept EXPR)")}
	}
}

// interceptor returns the control port's Interceptor, if it has one.
func (m Model) interceptor() (Interceptor, bool) {
	ic, ok := m.c.opts.Control.(Interceptor)
	return ic, ok
}

// heldMsg is the interceptor's state, read on the tick.
type heldMsg struct {
	st      interceptState
	notices []string
}

// heldCmd reads the interceptor's state.
func (m Model) heldCmd() tea.Cmd {
	ic, ok := m.interceptor()
	if !ok {
		return nil
	}
	return func() tea.Msg {
		var st interceptState
		st.held, st.rules = ic.Held(), ic.Rules()
		st.expr, st.on = ic.Intercepting()
		return heldMsg{st: st, notices: ic.Notices()}
	}
}

// icDoneMsg reports an interceptor call: a notice, good or bad.
type icDoneMsg struct {
	what string
	err  error
}

// icCmd runs fn on the interceptor and reports it as what.
func (m Model) icCmd(what string, fn func(ctx context.Context, ic Interceptor) (string, error)) tea.Cmd {
	ic, ok := m.interceptor()
	if !ok {
		return nil
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
		defer cancel()
		more, err := fn(ctx, ic)
		if more != "" && err == nil {
			what += ": " + more
		}
		return icDoneMsg{what: what, err: err}
	}
}

// interceptMsg is handled by interceptUpdate.
func (m Model) interceptUpdate(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case heldMsg:
		m.icpt = msg.st
		m.c.held = msg.st.held
		m.list = m.list.setHeld(msg.st.held)
		if len(msg.notices) > 0 {
			m = m.setNotice(msg.notices[len(msg.notices)-1], true)
		}
	case icDoneMsg:
		if msg.err != nil {
			return m.setNotice("not "+msg.what+": "+msg.err.Error(), true), m.heldCmd()
		}
		return m.setNotice(msg.what, false), m.heldCmd()
	case heldActMsg:
		return m, m.heldAct(msg)
	case commandMsg:
		return m, m.command(msg.line)
	case toggleMsg:
		return m.toggleIntercept()
	case pushMsg:
		m.overlays = m.overlays.push(msg.o)
	case fabricateMsg:
		return m, m.fabricateCmd(msg)
	case interceptExprMsg:
		expr := msg.expr
		what := "intercepting " + strconv.Quote(expr)
		if expr == "" {
			what = "intercept off (no filter): held frames stay held until a, d, e, f or A"
		}
		return m, m.icCmd(what, func(ctx context.Context, ic Interceptor) (string, error) {
			return "", ic.SetIntercept(ctx, expr, expr != "")
		})
	}
	return m, nil
}

// toggleIntercept is I: holding on or off, with the filter kept.
func (m Model) toggleIntercept() (Model, tea.Cmd) {
	if m.icpt.expr == "" {
		return m.setNotice("no intercept filter yet: i sets one", true), nil
	}
	on, expr := !m.icpt.on, m.icpt.expr
	what := "intercept off: held frames stay held until a, d, e, f or A"
	if on {
		what = "intercepting " + strconv.Quote(expr)
	}
	return m, m.icCmd(what, func(ctx context.Context, ic Interceptor) (string, error) {
		return "", ic.SetIntercept(ctx, expr, on)
	})
}

// heldAct is an action on a held frame, asked from the intercept pane.
type heldActMsg struct {
	act     byte // 'a' forward, 'd' drop, 'e' edit, 'f' fabricate, 'A' all, 'S' sticky
	id      uint64
	payload []byte
	fab     bool // S: the payload is a fabricated reply
}

// heldAct calls the interceptor for a.
func (m Model) heldAct(a heldActMsg) tea.Cmd {
	id := "#" + strconv.FormatUint(a.id, 10)
	switch a.act {
	case 'a':
		return m.icCmd("forwarded held "+id, func(_ context.Context, ic Interceptor) (string, error) { return "", ic.Forward(a.id) })
	case 'd':
		return m.icCmd("dropped held "+id, func(_ context.Context, ic Interceptor) (string, error) { return "", ic.Drop(a.id) })
	case 'A':
		return m.icCmd("forwarded all held frames", func(_ context.Context, ic Interceptor) (string, error) {
			return strconv.Itoa(ic.ForwardAll()), nil
		})
	case 'e':
		return m.icCmd("forwarded held "+id+" edited", func(_ context.Context, ic Interceptor) (string, error) { return "", ic.Edit(a.id, a.payload) })
	case 'f':
		return m.icCmd("answered held "+id+" (the request was not forwarded)", func(_ context.Context, ic Interceptor) (string, error) {
			return "", ic.Fabricate(a.id, a.payload)
		})
	case 'S':
		return m.icCmd("sticky", func(ctx context.Context, ic Interceptor) (string, error) {
			r, err := ic.Sticky(ctx, a.id, a.payload, a.fab)
			if err != nil {
				return "", err
			}
			if a.fab {
				err = ic.Fabricate(a.id, a.payload)
			} else {
				err = ic.Edit(a.id, a.payload)
			}
			return "rule " + r.Name + " " + r.String(), err
		})
	}
	return nil
}

// heldLine describes a held frame in a line, with its live timer.
func heldLine(h *HeldFrame, now time.Time) string {
	arrow, what := heldWhat(h)
	by := "filter"
	if h.Rule != "" {
		by = "rule " + h.Rule
	}
	return fmt.Sprintf("#%d  conn #%d %s  %s  held %s (%s)", h.ID, h.Conn, arrow, what,
		now.Sub(h.Since).Round(100*time.Millisecond), by)
}

// heldLineShort is heldLine for a narrow pane: the frame, its connection,
// what it is and how long it has been held (and the rule, if one held it).
func heldLineShort(h *HeldFrame, now time.Time) string {
	arrow, what := heldWhat(h)
	line := fmt.Sprintf("#%d conn #%d %s %s · %s", h.ID, h.Conn, arrow, what, now.Sub(h.Since).Round(100*time.Millisecond))
	if h.Rule != "" {
		line += " · rule " + sanitize(h.Rule)
	}
	return line
}

// heldWhat is a held frame's direction arrow, and its method (or kind)
// and id.
func heldWhat(h *HeldFrame) (arrow, what string) {
	arrow = "→"
	if h.Dir == protocol.S2C {
		arrow = "←"
	}
	what = sanitize(string(h.Info.Method))
	if what == "" {
		what = h.Info.Kind.String()
	}
	if len(h.Info.ID) > 0 {
		what += " id " + sanitize(string(h.Info.ID))
	}
	return arrow, what
}
