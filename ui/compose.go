package ui

import (
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textarea"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"sockscope/protocol"
	"sockscope/store"
)

// composeOverlay writes a message over the panes: a new one for a
// connection (n, N), prefilled from the last frame of the same method, or
// a stored request being edited (e without $EDITOR). ctrl+s checks the
// JSON and, when it parses, hands it to the root to send; when it does not,
// the parser's message and position show under the editor and nothing is
// sent.
type composeOverlay struct {
	c       *common
	t       target
	method  string // the selected exchange's method, for the prefill
	editing bool   // a stored request is being edited: the target is fixed
	from    string // where the text came from, for the title
	prefill string // the text as it was filled in
	err     string
	ta      textarea.Model
	// submit, if set, takes the checked JSON instead of sending it (an
	// edit of a held frame, a reply made up for one); title names it.
	submit func(payload []byte) tea.Msg
	title  string
	// held is the held frame submit acts on (0: none), heldVerb what it
	// does to it, and gone says why it is held no more (its connection
	// closed, its hold timed out, another viewer let it go): the text
	// stays, nothing is sent.
	held     uint64
	heldVerb string
	gone     string
}

// newCompose opens the editor on text for t.
func newCompose(c *common, t target, text, from string) composeOverlay {
	ta := textarea.New()
	ta.ShowLineNumbers = true
	ta.MaxHeight = 0
	ta.CharLimit = protocol.DefaultMaxFrame
	ta.SetStyles(c.styles.Editor)
	ta.Focus()
	o := composeOverlay{c: c, t: t, ta: ta}
	o = o.fill(text, from)
	return o.resize()
}

// fill replaces the text.
func (o composeOverlay) fill(text, from string) composeOverlay {
	o.prefill, o.from, o.err = text, from, ""
	o.ta.SetValue(text)
	o.ta.MoveToBegin()
	return o
}

func (o composeOverlay) resize() composeOverlay {
	o.ta.SetWidth(max(10, o.c.width))
	o.ta.SetHeight(max(1, o.c.height-2-3))
	return o
}

func (o composeOverlay) kind() overlayKind { return overlayCompose }

func (o composeOverlay) update(msg tea.Msg) (overlay, effect) {
	k := &o.c.keys
	switch msg := msg.(type) {
	case tea.WindowSizeMsg, tea.BackgroundColorMsg:
		o.ta.SetStyles(o.c.styles.Editor)
		return o.resize(), effect{}
	case heldMsg:
		if o.held != 0 && o.gone == "" && !slices.ContainsFunc(msg.st.held, func(h HeldFrame) bool { return h.ID == o.held }) {
			o.gone = "held #" + strconv.FormatUint(o.held, 10) + " is no longer held (its connection closed, its hold timed out, or it was let go): nothing to " + o.heldVerb + "; esc closes"
		}
		return o, effect{}
	case tea.KeyPressMsg:
		switch {
		case keyMatches(msg, k.ComposeCancel):
			return o, effect{done: true}
		case keyMatches(msg, k.ComposeSend) && o.gone != "":
			return o, effect{}
		case keyMatches(msg, k.ComposeSend):
			payload, err := o.t.check([]byte(o.ta.Value()))
			if err != nil {
				o.err = err.Error()
				return o, effect{}
			}
			if o.submit != nil {
				return o, effect{msg: o.submit(payload), done: true}
			}
			return o, effect{msg: sendMsg{t: o.t, payload: payload, what: o.what()}, done: true}
		case keyMatches(msg, k.ComposeDir) && !o.editing && !o.t.newConn && o.submit == nil:
			if c, ok := o.c.st.Conn(o.t.conn); ok && c.Own && o.t.dir == protocol.C2S {
				o.err = "conn #" + strconv.FormatUint(o.t.conn, 10) + " is sockscope's own: it has no client to send to"
				return o, effect{}
			}
			o.t.dir = o.t.dir.Opposite()
			if o.ta.Value() == o.prefill {
				text, from := lastFrame(o.c.st, o.method, o.t)
				o = o.fill(text, from)
			}
			return o, effect{}
		}
	case tea.PasteMsg:
	default:
		return o, effect{}
	}
	o.err = ""
	var cmd tea.Cmd
	o.ta, cmd = o.ta.Update(msg)
	return o, effect{cmd: cmd}
}

// what names the message for the notice.
func (o composeOverlay) what() string {
	if o.editing {
		return "sent the edited " + o.from
	}
	return "sent a new message"
}

func (o composeOverlay) bindings() []key.Binding {
	k := &o.c.keys
	b := []key.Binding{k.ComposeSend}
	if !o.editing && !o.t.newConn && o.submit == nil {
		dir := k.ComposeDir
		if o.t.dir == protocol.C2S {
			dir.SetHelp("ctrl+t", "to the client")
		} else {
			dir.SetHelp("ctrl+t", "to the server")
		}
		b = append(b, dir)
	}
	return append(b, k.ComposeCancel)
}

func (o composeOverlay) view(w, h int) []string {
	s := &o.c.styles
	title := "Compose"
	if o.editing {
		title = "Edit"
	}
	if o.title != "" {
		title = o.title
	}
	lines := []string{
		cut(s.PaneTitleFocus.Render("▌ "+title)+"  "+s.PaneInfo.Render("→ "+o.t.String()), w),
		cut(s.Dim.Render("  "+o.from), w),
	}
	footStyle, foot := o.foot(w, h)
	lines = append(lines, strings.Split(o.ta.View(), "\n")...)
	lines = lines[:min(len(lines), max(0, h-len(foot)))]
	for len(lines) < h-len(foot) {
		lines = append(lines, "")
	}
	for _, f := range foot {
		lines = append(lines, cut(footStyle.Render(f), w))
	}
	return lines
}

// foot is the editor's last lines: a hint on one line, or why nothing
// was sent, wrapped whole (a parser's message, a frame let go).
func (o composeOverlay) foot(w, h int) (lipgloss.Style, []string) {
	s := &o.c.styles
	foot := []string{"  JSON, sent compact on one line; a request's id is remapped on the wire"}
	if hint, ok := viewHints[o.t.view]; ok {
		foot = []string{"  " + hint}
	}
	if o.submit != nil {
		foot = []string{"  JSON, re-framed as the held frame was (ctrl+s)"}
	}
	why := ""
	if o.err != "" {
		why = "not sent: " + sanitize(o.err)
	}
	if o.gone != "" {
		why = sanitize(o.gone)
	}
	if why == "" {
		return s.Dim, foot
	}
	foot = wrapWords(why, w-2)
	foot = foot[:min(len(foot), maxNoticeLines, max(1, h-3))]
	for i := range foot {
		foot[i] = "  " + foot[i]
	}
	return s.ErrorText, foot
}

// fit sizes the text to the h lines the editor has now (a long notice
// below it, or why nothing was sent, takes some), so the line with the
// cursor stays in sight: the text's last lines were cut, the cursor's
// among them.
func (o composeOverlay) fit(w, h int) composeOverlay {
	_, foot := o.foot(w, h)
	th := max(1, h-2-len(foot))
	switch {
	case th < o.ta.Height():
		o.ta.SetHeight(th) // scrolled to keep the cursor in sight
	case th > o.ta.Height():
		// Scrolled back as far up as the cursor lets it: the room given
		// back showed blank lines under the text, and its first ones not.
		line, col := o.ta.Line(), o.ta.Column()
		o.ta.SetHeight(th)
		o.ta.MoveToBegin()
		for i := 0; o.ta.Line() < line && i < 1<<16; i++ {
			o.ta.CursorDown()
		}
		o.ta.SetCursorColumn(col)
	}
	return o
}

// lastFrame is the text to start a new message to t with: the last stored
// request or notification of method going that way, else the last one going
// that way on t's connection, else the last one going that way at all, else
// a skeleton; each written as t writes it (JSON, or the view of a message
// of t.view). from says which it is.
func lastFrame(st store.View, method string, t target) (text, from string) {
	// By preference: same method, same connection, any; last, one
	// sockscope sent (its wire id is its own, 2147483645).
	var best [4]uint64
	_, next := st.RowBounds()
	n := 0
	st.RowsBefore(next, func(r store.Row) bool {
		n++
		if r.Dir != t.dir || r.Req == 0 || (r.Kind != protocol.KindRequest && r.Kind != protocol.KindNotification) {
			return n < 20000
		}
		slot := -1
		switch {
		case r.Injected:
			if best[3] == 0 {
				slot = 3
			}
		case best[0] == 0 && method != "" && r.Method == method:
			slot = 0
		case best[1] == 0 && r.Conn == t.conn:
			slot = 1
		case best[2] == 0:
			slot = 2
		}
		if slot >= 0 && writtenAs(st, r.Req) == t.view {
			best[slot] = r.Req
		}
		return best[0] == 0 && n < 20000
	})
	for _, seq := range best {
		if seq == 0 {
			continue
		}
		msg, ok := st.Message(seq)
		if !ok || msg.Frame.Truncated {
			continue
		}
		text, ok := prettyJSON(requestJSON(&msg))
		if !ok {
			continue
		}
		return text, "prefilled from " + msgName(&msg) + ", message #" + strconv.FormatUint(seq, 10) + " (" + msg.Dir.String() + ")"
	}
	return skeletons[t.view], "nothing stored goes that way: a skeleton to fill in"
}

// writtenAs is how message seq would be written (target.view): its
// framing if sockscope writes it from a view, else FramingAuto (JSON; and
// what it does not write, which prettyJSON then refuses).
func writtenAs(st store.View, seq uint64) protocol.Framing {
	if msg, ok := st.Message(seq); ok && protocol.Encodes(msg.Framing) {
		return msg.Framing
	}
	return protocol.FramingAuto
}

// viewHints say, under the editor, how a message written as its JSON view
// goes on the wire.
var viewHints = map[protocol.Framing]string{
	protocol.FramingRESP:    "a Redis command's words, sent as a RESP array of bulk strings",
	protocol.FramingHTTP:    `"start", "headers", "body" (text, or JSON sent compact), with its Content-Length counted`,
	protocol.FramingMsgpack: `[0, msgid, "method", [params]] or [2, "method", [params]], sent as msgpack`,
}

// skeletons are what a new message starts as when nothing stored is like it.
var skeletons = map[protocol.Framing]string{
	protocol.FramingAuto:    "{\n  \"method\": \"\"\n}",
	protocol.FramingRESP:    "[\n  \"PING\"\n]",
	protocol.FramingHTTP:    "{\n  \"start\": \"GET / HTTP/1.1\",\n  \"headers\": {\n    \"Host\": \"localhost\"\n  }\n}",
	protocol.FramingMsgpack: "[\n  0,\n  1,\n  \"nvim_get_api_info\",\n  []\n]",
}

// compose is n (and N with newConn): a new message for the selected
// exchange's connection.
func (m Model) compose(newConn bool) (Model, tea.Cmd) {
	var conn uint64
	var method string
	framing := protocol.FramingAuto
	if m.list.raw() {
		msg, ok := m.c.st.Message(m.list.sel)
		if !ok {
			return m.setNotice("nothing to compose for: that message is not stored any more", true), nil
		}
		conn, method, framing = msg.Conn, string(msg.Info.Method), msg.Framing
	} else {
		r, ok := m.c.st.Row(m.list.sel)
		if !ok {
			return m.setNotice("nothing to compose for: that exchange is not stored any more", true), nil
		}
		conn, method = r.Conn, r.Method
		if msg, ok := m.c.st.Message(max(r.Req, r.Resp)); ok {
			framing = msg.Framing
		}
	}
	if newConn && m.c.opts.OneConn {
		return m.setNotice("nothing to compose: a wrapped child has one connection, its stdio; n sends on it", true), nil
	}
	t := target{conn: conn, dir: protocol.C2S, newConn: newConn}
	if !protocol.IsJSON(framing) { // said now, not once the message is written
		on := "conn #" + strconv.FormatUint(conn, 10) + " speaks " + framing.String()
		switch {
		case !protocol.Encodes(framing):
			return m.setNotice("nothing to compose: "+on+", which sockscope does not write", true), nil
		case !newConn && byOrder(framing):
			return m.setNotice("nothing to compose: "+on+", whose replies its client takes in order: N sends on a new connection", true), nil
		}
		t.view = framing
	}
	if !newConn {
		if err := m.stderrStream(conn); err != nil {
			return m.setNotice("nothing to compose: "+err.Error(), true), nil
		}
		if c, ok := m.c.st.Conn(conn); ok && c.State != store.ConnOpen {
			return m.setNotice("nothing to compose: conn #"+strconv.FormatUint(conn, 10)+" is "+c.State.String()+m.newConnHint(), true), nil
		}
	}
	text, from := lastFrame(m.c.st, method, t)
	o := newCompose(m.c, t, text, from)
	o.method = method
	m.overlays = m.overlays.push(o)
	return m, nil
}
