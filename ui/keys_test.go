package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sockscope/protocol"
	"sockscope/store"
)

func rowOf(t *testing.T, m Model, seq uint64) store.Row {
	t.Helper()
	r, ok := m.c.st.Row(seq)
	if !ok {
		t.Fatalf("row %d not stored", seq)
	}
	return r
}

func TestMoveAndFollow(t *testing.T) {
	m := newTestModel(t, demoStore(t), 80, 24)
	_, next := m.c.st.RowBounds()
	if !m.list.follow || m.list.sel != next-1 {
		t.Fatalf("starts following the newest: follow=%v sel=%d want %d", m.list.follow, m.list.sel, next-1)
	}
	for _, k := range []string{"k", "up"} {
		before := m.list.sel
		m = press(t, m, k)
		if m.list.sel != before-1 || m.list.follow {
			t.Fatalf("%s: sel %d→%d follow=%v", k, before, m.list.sel, m.list.follow)
		}
	}
	for _, k := range []string{"j", "down"} {
		before := m.list.sel
		m = press(t, m, k)
		if m.list.sel != before+1 {
			t.Fatalf("%s: sel %d→%d", k, before, m.list.sel)
		}
	}
	for _, k := range []string{"g", "home"} {
		m = press(t, m, "G", k)
		if m.list.sel != 1 || m.list.follow {
			t.Fatalf("%s: sel %d follow %v, want the oldest", k, m.list.sel, m.list.follow)
		}
	}
	for _, k := range []string{"pgdown", "ctrl+d"} {
		m = press(t, m, "g", k)
		if want := uint64(1 + m.list.height - 1); m.list.sel != want {
			t.Fatalf("%s: sel %d want %d", k, m.list.sel, want)
		}
	}
	m = press(t, m, "pgup")
	if m.list.sel != 1 {
		t.Fatalf("pgup: sel %d", m.list.sel)
	}
	for _, k := range []string{"G", "end"} {
		m = press(t, m, "g", k)
		if !m.list.follow || m.list.sel != next-1 {
			t.Fatalf("%s: follow=%v sel=%d", k, m.list.follow, m.list.sel)
		}
	}
}

// New traffic never moves a selection the user made; following shows it.
func TestNewTrafficKeepsSelection(t *testing.T) {
	st := demoStore(t)
	m := newTestModel(t, st, 80, 24)
	m = press(t, m, "k", "k")
	sel := m.list.sel
	addRequests(st, 50)
	m = update(t, m, tickMsg(t0))
	if m.list.sel != sel {
		t.Fatalf("selection moved from %d to %d", sel, m.list.sel)
	}
	if !strings.Contains(view(m), "#"+itoa(sel)+" ") {
		t.Fatalf("selected row #%d no longer in the detail pane", sel)
	}
	m = press(t, m, "G")
	addRequests(st, 5)
	m = update(t, m, tickMsg(t0))
	if _, next := st.RowBounds(); m.list.sel != next-1 {
		t.Fatalf("following: sel %d, want newest %d", m.list.sel, next-1)
	}
	// j or pgdn on the newest row, while following, goes on following.
	for _, k := range []string{"j", "pgdown"} {
		m = press(t, m, k)
		addRequests(st, 1)
		m = update(t, m, tickMsg(t0))
		if _, next := st.RowBounds(); !m.list.follow || m.list.sel != next-1 {
			t.Fatalf("%s on the newest row: follow=%v sel %d, want newest %d", k, m.list.follow, m.list.sel, next-1)
		}
	}
}

func itoa(n uint64) string { return strings.TrimSpace(fmtCount(int64(n))) }

// addRequests appends n answered "ping" requests on connection 1.
func addRequests(st *store.Store, n int) {
	st.Update(func(tx *store.Tx) {
		f := &filler{st: st, tx: tx}
		for i := 0; i < n; i++ {
			at := t0.Add(time.Second + time.Duration(i)*time.Millisecond)
			row := f.request(1, protocol.C2S, at, `{"rid":1000,"method":"ping"}`)
			f.answer(row, 1, protocol.S2C, at.Add(time.Millisecond), `{"rid":1000,"success":true}`)
		}
	})
}

func TestFocusKeys(t *testing.T) {
	m := newTestModel(t, demoStore(t), 160, 48)
	if m.focus != focusList {
		t.Fatalf("starts on %v", m.focus)
	}
	m = press(t, m, "enter")
	if m.focus != focusDetail {
		t.Fatalf("enter: focus %v", m.focus)
	}
	m = press(t, m, "esc")
	if m.focus != focusList {
		t.Fatalf("esc: focus %v", m.focus)
	}
	want := []focus{focusDetail, focusConns, focusList}
	for _, f := range want {
		m = press(t, m, "tab")
		if m.focus != f {
			t.Fatalf("tab: focus %v want %v", m.focus, f)
		}
	}
	m = press(t, m, "shift+tab")
	if m.focus != focusConns {
		t.Fatalf("shift+tab: focus %v", m.focus)
	}
}

func TestDetailScrolls(t *testing.T) {
	m := newTestModel(t, demoStore(t), 80, 24)
	m = press(t, m, "g")
	for m.list.sel != 0 && rowOf(t, m, m.list.sel).Method != "getUser" {
		m = press(t, m, "j")
	}
	m = press(t, m, "enter", "j", "j")
	if y := m.detail.vp.YOffset(); y != 2 {
		t.Fatalf("detail j j: offset %d want 2", y)
	}
	m = press(t, m, "k")
	if y := m.detail.vp.YOffset(); y != 1 {
		t.Fatalf("detail k: offset %d want 1", y)
	}
	m = press(t, m, "G")
	if !m.detail.vp.AtBottom() {
		t.Fatal("detail G: not at the bottom")
	}
	m = press(t, m, "g")
	if m.detail.vp.YOffset() != 0 {
		t.Fatal("detail g: not at the top")
	}
	m = press(t, m, "pgdown")
	if m.detail.vp.YOffset() == 0 {
		t.Fatal("detail pgdown did not scroll")
	}
	m = press(t, m, "pgup")
	if m.detail.vp.YOffset() != 0 {
		t.Fatal("detail pgup did not scroll back")
	}
	// l jumps to the response section, h back to the request.
	m = press(t, m, "l")
	if m.detail.side != sideResponse || m.detail.vp.YOffset() == 0 {
		t.Fatalf("l: side %v offset %d", m.detail.side, m.detail.vp.YOffset())
	}
	m = press(t, m, "h")
	if m.detail.side != sideRequest || m.detail.vp.YOffset() != 0 {
		t.Fatalf("h: side %v offset %d", m.detail.side, m.detail.vp.YOffset())
	}
	for _, k := range []string{"right", "left"} {
		m = press(t, m, k)
	}
	if m.detail.side != sideRequest {
		t.Fatal("left: not on the request")
	}
}

func TestHexToggle(t *testing.T) {
	m := newTestModel(t, demoStore(t), 80, 24)
	m = press(t, m, "x")
	if !m.detail.hex || !strings.Contains(view(m), "00000000  7b 22") {
		t.Fatal("x: no hex dump")
	}
	m = press(t, m, "x")
	if m.detail.hex || strings.Contains(view(m), "00000000  7b 22") {
		t.Fatal("x again: still hex")
	}
	// With nothing selected (a filter that matches nothing), the title
	// says hex alone, with no separator left dangling.
	m = press(t, m, "x", "/", "z", "z", "z", "q", "enter")
	if v := view(m); strings.Contains(v, "hex ·") || !strings.Contains(v, "hex") {
		t.Fatalf("hex with nothing selected:\n%s", v)
	}
}

func TestCopyAndWrite(t *testing.T) {
	m := newTestModel(t, demoStore(t), 80, 24)
	m = press(t, m, "k", "k", "k", "k", "k", "k") // the export request
	r := rowOf(t, m, m.list.sel)
	if r.Method != "export" {
		t.Fatalf("selected %q", r.Method)
	}
	tm, cmd := m.Update(keyMsg("y"))
	m = tm.(Model)
	// The notice names the row the user sees, not the message's own
	// number, which in the exchanges list is another row's.
	if want := "copied the request of #" + itoa(r.Seq) + " "; cmd == nil || !strings.Contains(m.notice, want) {
		t.Fatalf("y: cmd %v notice %q", cmd, m.notice)
	}
	if got := cmd(); !strings.Contains(strings.ToLower(typeName(got)), "clipboard") {
		t.Fatalf("y: command sent %T, want a clipboard message", got)
	}
	m = press(t, m, "l")
	tm, cmd = m.Update(keyMsg("w"))
	m = tm.(Model)
	if cmd == nil {
		t.Fatal("w: no command")
	}
	m = update(t, m, cmd())
	path := filepath.Join(m.c.dir, "sockscope-"+itoa(r.Seq)+"-response.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := m.c.st.Message(r.Resp)
	if string(data) != string(resp.Frame.Data) {
		t.Fatalf("wrote %q, want %q", data, resp.Frame.Data)
	}
	if !strings.Contains(m.notice, "wrote "+path) || !strings.Contains(view(m), "wrote ") {
		t.Fatal("the path written is not reported")
	}
}

func typeName(v any) string { return strings.TrimPrefix(strings.TrimPrefix(fmtType(v), "tea."), "*") }

func TestHelpAndQuit(t *testing.T) {
	m := newTestModel(t, demoStore(t), 80, 24)
	m = press(t, m, "?")
	if !m.helpShown() || !strings.Contains(view(m), "status:error") {
		t.Fatal("?: no help with the filter syntax")
	}
	m = press(t, m, "j") // scrolls the help, not the list
	if helpTop(m) != 1 || m.list.follow != true {
		t.Fatalf("j in help: top %d, follow %v", helpTop(m), m.list.follow)
	}
	m = press(t, m, "esc")
	if m.helpShown() {
		t.Fatal("esc: help still shown")
	}
	m = press(t, m, "?", "?")
	if m.helpShown() {
		t.Fatal("? ?: help still shown")
	}
	for _, k := range []string{"q", "ctrl+c"} {
		_, cmd := m.Update(keyMsg(k))
		if cmd == nil {
			t.Fatalf("%s: no command", k)
		}
		if _, ok := cmd().(tea.QuitMsg); !ok {
			t.Fatalf("%s: does not quit", k)
		}
	}
}

func TestPauseAndClear(t *testing.T) {
	st := demoStore(t)
	m := newTestModel(t, st, 80, 24)
	n := m.list.idx.len()
	m = press(t, m, "p")
	addRequests(st, 10)
	m = update(t, m, tickMsg(t0))
	if m.list.idx.len() != n || !strings.Contains(view(m), "PAUSED") {
		t.Fatalf("paused: list grew to %d (was %d) or no PAUSED", m.list.idx.len(), n)
	}
	if strings.Contains(m.notice, "recorded") { // nothing is: it said "still recorded"
		t.Errorf("paused with no recording: %q", m.notice)
	}
	m = press(t, m, "space")
	if m.list.idx.len() != n+10 {
		t.Fatalf("resumed: %d rows, want %d", m.list.idx.len(), n+10)
	}
	m = press(t, m, "C")
	if m.list.idx.len() != 0 || m.list.sel != 0 {
		t.Fatalf("C: %d rows left", m.list.idx.len())
	}
	if first, next := st.RowBounds(); first != next {
		t.Fatal("C: store not cleared")
	}
	addRequests(st, 3)
	m = update(t, m, tickMsg(t0))
	if m.list.idx.len() != 3 || !m.list.follow {
		t.Fatalf("after clear: %d rows, follow %v", m.list.idx.len(), m.list.follow)
	}
}

func TestRawToggle(t *testing.T) {
	m := newTestModel(t, demoStore(t), 80, 24)
	m = press(t, m, "g", "j") // the first add request
	r := rowOf(t, m, m.list.sel)
	m = press(t, m, "r")
	if !m.list.raw() || m.list.sel != r.Req {
		t.Fatalf("r: raw=%v sel=%d want message %d", m.list.raw(), m.list.sel, r.Req)
	}
	first, next := m.c.st.MessageBounds()
	if m.list.idx.len() != int(next-first) {
		t.Fatalf("raw stream shows %d of %d messages", m.list.idx.len(), next-first)
	}
	m = press(t, m, "j") // the response
	if msg, _ := m.c.st.Message(m.list.sel); msg.Seq != r.Resp {
		t.Fatalf("j in raw: message %d, want the response %d", m.list.sel, r.Resp)
	}
	m = press(t, m, "r")
	if m.list.raw() || m.list.sel != r.Seq {
		t.Fatalf("r again: raw=%v sel=%d want row %d", m.list.raw(), m.list.sel, r.Seq)
	}
}

func TestStatsToggle(t *testing.T) {
	m := newTestModel(t, demoStore(t), 80, 24)
	m = press(t, m, "s")
	v := view(m)
	if !m.statsShown() || !strings.Contains(v, "p99") || !strings.Contains(v, "getUser") {
		t.Fatalf("s: no latency table:\n%s", v)
	}
	m = press(t, m, "s")
	if m.statsShown() {
		t.Fatal("s again: stats still shown")
	}
}

// x, h and l over the latency stats say why they do nothing there: they
// changed the hidden detail pane (and which side y and w take) without a
// word. The help does not offer them there.
func TestDetailKeysOverStatsSaySo(t *testing.T) {
	m := press(t, newTestModel(t, demoStore(t), 80, 24), "s")
	for _, k := range []string{"x", "h", "l"} {
		after := press(t, m, k)
		if !after.noticeBad || !strings.Contains(after.notice, "act on the detail pane") {
			t.Errorf("%s over the stats: notice %q", k, after.notice)
		}
		if after.detail.hex != m.detail.hex || after.detail.side != m.detail.side {
			t.Errorf("%s over the stats changed the hidden detail pane", k)
		}
	}
	if v := view(press(t, m, "?")); strings.Contains(v, "hex view") || strings.Contains(v, "request/response") {
		t.Errorf("over the stats the help offers x or h/l:\n%s", v)
	}
}

// The table scrolls no further than its last method on the pane's last
// line: G (or j held down) shows a full table, not one method above
// blank lines; where every method fits, it does not scroll at all.
func TestStatsScrollStopsAtTheEnd(t *testing.T) {
	for _, h := range []int{24, 60} {
		m := newTestModel(t, demoStore(t), 80, h)
		m = press(t, m, "s", "tab", "G")
		if m.focus != focusDetail {
			t.Fatalf("focus %v", m.focus)
		}
		lines := strings.Split(view(m), "\n")
		last := lines[len(lines)-2] // the line above the key help
		first, final := m.stats.methods[0].Method, m.stats.methods[len(m.stats.methods)-1].Method
		if h == 24 && !strings.HasPrefix(strings.TrimSpace(last), final+" ") {
			t.Errorf("%d rows: G does not end the table on its last line (first row %d of %d):\n%s", h, m.stats.top, len(m.stats.methods), view(m))
		}
		if h == 60 && (m.stats.top != 0 || !strings.Contains(view(m), "\n"+first+"    ")) {
			t.Errorf("%d rows: every method fits, yet G scrolls to row %d:\n%s", h, m.stats.top, view(m))
		}
	}
}

func TestConnsPane(t *testing.T) {
	m := newTestModel(t, demoStore(t), 80, 24)
	if m.connsShown() {
		t.Fatal("80 columns: the connections pane starts collapsed")
	}
	m = press(t, m, "c")
	if !m.connsShown() || !strings.Contains(view(m), "all connections") {
		t.Fatal("c: no connections pane")
	}
	m = press(t, m, "shift+tab")
	if m.focus != focusConns {
		t.Fatalf("focus %v", m.focus)
	}
	m = press(t, m, "j") // connection #1
	if m.conns.sel != 1 {
		t.Fatalf("j: conn %d", m.conns.sel)
	}
	for i := 0; i < m.list.idx.len(); i++ {
		if r := rowOf(t, m, m.list.idx.at(i)); r.Conn != 1 {
			t.Fatalf("conn #1 selected, list shows a row of #%d", r.Conn)
		}
	}
	if m.list.idx.len() == 0 {
		t.Fatal("conn #1: empty list")
	}
	m = press(t, m, "G")
	if m.conns.sel != 2 {
		t.Fatalf("G: conn %d", m.conns.sel)
	}
	m = press(t, m, "g")
	if m.conns.sel != 0 || !m.list.idx.all() {
		t.Fatal("g: not back on all connections")
	}
	m = press(t, m, "j", "enter", "esc")
	if m.focus != focusList || m.conns.sel != 0 {
		t.Fatalf("esc in the list clears the connection: focus %v conn %d", m.focus, m.conns.sel)
	}
	m = press(t, m, "c")
	if m.connsShown() {
		t.Fatal("c again: pane still shown")
	}
}

func TestMouse(t *testing.T) {
	m := newTestModel(t, demoStore(t), 80, 24)
	l := m.layout()
	m = update(t, m, tea.MouseClickMsg{X: 5, Y: l.listBodyY(), Button: tea.MouseLeft})
	_, ti := m.list.positions()
	if m.list.follow || m.list.sel != m.list.idx.at(ti) {
		t.Fatalf("click on the first visible row: sel %d", m.list.sel)
	}
	before := m.list.sel
	m = update(t, m, tea.MouseWheelMsg{X: 5, Y: l.listBodyY(), Button: tea.MouseWheelDown})
	if m.list.sel != before+3 {
		t.Fatalf("wheel down: sel %d want %d", m.list.sel, before+3)
	}
	m = update(t, m, tea.MouseClickMsg{X: 5, Y: l.detail.y + 5, Button: tea.MouseLeft})
	if m.focus != focusDetail {
		t.Fatalf("click in detail: focus %v", m.focus)
	}
	m = update(t, m, tea.MouseWheelMsg{X: 5, Y: l.detail.y + 5, Button: tea.MouseWheelDown})
	if m.detail.vp.YOffset() == 0 {
		t.Fatal("wheel in detail did not scroll")
	}
}

func TestResizeReflows(t *testing.T) {
	m := newTestModel(t, demoStore(t), 80, 24)
	for _, sz := range [][2]int{{160, 48}, {100, 30}, {80, 24}, {45, 12}} {
		m = update(t, m, tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		lines := strings.Split(view(m), "\n")
		if len(lines) != sz[1] {
			t.Fatalf("%v: %d lines", sz, len(lines))
		}
		for i, l := range lines {
			if w := visibleWidth(l); w > sz[0] {
				t.Fatalf("%v: line %d is %d wide: %q", sz, i, w, l)
			}
		}
	}
}

// While following a flood, a detail body that is slow to build is rebuilt
// for newer rows at most every followEvery, and its header names the row it
// shows; moving the selection rebuilds at once.
func TestFollowThrottlesHeavyDetail(t *testing.T) {
	st := demoStore(t)
	m := newTestModel(t, st, 80, 24)
	shown := m.detail.key.seq
	m.detail.cost, m.detail.builtAt = 10*time.Millisecond, m.c.now() // as if heavy, just built
	addRequests(st, 5)
	m = update(t, m, tickMsg(t0))
	if _, next := st.RowBounds(); m.list.sel != next-1 || m.detail.key.seq != shown {
		t.Fatalf("sel %d (newest %d), detail shows %d; want the newest selected and the detail kept at %d", m.list.sel, next-1, m.detail.key.seq, shown)
	}
	if !strings.Contains(view(m), "#"+itoa(shown)+" ") {
		t.Fatalf("the detail header does not name row #%d it shows", shown)
	}
	m.detail.builtAt = m.c.now().Add(-time.Second)
	m = update(t, m, tickMsg(t0))
	if m.detail.key.seq != m.list.sel {
		t.Fatalf("after %v the detail still shows %d, want %d", followEvery, m.detail.key.seq, m.list.sel)
	}
	m.detail.cost, m.detail.builtAt = 10*time.Millisecond, m.c.now()
	m = press(t, m, "k")
	if m.detail.key.seq != m.list.sel {
		t.Fatalf("moved by hand: the detail shows %d, want %d at once", m.detail.key.seq, m.list.sel)
	}
}

// What is typed in a bottom line is seen at 80 and 60 columns: the
// export's long prompt is cut to make room (it took the line's share
// whole, and the path was typed blind), and a long value scrolls so that
// its end, where the cursor is, shows.
func TestBottomLineShowsWhatIsTyped(t *testing.T) {
	for _, w := range []int{80, 60} {
		m := newTestModel(t, demoStore(t), w, 24)
		m = press(t, m, append([]string{"E"}, strings.Split("out/x.jsonl", "")...)...)
		if bottom := lastLine(view(m)); !strings.Contains(bottom, "out/x.jsonl") || !strings.Contains(bottom, "export") {
			t.Errorf("%d columns, E: the bottom line %q does not show the path typed", w, bottom)
		}
		long := "a/very/long/path/to/some/directory/far/away/exported.har"
		m = press(t, m, append([]string{"ctrl+u"}, strings.Split(long, "")...)...)
		if bottom := lastLine(view(m)); !strings.Contains(bottom, "exported.har") {
			t.Errorf("%d columns, E: the bottom line %q does not show the end of a long path", w, bottom)
		}
	}
}

func lastLine(v string) string { return v[strings.LastIndex(v, "\n")+1:] }
