package ui

import (
	tea "charm.land/bubbletea/v2"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"sockscope/protocol"
)

// fakeInterceptor holds frames as the engine would list them and records
// what the UI decides about each.
type fakeInterceptor struct {
	fakeControl
	hmu   sync.Mutex
	held  []HeldFrame
	acts  []string // "a 1", "d 1", "e 1 {...}", "f 1 {...}", "A"
	calls int      // Held calls
	// The intercept filter, once set (or set here); until then
	// method:divide, on.
	icSet  bool
	icExpr string
	icOn   bool
}

func (f *fakeInterceptor) Held() []HeldFrame {
	f.hmu.Lock()
	defer f.hmu.Unlock()
	f.calls++
	return append([]HeldFrame(nil), f.held...)
}

// decide records act on held frame id and releases it.
func (f *fakeInterceptor) decide(act string, id uint64, payload []byte) error {
	f.hmu.Lock()
	defer f.hmu.Unlock()
	for i, h := range f.held {
		if h.ID == id {
			f.held = append(f.held[:i:i], f.held[i+1:]...)
			f.acts = append(f.acts, strings.TrimSpace(fmt.Sprintf("%s %d %s", act, id, payload)))
			return nil
		}
	}
	return fmt.Errorf("no frame is held as #%d", id)
}

func (f *fakeInterceptor) Forward(id uint64) error             { return f.decide("a", id, nil) }
func (f *fakeInterceptor) Drop(id uint64) error                { return f.decide("d", id, nil) }
func (f *fakeInterceptor) Edit(id uint64, p []byte) error      { return f.decide("e", id, p) }
func (f *fakeInterceptor) Fabricate(id uint64, p []byte) error { return f.decide("f", id, p) }
func (f *fakeInterceptor) SetIntercept(_ context.Context, expr string, on bool) error {
	f.hmu.Lock()
	defer f.hmu.Unlock()
	f.icSet, f.icExpr, f.icOn = true, expr, on
	return nil
}
func (f *fakeInterceptor) Intercepting() (string, bool) {
	f.hmu.Lock()
	defer f.hmu.Unlock()
	if f.icSet {
		return f.icExpr, f.icOn
	}
	return "method:divide", true
}
func (f *fakeInterceptor) Rules() []RuleInfo                              { return nil }
func (f *fakeInterceptor) RemoveRule(string) error                        { return nil }
func (f *fakeInterceptor) Notices() []string                              { return nil }
func (f *fakeInterceptor) EnableRule(context.Context, string, bool) error { return nil }
func (f *fakeInterceptor) AddRule(context.Context, string) (RuleInfo, error) {
	return RuleInfo{}, errors.New("no rules here")
}
func (f *fakeInterceptor) Sticky(context.Context, uint64, []byte, bool) (RuleInfo, error) {
	return RuleInfo{}, errors.New("no rules here")
}
func (f *fakeInterceptor) ReplyTemplate(id uint64, failed bool) ([]byte, error) {
	return []byte(fmt.Sprintf(`{"rid":%d,"success":true,"data":null}`, id)), nil
}
func (f *fakeInterceptor) ForwardAll() int {
	f.hmu.Lock()
	defer f.hmu.Unlock()
	n := len(f.held)
	f.held = nil
	f.acts = append(f.acts, "A")
	return n
}

func (f *fakeInterceptor) decided() []string {
	f.hmu.Lock()
	defer f.hmu.Unlock()
	return append([]string(nil), f.acts...)
}

// heldDivide is a divide request of connection 1 held since t0+1s (the
// test clock reads t0+3s: held 2.00s).
func heldDivide(id uint64) HeldFrame {
	p := []byte(`{"rid":7,"method":"divide","params":[1,0]}`)
	return HeldFrame{ID: id, Conn: 1, Dir: protocol.C2S, Since: t0.Add(time.Second), Payload: p,
		Info: protocol.Classify(p, protocol.DefaultIDFields)}
}

// newHeldModel is the demo session with fi's held frames read once, as
// the tick reads them.
func newHeldModel(t testing.TB, w, h int, fi *fakeInterceptor) Model {
	t.Helper()
	m := newControlModel(t, demoStore(t), w, h, fi)
	return readHeld(t, m)
}

// readHeld reads the interceptor's state, as every tick does.
func readHeld(t testing.TB, m Model) Model {
	t.Helper()
	return update(t, m, m.heldCmd()())
}

// heldRowOf returns the list's line for the held frame, "" if none.
func heldRowOf(v string) string {
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(l, "divide") && (strings.Contains(l, "held request") || strings.Contains(l, "divide     held")) {
			return l
		}
	}
	return ""
}

func TestHeldRowInList(t *testing.T) {
	fi := &fakeInterceptor{held: []HeldFrame{heldDivide(1)}}
	m := newControlModel(t, demoStore(t), 160, 48, fi)
	// Following a flood whose bodies are slow to build, the detail pane
	// skips rows; a held frame it shows at once.
	m.detail.cost, m.detail.builtAt = time.Hour, time.Now()
	m = readHeld(t, m)
	if !isHeldSeq(m.list.sel) || m.list.count() != m.list.idx.len()+1 {
		t.Fatalf("following: the held frame is not the newest entry (sel %x, %d entries)", m.list.sel, m.list.count())
	}
	v := view(m)
	row := heldRowOf(v)
	for _, want := range []string{"15:09:27.000", "#1", "→", "7", "divide", "held request", "2.00s"} {
		if !strings.Contains(row, want) {
			t.Errorf("the held row %q has no %q", row, want)
		}
	}
	for _, want := range []string{"1 held · following", "held #1 request divide id 7 held", "held 2.00s", "by the intercept filter", `"divide"`} {
		if !strings.Contains(v, want) {
			t.Errorf("no %q:\n%s", want, v)
		}
	}
	// The timer is live: it moves with the clock, with no new tick.
	m.c.now = func() time.Time { return t0.Add(4500 * time.Millisecond) }
	if row := heldRowOf(view(m)); !strings.Contains(row, "3.50s") {
		t.Errorf("the timer did not move: %q", row)
	}
	// R, n, N, Y are the store row's: on a held frame they say what is.
	for _, k := range []string{"R", "n", "N", "Y"} {
		if after := press(t, m, k); !strings.HasPrefix(after.notice, "a held frame: ") {
			t.Errorf("%s on the held frame: notice %q", k, after.notice)
		}
	}
	// The help offers the held frame's keys, and not the store row's.
	help := strings.Join(strings.Fields(view(press(t, m, "?"))), " ")
	for _, want := range []string{"a forward e edit & forward d drop f fabricate reply A forward all"} {
		if !strings.Contains(help, want) {
			t.Errorf("the help has no %q", want)
		}
	}
	if strings.Contains(help, "edit & send") || strings.Contains(help, "R resend") {
		t.Errorf("the help offers the store's row keys on a held frame")
	}
	// y and w take the frame as held.
	if msg, name, _, ok := m.selectedMessage(); !ok || string(msg.Frame.Data) != string(heldDivide(1).Payload) || name != "sockscope-held-1" {
		t.Errorf("selected message %q %q %v", msg.Frame.Data, name, ok)
	}
}

// a, e, d and f on a held row of the list act on it as in the intercept
// pane; once released it leaves the list.
func TestHeldRowKeys(t *testing.T) {
	fi := &fakeInterceptor{held: []HeldFrame{heldDivide(1), heldDivide(2), heldDivide(3), heldDivide(4)}}
	m := newHeldModel(t, 160, 48, fi)
	n := m.list.idx.len()
	if m.list.count() != n+4 || m.list.sel != heldSeq(4) {
		t.Fatalf("%d entries, selected %x", m.list.count()-n, m.list.sel)
	}
	m = pressRun(t, m, "k") // hold 3: following stops
	m = pressRun(t, m, "a")
	if got := fi.decided(); len(got) != 1 || got[0] != "a 3" {
		t.Fatalf("a on held #3: %q", got)
	}
	if _, ok := m.list.heldAt(heldSeq(3)); ok || m.list.count() != n+3 {
		t.Fatalf("#3 is still listed (%d held)", m.list.count()-n)
	}
	if !isHeldSeq(m.list.sel) {
		t.Fatalf("the selection left the held frames: %x", m.list.sel)
	}
	m = pressRun(t, m, "g", "G") // the newest: hold 4
	m = pressRun(t, m, "d")
	m = pressRun(t, m, "e")
	if !strings.Contains(view(m), "Edit held frame") {
		t.Fatalf("e on a held row opened no editor:\n%s", view(m))
	}
	m = pressRun(t, m, "ctrl+s")
	m = pressRun(t, m, "f")
	if !strings.Contains(view(m), "Answer held request") {
		t.Fatalf("f on a held request opened no reply editor:\n%s", view(m))
	}
	m = pressRun(t, m, "ctrl+s")
	got := fi.decided()
	want := []string{"a 3", "d 4", `e 2 {"rid":7,"method":"divide","params":[1,0]}`, `f 1 {"rid":1,"success":true,"data":null}`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("decisions %q, want %q", got, want)
	}
	if m.list.count() != n || isHeldSeq(m.list.sel) || heldRowOf(view(m)) != "" {
		t.Fatalf("held rows remain: %d entries of %d", m.list.count(), n)
	}
	// On a store row the same keys do nothing to held frames.
	fi.held = []HeldFrame{heldDivide(5)}
	m = readHeld(t, m)
	m = pressRun(t, m, "k", "a", "d")
	if got := fi.decided(); len(got) != 4 {
		t.Fatalf("keys on a store row decided %q", got[4:])
	}
}

// The filter sees held frames: is:held keeps them (and the rows that
// were held), -is:held hides them, other terms match their frame.
func TestHeldRowFilter(t *testing.T) {
	fi := &fakeInterceptor{held: []HeldFrame{heldDivide(1)}}
	m := newHeldModel(t, 160, 48, fi)
	for q, want := range map[string]int{"is:held": 1, "-is:held": 0, "method:divide": 1, "method:add": 0, "conn:2": 0, "kind:request": 1} {
		f := press(t, m, "/")
		f = pressRun(t, f, strings.Split(q, "")...)
		f = pressRun(t, f, "enter")
		if got := len(f.list.held); got != want {
			t.Errorf("%s: %d held rows, want %d", q, got, want)
		}
		if q == "is:held" && f.list.idx.len() != 0 {
			t.Errorf("is:held: %d store rows of a session that held none", f.list.idx.len())
		}
	}
}

// Golden views of a held row with its timer, selected, beside its detail,
// in the exchanges and the raw stream. Regenerate with go test ./ui -update.
func TestGoldenHeld(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {160, 48}} {
		name := fmt.Sprintf("%dx%d", sz[0], sz[1])
		t.Run(name+"/list", func(t *testing.T) {
			m := newHeldModel(t, sz[0], sz[1], &fakeInterceptor{held: []HeldFrame{heldDivide(1)}})
			golden.RequireEqual(t, []byte(view(m)))
		})
		t.Run(name+"/raw", func(t *testing.T) {
			m := newHeldModel(t, sz[0], sz[1], &fakeInterceptor{held: []HeldFrame{heldDivide(1)}})
			m = press(t, m, "r")
			golden.RequireEqual(t, []byte(view(m)))
		})
	}
}

// A command that fails says what was not done and why, and nothing it
// would have added on success.
func TestCommandFailureNotice(t *testing.T) {
	m := newHeldModel(t, 120, 30, &fakeInterceptor{}) // its AddRule fails
	m = press(t, m, append([]string{":"}, strings.Split("add method:add delay:abc", "")...)...)
	m = pressRun(t, m, "enter")
	if want := "not added rule: no rules here"; m.notice != want || !m.noticeBad {
		t.Errorf("notice %q, want %q", m.notice, want)
	}
}

// An empty intercept filter (:intercept alone, or i then enter) turns
// intercepting off, and the notice says so, as the pane does.
func TestEmptyInterceptFilterSaysOff(t *testing.T) {
	for _, keys := range [][]string{append(strings.Split(":intercept", ""), "enter"), {"i", "enter"}} {
		fi := &fakeInterceptor{}
		if keys[0] == "i" {
			fi.icSet = true // no filter yet: i asks for one
		}
		m := newHeldModel(t, 120, 30, fi)
		m = press(t, m, keys[:len(keys)-1]...)
		m = pressRun(t, m, "enter")
		if expr, on := fi.Intercepting(); expr != "" || on {
			t.Fatalf("%v: intercepting %q, on %v", keys, expr, on)
		}
		if !strings.HasPrefix(m.notice, "intercept off") || strings.Contains(m.notice, `""`) || m.noticeBad {
			t.Errorf("%v: notice %q", keys, m.notice)
		}
		m = readHeld(t, m)
		if v := view(m); keys[0] == "i" && !strings.Contains(v, "Intercept  off  filter: (none") {
			t.Errorf("%v: the pane does not say intercept off:\n%s", keys, v)
		}
	}
}

// A held msgpack-RPC frame reads as the detail pane shows its framing's
// frames, as JSON, in the intercept pane and in the detail pane; not as
// escaped bytes.
func TestHeldMsgpackShownAsJSON(t *testing.T) {
	p := []byte("\x94\x00\t\xa9nvim_eval\x91\xa440+2")
	h := HeldFrame{ID: 1, Conn: 1, Dir: protocol.C2S, Since: t0.Add(time.Second), Payload: p, Framing: protocol.FramingMsgpack,
		Info: protocol.ClassifyAs(protocol.FramingMsgpack, p, protocol.C2S, protocol.DefaultIDFields)}
	m := newHeldModel(t, 120, 40, &fakeInterceptor{held: []HeldFrame{h}})
	for name, v := range map[string]string{"detail pane": view(m), "intercept pane": view(press(t, m, "i"))} {
		if !strings.Contains(v, "msgpack-rpc message, shown as JSON") || name == "intercept pane" && strings.Contains(v, "x: its bytes") || !strings.Contains(v, `"nvim_eval",`) || !strings.Contains(v, `"40+2"`) || strings.Contains(v, `\x94`) {
			t.Errorf("%s: the held frame is not shown as JSON:\n%s", name, v)
		}
	}
}

// In the intercept pane ? opens the help, which names the pane's keys and
// closes back to the pane, and q quits, as everywhere else.
func TestInterceptPaneHelpAndQuit(t *testing.T) {
	fi := &fakeInterceptor{held: []HeldFrame{heldDivide(1)}}
	m := press(t, newHeldModel(t, 160, 48, fi), "i")
	if k, ok := m.overlays.topKind(); !ok || k != overlayIntercept {
		t.Fatalf("i did not open the intercept pane")
	}
	h := press(t, m, "?")
	if k, _ := h.overlays.topKind(); k != overlayHelp {
		t.Fatalf("? in the intercept pane: top overlay %v, not the help", k)
	}
	if help := strings.Join(strings.Fields(view(h)), " "); !strings.Contains(help, "A forward all") {
		t.Errorf("the help has not the pane's keys:\n%s", help)
	}
	if k, _ := press(t, h, "q").overlays.topKind(); k != overlayIntercept {
		t.Errorf("q in the help did not go back to the intercept pane")
	}
	_, cmd := m.Update(keyMsg("q"))
	if cmd == nil {
		t.Fatal("q in the intercept pane did nothing")
	}
	if _, quit := cmd().(tea.QuitMsg); !quit {
		t.Error("q in the intercept pane did not quit")
	}
}

// An editor open on a held frame that is let go meanwhile (its connection
// closed, its hold timed out) says so at once and keeps the text; ctrl+s
// sends nothing. It said nothing, and ctrl+s closed it on "no frame is
// held as #1", the text lost.
func TestEditorOnAHeldFrameLetGo(t *testing.T) {
	fi := &fakeInterceptor{held: []HeldFrame{heldDivide(1)}}
	m := newHeldModel(t, 160, 48, fi)
	m = pressRun(t, m, "e")
	if !strings.Contains(view(m), "Edit held frame") {
		t.Fatalf("e on the held row opened no editor:\n%s", view(m))
	}
	fi.held = nil
	m = readHeld(t, m)
	if v := view(m); !strings.Contains(v, "held #1 is no longer held") || !strings.Contains(v, "nothing to forward; esc closes") {
		t.Fatalf("the editor does not say its frame is gone:\n%s", v)
	}
	// At 60 columns it is wrapped, not cut before what esc does.
	if v := view(update(t, m, tea.WindowSizeMsg{Width: 60, Height: 15})); !strings.Contains(strings.Join(strings.Fields(v), " "), "nothing to forward; esc closes") {
		t.Fatalf("at 60 columns the editor's reason is cut:\n%s", v)
	}
	m = pressRun(t, m, "ctrl+s")
	if k, ok := m.overlays.topKind(); !ok || k != overlayCompose || len(fi.decided()) != 0 {
		t.Fatalf("ctrl+s on a frame let go: overlay %v, decisions %q", m.overlays.top(), fi.decided())
	}
	m = pressRun(t, m, "esc")
	if m.overlays.top() != nil {
		t.Fatalf("esc left the editor open")
	}
}

// e on a held Redis command edits its JSON view, and the edit goes as a
// Redis command; f says sockscope makes up JSON replies only, in the pane
// and in the list: f said it was no request and that e edits it, and both
// began "not edit:", "not fabricate:".
func TestHeldRESPEditAndAnswer(t *testing.T) {
	p := []byte("*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n")
	h := HeldFrame{ID: 1, Conn: 1, Dir: protocol.C2S, Since: t0.Add(time.Second), Payload: p, Framing: protocol.FramingRESP,
		Info: protocol.ClassifyAs(protocol.FramingRESP, p, protocol.C2S, protocol.DefaultIDFields)}
	for _, pane := range []bool{false, true} {
		fi := &fakeInterceptor{held: []HeldFrame{h}}
		m := newHeldModel(t, 120, 40, fi)
		if pane {
			m = press(t, m, "i")
		}
		if after := pressRun(t, m, "f"); !strings.Contains(after.notice, "not answered: the frame is resp: sockscope makes up JSON replies only") {
			t.Errorf("pane %v, f on a held GET: notice %q", pane, after.notice)
		}
		m = pressRun(t, m, "e")
		if k, ok := m.overlays.topKind(); !ok || k != overlayCompose || !strings.Contains(view(m), `"GET",`) {
			t.Fatalf("pane %v, e on a held GET: no editor on its view:\n%s", pane, view(m))
		}
		m = pressRun(t, m, "ctrl+a", "x", "ctrl+s") // no JSON now
		if d := fi.decided(); len(d) != 0 || !strings.Contains(view(m), "not sent: invalid JSON") {
			t.Fatalf("pane %v: an edit that is not JSON was sent (%q), or no error shows:\n%s", pane, d, view(m))
		}
		m = pressRun(t, m, "backspace", "ctrl+s")
		if d := fi.decided(); len(d) != 1 || !strings.Contains(d[0], `["GET","foo"]`) {
			t.Errorf("pane %v: the edit sent %q, want the view", pane, d)
		}
	}
}

// :enable, :disable and :rm without a NAME ask which rule (the real
// interceptor said `not enabled : no rule is named `).
func TestRuleCommandWithoutName(t *testing.T) {
	for _, verb := range []string{"enable", "disable", "rm"} {
		m := newHeldModel(t, 120, 40, &fakeInterceptor{})
		keys := append([]string{":"}, strings.Split(verb, "")...)
		m = pressRun(t, m, append(keys, "enter")...)
		if want := "which rule? :" + verb + " NAME"; !m.noticeBad || !strings.Contains(m.notice, want) {
			t.Errorf(":%s: notice %q, want %q", verb, m.notice, want)
		}
	}
}

// At 60 columns the status bar still says how many frames are held: the
// count comes before the intercept filter, which is cut ("⏯ inte…" cut
// the count off).
func TestStatusBarKeepsTheHeldCount(t *testing.T) {
	m := newHeldModel(t, 60, 15, &fakeInterceptor{held: []HeldFrame{heldDivide(1), heldDivide(2)}})
	if bar := strings.SplitN(view(m), "\n", 2)[0]; !strings.Contains(bar, "held 2") {
		t.Fatalf("status bar at 60 columns: %q", bar)
	}
	// At 40 the cut left "⏯ held…": the count went with the filter.
	if bar := strings.SplitN(view(update(t, m, tea.WindowSizeMsg{Width: 40, Height: 12})), "\n", 2)[0]; !strings.Contains(bar, "held 2") {
		t.Fatalf("status bar at 40 columns: %q", bar)
	}
	if bar := strings.SplitN(view(update(t, m, tea.WindowSizeMsg{Width: 160, Height: 48})), "\n", 2)[0]; !strings.Contains(bar, "held 2 · intercept method:divide") {
		t.Fatalf("status bar at 160 columns: %q", bar)
	}
}

// With more frames held than the intercept pane has room for, the pane
// shows those around the selected one, and says how many more there are:
// it drew them all, and j went on below the pane's end, the selection,
// its payload and the rules out of sight.
func TestInterceptPaneScrollsToTheSelection(t *testing.T) {
	var held []HeldFrame
	for i := uint64(1); i <= 30; i++ {
		held = append(held, heldDivide(i))
	}
	m := press(t, newHeldModel(t, 80, 24, &fakeInterceptor{held: held}), "i")
	for range 25 {
		m = press(t, m, "j")
	}
	v := view(m)
	if !strings.Contains(v, " ▶ #26 ") || !strings.Contains(v, `"rid": 7`) || !strings.Contains(v, "Rules (0)") {
		t.Fatalf("the 26th held frame, selected, its payload or the rules are out of sight:\n%s", v)
	}
	if !strings.Contains(v, "more above") {
		t.Errorf("the pane does not say frames are left out:\n%s", v)
	}
}

// A line typed over the intercept pane (i for its filter, : for a rule)
// leaves the pane drawn above it, and the help opened from the pane is
// drawn over it: under a line the panes came back, as if the pane had
// closed.
func TestInterceptPaneStaysUnderALine(t *testing.T) {
	m := press(t, newHeldModel(t, 80, 24, &fakeInterceptor{held: []HeldFrame{heldDivide(1)}}), "i")
	for _, k := range []string{"i", ":"} {
		v := view(press(t, m, k))
		if !strings.Contains(v, "Intercept") || !strings.Contains(v, "Held (1)") || strings.Contains(v, "Exchanges") {
			t.Errorf("%s over the intercept pane: the pane is not drawn:\n%s", k, v)
		}
	}
	if v := view(press(t, m, "?")); !strings.Contains(v, "Keys") || strings.Contains(v, "Held (1)") {
		t.Errorf("? over the intercept pane: the help is not drawn over it:\n%s", v)
	}
	// A click on the list's place does not reach the list hidden under it.
	before := m.list.sel
	if after := update(t, press(t, m, ":"), tea.MouseClickMsg{X: 5, Y: 3, Button: tea.MouseLeft}); after.list.sel != before || after.focus != m.focus {
		t.Errorf("a click under a line over the pane reached the panes")
	}
}

// At 40×12 the intercept pane shows what it is for: the held frames, the
// selected one's payload, the rules' heading and the keys that act on a
// held frame; the bottom line names the help. The holding note took five
// of its ten lines, the payload and the rules went below its end, and
// the bottom line showed a and e of its keys.
func TestInterceptPaneAt40x12(t *testing.T) {
	m := press(t, newHeldModel(t, 40, 12, &fakeInterceptor{held: []HeldFrame{heldDivide(1), heldDivide(2), heldDivide(3)}}), "i")
	v := view(m)
	for _, want := range []string{"Held (3)", " ▶ #1 conn #1 → divide id 7 · 2s", `"rid": 7`, "Rules (0)", "a fwd", "e edit", "d drop", "f answer", "A all"} {
		if !strings.Contains(v, want) {
			t.Errorf("the pane at 40×12 lacks %q:\n%s", want, v)
		}
	}
	if !strings.Contains(lastLine(v), "? help") {
		t.Errorf("the bottom line does not name the help: %q", lastLine(v))
	}
	if lines := strings.Split(v, "\n"); len(lines) != 12 {
		t.Errorf("the screen has %d lines, not 12:\n%s", len(lines), v)
	}
}

// The help opened over the intercept pane begins with the pane's keys: at
// 40×12 its first screen showed the list's, the pane's screens down.
func TestHelpOverInterceptPaneBeginsWithItsKeys(t *testing.T) {
	m := press(t, newHeldModel(t, 40, 12, &fakeInterceptor{held: []HeldFrame{heldDivide(1)}}), "i", "?")
	if v := strings.Join(strings.Fields(view(m)), " "); !strings.Contains(v, "Keys") || !strings.Contains(v, "a forward e edit & forward") {
		t.Errorf("the help's first screen over the intercept pane lacks the pane's keys:\n%s", v)
	}
}

// The help opened over the intercept pane lists the keys that act there,
// the pane's and its moves, and none of the panes' under it, which the
// pane takes without acting on (r, s, / did nothing there; e was listed
// twice, "edit & send" beside "edit & forward").
func TestHelpOverInterceptPaneListsOnlyItsKeys(t *testing.T) {
	m := press(t, newHeldModel(t, 160, 60, &fakeInterceptor{held: []HeldFrame{heldDivide(1), heldDivide(2)}}), "i", "?")
	v := strings.Join(strings.Fields(view(m)), " ")
	for _, want := range []string{"a forward", "e edit & forward", "A forward all", "↓/j down"} {
		if !strings.Contains(v, want) {
			t.Errorf("the help over the intercept pane lacks %q:\n%s", want, v)
		}
	}
	for _, lie := range []string{"raw stream", "latency stats", "edit & send", "resend request", "next pane"} {
		if strings.Contains(v, lie) {
			t.Errorf("the help over the intercept pane offers %q, which does nothing there:\n%s", lie, v)
		}
	}
	// ... and j, which it lists, moves to the next held frame.
	m = press(t, m, "q", "j")
	if _, i, ok := m.overlays.top().(interceptPane).selected(); !ok || i != 1 {
		t.Errorf("j in the intercept pane: selected %d, want the second held frame", i)
	}
}
