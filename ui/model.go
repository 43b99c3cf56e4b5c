package ui

import (
	"os"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"sockscope/store"
)

// focus is the pane that has the keyboard.
type focus uint8

const (
	focusList focus = iota
	focusDetail
	focusConns
)

var focusNames = [...]string{"list", "detail", "connections"}

// String returns the pane's name.
func (f focus) String() string {
	if int(f) < len(focusNames) {
		return focusNames[f]
	}
	return "focus?"
}

// area is what the detail pane's place on the screen shows.
type area uint8

const (
	areaDetail area = iota // the selected exchange or message
	areaStats              // the latency statistics
)

var areaNames = [...]string{"detail", "stats"}

// String returns the area's name.
func (a area) String() string {
	if int(a) < len(areaNames) {
		return areaNames[a]
	}
	return "area?"
}

// pane names the pane whose keys apply: the focus, with the detail's place
// resolved to what it shows.
type pane uint8

const (
	paneList pane = iota
	paneDetail
	paneStats
	paneConns
)

// focused returns the pane that has the keyboard.
func (m Model) focused() pane {
	switch {
	case m.focus == focusConns:
		return paneConns
	case m.focus == focusDetail && m.area == areaStats:
		return paneStats
	case m.focus == focusDetail:
		return paneDetail
	}
	return paneList
}

// connsPane says whether the connections pane is shown.
type connsPane uint8

const (
	connsAuto   connsPane = iota // shown on wide terminals
	connsShown                   // shown
	connsHidden                  // hidden
)

var connsPaneNames = [...]string{"auto", "shown", "hidden"}

// String returns the setting's name.
func (p connsPane) String() string {
	if int(p) < len(connsPaneNames) {
		return connsPaneNames[p]
	}
	return "conns?"
}

// Model is the inspector's root tea.Model. It owns the child models and
// takes data from the store on a tick.
type Model struct {
	c      *common
	list   listModel
	detail detailModel
	conns  connsModel
	stats  statsModel
	filter filterModel
	help   help.Model

	overlays   overlayStack // modes over the panes; the top one gets the keys first
	focus      focus
	area       area
	connsPane  connsPane
	gen        uint64
	totals     store.Totals
	pausedRows uint64    // Totals.Rows when the display was paused
	rate       rateMeter // messages decoded
	relayed    rateMeter // bytes relayed: decoded, and dropped by a decoder behind
	notice     string
	noticeBad  bool
	noticeAt   time.Time
	warning    string         // Options.Warning's, as of the last tick
	icpt       interceptState // holding and rules, as of the last tick
	nav        fileNavState   // a session file's search (filenav.go)
	exportWait *exportWait    // an export waiting for the file's index (export.go)
}

// tickMsg is the data tick: the store is read when its generation moved.
type tickMsg time.Time

// New returns the root model reading st. It uses dark-background styles
// until the terminal reports its background, and no colour when NO_COLOR
// is set.
func New(st store.View, opts Options) Model {
	if opts.Tick <= 0 {
		opts.Tick = 40 * time.Millisecond
	}
	c := &common{st: st, opts: opts, keys: newKeyMap(), now: time.Now, dir: ".",
		noColor: os.Getenv("NO_COLOR") != ""}
	c.styles = newStyles(true, c.noColor)
	m := Model{
		c:      c,
		list:   newListModel(c),
		detail: newDetailModel(c),
		conns:  newConnsModel(c),
		stats:  newStatsModel(c),
		filter: newFilterModel(c),
		help:   help.New(),
	}
	m.help.Styles = c.styles.Help
	return m
}

// Init implements tea.Model.
func (m Model) Init() tea.Cmd {
	return tea.Batch(m.tickCmd(), tea.RequestBackgroundColor)
}

func (m Model) tickCmd() tea.Cmd {
	return tea.Tick(m.c.opts.Tick, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// keyMatches reports whether a key press matches any of the bindings.
func keyMatches(msg tea.KeyPressMsg, b ...key.Binding) bool { return key.Matches(msg, b...) }

// Update implements tea.Model. The top overlay, if any, gets key presses
// and pastes; it sees every other message after the root.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if km, ok := msg.(tea.KeyPressMsg); ok {
		if km, split := m.splitEscape(km); split {
			esc, first := m.Update(tea.KeyPressMsg{Code: tea.KeyEscape})
			next, then := esc.Update(km)
			return next, tea.Batch(first, then)
		}
	}
	var cmd tea.Cmd
	switch msg.(type) {
	case tea.KeyPressMsg, tea.PasteMsg:
		if m.overlays.top() != nil {
			m, cmd = m.updateOverlay(msg)
			return m.settle(), cmd
		}
	}
	m, cmd = m.handle(msg)
	switch msg.(type) {
	case tea.KeyPressMsg, tea.PasteMsg, tea.MouseMsg:
	default:
		if m.overlays.top() != nil {
			var more tea.Cmd
			m, more = m.updateOverlay(msg)
			cmd = tea.Batch(cmd, more)
		}
	}
	return m.settle(), cmd
}

// handle is the root's own handling of a message.
func (m Model) handle(msg tea.Msg) (Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.width, m.c.height = msg.Width, msg.Height
		m = m.relayout()
	case tea.KeyboardEnhancementsMsg:
		m.c.altKeys = msg.SupportsKeyDisambiguation()
	case tea.BackgroundColorMsg:
		m.c.styles = newStyles(msg.IsDark(), m.c.noColor)
		m.c.styleGen++
		m.help.Styles = m.c.styles.Help
	case tickMsg:
		m, cmd = m.refresh()
		var ex tea.Cmd
		m, ex = m.exportTick()
		cmd = tea.Batch(cmd, ex, m.tickCmd(), m.heldCmd())
	case scanMsg:
		m.list, cmd = m.list.scan(msg)
	case noticeMsg:
		m = m.setNotice(msg.text, msg.bad)
	case writeMsg:
		cmd = msg.cmd()
	case writtenMsg:
		if msg.err != nil {
			m = m.setNotice("write failed: "+msg.err.Error(), true)
		} else {
			m = m.setNotice("wrote "+msg.path+" ("+fmtSize(int64(msg.n))+")", false)
		}
	case sendMsg:
		m = m.setNotice("sending to "+msg.t.String()+"…", false)
		cmd = m.sendCmd(msg)
	case sentMsg:
		m = m.sent(msg)
	case editorFileMsg:
		m, cmd = m.runEditor(msg)
	case editedMsg:
		m, cmd = m.edited(msg)
	case helpMsg:
		m.overlays = m.overlays.push(helpOverlay{c: m.c, content: m.helpView})
	case heldMsg, icDoneMsg, heldActMsg, commandMsg, interceptExprMsg, toggleMsg, fabricateMsg, pushMsg:
		m, cmd = m.interceptUpdate(msg)
	case findMsg, timeMsg:
		m = m.fileLine(msg)
	case exportMsg, exportedMsg:
		m, cmd = m.exportUpdate(msg)
	case filterMsg:
		m.filter = msg.f
		if msg.changed {
			m, cmd = m.applyQuery()
		}
	case tea.KeyPressMsg:
		m, cmd = m.handleKey(msg)
	case tea.MouseClickMsg:
		m, cmd = m.handleClick(msg.Mouse())
	case tea.MouseWheelMsg:
		m, cmd = m.handleWheel(msg.Mouse())
	}
	return m, cmd
}

// settle brings the detail pane and the key map in line with the state.
func (m Model) settle() Model {
	m = m.relayout() // the filter line may have come or gone
	if c, ok := m.overlays.top().(composeOverlay); ok {
		m.overlays = m.overlays.replaceTop(c.fit(m.c.width, m.c.height-1-m.bottomHeight()))
	}
	if m.area == areaDetail {
		m.detail = m.detail.sync(m.list.raw(), m.list.sel, m.list.follow)
	}
	m.c.keys.setContext(keyContext{
		focus:     m.focus,
		raw:       m.list.raw(),
		haveSel:   m.list.sel != 0,
		stats:     m.area == areaStats,
		heldSel:   isHeldSeq(m.list.sel),
		filtered:  m.filter.active() || m.conns.sel != 0,
		helpShown: m.helpShown(),
		control:   m.c.opts.Control != nil,
		sendAddr:  m.c.opts.SendAddr != "",
		oneConn:   m.c.opts.OneConn,
		intercept: m.hasInterceptor(),
		file:      m.c.opts.Nav != nil,
		fileShown: m.c.opts.File != nil,
		fileFixed: m.fileFixed(),
		searching: m.nav.searching(),
		waiting:   m.exportWait != nil,
	})
	return m
}

// helpShown reports whether the full help is on top.
func (m Model) helpShown() bool {
	k, ok := m.overlays.topKind()
	return ok && k == overlayHelp
}

// filterEditing reports whether the filter line has the keyboard.
func (m Model) filterEditing() bool { return m.overlays.has(overlayFilter) }

// statsShown reports whether the latency statistics take the detail's place.
func (m Model) statsShown() bool { return m.area == areaStats }

// refresh takes in what the store gained since the last tick.
func (m Model) refresh() (Model, tea.Cmd) {
	st := m.c.st
	m.totals = st.Totals()
	now := m.c.now()
	m.rate.add(now, m.totals.Messages)
	m.relayed.add(now, uint64(m.totals.Bytes)+m.totals.DroppedBytes)
	if w := m.c.opts.Warning; w != nil {
		if text := w(); text != m.warning {
			m.warning = text
			if text != "" {
				m = m.setNotice("⚠ "+sanitize(text), true)
			}
		}
	}
	g := st.Gen()
	changed := g != m.gen
	m.gen = g
	if changed {
		m.conns = m.conns.refresh()
		if m.area == areaStats {
			m.stats = m.stats.refresh(m.conns.sel)
		}
	}
	var cmd tea.Cmd
	if changed || m.list.q.HasTerms() {
		m.list, cmd = m.list.refresh()
	}
	return m, cmd
}

// applyQuery rebuilds the list for the typed filter and the selected
// connection.
func (m Model) applyQuery() (Model, tea.Cmd) {
	q := m.c.bindReplay(m.filter.applied.WithConn(m.conns.sel))
	var cmd tea.Cmd
	m.list, cmd = m.list.setQuery(q)
	if m.area == areaStats {
		m.stats = m.stats.refresh(m.conns.sel)
	}
	return m, cmd
}

// setNotice shows a short message in the bottom line for a few seconds.
func (m Model) setNotice(s string, bad bool) Model {
	m.notice, m.noticeBad, m.noticeAt = s, bad, m.c.now()
	return m
}

// rateMeter turns a growing counter into a rate over the last second.
type rateMeter struct {
	at []time.Time
	n  []uint64
}

func (r *rateMeter) add(t time.Time, n uint64) {
	r.at, r.n = append(r.at, t), append(r.n, n)
	for len(r.at) > 2 && t.Sub(r.at[1]) >= time.Second {
		r.at, r.n = r.at[1:], r.n[1:]
	}
}

// perSecond is the rate over the samples kept.
func (r *rateMeter) perSecond() float64 {
	if len(r.at) < 2 {
		return 0
	}
	dt := r.at[len(r.at)-1].Sub(r.at[0]).Seconds()
	if dt <= 0 {
		return 0
	}
	return float64(r.n[len(r.n)-1]-r.n[0]) / dt
}
