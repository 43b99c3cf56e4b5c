package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sockscope/protocol"
	"sockscope/store"
)

// fakeControl records the calls the UI makes, as the real data path would
// receive them.
type fakeControl struct {
	mu    sync.Mutex
	calls []controlCall
	err   error // returned by every call when set
}

type controlCall struct {
	newConn bool
	conn    uint64 // the connection (for SendNew: like)
	dir     protocol.Dir
	msg     string
}

func (f *fakeControl) Send(ctx context.Context, conn uint64, dir protocol.Dir, msg []byte) (Sent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, controlCall{conn: conn, dir: dir, msg: string(msg)})
	if f.err != nil {
		return Sent{}, f.err
	}
	return Sent{Conn: conn, WireID: "900001"}, nil
}

func (f *fakeControl) SendNew(ctx context.Context, like uint64, msg []byte) (Sent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, controlCall{newConn: true, conn: like, msg: string(msg)})
	if f.err != nil {
		return Sent{}, f.err
	}
	return Sent{Conn: 77}, nil
}

func (f *fakeControl) recorded() []controlCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]controlCall(nil), f.calls...)
}

// newControlModel is newTestModel with a Control.
func newControlModel(t testing.TB, st *store.Store, w, h int, ctl Control) Model {
	t.Helper()
	t.Setenv("NO_COLOR", "")
	m := New(st, Options{Listen: "unix:/tmp/app.sock", Upstream: "unix:/tmp/app.sock.orig", SendAddr: "unix:/tmp/app.sock", Control: ctl})
	m.c.now = func() time.Time { return t0.Add(3 * time.Second) }
	m.c.dir = t.TempDir()
	m = update(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	return update(t, m, tickMsg(t0))
}

// pressRun presses keys and runs the commands they return, handing their
// messages back to the model as Bubble Tea would (ticks aside).
func pressRun(t testing.TB, m Model, keys ...string) Model {
	t.Helper()
	for _, k := range keys {
		tm, cmd := m.Update(keyMsg(k))
		m = runCmd(t, tm.(Model), cmd)
	}
	return m
}

func runCmd(t testing.TB, m Model, cmd tea.Cmd) Model {
	t.Helper()
	if cmd == nil {
		return m
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a command did not return")
	}
	switch msg := msg.(type) {
	case tickMsg, nil:
	case tea.BatchMsg:
		for _, c := range msg {
			m = runCmd(t, m, c)
		}
	default:
		tm, next := m.Update(msg)
		m = runCmd(t, tm.(Model), next)
	}
	return m
}

// selectMethod moves the list to the first row of method.
func selectMethod(t *testing.T, m Model, method string) Model {
	t.Helper()
	m = press(t, m, "g")
	for i := 0; rowOf(t, m, m.list.sel).Method != method; i++ {
		if i > 50 {
			t.Fatalf("no %s row", method)
		}
		m = press(t, m, "j")
	}
	return m
}

func TestControlKeysNeedControl(t *testing.T) {
	keys := []string{"R resend request", "e edit & send", "n new message", "N send on a new conn", "Y copy as send command"}
	m := newTestModel(t, demoStore(t), 160, 48)
	v := view(press(t, m, "?"))
	for _, k := range keys {
		if strings.Contains(v, k) {
			t.Errorf("without a Control the help offers %q", k)
		}
	}
	for _, k := range []string{"R", "e", "n", "N", "Y"} {
		after := press(t, m, k)
		if after.overlays.top() != nil || !after.noticeBad || !strings.HasPrefix(after.notice, "nothing sent: ") {
			t.Errorf("%s without a Control: overlay %v, notice %q (it should say why nothing is sent)", k, after.overlays.top(), after.notice)
		}
	}
	m = newControlModel(t, demoStore(t), 160, 48, &fakeControl{})
	v = view(press(t, m, "?"))
	for _, k := range keys {
		if !strings.Contains(v, k) {
			t.Errorf("with a Control the help lacks %q:\n%s", k, v)
		}
	}
	// With nothing selected (an empty store), each says so too.
	m = newControlModel(t, store.New(store.Config{}), 160, 48, &fakeControl{})
	for _, k := range []string{"R", "e", "n", "N", "Y"} {
		if after := press(t, m, k); after.overlays.top() != nil || !strings.HasPrefix(after.notice, "nothing selected: ") {
			t.Errorf("%s with nothing selected: overlay %v, notice %q", k, after.overlays.top(), after.notice)
		}
	}
}

// Without an Interceptor (an attached viewer, show), i, I and : say so:
// what is typed after them (a filter) is then not taken for keys.
func TestInterceptKeysSayWhenThereIsNone(t *testing.T) {
	for _, m := range []Model{newTestModel(t, demoStore(t), 160, 48), newControlModel(t, demoStore(t), 160, 48, &fakeControl{})} {
		for _, k := range []string{"i", "I", ":"} {
			after := press(t, m, k)
			if after.overlays.top() != nil || !after.noticeBad || !strings.Contains(after.notice, "no intercept here") {
				t.Errorf("%s without an Interceptor: overlay %v, notice %q", k, after.overlays.top(), after.notice)
			}
		}
	}
}

func TestResend(t *testing.T) {
	ctl := &fakeControl{}
	m := selectMethod(t, newControlModel(t, demoStore(t), 80, 24, ctl), "divide")
	req, _ := m.c.st.Message(rowOf(t, m, m.list.sel).Req)
	m = pressRun(t, m, "R")
	if k, ok := m.overlays.topKind(); !ok || k != overlayConfirm || !strings.Contains(view(m), "resend divide (id 7) on conn #1 to the server?") {
		t.Fatalf("R asks nothing:\n%s", view(m))
	}
	if len(ctl.recorded()) != 0 {
		t.Fatal("R sent before the answer")
	}
	m = pressRun(t, m, "n")
	if m.overlays.top() != nil || len(ctl.recorded()) != 0 {
		t.Fatal("n: the confirm stays or something was sent")
	}
	m = pressRun(t, m, "R", "y")
	calls := ctl.recorded()
	want := controlCall{conn: 1, dir: protocol.C2S, msg: string(req.Frame.Data)}
	if len(calls) != 1 || calls[0] != want {
		t.Fatalf("R y: calls %+v, want %+v", calls, want)
	}
	if !strings.Contains(m.notice, "resent divide (id 7) on conn #1 to the server (id on the wire 900001)") || m.noticeBad {
		t.Fatalf("notice %q", m.notice)
	}
	// A request the server asked goes back to the client.
	m = selectMethod(t, m, "confirm")
	m = pressRun(t, m, "R", "enter")
	if calls := ctl.recorded(); len(calls) != 2 || calls[1].dir != protocol.S2C || calls[1].conn != 1 {
		t.Fatalf("R on a server→client request: %+v", calls)
	}
	// The Control's error shows, and what cannot be sent is refused here.
	ctl.err = errors.New("conn #1: closed")
	m = pressRun(t, m, "R", "y")
	if !m.noticeBad || !strings.Contains(m.notice, "conn #1: closed") {
		t.Fatalf("error notice %q", m.notice)
	}
	for method, why := range map[string]string{"upload": "truncated", "progress": "notification"} {
		m = selectMethod(t, m, method)
		m = pressRun(t, m, "R")
		if method == "progress" { // a notification may be sent again
			if k, _ := m.overlays.topKind(); m.overlays.top() == nil || k != overlayConfirm {
				t.Fatalf("R on a notification: %q", m.notice)
			}
			m = pressRun(t, m, "esc")
			continue
		}
		if m.overlays.top() != nil || !m.noticeBad || !strings.Contains(m.notice, why) {
			t.Fatalf("R on %s: notice %q", method, m.notice)
		}
	}
	if n := len(ctl.recorded()); n != 3 {
		t.Fatalf("%d calls, want 3", n)
	}
}

// A send that fails says so with what was not sent, once ("not sent (sent
// a new message)" said it twice over), with the Control's own error.
func TestSendFailureNotice(t *testing.T) {
	fc := &fakeControl{err: errors.New("conn 2 is closed")}
	m := newControlModel(t, demoStore(t), 160, 48, fc)
	m = m.sent(sentMsg{what: "sent a new message", err: fc.err})
	if m.notice != "not sent a new message: conn 2 is closed" {
		t.Errorf("notice %q", m.notice)
	}
	// The engine's own deadline (a handshake's) is its error, not the
	// UI's wait's.
	handshake := fmt.Errorf("conn 3: handshake: %w", context.DeadlineExceeded)
	m = m.sent(sentMsg{what: "sent a new message", err: handshake})
	if m.notice != "not sent a new message: conn 3: handshake: context deadline exceeded" {
		t.Errorf("notice %q", m.notice)
	}
}
