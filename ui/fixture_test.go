package ui

import (
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"sockscope/protocol"
	"sockscope/store"
)

// t0 is the fixed clock of every test.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// filler writes realistic traffic into a store the way the observer does:
// message, then row, then the answer.
type filler struct {
	st *store.Store
	tx *store.Tx
}

func msgOf(conn uint64, dir protocol.Dir, at time.Time, data string) protocol.Message {
	b := []byte(data)
	return protocol.Message{Conn: conn, Dir: dir, At: at,
		Frame: protocol.Frame{Data: b, Size: len(b), Wire: len(b) + 1},
		Info:  protocol.Classify(b, protocol.DefaultIDFields)}
}

// request stores a request and its pending row; it returns the row seq.
func (f *filler) request(conn uint64, dir protocol.Dir, at time.Time, data string) uint64 {
	m := msgOf(conn, dir, at, data)
	m.Seq = f.tx.AddMessage(&m)
	return f.tx.AddRow(&store.Row{Conn: conn, Dir: dir, Kind: m.Info.Kind, ID: string(m.Info.ID),
		Method: string(m.Info.Method), Status: protocol.StatusPending, Req: m.Seq, ReqAt: at, ReqSize: m.Frame.Size})
}

// answer stores a response to row.
func (f *filler) answer(row, conn uint64, dir protocol.Dir, at time.Time, data string) {
	m := msgOf(conn, dir, at, data)
	m.Seq = f.tx.AddMessage(&m)
	f.tx.Answer(row, &m)
}

// lone stores a message that expects no reply (notification, raw, orphan).
func (f *filler) lone(conn uint64, dir protocol.Dir, at time.Time, data string, status protocol.Status) uint64 {
	m := msgOf(conn, dir, at, data)
	m.Seq = f.tx.AddMessage(&m)
	r := store.Row{Conn: conn, Dir: dir, Kind: m.Info.Kind, ID: string(m.Info.ID), Method: string(m.Info.Method),
		Status: status, Req: m.Seq, ReqAt: at, ReqSize: m.Frame.Size}
	if status == protocol.StatusOrphan {
		r.Req, r.ReqAt, r.ReqSize = 0, time.Time{}, 0
		r.Resp, r.RespAt, r.RespSize = m.Seq, at, m.Frame.Size
	}
	return f.tx.AddRow(&r)
}

// demoStore is a small, varied session: two clients, answered, failed,
// slow, pending and unanswered requests, notifications, an orphan, a raw
// frame holding terminal escapes, and a truncated frame.
func demoStore(t testing.TB) *store.Store {
	st := store.New(store.Config{})
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	st.Update(func(tx *store.Tx) {
		f := &filler{st: st, tx: tx}
		tx.OpenConn(store.Conn{ID: 1, Client: "unix:@", Listen: "unix:/tmp/app.sock", Upstream: "unix:/tmp/app.sock.orig",
			PID: 4242, UID: 1000, Process: "node", Opened: t0})
		tx.OpenConn(store.Conn{ID: 2, Client: "127.0.0.1:51234", Listen: "127.0.0.1:7000", Upstream: "127.0.0.1:7001",
			PID: -1, UID: -1, Opened: t0.Add(ms(300))})
		at := t0.Add(ms(10))
		f.lone(1, protocol.C2S, at, `{"action":"register","methods":["add","divide","sleep"]}`, protocol.StatusNone)
		for i := 1; i <= 6; i++ {
			at = at.Add(ms(37))
			row := f.request(1, protocol.C2S, at, fmt.Sprintf(`{"rid":%d,"method":"add","params":[%d,%d]}`, i, i, i*2))
			f.answer(row, 1, protocol.S2C, at.Add(time.Duration(i)*ms(3)/2), fmt.Sprintf(`{"rid":%d,"success":true,"result":%d}`, i, i*3))
		}
		at = at.Add(ms(40))
		row := f.request(2, protocol.C2S, at, `{"jsonrpc":"2.0","id":"u-7","method":"getUser","params":{"name":"ada","fields":["email","roles"]}}`)
		f.answer(row, 2, protocol.S2C, at.Add(ms(142)), `{"jsonrpc":"2.0","id":"u-7","result":{"name":"Ada Lovelace","email":"ada@example.org","roles":["admin","dev"],"active":true,"score":99.5,"manager":null}}`)
		at = at.Add(ms(60))
		row = f.request(1, protocol.C2S, at, `{"rid":7,"method":"divide","params":[1,0]}`)
		f.answer(row, 1, protocol.S2C, at.Add(ms(2)), `{"rid":7,"success":false,"error":"division by zero"}`)
		at = at.Add(ms(30))
		f.lone(2, protocol.S2C, at, `{"jsonrpc":"2.0","method":"progress","params":{"done":40,"total":100}}`, protocol.StatusNone)
		at = at.Add(ms(30))
		row = f.request(2, protocol.C2S, at, `{"jsonrpc":"2.0","id":8,"method":"export","params":{"format":"csv"}}`)
		f.answer(row, 2, protocol.S2C, at.Add(ms(1830)), `{"jsonrpc":"2.0","id":8,"result":{"rows":1200}}`)
		at = at.Add(ms(20))
		row = f.request(1, protocol.S2C, at, `{"rid":100,"method":"confirm","params":{"question":"overwrite?"}}`)
		f.answer(row, 1, protocol.C2S, at.Add(ms(900)), `{"rid":100,"success":true,"result":"yes"}`)
		at = at.Add(ms(20))
		f.lone(2, protocol.S2C, at, `{"jsonrpc":"2.0","id":99,"result":"late"}`, protocol.StatusOrphan)
		at = at.Add(ms(20))
		f.lone(2, protocol.C2S, at, "PING \x1b]52;c;ZXZpbA==\x07\x1b[2J hello\r", protocol.StatusNone)
		at = at.Add(ms(20))
		row = f.request(1, protocol.C2S, at, `{"rid":8,"method":"sleep","params":[5000]}`)
		tx.SetStatus(row, protocol.StatusNoReply)
		at = at.Add(ms(20))
		big := msgOf(2, protocol.C2S, at, `{"jsonrpc":"2.0","id":9,"method":"upload","params":{"blob":"AAAAAAAAAAAAAAAA`)
		big.Frame.Size, big.Frame.Truncated = 5<<20, true
		big.Info = protocol.Info{Kind: protocol.KindRequest, ID: []byte("9"), Method: []byte("upload")}
		big.Seq = tx.AddMessage(&big)
		tx.AddRow(&store.Row{Conn: 2, Dir: protocol.C2S, Kind: protocol.KindRequest, ID: "9", Method: "upload",
			Status: protocol.StatusPending, Req: big.Seq, ReqAt: at, ReqSize: big.Frame.Size})
		at = at.Add(ms(20))
		f.request(1, protocol.C2S, at, `{"rid":9,"method":"add","params":[40,2]}`)
	})
	return st
}

// newTestModel returns a model over st at w×h with the fixed clock, after
// one tick has read the store.
func newTestModel(t testing.TB, st *store.Store, w, h int) Model {
	t.Helper()
	t.Setenv("NO_COLOR", "")
	m := New(st, Options{Listen: "unix:/tmp/app.sock", Upstream: "unix:/tmp/app.sock.orig"})
	m.c.now = func() time.Time { return t0.Add(3 * time.Second) }
	m.c.dir = t.TempDir()
	m = update(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	return update(t, m, tickMsg(t0))
}

// update runs one Update and any scan it started, and returns the model.
func update(t testing.TB, m Model, msg tea.Msg) Model {
	t.Helper()
	tm, cmd := m.Update(msg)
	m = tm.(Model)
	for i := 0; cmd != nil && i < 1000; i++ {
		next := cmd
		cmd = nil
		if s, ok := runScan(next); ok {
			tm, cmd = m.Update(s)
			m = tm.(Model)
		}
	}
	// A scan whose command runScan gave up on (a loaded machine ran it
	// late) is finished here, as its commands would have.
	for i := 0; m.list.idx.scanning() && i < 1_000_000; i++ {
		tm, _ := m.Update(scanMsg{m.list.scanID})
		m = tm.(Model)
	}
	return m
}

// runScan runs cmd if it is (or batches) a scanMsg command; other commands
// (ticks, clipboard) are not run.
func runScan(cmd tea.Cmd) (tea.Msg, bool) {
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		switch msg := msg.(type) {
		case scanMsg:
			return msg, true
		case tea.BatchMsg:
			for _, c := range msg {
				if c == nil {
					continue
				}
				if s, ok := runScan(c); ok {
					return s, true
				}
			}
		}
	case <-time.After(50 * time.Millisecond):
		// A tick: not run. (On a loaded machine a scan's command too may
		// take this long to run: update finishes the scan.)
	}
	return nil, false
}

func press(t testing.TB, m Model, keys ...string) Model {
	t.Helper()
	for _, k := range keys {
		m = update(t, m, keyMsg(k))
	}
	return m
}

// keyMsg builds the key press tea would deliver for k.
func keyMsg(k string) tea.KeyPressMsg {
	special := map[string]tea.Key{
		"up": {Code: tea.KeyUp}, "down": {Code: tea.KeyDown}, "left": {Code: tea.KeyLeft}, "right": {Code: tea.KeyRight},
		"pgup": {Code: tea.KeyPgUp}, "pgdown": {Code: tea.KeyPgDown}, "home": {Code: tea.KeyHome}, "end": {Code: tea.KeyEnd},
		"enter": {Code: tea.KeyEnter}, "esc": {Code: tea.KeyEscape}, "tab": {Code: tea.KeyTab},
		"shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift}, "backspace": {Code: tea.KeyBackspace},
		"space": {Code: tea.KeySpace, Text: " "}, "ctrl+c": {Code: 'c', Mod: tea.ModCtrl},
		"ctrl+u": {Code: 'u', Mod: tea.ModCtrl},
	}
	if k, ok := special[k]; ok {
		return tea.KeyPressMsg(k)
	}
	r := []rune(k)[0]
	if r >= 'A' && r <= 'Z' {
		return tea.KeyPressMsg{Code: r + 32, ShiftedCode: r, Text: k, Mod: tea.ModShift}
	}
	return tea.KeyPressMsg{Code: r, Text: k}
}

func fmtType(v any) string { return fmt.Sprintf("%T", v) }

func visibleWidth(s string) int { return lipgloss.Width(s) }

// view renders m without styles.
func view(m Model) string { return ansi.Strip(m.render()) }

func ansiStripped(s string) string { return ansi.Strip(s) }

// helpTop is the first line the help shows (-1 when it is not shown).
func helpTop(m Model) int {
	if h, ok := m.overlays.top().(helpOverlay); ok {
		return h.top
	}
	return -1
}
