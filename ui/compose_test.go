package ui

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sockscope/protocol"
	"sockscope/store"
)

func TestEditInline(t *testing.T) {
	t.Setenv("EDITOR", "")
	ctl := &fakeControl{}
	m := selectMethod(t, newControlModel(t, demoStore(t), 80, 24, ctl), "getUser")
	m = pressRun(t, m, "e")
	if k, ok := m.overlays.topKind(); !ok || k != overlayCompose || !strings.Contains(view(m), `"name": "ada"`) {
		t.Fatalf("e without $EDITOR: no inline editor with the request:\n%s", view(m))
	}
	// A stray character: refused with the parser's message and the place.
	m = update(t, m, tea.PasteMsg{Content: "x"})
	m = pressRun(t, m, "ctrl+s")
	if len(ctl.recorded()) != 0 || m.overlays.top() == nil {
		t.Fatal("invalid JSON was sent or the editor closed")
	}
	if v := view(m); !strings.Contains(v, "not sent: invalid JSON at line 1, column 1: invalid character 'x'") {
		t.Fatalf("no parser message with its position:\n%s", v)
	}
	// At 80 columns the message is longer than a line: it is wrapped, its
	// end kept, and the editor's text stays above it.
	if v := view(m); !strings.Contains(strings.Join(strings.Fields(v), " "), "looking for beginning of value") || !strings.Contains(v, `"name": "ada"`) {
		t.Fatalf("the parser's message is cut:\n%s", v)
	}
	m = pressRun(t, m, "backspace", "ctrl+s")
	calls := ctl.recorded()
	want := `{"jsonrpc":"2.0","id":"u-7","method":"getUser","params":{"name":"ada","fields":["email","roles"]}}`
	if len(calls) != 1 || calls[0] != (controlCall{conn: 2, dir: protocol.C2S, msg: want}) {
		t.Fatalf("calls %+v", calls)
	}
	if m.overlays.top() != nil || !strings.Contains(m.notice, "sent the edited getUser") {
		t.Fatalf("after sending: overlay %v notice %q", m.overlays.top(), m.notice)
	}
	// esc leaves without sending.
	m = pressRun(t, m, "e", "esc")
	if m.overlays.top() != nil || len(ctl.recorded()) != 1 {
		t.Fatal("esc: the editor stays or something was sent")
	}
}

func TestEditExternal(t *testing.T) {
	t.Setenv("EDITOR", "true -n") // found on the PATH, never run here
	ctl := &fakeControl{}
	m := selectMethod(t, newControlModel(t, demoStore(t), 80, 24, ctl), "divide")
	tm, cmd := m.Update(keyMsg("e"))
	m = tm.(Model)
	file, ok := cmd().(editorFileMsg)
	if !ok || file.err != nil {
		t.Fatalf("e with $EDITOR: %#v", file)
	}
	data, err := os.ReadFile(file.path)
	if err != nil || !strings.Contains(string(data), "\"method\": \"divide\"") {
		t.Fatalf("the file for $EDITOR holds %q (%v)", data, err)
	}
	tm, cmd = m.Update(file)
	if cmd == nil {
		t.Fatal("no command to run $EDITOR")
	}
	// What $EDITOR leaves comes back as an editedMsg: invalid JSON is refused.
	os.WriteFile(file.path, []byte("{\"rid\": 7,\n \"method\": \"divide\",\n \"params\": [1, 0}\n"), 0o600)
	m = runCmd(t, tm.(Model), func() tea.Msg { return editedMsg{path: file.path, t: file.t, name: file.name} })
	if len(ctl.recorded()) != 0 || !m.noticeBad || !strings.Contains(m.notice, "invalid JSON at line 3, column 17: invalid character '}' after array element") {
		t.Fatalf("invalid JSON: calls %v, notice %q", ctl.recorded(), m.notice)
	}
	if _, err := os.Stat(file.path); !os.IsNotExist(err) {
		t.Fatal("the temporary file is left behind")
	}
	path := file.path + ".2"
	os.WriteFile(path, []byte("{\"rid\": 7,\n \"method\": \"divide\",\n \"params\": [1, 2]}\n"), 0o600)
	m = runCmd(t, m, func() tea.Msg { return editedMsg{path: path, t: file.t, name: file.name} })
	calls := ctl.recorded()
	if len(calls) != 1 || calls[0] != (controlCall{conn: 1, dir: protocol.C2S, msg: `{"rid":7,"method":"divide","params":[1,2]}`}) {
		t.Fatalf("calls %+v", calls)
	}
}

// An $EDITOR that cannot be found is said so, and the UI stays: run, it
// would take the terminal and never give it back.
func TestEditExternalNotFound(t *testing.T) {
	t.Setenv("EDITOR", filepath.Join(t.TempDir(), "no-such-editor"))
	ctl := &fakeControl{}
	m := selectMethod(t, newControlModel(t, demoStore(t), 80, 24, ctl), "divide")
	tm, cmd := m.Update(keyMsg("e"))
	file, ok := cmd().(editorFileMsg)
	if !ok || file.err != nil {
		t.Fatalf("e with $EDITOR: %#v", file)
	}
	tm, cmd = tm.(Model).Update(file)
	m = tm.(Model)
	if cmd != nil || !m.noticeBad || !strings.Contains(m.notice, "cannot edit: $EDITOR: ") || !strings.Contains(m.notice, "no-such-editor") {
		t.Fatalf("an $EDITOR not found: notice %q, a command to run: %v", m.notice, cmd != nil)
	}
	if _, err := os.Stat(file.path); !os.IsNotExist(err) {
		t.Fatal("the temporary file is left behind")
	}
}

func TestComposeNew(t *testing.T) {
	ctl := &fakeControl{}
	m := selectMethod(t, newControlModel(t, demoStore(t), 80, 24, ctl), "add")
	m = pressRun(t, m, "n")
	v := view(m)
	if !strings.Contains(v, "→ conn #1 to the server") || !strings.Contains(v, `"params": [`) || !strings.Contains(v, "40,") {
		t.Fatalf("n: not prefilled from the last add:\n%s", v)
	}
	// ctrl+t: to the client, prefilled from a message that went that way.
	m = pressRun(t, m, "ctrl+t")
	if v := view(m); !strings.Contains(v, "→ conn #1 to the client") || !strings.Contains(v, `"method": "confirm"`) {
		t.Fatalf("ctrl+t: not to the client:\n%s", v)
	}
	m = pressRun(t, m, "ctrl+s")
	calls := ctl.recorded()
	want := controlCall{conn: 1, dir: protocol.S2C, msg: `{"rid":100,"method":"confirm","params":{"question":"overwrite?"}}`}
	if len(calls) != 1 || calls[0] != want {
		t.Fatalf("calls %+v, want %+v", calls, want)
	}
	// N: a new connection like the selected one's.
	m = selectMethod(t, m, "getUser")
	m = pressRun(t, m, "N")
	if v := view(m); !strings.Contains(v, "→ a new connection like #2") {
		t.Fatalf("N:\n%s", v)
	}
	m = pressRun(t, m, "ctrl+s")
	calls = ctl.recorded()
	if len(calls) != 2 || !calls[1].newConn || calls[1].conn != 2 || !strings.Contains(calls[1].msg, `"method":"getUser"`) {
		t.Fatalf("N: calls %+v", calls)
	}
	if !strings.Contains(m.notice, "on new conn #77") {
		t.Fatalf("N: notice %q", m.notice)
	}
}

func TestCopyCommand(t *testing.T) {
	st := demoStore(t)
	st.Update(func(tx *store.Tx) {
		f := &filler{st: st, tx: tx}
		f.request(2, protocol.C2S, t0.Add(5e9), `{"jsonrpc":"2.0","id":3,"method":"say","params":["it's \"so\""]}`)
	})
	m := newControlModel(t, st, 80, 24, &fakeControl{})
	m.c.opts.Listen += " (taken over)" // the status bar's label, not an address
	for _, framing := range []string{"lines", "content-length"} {
		if framing == "content-length" {
			st.Update(func(tx *store.Tx) {
				msg := msgOf(2, protocol.C2S, t0.Add(6e9), `{"jsonrpc":"2.0","id":4,"method":"say","params":["it's \"so\""]}`)
				msg.Frame.Wire = msg.Frame.Size + len("Content-Length: 62\r\n\r\n")
				msg.Seq = tx.AddMessage(&msg)
				tx.AddRow(&store.Row{Conn: 2, Dir: protocol.C2S, Kind: protocol.KindRequest, ID: "4", Method: "say",
					Status: protocol.StatusPending, Req: msg.Seq, ReqAt: msg.At, ReqSize: msg.Frame.Size})
			})
			m = update(t, m, tickMsg(t0))
		}
		m = press(t, m, "G")
		tm, cmd := m.Update(keyMsg("Y"))
		m = tm.(Model)
		if cmd == nil || !strings.Contains(strings.ToLower(typeName(cmd())), "clipboard") {
			t.Fatal("Y: nothing put on the clipboard")
		}
		line := strings.TrimPrefix(m.notice, "copied: ")
		// A real shell reads it back into the words sockscope send gets.
		out, err := exec.Command("sh", "-c", `eval "set -- $1"; printf '%s\n' "$@"`, "sh", line).Output()
		if err != nil {
			t.Fatal(err)
		}
		args := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
		r := rowOf(t, m, m.list.sel)
		req, _ := st.Message(r.Req)
		want := []string{"sockscope", "send", "unix:/tmp/app.sock", string(req.Frame.Data)}
		if framing == "content-length" {
			want = []string{"sockscope", "send", "--framing", "content-length", "unix:/tmp/app.sock", string(req.Frame.Data)}
		}
		if strings.Join(args, "\x00") != strings.Join(want, "\x00") {
			t.Fatalf("%s: %q reads as %q, want %q", framing, line, args, want)
		}
	}
	// A wrapped child's stdio, an attached viewer: no address to send to
	// (the status bar's label is none).
	m.c.opts.SendAddr = ""
	if tm, cmd := m.Update(keyMsg("Y")); cmd != nil || !strings.Contains(tm.(Model).notice, "nothing copied: no address") {
		t.Errorf("Y without an address: notice %q", tm.(Model).notice)
	}
	// ... and the help does not offer it there.
	m = m.settle()
	if v := view(press(t, m, "?")); strings.Contains(v, "copy as send command") || !strings.Contains(v, "resend request") {
		t.Errorf("without an address the help offers Y:\n%s", v)
	}
}

// N on a wrapped child's one connection says so before the editor opens
// (it said so only after ctrl+s); ctrl+t on a connection sockscope opened
// itself says it has no client (it "sent" to sockscope itself).
func TestComposeWhereThereIsNoOneToSendTo(t *testing.T) {
	m := newControlModel(t, demoStore(t), 160, 48, &fakeControl{})
	m.c.opts.OneConn, m.c.opts.Listen = true, "stdio"
	if after := press(t, m, "N"); after.overlays.top() != nil || !strings.Contains(after.notice, "a wrapped child has one connection, its stdio") {
		t.Errorf("N on a wrapped child: overlay %v, notice %q", after.overlays.top(), after.notice)
	}
	// ... and its help does not offer N, and N still says why.
	if v := view(press(t, m.settle(), "?")); strings.Contains(v, "send on a new conn") || !strings.Contains(v, "new message") {
		t.Errorf("on a wrapped child the help offers N:\n%s", v)
	}
	if after := press(t, m.settle(), "N"); after.overlays.top() != nil || !strings.Contains(after.notice, "a wrapped child has one connection, its stdio") {
		t.Errorf("N on a wrapped child, settled: overlay %v, notice %q", after.overlays.top(), after.notice)
	}
	st := demoStore(t)
	st.Update(func(tx *store.Tx) {
		tx.OpenConn(store.Conn{ID: 9, Client: "sockscope#1", Own: true, Opened: t0.Add(5e9)})
		f := &filler{st: st, tx: tx}
		f.request(9, protocol.C2S, t0.Add(6e9), `{"jsonrpc":"2.0","id":1,"method":"ping"}`)
	})
	m = newControlModel(t, st, 160, 48, &fakeControl{})
	m = press(t, m, "G", "n")
	if m.overlays.top() == nil {
		t.Fatal("n opened no editor")
	}
	if v := view(press(t, m, "ctrl+t")); !strings.Contains(v, "is sockscope's own: it has no client to send to") {
		t.Errorf("ctrl+t on sockscope's own connection:\n%s", v)
	}
}

// R, e and n on a closed connection of a wrapped child do not point at N,
// which a child's one stdio does not have; elsewhere they do.
func TestClosedConnHintsNOnlyWhereItWorks(t *testing.T) {
	for _, oneConn := range []bool{false, true} {
		st := demoStore(t)
		st.Update(func(tx *store.Tx) { tx.CloseConn(2, t0.Add(5e9), "") })
		for _, k := range []string{"R", "e", "n"} {
			m := newControlModel(t, st, 160, 48, &fakeControl{})
			m.c.opts.OneConn = oneConn
			m = press(t, selectMethod(t, m, "getUser"), k)
			hint := strings.Contains(m.notice, "N sends on a new connection")
			if !strings.Contains(m.notice, "conn #2 is closed") || hint == oneConn {
				t.Errorf("wrapped %v, %s on a closed conn: notice %q", oneConn, k, m.notice)
			}
		}
	}
}

// A long notice below the editor (a held frame dropped, say) takes lines
// from the text, not the line with the cursor: the text's last lines were
// cut, the cursor's among them. When it goes, the text fills the editor
// again (not blank lines under it).
func TestComposeCursorStaysInSightUnderANotice(t *testing.T) {
	m := newControlModel(t, demoStore(t), 40, 12, &fakeControl{})
	m = pressRun(t, m, "n")
	m = press(t, m, "down", "down", "down", "down", "down", "down", "down", "down")
	if v := view(m); !strings.Contains(v, "┃  8 }") {
		t.Fatalf("the editor does not show its last line, where the cursor is:\n%s", v)
	}
	long := errors.New("conn 3 c2s: the connection closed while a frame was held: dropped, with words enough to take three lines")
	m = update(t, m, icDoneMsg{what: "forwarded", err: long})
	if v := view(m); !strings.Contains(v, "┃  8 }") || !strings.Contains(v, "held: dropped") {
		t.Fatalf("under a long notice the cursor's line (8) is out of sight:\n%s", v)
	}
	m.c.now = func() time.Time { return t0.Add(time.Minute) } // the notice is gone
	m = update(t, m, tickMsg(t0))
	if v := view(m); !strings.Contains(v, "┃  2 ") || !strings.Contains(v, "┃  8 }") {
		t.Fatalf("with the notice gone the text does not fill the editor again (it has room for 7 of its 8 lines):\n%s", v)
	}
}

// Y names --id when the request's id is in a field of sockscope's --id
// that send does not look in: without it send added an id of its own
// ("rid":1) beside the request's and waited for a reply carrying it.
func TestYNamesTheIDField(t *testing.T) {
	st := store.New(store.Config{})
	st.Update(func(tx *store.Tx) {
		f := &filler{st: st, tx: tx}
		tx.OpenConn(store.Conn{ID: 1, Client: "unix:@", PID: -1, UID: -1, Opened: t0})
		m := msgOf(1, protocol.C2S, t0, `{"tag":5,"method":"add","args":[1,2]}`)
		m.Info = protocol.Classify(m.Frame.Data, []string{"tag", "rid"})
		m.Seq = tx.AddMessage(&m)
		f.tx.AddRow(&store.Row{Conn: 1, Dir: protocol.C2S, Kind: m.Info.Kind, ID: string(m.Info.ID), Method: "add",
			Status: protocol.StatusPending, Req: m.Seq, ReqAt: t0, ReqSize: m.Frame.Size})
		r := msgOf(1, protocol.C2S, t0, `{"rid":6,"method":"add","args":[1,2]}`)
		r.Info = protocol.Classify(r.Frame.Data, []string{"tag", "rid"})
		r.Seq = tx.AddMessage(&r)
		f.tx.AddRow(&store.Row{Conn: 1, Dir: protocol.C2S, Kind: r.Info.Kind, ID: string(r.Info.ID), Method: "add",
			Status: protocol.StatusPending, Req: r.Seq, ReqAt: t0, ReqSize: r.Frame.Size})
	})
	m := newControlModel(t, st, 80, 24, &fakeControl{})
	m.c.opts.IDFields = []string{"tag", "rid"}
	m = press(t, m, "G", "k")
	if tm, _ := m.Update(keyMsg("Y")); !strings.Contains(tm.(Model).notice, `sockscope send --id tag unix:/tmp/app.sock '{"tag":5,`) {
		t.Errorf("Y on a request with its id in tag: %q", tm.(Model).notice)
	}
	m = press(t, m, "j") // its id in rid, where send looks
	if tm, _ := m.Update(keyMsg("Y")); !strings.Contains(tm.(Model).notice, `sockscope send unix:/tmp/app.sock '{"rid":6,`) {
		t.Errorf("Y on a request with its id in rid: %q", tm.(Model).notice)
	}
}

// n on a wrapped child's stderr stream says at once that nothing can be
// sent there (ctrl+s said "connection 2 is closed" of a stream the
// connections pane showed open); R and e on a request read there say so
// too.
func TestNothingIsSentOnAChildsStderr(t *testing.T) {
	st := store.New(store.Config{})
	st.Update(func(tx *store.Tx) {
		tx.OpenConn(store.Conn{ID: 1, Client: "stdio", PID: -1, UID: -1, Opened: t0})
		tx.OpenConn(store.Conn{ID: 2, Client: "stderr", PID: -1, UID: -1, Opened: t0})
		f := &filler{st: st, tx: tx}
		f.request(2, protocol.C2S, t0.Add(1e9), `{"jsonrpc":"2.0","id":1,"method":"log"}`)
	})
	for _, oneConn := range []bool{true, false} { // false: attach --all, a wrap among others
		for _, k := range []string{"n", "R", "e"} {
			m := newControlModel(t, st, 160, 48, &fakeControl{})
			m.c.opts.OneConn = oneConn
			m = press(t, m, "G", k)
			if m.overlays.top() != nil || !strings.Contains(m.notice, "conn #2 is the child's stderr, which sockscope only reads") {
				t.Errorf("one conn %v, %s on the child's stderr: overlay %v, notice %q", oneConn, k, m.overlays.top(), m.notice)
			}
		}
	}
}
