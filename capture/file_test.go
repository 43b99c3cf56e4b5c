package capture

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sockscope/internal/sessiongen"
	"sockscope/protocol"
	"sockscope/session"
	"sockscope/store"
)

// A recording decodes as the live run did: bytes the framer could not
// frame (a Content-Length header block it could not read, the body it then
// skipped to the next header) are raw frames with their reasons, and are
// not framed again on the way back (a header made up, a frame of what was
// none).
func TestRecordingDecodesAsLive(t *testing.T) {
	dir := shortTemp(t)
	svc, front, rec := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock"), filepath.Join(dir, "rec.jsonl")
	echo, err := net.Listen("unix", svc)
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	e := relayTo(t, Config{Record: rec, Framing: protocol.FramingContentLength}, front, svc)
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	in := "Content-Length: abc\r\n\r\n" + `{"jsonrpc":"2.0","id":2,"method":"lost"}` + "Content-Length: 2\r\n\r\n{}"
	go c.Write([]byte(in))
	if got := make([]byte, len(in)); func() error { _, err := io.ReadFull(c, got); return err }() != nil || string(got) != in {
		t.Fatalf("echoed %q", got)
	}
	c.Close()
	waitUntil(t, "the connection's end in the store", func() bool {
		cs := e.Store.Conns()
		return len(cs) == 1 && cs[0].State != store.ConnOpen
	})
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	shown := showFile(t, rec)
	live, again := frames(e.Store), frames(shown.Store)
	if !slices.Equal(live, again) || len(live) != 6 {
		t.Errorf("live:\n%q\nfrom the recording:\n%q", live, again)
	}
}

// frames lists a store's messages: direction, bytes, size on the wire,
// and the framer's complaint.
func frames(st *store.Store) []string {
	var out []string
	first, next := st.MessageBounds()
	for seq := first; seq < next; seq++ {
		if m, ok := st.Message(seq); ok {
			out = append(out, m.Dir.String()+" "+string(m.Frame.Data)+" "+strconv.Itoa(m.Frame.Wire)+" "+m.Frame.Err)
		}
	}
	return out
}

// A line that is no record, in the middle of a file, is skipped and named:
// the records after it are read, and the connection they end is closed.
func TestFileSkipsAnUnreadableLine(t *testing.T) {
	const file = `{"type":"header","format":"sockscope-session","version":1,"started":"2026-01-02T03:04:05Z","framing":"lines"}
{"type":"open","conn":1,"at":"2026-01-02T03:04:05Z"}
{"type":"frame","conn":1,"dir":"c2s","at":"2026-01-02T03:04:05Z","size":21,"text":"{\"id\":1,\"method\":\"a\"}"}
this line is damaged
{"type":"frame","conn":1,"dir":"s2c","at":"2026-01-02T03:04:06Z","size":19,"text":"{\"id\":1,\"result\":2}"}
{"type":"close","conn":1,"at":"2026-01-02T03:04:07Z"}
`
	src := NewFile(strings.NewReader(file))
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	e.Start(context.Background(), src)
	if err := e.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := e.Counts(); c.OK != 1 {
		t.Errorf("counts %+v: the reply after the damaged line not paired", c)
	}
	if cs := e.Store.Conns(); len(cs) != 1 || cs[0].State != store.ConnClosed {
		t.Errorf("conns %+v: want one, closed", cs)
	}
	if err := src.Damaged(); src.Bad != 1 || err == nil || !strings.Contains(err.Error(), "line 4: not valid JSON") {
		t.Errorf("Bad %d, Damaged %v", src.Bad, err)
	}
}

// A connection sockscope opened itself (SendNew) reads back from its
// recording as sockscope's own, as it was live: the store marks it Own
// and counts what sockscope sent on it as the client as of the wire.
func TestRecordedOwnConnection(t *testing.T) {
	dir := shortTemp(t)
	svc, front, rec := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock"), filepath.Join(dir, "rec.jsonl")
	answer, err := net.Listen("unix", svc)
	if err != nil {
		t.Fatal(err)
	}
	defer answer.Close()
	go func() { // answers each request with its id
		for {
			c, err := answer.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				for sc := bufio.NewScanner(c); sc.Scan(); {
					var m struct{ ID json.RawMessage }
					json.Unmarshal(sc.Bytes(), &m)
					fmt.Fprintf(c, `{"jsonrpc":"2.0","id":%s,"result":"ok"}`+"\n", m.ID)
				}
			}()
		}
	}()
	e := relayTo(t, Config{Record: rec}, front, svc)
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(liveness))
	fmt.Fprintln(c, `{"jsonrpc":"2.0","id":1,"method":"m"}`)
	if l, err := bufio.NewReader(c).ReadString('\n'); err != nil || !strings.Contains(l, `"result":"ok"`) {
		t.Fatalf("the client got %q, %v", l, err)
	}
	var conn uint64
	waitUntil(t, "the client's connection in the store", func() bool {
		if cs := e.Store.Conns(); len(cs) == 1 && cs[0].Messages == 2 {
			conn = cs[0].ID
		}
		return conn != 0
	})
	s, err := e.SendNew(context.Background(), conn, []byte(`{"jsonrpc":"2.0","id":2,"method":"m"}`))
	if err != nil {
		t.Fatal(err)
	}
	var live store.Conn
	waitUntil(t, "both directions of sockscope's connection in the store", func() bool {
		live, _ = e.Store.Conn(s.Conn)
		return live.Wire[protocol.C2S] > 0 && live.Messages == 2
	})
	c.Close()
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	shown := showFile(t, rec)
	got := map[string]store.Conn{}
	for _, c := range shown.Store.Conns() {
		got[c.Client] = c
	}
	if cl := got["@"]; len(got) != 2 || cl.Own || cl.Messages != 2 {
		t.Fatalf("connections read back: %+v", got)
	}
	if own := got[live.Client]; !own.Own || own.Wire != live.Wire || own.Messages != 2 {
		t.Errorf("sockscope's connection read back as %+v\nlive it was %+v", own, live)
	}
}

// showFile reads the session file at path into an Engine, as show does,
// to its end.
func showFile(t *testing.T, path string) *Engine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	e.Start(context.Background(), NewFile(f))
	if err := e.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

// A recorded HTTP response kept truncated (over the cap, or a gap went
// through it) is read back as the message it was, its true size counted
// in: the connection's next exchange pairs as recorded. The framer waited
// for the body bytes the record did not keep, and took the next response
// for them: the next request was no-reply. A gap record between the
// frames resynchronises nothing: it made the rest of the connection raw.
func TestRecordedTruncatedHTTP(t *testing.T) {
	path := filepath.Join(t.TempDir(), "http.jsonl")
	l, err := sessiongen.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	at := l.At
	frame := func(dir protocol.Dir, text string, size int, err string) {
		at = at.Add(time.Millisecond)
		l.R.Frame(1, dir, at, protocol.Frame{Data: []byte(text), Size: size, Wire: size, Truncated: size > len(text), Err: err},
			protocol.FramingHTTP, session.Marks{})
	}
	l.R.Open(1, at, "@", "/front.sock", "unix:/up.sock", 42, 0, "curl", false)
	get := func(p string) string { return "GET " + p + " HTTP/1.1\r\nHost: x\r\n\r\n" }
	head := "HTTP/1.1 200 OK\r\nContent-Length: 5000000\r\n\r\n"
	frame(protocol.C2S, get("/big"), len(get("/big")), "")
	frame(protocol.S2C, head+"abc", len(head)+5000000, "") // truncated at the cap
	frame(protocol.C2S, get("/cut"), len(get("/cut")), "")
	// A gap went through it: the live run recorded the gap as it met it,
	// and the frame once it ended.
	l.R.Gap(1, protocol.S2C, at, 4000000)
	frame(protocol.S2C, head+"abc", len(head)+5000000, protocol.GapErr(4000000))
	notFound := "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
	frame(protocol.C2S, get("/nope"), len(get("/nope")), "")
	frame(protocol.S2C, notFound, len(notFound), "")
	l.R.Close(1, at.Add(time.Millisecond), "")
	if err := l.End(); err != nil {
		t.Fatal(err)
	}
	e := showFile(t, path)
	var got []string
	for _, r := range rows(e.Store, 1) {
		got = append(got, fmt.Sprint(r.Method, ":", r.Status, ":", r.RespSize))
	}
	want := []string{"GET /big:ok:" + strconv.Itoa(len(head)+5000000), "GET /cut:ok:" + strconv.Itoa(len(head)+5000000), "GET /nope:error:" + strconv.Itoa(len(notFound))}
	if !slices.Equal(got, want) {
		t.Errorf("rows %q, want %q", got, want)
	}
	var cutErr string
	first, _ := e.Store.RowBounds()
	e.Store.Rows(first, func(r store.Row) bool {
		if r.Method == "GET /cut" {
			m, _ := e.Store.Message(r.Resp)
			cutErr = m.Frame.Err
		}
		return true
	})
	if !protocol.IsGapErr(cutErr) {
		t.Errorf("the response a gap went through: its error %q does not say so", cutErr)
	}
}

// A recorded frame of any framing kept truncated is read back as the
// message it was: its true size counted in, classified from what was kept
// (a JSON line's or body's id and method, when they come first, as they
// do), and the connection's next exchange pairs as recorded. The framer
// waited for the bytes the record did not keep and took the next frame
// for them; a JSON line was raw, the reply without a request.
func TestRecordedTruncatedFrames(t *testing.T) {
	big := strings.Repeat("y", 5000)
	for _, c := range []struct {
		name        string
		framing     protocol.Framing
		req, resp   string // the truncated exchange's
		req2, resp2 string
		method      string // the first request's
	}{
		{"JSON lines", protocol.FramingLines,
			`{"jsonrpc":"2.0","id":1,"method":"echo","params":"` + big + `"}`, `{"jsonrpc":"2.0","id":1,"result":"` + big + `"}`,
			`{"jsonrpc":"2.0","id":2,"method":"ping"}`, `{"jsonrpc":"2.0","id":2,"result":0}`, "echo"},
		{"LSP", protocol.FramingContentLength,
			`{"jsonrpc":"2.0","id":1,"method":"echo","params":"` + big + `"}`, `{"jsonrpc":"2.0","id":1,"result":"` + big + `"}`,
			`{"jsonrpc":"2.0","id":2,"method":"ping"}`, `{"jsonrpc":"2.0","id":2,"result":0}`, "echo"},
		{"Redis", protocol.FramingRESP,
			"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5000\r\n" + big + "\r\n", "+OK\r\n",
			"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "$5000\r\n" + big + "\r\n", "SET"},
		{"msgpack-RPC", protocol.FramingMsgpack,
			"\x94\x00\x01\xa4echo\x91\xda\x13\x88" + big, "\x94\x01\x01\xc0\xda\x13\x88" + big,
			"\x94\x00\x02\xa4ping\x90", "\x94\x01\x02\xc0\x00", "echo"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "rec.jsonl")
			l, err := sessiongen.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			at := l.At
			frame := func(dir protocol.Dir, payload string, keep int) {
				at = at.Add(time.Millisecond)
				wire := len(payload)
				if c.framing == protocol.FramingLines {
					wire++
				}
				kept := payload[:min(keep, len(payload))]
				l.R.Frame(1, dir, at, protocol.Frame{Data: []byte(kept), Size: len(payload), Wire: wire, Truncated: len(kept) < len(payload)},
					c.framing, session.Marks{})
			}
			l.R.Open(1, at, "@", "/front.sock", "unix:/up.sock", 42, 0, "client", false)
			frame(protocol.C2S, c.req, 64)
			frame(protocol.S2C, c.resp, 64)
			frame(protocol.C2S, c.req2, 1<<20)
			frame(protocol.S2C, c.resp2, 64)
			l.R.Close(1, at.Add(time.Millisecond), "")
			if err := l.End(); err != nil {
				t.Fatal(err)
			}
			e := showFile(t, path)
			var got []string
			for _, r := range rows(e.Store, 1) {
				got = append(got, fmt.Sprint(r.Status, ":", r.ReqSize, ":", r.RespSize))
			}
			want := []string{fmt.Sprint("ok:", len(c.req), ":", len(c.resp)), fmt.Sprint("ok:", len(c.req2), ":", len(c.resp2))}
			if !slices.Equal(got, want) {
				t.Errorf("rows %q, want %q", got, want)
			}
			if rs := rows(e.Store, 1); len(rs) > 0 && rs[0].Method != c.method {
				t.Errorf("the truncated request's method %q, want %q", rs[0].Method, c.method)
			}
		})
	}
}

// The records of one read (its connection, direction and time: a gap and
// the frames after it) are settled once, after the last, as the live
// decoder had them in one event: the frames' rows come before the orphan
// the read settles (a reply whose request the gap dropped). Fed apart, the
// orphan's row came after the first frame's, and show's and export's
// exchange numbers differed from the live run's. A gap of a read of its
// own still settles at its time.
func TestRecordedGapAndFrameOneRead(t *testing.T) {
	rows := func(text string) []string {
		t.Helper()
		path := filepath.Join(t.TempDir(), "gap.jsonl")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		st := showFile(t, path).Store
		var out []string
		st.Rows(0, func(r store.Row) bool {
			out = append(out, r.ID+" "+r.Status.String())
			return true
		})
		return out
	}
	const head = `{"type":"header","format":"sockscope-session","version":1,"started":"2026-01-02T03:04:05Z","framing":"lines"}
{"type":"open","conn":1,"at":"2026-01-02T03:04:05Z"}
{"type":"gap","conn":1,"dir":"s2c","at":"2026-01-02T03:04:06Z","bytes":100}
{"type":"frame","conn":1,"dir":"s2c","at":"2026-01-02T03:04:06Z","size":19,"text":"{\"id\":5,\"result\":2}"}
`
	const tail = `{"type":"frame","conn":1,"dir":"c2s","at":"2026-01-02T03:04:07Z","size":21,"text":"{\"id\":6,\"method\":\"a\"}"}
{"type":"frame","conn":1,"dir":"s2c","at":"2026-01-02T03:04:08Z","size":19,"text":"{\"id\":6,\"result\":2}"}
{"type":"close","conn":1,"at":"2026-01-02T03:04:09Z"}
`
	oneRead := head + `{"type":"gap","conn":1,"dir":"c2s","at":"2026-01-02T03:04:07Z","bytes":100}
{"type":"frame","conn":1,"dir":"c2s","at":"2026-01-02T03:04:07Z","size":21,"text":"{\"id\":7,\"method\":\"b\"}"}
` + tail
	if got := rows(oneRead); !slices.Equal(got, []string{"7 no-reply", "6 ok", "5 orphan"}) {
		t.Errorf("a gap and two frames of one read: rows %q, want the requests', then the orphan", got)
	}
	apart := head + `{"type":"gap","conn":1,"dir":"c2s","at":"2026-01-02T03:04:06.5Z","bytes":100}
` + tail
	if got := rows(apart); !slices.Equal(got, []string{"5 orphan", "6 ok"}) {
		t.Errorf("a gap read apart: rows %q, want the orphan, then the request's", got)
	}
}

// A recording's connection without a process name keeps none: its pid was
// some process on the recording's machine, then. Read back, it was named
// after whatever process has that pid here (this test, say).
func TestRecordedPIDNotNamedHere(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pid.jsonl")
	text := `{"type":"header","format":"sockscope-session","version":1,"started":"2026-01-02T03:04:05Z","framing":"lines"}
{"type":"open","conn":1,"at":"2026-01-02T03:04:05Z","pid":` + strconv.Itoa(os.Getpid()) + `,"uid":0}
{"type":"close","conn":1,"at":"2026-01-02T03:04:09Z"}
`
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cs := showFile(t, path).Store.Conns()
	if len(cs) != 1 || cs[0].PID != os.Getpid() || cs[0].Process != "" {
		t.Errorf("connections read back: %+v", cs)
	}
}
