package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"sockscope/protocol"
	"sockscope/store"
)

// profMsg is a stored message of a protocol that is not JSON, classified
// and marked with its framing as the observer does.
func profMsg(f protocol.Framing, conn uint64, dir protocol.Dir, at time.Time, data string) protocol.Message {
	b := []byte(data)
	return protocol.Message{Conn: conn, Dir: dir, At: at, Framing: f,
		Frame: protocol.Frame{Data: b, Size: len(b), Wire: len(b)},
		Info:  protocol.ClassifyAs(f, b, dir, protocol.DefaultIDFields)}
}

// profileStore holds an exchange or two of each profile with a JSON view:
// HTTP (200 with a JSON body, 404), Redis (GET key, an error reply) and
// msgpack-RPC (a Neovim call with a reply, a notification with a buffer
// handle).
func profileStore(t testing.TB) *store.Store {
	st := store.New(store.Config{})
	at := t0
	st.Update(func(tx *store.Tx) {
		tx.OpenConn(store.Conn{ID: 1, Client: "unix:@", Process: "curl", PID: 10, UID: 0, Opened: t0})
		tx.OpenConn(store.Conn{ID: 2, Client: "unix:@", Process: "redis-cli", PID: 11, UID: 0, Opened: t0})
		tx.OpenConn(store.Conn{ID: 3, Client: "unix:@", Process: "node", PID: 12, UID: 0, Opened: t0})
		pair := func(f protocol.Framing, conn uint64, req, resp string) {
			at = at.Add(10 * time.Millisecond)
			m := profMsg(f, conn, protocol.C2S, at, req)
			m.Seq = tx.AddMessage(&m)
			row := tx.AddRow(&store.Row{Conn: conn, Dir: m.Dir, Kind: m.Info.Kind, ID: string(m.Info.ID),
				Method: string(m.Info.Method), Status: protocol.StatusPending, Req: m.Seq, ReqAt: at, ReqSize: m.Frame.Size})
			r := profMsg(f, conn, protocol.S2C, at.Add(2*time.Millisecond), resp)
			r.Seq = tx.AddMessage(&r)
			tx.Answer(row, &r)
		}
		pair(protocol.FramingHTTP, 1, "GET /json HTTP/1.1\r\nHost: x\r\n\r\n",
			"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{\"ok\":true,\"items\":[1,2,3]}")
		pair(protocol.FramingHTTP, 1, "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n",
			"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found")
		pair(protocol.FramingRESP, 2, "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n", "$5\r\nhello\r\n")
		pair(protocol.FramingRESP, 2, "*2\r\n$4\r\nINCR\r\n$3\r\nkey\r\n", "-ERR value is not an integer or out of range\r\n")
		pair(protocol.FramingMsgpack, 3, "\x94\x00\x01\xb2nvim_buf_set_lines\x95\x00\x2a\xff\xc3\x91\xa2hi", "\x94\x01\x01\xc0\xc0")
		at = at.Add(10 * time.Millisecond)
		n := profMsg(protocol.FramingMsgpack, 3, protocol.S2C, at, "\x93\x02\xb4nvim_buf_lines_event\x91\xd4\x00\x01")
		n.Seq = tx.AddMessage(&n)
		tx.AddRow(&store.Row{Conn: 3, Dir: n.Dir, Kind: n.Info.Kind, Method: string(n.Info.Method), Req: n.Seq, ReqAt: at, ReqSize: n.Frame.Size})
	})
	return st
}

// The detail pane shows a message of HTTP, RESP or msgpack-RPC as its JSON
// view, pretty-printed, and x its exact bytes; the list shows an HTTP
// exchange's status code; the filter's text matches the view's text.
// Regenerate with go test ./ui -update.
func TestGoldenProfiles(t *testing.T) {
	states := []struct {
		name string
		keys []string
	}{
		{"list", nil},
		{"http-200", []string{"g", "enter", "l"}},
		{"http-404", []string{"g", "j", "enter", "l"}},
		{"resp-get", []string{"g", "j", "j", "enter"}},
		{"resp-err", []string{"g", "j", "j", "j", "enter", "l"}},
		{"msgpack-call", []string{"g", "j", "j", "j", "j", "enter"}},
		{"msgpack-call-hex", []string{"g", "j", "j", "j", "j", "enter", "x"}},
		{"msgpack-notify", []string{"G", "enter"}},
		{"raw", []string{"r", "k"}},
	}
	for _, s := range states {
		t.Run(s.name, func(t *testing.T) {
			m := newTestModel(t, profileStore(t), 100, 30)
			m = press(t, m, s.keys...)
			golden.RequireEqual(t, []byte(view(m)))
		})
	}
}

// A text term finds what the JSON view reads, not only the bytes: a
// msgpack argument 42 (the byte '*'), a RESP command's words as JSON.
func TestFilterMatchesView(t *testing.T) {
	for _, c := range []struct {
		filter string
		want   []string // methods of the rows listed
	}{
		{`42`, []string{"nvim_buf_set_lines"}},
		{`"ext"`, []string{"nvim_buf_lines_event"}},
		{`items`, []string{"GET /json"}},
		{`"not an integer"`, []string{"INCR"}},
	} {
		t.Run(c.filter, func(t *testing.T) {
			m := newTestModel(t, profileStore(t), 100, 30)
			keys := []string{"/"}
			for _, r := range c.filter {
				keys = append(keys, string(r))
			}
			m = press(t, m, append(keys, "enter")...)
			got := listedMethods(m)
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("filter %s lists %v, want %v\n%s", c.filter, got, c.want, view(m))
			}
		})
	}
}

// listedMethods returns the methods of the rows the list shows.
func listedMethods(m Model) []string {
	var out []string
	for _, l := range strings.Split(view(m), "\n") {
		if !strings.HasPrefix(strings.TrimLeft(l, "▌ "), "15:09:26.") {
			continue // not a row of the list
		}
		for _, name := range []string{"GET /json", "GET /missing", "GET", "INCR", "nvim_buf_set_lines", "nvim_buf_lines_event"} {
			if strings.Contains(l, " "+name+" ") {
				out = append(out, name)
				break
			}
		}
	}
	return out
}

// w writes a message of HTTP, RESP or msgpack-RPC to a file named for its
// protocol, not .json.
func TestWriteNamesTheProtocol(t *testing.T) {
	for _, tc := range []struct {
		keys []string
		name string
	}{
		{[]string{"g", "l"}, "-response.http"},
		{[]string{"g", "j", "j"}, ".resp"},
		{[]string{"g", "j", "j", "j", "j"}, ".msgpack"},
	} {
		m := newTestModel(t, profileStore(t), 160, 48)
		m = press(t, m, tc.keys...)
		tm, cmd := m.Update(keyMsg("w"))
		if cmd == nil {
			t.Fatalf("%v w: no command", tc.keys)
		}
		m = update(t, tm.(Model), cmd())
		if !strings.Contains(m.notice, "wrote ") || !strings.HasSuffix(strings.Fields(m.notice)[1], tc.name) {
			t.Errorf("%v w: %q, want a file ending %s", tc.keys, m.notice, tc.name)
		}
	}
}

// R, e and N on a request of a protocol whose client takes its replies in
// order (HTTP, RESP) send it on a new connection like its own, written
// back from its JSON view; n says N does; Y copies redis-cli's and curl's
// command lines. A msgpack-RPC call goes on its own connection.
func TestSendKeysOnViews(t *testing.T) {
	ctl := &fakeControl{}
	m := newControlModel(t, profileStore(t), 160, 48, ctl)
	m.c.opts.SendAddr = "unix:/tmp/app.sock"
	m = pressRun(t, m, "g", "j", "j", "R") // Redis's GET
	if k, ok := m.overlays.topKind(); !ok || k != overlayConfirm ||
		!strings.Contains(view(m), "conn #2 speaks resp, whose replies its client takes in order: resend GET on a new connection like #2?") {
		t.Fatalf("R on a RESP request asks nothing:\n%s", view(m))
	}
	m = pressRun(t, m, "y")
	want := controlCall{newConn: true, conn: 2, msg: `["GET","key"]`}
	if calls := ctl.recorded(); len(calls) != 1 || calls[0] != want {
		t.Fatalf("R y on a RESP request: calls %+v, want %+v", calls, want)
	}
	if !strings.Contains(m.notice, "resent GET on new conn #77") {
		t.Errorf("notice %q", m.notice)
	}

	t.Setenv("EDITOR", "")
	m = pressRun(t, m, "g", "e") // HTTP's GET /json, in the inline editor
	if k, ok := m.overlays.topKind(); !ok || k != overlayCompose || !strings.Contains(view(m), `"start": "GET /json HTTP/1.1"`) {
		t.Fatalf("e on an HTTP request:\n%s", view(m))
	}
	m = pressRun(t, m, "down", "right", "right", "right", "right", "right", "right", "right", "right", "right", "right", "right", "right",
		"x", "space", "ctrl+s") // "x GET /json HTTP/1.1": not a request line
	if k, ok := m.overlays.topKind(); !ok || k != overlayCompose || !strings.Contains(view(m), "not http: ") || len(ctl.recorded()) != 1 {
		t.Fatalf("an HTTP request broken in the editor was sent, or no error shows:\n%s", view(m))
	}
	m = pressRun(t, m, "esc")

	m = pressRun(t, m, "g", "j", "j", "n")
	if m.overlays.top() != nil || !strings.Contains(m.notice, "conn #2 speaks resp, whose replies its client takes in order: N sends on a new connection") {
		t.Errorf("n on a RESP request: notice %q, a composer open: %v", m.notice, m.overlays.top() != nil)
	}
	m = pressRun(t, m, "esc", "N")
	if k, ok := m.overlays.topKind(); !ok || k != overlayCompose || !strings.Contains(view(m), `"GET",`) ||
		!strings.Contains(view(m), "sent as a RESP array of bulk strings") {
		t.Fatalf("N on a RESP request: not prefilled with the last GET, or no hint on how it is sent:\n%s", view(m))
	}
	m = pressRun(t, m, "esc")

	// A msgpack-RPC call goes on its own connection: its requests have ids.
	m = pressRun(t, m, "g", "j", "j", "j", "j", "R")
	if !strings.Contains(view(m), "resend nvim_buf_set_lines (id 1) on conn #3 to the server?") {
		t.Fatalf("R on a msgpack-RPC call:\n%s", view(m))
	}
	m = pressRun(t, m, "y")
	want = controlCall{conn: 3, dir: protocol.C2S, msg: `[0,1,"nvim_buf_set_lines",[0,42,-1,true,["hi"]]]`}
	if calls := ctl.recorded(); len(calls) != 2 || calls[1] != want {
		t.Fatalf("R y on a msgpack-RPC call: calls %+v, want %+v", calls, want)
	}

	for _, tc := range []struct {
		keys []string
		want string
	}{
		{[]string{"g", "j", "j", "Y"}, "copied: redis-cli -s /tmp/app.sock GET key"},
		{[]string{"g", "Y"}, "copied: curl --unix-socket /tmp/app.sock http://x/json"},
		{[]string{"g", "j", "j", "j", "j", "Y"}, "nothing copied: no shell command sends msgpack-RPC"},
	} {
		if after := pressRun(t, m, tc.keys...); !strings.Contains(after.notice, tc.want) {
			t.Errorf("%v: notice %q, want %q", tc.keys, after.notice, tc.want)
		}
	}
}
