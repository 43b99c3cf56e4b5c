//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sockscope/internal/nodetest"
	"sockscope/protocol"
	"sockscope/session"
)

// recordFrames writes a session file at file of one connection on which
// frames went, framed with framing: "> " before a frame says the client
// sent it, "< " the server.
func recordFrames(t *testing.T, file string, framing protocol.Framing, frames ...string) {
	t.Helper()
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	rec, err := session.Create(file, session.Header{Started: at, Upstream: "unix:/tmp/up.sock", Listen: "/tmp/front.sock"})
	if err != nil {
		t.Fatal(err)
	}
	rec.Open(1, at, "pid 1", "/tmp/front.sock", "unix:/tmp/up.sock", 1, 0, "client", false)
	for i, f := range frames {
		dir, data := protocol.C2S, f[2:]
		if f[:2] == "< " {
			dir = protocol.S2C
		}
		wire := len(data) + 1
		if framing == protocol.FramingContentLength {
			wire = len(fmt.Sprintf("Content-Length: %d\r\n\r\n", len(data))) + len(data)
		}
		rec.Frame(1, dir, at.Add(time.Duration(i)*time.Millisecond),
			protocol.Frame{Data: []byte(data), Size: len(data), Wire: wire}, framing, session.Marks{})
	}
	rec.Close(1, at.Add(time.Second), "")
	if err := rec.End(at.Add(time.Second), 0, 0); err != nil {
		t.Fatal(err)
	}
}

// serveConn is a client of serve at path that frames with framing.
type serveConn struct {
	t       *testing.T
	nc      net.Conn
	framing protocol.Framing
	got     chan string
}

func dialServe(t *testing.T, path string, framing protocol.Framing) *serveConn {
	t.Helper()
	nc, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &serveConn{t: t, nc: nc, framing: framing, got: make(chan string, 100)}
	go func() {
		defer close(c.got)
		f := protocol.NewFramer(framing, protocol.DefaultMaxFrame)
		r := bufio.NewReader(nc)
		buf := make([]byte, 64<<10)
		for {
			n, err := r.Read(buf)
			f.Feed(buf[:n], func(fr *protocol.Frame) { c.got <- string(fr.Data) })
			if err != nil {
				return
			}
		}
	}()
	return c
}

// send writes each of ms as it is (not JSON, too), framed.
func (c *serveConn) send(ms ...string) {
	for _, m := range ms {
		if _, err := c.nc.Write(protocol.Encoder{Framing: c.framing}.Append(nil, []byte(m))); err != nil {
			c.t.Fatal(err)
		}
	}
}

// next returns the next message serve sent.
func (c *serveConn) next() string {
	c.t.Helper()
	select {
	case m, ok := <-c.got:
		if !ok {
			c.t.Fatal("serve closed the connection")
		}
		return m
	case <-time.After(20 * time.Second):
		c.t.Fatal("serve sent nothing in 20 s")
	}
	return ""
}

// dapSeqs returns the seq and request_seq of DAP message m.
func dapSeqs(t *testing.T, m string) (seq, requestSeq int) {
	t.Helper()
	var v struct {
		Seq        int `json:"seq"`
		RequestSeq int `json:"request_seq"`
	}
	if err := json.Unmarshal([]byte(m), &v); err != nil {
		t.Fatalf("%s: %v", m, err)
	}
	return v.Seq, v.RequestSeq
}

// serve numbers the DAP messages it sends on a connection 1, 2, 3, …, as a
// debug adapter does: the replies it makes up for requests the recording
// misses (they had no seq) and the recorded ones alike (they kept the
// recorded connection's, so that after a miss, or on a connection that
// began elsewhere in the recording, seq went back or repeated).
func TestServeDAPSeq(t *testing.T) {
	dir := shortDir(t)
	file, mock := filepath.Join(dir, "dap.jsonl"), filepath.Join(dir, "mock.sock")
	recordFrames(t, file, protocol.FramingContentLength,
		`> {"seq":1,"type":"request","command":"initialize","arguments":{"adapterID":"go"}}`,
		`< {"seq":1,"type":"response","request_seq":1,"success":true,"command":"initialize","body":{}}`,
		`< {"seq":2,"type":"event","event":"initialized"}`,
		`> {"seq":2,"type":"request","command":"launch","arguments":{"program":"x"}}`,
		`< {"seq":3,"type":"response","request_seq":2,"success":true,"command":"launch"}`,
	)
	started(t, "listening on", "serve", file, "--listen", mock)
	c := dialServe(t, mock, protocol.FramingContentLength)
	for _, step := range []struct {
		req  string
		want [][2]int // seq, request_seq of each message serve sends for it
	}{
		{`{"seq":1,"type":"request","command":"initialize","arguments":{"adapterID":"go"}}`, [][2]int{{1, 1}, {2, 0}}},
		{`{"seq":2,"type":"request","command":"threads"}`, [][2]int{{3, 2}}}, // a miss
		{`{"seq":3,"type":"request","command":"launch","arguments":{"program":"x"}}`, [][2]int{{4, 3}}},
	} {
		c.send(step.req)
		for _, w := range step.want {
			m := c.next()
			if seq, rs := dapSeqs(t, m); seq != w[0] || rs != w[1] {
				t.Errorf("to %s: %s; want seq %d, request_seq %d", step.req, m, w[0], w[1])
			}
		}
	}
	// A connection of its own counts from 1.
	c2 := dialServe(t, mock, protocol.FramingContentLength)
	c2.send(`{"seq":1,"type":"request","command":"launch","arguments":{"program":"x"}}`)
	if m := c2.next(); !strings.Contains(m, `"seq":1,`) || !strings.Contains(m, `"request_seq":1,`) {
		t.Errorf("the first reply on a new connection: %s", m)
	}
}

// serve answers what is no message as a JSON-RPC server does, with a null
// id: -32700 Parse error to what is not JSON, -32600 Invalid Request to
// JSON that is no request (one per element of a batch of them); it said
// nothing, and a client waited for an answer that never came. The
// connection goes on: the request after is answered.
func TestServeAnswersWhatIsNoRequest(t *testing.T) {
	dir := shortDir(t)
	file, mock := filepath.Join(dir, "rpc.jsonl"), filepath.Join(dir, "mock.sock")
	recordFrames(t, file, protocol.FramingLines,
		`> {"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]}`,
		`< {"jsonrpc":"2.0","id":1,"result":3}`,
	)
	started(t, "listening on", "serve", file, "--listen", mock)
	{
		c := dialServe(t, mock, protocol.FramingLines)
		for _, m := range []struct{ send, want string }{
			{`{"jsonrpc":"2.0","id":2,`, `{"error":{"code":-32700,"data":"sockscope serve: not JSON (unexpected end)","message":"Parse error"},"id":null,"jsonrpc":"2.0"}`},
			{`{"jsonrpc":"2.0","id":3,"method":"add","params":[1,2]}}`, `"code":-32700`},
			{`42`, `{"error":{"code":-32600,"data":"sockscope serve: not a request (an object with a method)","message":"Invalid Request"},"id":null,"jsonrpc":"2.0"}`},
			{`{"jsonrpc":"2.0","params":[]}`, `"code":-32600`},
			{`[1,2]`, `[{"error":{"code":-32600,"data":"sockscope serve: not a request (an object with a method)","message":"Invalid Request"},"id":null,"jsonrpc":"2.0"},{"error":{"code":-32600,"data":"sockscope serve: not a request (an object with a method)","message":"Invalid Request"},"id":null,"jsonrpc":"2.0"}]`},
			{`{"jsonrpc":"2.0","id":9,"method":"add","params":[1,2]}`, `{"jsonrpc":"2.0","id":9,"result":3}`},
		} {
			c.send(m.send)
			if got := c.next(); !strings.Contains(got, m.want) {
				t.Errorf("%s: serve sent %s; want %s", m.send, got, m.want)
			}
		}
	}
	// LSP: framed with Content-Length.
	lsp, lspMock := filepath.Join(dir, "lsp.jsonl"), filepath.Join(dir, "lsp.sock")
	recordFrames(t, lsp, protocol.FramingContentLength,
		`> {"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`,
		`< {"jsonrpc":"2.0","id":1,"result":{"capabilities":{}}}`,
	)
	started(t, "listening on", "serve", lsp, "--listen", lspMock)
	c := dialServe(t, lspMock, protocol.FramingContentLength)
	c.send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}`, `{"jsonrpc":"2.0","id":2,"method":"initialize","params":{}}`)
	if got := c.next(); !strings.Contains(got, `"code":-32700`) {
		t.Errorf("LSP, not JSON: serve sent %s", got)
	}
	if got := c.next(); got != `{"jsonrpc":"2.0","id":2,"result":{"capabilities":{}}}` {
		t.Errorf("LSP, the request after: serve sent %s", got)
	}
}

// A JSON-RPC batch the recording has none like is answered from the
// requests recorded one by one, as a server answers a batch: an array of
// the replies to its requests (a miss's error reply for one the recording
// misses, Invalid Request for what is no request), what the server sent
// after them after it. It missed as a whole ("no recorded reply to
// batch(…)"), every request in it with it.
func TestServeBatchFromSingleRequests(t *testing.T) {
	dir := shortDir(t)
	file, mock := filepath.Join(dir, "rpc.jsonl"), filepath.Join(dir, "mock.sock")
	recordFrames(t, file, protocol.FramingLines,
		`> {"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]}`,
		`< {"jsonrpc":"2.0","id":1,"result":3}`,
		`> {"jsonrpc":"2.0","id":2,"method":"echo","params":["x"]}`,
		`< {"jsonrpc":"2.0","id":2,"result":"x"}`,
		`< {"jsonrpc":"2.0","method":"log","params":["echoed"]}`,
		`> [{"jsonrpc":"2.0","id":3,"method":"add","params":[2,2]},{"jsonrpc":"2.0","id":4,"method":"add","params":[3,3]}]`,
		`< [{"jsonrpc":"2.0","id":4,"result":6},{"jsonrpc":"2.0","id":3,"result":4}]`,
	)
	stop := started(t, "listening on", "serve", file, "--listen", mock)
	c := dialServe(t, mock, protocol.FramingLines)
	c.send(`[{"jsonrpc":"2.0","id":10,"method":"echo","params":["x"]},{"jsonrpc":"2.0","method":"note"},{"jsonrpc":"2.0","id":11,"method":"add","params":[1,2]},{"jsonrpc":"2.0","id":12,"method":"nosuch"},7]`)
	got := c.next()
	var replies []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(got), &replies); err != nil || len(replies) != 4 ||
		string(replies[0]["id"]) != "10" || string(replies[0]["result"]) != `"x"` ||
		string(replies[1]["id"]) != "11" || string(replies[1]["result"]) != "3" ||
		string(replies[2]["id"]) != "12" || !strings.Contains(string(replies[2]["error"]), "no recorded reply to nosuch") ||
		string(replies[3]["id"]) != "null" || !strings.Contains(string(replies[3]["error"]), "-32600") {
		t.Errorf("the batch's reply: %s", got)
	}
	if got := c.next(); got != `{"jsonrpc":"2.0","method":"log","params":["echoed"]}` {
		t.Errorf("after the batch's reply: %s", got)
	}
	// A batch recorded as one is still answered as it was.
	c.send(`[{"jsonrpc":"2.0","id":"a","method":"add","params":[2,2]},{"jsonrpc":"2.0","id":"b","method":"add","params":[3,3]}]`)
	if got := c.next(); got != `[{"jsonrpc":"2.0","id":"b","result":6},{"jsonrpc":"2.0","id":"a","result":4}]` {
		t.Errorf("a recorded batch: %s", got)
	}
	if log := stop(); !strings.Contains(log, "3 requests answered from the recording, 1 miss") {
		t.Errorf("serve's summary: %s", log)
	}
}

// serve's bad flags and arguments end it with 2, as send's and replay's
// do, before it reads the file (they ended it with 1, which is serve's
// status for an error while serving).
func TestServeBadFlags(t *testing.T) {
	dir := shortDir(t)
	file, sock := filepath.Join(dir, "none.jsonl"), filepath.Join(dir, "m.sock")
	for _, c := range []struct {
		args   []string
		errOut string
	}{
		{[]string{"serve", "--bogus", file, "-l", sock}, "unknown flag: --bogus"},
		{[]string{"serve", "-l", sock}, "accepts 1 arg(s), received 0"},
		{[]string{"serve", file}, `required flag(s) "listen" not set`},
		{[]string{"serve", "--match", "nope", file, "-l", sock}, `--match "nope"`},
		{[]string{"serve", "--miss", "forward:", file, "-l", sock}, `--miss "forward:"`},
		{[]string{"serve", "--ignore", "$.[", file, "-l", sock}, "--ignore"},
		{[]string{"serve", "--mode", "99", file, "-l", sock}, `--mode "99"`},
	} {
		_, errOut, status := runStatus(t, c.args...)
		if status != 2 || !strings.Contains(errOut, c.errOut) {
			t.Errorf("%v: status %d, stderr %q; want 2, %q", c.args, status, errOut, c.errOut)
		}
	}
	// An error while serving is 1: the file is not there.
	if _, errOut, status := runStatus(t, "serve", file, "-l", sock); status != 1 || !strings.Contains(errOut, "no such file") {
		t.Errorf("no file: status %d, stderr %q; want 1", status, errOut)
	}
}

// closed waits until serve closes the connection, and says it failed if
// serve sent anything before.
func (c *serveConn) closed() {
	c.t.Helper()
	select {
	case m, ok := <-c.got:
		if ok {
			c.t.Errorf("serve sent %s; want the connection closed", m)
		}
	case <-time.After(20 * time.Second):
		c.t.Fatal("serve did not close the connection in 20 s")
	}
}

// A batch the recording has none like, answered from the requests recorded
// one by one, takes --miss for a request the recording misses, as that
// request sent alone would (it got an error reply whatever --miss said):
// close closes the connection, nothing of the batch answered, and says the
// miss on stderr; forward:ADDR sends the whole batch to the real server (a
// Node JSON-RPC server that answers a batch in reverse order), whose array
// is the answer, not the recorded reply to the request it has; and when
// forwarding fails, the batch is answered from the recording, the request
// it misses with an error reply that says why.
func TestServeBatchMiss(t *testing.T) {
	dir := shortDir(t)
	file := filepath.Join(dir, "rpc.jsonl")
	recordFrames(t, file, protocol.FramingLines,
		`> {"jsonrpc":"2.0","id":1,"method":"echo","params":["x"]}`,
		`< {"jsonrpc":"2.0","id":1,"result":"recorded x"}`,
	)
	batch := `[{"jsonrpc":"2.0","id":10,"method":"echo","params":["x"]},{"jsonrpc":"2.0","id":11,"method":"echo","params":["y"]}]`

	closing := filepath.Join(dir, "close.sock")
	stop := started(t, "listening on", "serve", "--miss", "close", file, "--listen", closing)
	c := dialServe(t, closing, protocol.FramingLines)
	c.send(batch)
	c.closed()
	if log := stop(); !strings.Contains(log, `no recorded reply to echo {"params":["y"]} (in a batch)`) ||
		!strings.Contains(log, "0 requests answered from the recording, 1 miss") {
		t.Errorf("--miss close: serve's log: %s", log)
	}

	svc := filepath.Join(dir, "real.sock")
	nodetest.Start(t, "jsonrpc-echo.js", svc).Expect(t, "listening")
	fwd := filepath.Join(dir, "fwd.sock")
	stop = started(t, "listening on", "serve", "--miss", "forward:"+svc, file, "--listen", fwd)
	c = dialServe(t, fwd, protocol.FramingLines)
	c.send(batch)
	if got, want := c.next(), `[{"jsonrpc":"2.0","id":11,"result":["y"]},{"jsonrpc":"2.0","id":10,"result":["x"]}]`; got != want {
		t.Errorf("--miss forward: the batch's reply %s; want the real server's %s", got, want)
	}
	// A batch the recording answers whole is still answered from it.
	c.send(`[{"jsonrpc":"2.0","id":12,"method":"echo","params":["x"]}]`)
	if got, want := c.next(), `[{"jsonrpc":"2.0","id":12,"result":"recorded x"}]`; got != want {
		t.Errorf("--miss forward: a batch the recording answers got %s; want %s", got, want)
	}
	if log := stop(); !strings.Contains(log, `no recorded reply to echo {"params":["y"]} (in a batch)`) ||
		!strings.Contains(log, "; forwarded to the real server, with its whole batch") {
		t.Errorf("--miss forward: serve's log: %s", log)
	}

	nowhere := filepath.Join(dir, "nowhere.sock")
	broken := filepath.Join(dir, "broken.sock")
	stop = started(t, "listening on", "serve", "--miss", "forward:"+nowhere, file, "--listen", broken)
	c = dialServe(t, broken, protocol.FramingLines)
	c.send(batch)
	got := c.next()
	var replies []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(got), &replies); err != nil || len(replies) != 2 ||
		string(replies[0]["result"]) != `"recorded x"` ||
		string(replies[1]["id"]) != "11" || !strings.Contains(string(replies[1]["error"]), "forwarding its batch failed: ") {
		t.Errorf("--miss forward to nowhere: the batch's reply %s", got)
	}
	if log := stop(); !strings.Contains(log, "; forwarding its batch failed: ") || !strings.Contains(log, nowhere) {
		t.Errorf("--miss forward to nowhere: serve's log: %s", log)
	}
}

// A batch of notifications alone, which the recording has none like, is
// split up as a batch with requests is: each notification gets what the
// recorded server sent after it when it came alone, and the batch gets no
// reply at all (JSON-RPC 2.0), but for an Invalid Request per element that
// is no message (an array of them). serve sent nothing, as it found no
// recorded batch like it. Nothing else comes: the next thing the client
// reads is the reply to its next request.
func TestServeBatchOfNotifications(t *testing.T) {
	dir := shortDir(t)
	file, mock := filepath.Join(dir, "rpc.jsonl"), filepath.Join(dir, "mock.sock")
	recordFrames(t, file, protocol.FramingLines,
		`> {"jsonrpc":"2.0","method":"ping","params":[1]}`,
		`< {"jsonrpc":"2.0","method":"pong","params":[1]}`,
		`> {"jsonrpc":"2.0","id":1,"method":"echo","params":["x"]}`,
		`< {"jsonrpc":"2.0","id":1,"result":"x"}`,
	)
	started(t, "listening on", "serve", file, "--listen", mock)
	c := dialServe(t, mock, protocol.FramingLines)
	for i, m := range []struct {
		batch string
		want  []string // what the client reads before the reply to its next request
	}{
		{`[{"jsonrpc":"2.0","method":"ping","params":[1]},{"jsonrpc":"2.0","method":"other"},{"jsonrpc":"2.0","method":"ping","params":[1]}]`,
			[]string{`{"jsonrpc":"2.0","method":"pong","params":[1]}`, `{"jsonrpc":"2.0","method":"pong","params":[1]}`}},
		{`[{"jsonrpc":"2.0","method":"other"}]`, nil},
		{`[{"jsonrpc":"2.0","method":"other"},7]`,
			[]string{`[{"error":{"code":-32600,"data":"sockscope serve: not a request (an object with a method)","message":"Invalid Request"},"id":null,"jsonrpc":"2.0"}]`}},
	} {
		c.send(m.batch, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"echo","params":["x"]}`, 10+i))
		var got []string
		for {
			g := c.next()
			if g == fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"result":"x"}`, 10+i) {
				break
			}
			got = append(got, g)
		}
		if strings.Join(got, "\n") != strings.Join(m.want, "\n") {
			t.Errorf("%s: serve sent\n%s\nwant\n%s", m.batch, strings.Join(got, "\n"), strings.Join(m.want, "\n"))
		}
	}
}

// A request longer than the 1 MiB the decoder keeps of a frame is read
// whole and answered: a 2 MB one got -32700 Parse error, "not JSON
// (unterminated string)", its start taken for the message.
func TestServeAnswersABigRequest(t *testing.T) {
	dir := shortDir(t)
	file, mock := filepath.Join(dir, "rpc.jsonl"), filepath.Join(dir, "mock.sock")
	recordFrames(t, file, protocol.FramingLines,
		`> {"jsonrpc":"2.0","id":1,"method":"echo","params":["small"]}`,
		`< {"jsonrpc":"2.0","id":1,"result":"echoed"}`,
	)
	started(t, "listening on", "serve", file, "--listen", mock, "--ignore", "params")
	c := dialServe(t, mock, protocol.FramingLines)
	c.send(`{"jsonrpc":"2.0","id":5,"method":"echo","params":["` + strings.Repeat("x", 2<<20) + `"]}`)
	if got := c.next(); got != `{"jsonrpc":"2.0","id":5,"result":"echoed"}` {
		t.Errorf("serve sent %.200s", got)
	}
}

// With --miss forward and a connection to the real server open (a Node
// JSON-RPC server that answers the notification "ping" with its own
// "pong"), a batch answered from the recording passes its notifications
// on to the real server, as a notification sent alone is: its pong
// reaches the client before the reply to the next forwarded request. They
// were kept from it. And a batch forwarded whole takes none of the
// recorded replies: the identical request after it gets the recorded
// reply next in line, as if the batch had not come (it got the one after).
func TestServeForwardedBatch(t *testing.T) {
	dir := shortDir(t)
	file := filepath.Join(dir, "rpc.jsonl")
	recordFrames(t, file, protocol.FramingLines,
		`> {"jsonrpc":"2.0","id":1,"method":"echo","params":["x"]}`,
		`< {"jsonrpc":"2.0","id":1,"result":"recorded x 1"}`,
		`> {"jsonrpc":"2.0","id":2,"method":"echo","params":["x"]}`,
		`< {"jsonrpc":"2.0","id":2,"result":"recorded x 2"}`,
		`> {"jsonrpc":"2.0","id":3,"method":"echo","params":["x"]}`,
		`< {"jsonrpc":"2.0","id":3,"result":"recorded x 3"}`,
		`> {"jsonrpc":"2.0","method":"note"}`,
		`< {"jsonrpc":"2.0","method":"noted","params":[1]}`,
		`> {"jsonrpc":"2.0","method":"note"}`,
		`< {"jsonrpc":"2.0","method":"noted","params":[2]}`,
	)
	svc := filepath.Join(dir, "real.sock")
	nodetest.Start(t, "jsonrpc-echo.js", svc).Expect(t, "listening")
	fwd := filepath.Join(dir, "fwd.sock")
	started(t, "listening on", "serve", "--miss", "forward:"+svc, file, "--listen", fwd)
	c := dialServe(t, fwd, protocol.FramingLines)
	expect := func(what, want string) {
		t.Helper()
		if got := c.next(); got != want {
			t.Fatalf("%s: serve sent %s; want %s", what, got, want)
		}
	}

	// A miss opens the connection to the real server.
	c.send(`{"jsonrpc":"2.0","id":10,"method":"echo","params":["y"]}`)
	expect("a miss", `{"jsonrpc":"2.0","id":10,"result":["y"]}`)
	// A notification alone goes on to it.
	c.send(`{"jsonrpc":"2.0","method":"ping","params":[1]}`, `{"jsonrpc":"2.0","id":11,"method":"echo","params":["y"]}`)
	expect("the real server's pong to a notification alone", `{"jsonrpc":"2.0","method":"pong","params":[1]}`)
	expect("the next miss", `{"jsonrpc":"2.0","id":11,"result":["y"]}`)
	// So do those of a batch the recording answers.
	c.send(`[{"jsonrpc":"2.0","id":12,"method":"echo","params":["x"]},{"jsonrpc":"2.0","method":"ping","params":[2]}]`)
	expect("the batch's reply from the recording", `[{"jsonrpc":"2.0","id":12,"result":"recorded x 1"}]`)
	c.send(`{"jsonrpc":"2.0","id":13,"method":"echo","params":["y"]}`)
	expect("the real server's pong to the batch's notification", `{"jsonrpc":"2.0","method":"pong","params":[2]}`)
	expect("the next miss", `{"jsonrpc":"2.0","id":13,"result":["y"]}`)

	// A batch forwarded whole uses no recorded reply, nor what followed a
	// notification: the echo of x after it gets the second (the first
	// went to id 12), the note the first notification that followed one.
	c.send(`[{"jsonrpc":"2.0","id":14,"method":"echo","params":["x"]},{"jsonrpc":"2.0","id":15,"method":"echo","params":["z"]},{"jsonrpc":"2.0","method":"note"}]`)
	expect("the forwarded batch's reply", `[{"jsonrpc":"2.0","id":15,"result":["z"]},{"jsonrpc":"2.0","id":14,"result":["x"]}]`)
	c.send(`{"jsonrpc":"2.0","id":16,"method":"echo","params":["x"]}`)
	expect("the echo of x after the forwarded batch", `{"jsonrpc":"2.0","id":16,"result":"recorded x 2"}`)
	c.send(`{"jsonrpc":"2.0","method":"note"}`)
	expect("what followed the note", `{"jsonrpc":"2.0","method":"noted","params":[1]}`)
}
