package capture

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sockscope/client"
	"sockscope/internal/nodetest"
	"sockscope/protocol"
	"sockscope/proxy"
	"sockscope/store"
)

// liveness bounds waits that only a hang would exceed.
const liveness = 60 * time.Second

// waitUntil polls until cond holds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(liveness); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// seedCapture starts the seed Node server, an Engine relaying to it and
// the strict Node client through it, registered; it returns the Engine and
// the client's connection id.
func seedCapture(t *testing.T) (*Engine, *nodetest.Proc, uint64) {
	dir := shortTemp(t)
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
	nodetest.Start(t, "seed-server.js", svc).Expect(t, "listening")
	e := relayTo(t, Config{}, front, svc)
	cl := nodetest.Start(t, "strict-client.js", front)
	cl.Expect(t, "registered")
	var conn uint64
	waitUntil(t, "the client's connection in the store", func() bool {
		cs := e.Store.Conns()
		if len(cs) == 1 {
			conn = cs[0].ID
		}
		return conn != 0
	})
	return e, cl, conn
}

// relayTo starts an Engine with cfg relaying clients of the Unix socket
// front to the one at svc, until the test ends.
func relayTo(t *testing.T, cfg Config, front, svc string) *Engine {
	t.Helper()
	ln, err := net.Listen("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.Start(ctx, NewRelay(ln, proxy.Addr{Network: "unix", Address: svc}))
	t.Cleanup(func() { cancel(); e.Stop() })
	return e
}

// rows returns the store's rows of conn.
func rows(st *store.Store, conn uint64) []store.Row {
	var out []store.Row
	first, _ := st.RowBounds()
	st.Rows(first, func(r store.Row) bool {
		if r.Conn == conn {
			out = append(out, r)
		}
		return true
	})
	return out
}

// Requests injected while the client runs pipelined calls on the same
// connection: the client sees no reply it did not ask for (it would exit
// 1), every injected request pairs with its reply as an injected
// exchange, and every call of the client's pairs too.
func TestSendWhileClientRuns(t *testing.T) {
	e, cl, conn := seedCapture(t)
	const calls, injects = 3000, 25
	cl.Say(fmt.Sprintf("calls %d 16", calls))
	var wire []string
	for i := range injects {
		s, err := e.Send(context.Background(), conn, protocol.C2S, []byte(fmt.Sprintf(`{"rid":5,"method":"add","args":[%d,1000]}`, i)))
		if err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
		if s.Conn != conn || s.WireID == "" || s.WireID == "5" {
			t.Fatalf("Send = %+v: want conn %d and a wire id of sockscope's own", s, conn)
		}
		wire = append(wire, s.WireID)
	}
	cl.Expect(t, fmt.Sprintf("ok %d", calls))
	waitUntil(t, "every exchange answered", func() bool {
		ok, injected := 0, 0
		for _, r := range rows(e.Store, conn) {
			if r.Status == protocol.StatusOK && r.Method == "add" {
				ok++
				if r.Injected {
					injected++
				}
			}
		}
		return ok == calls+injects && injected == injects
	})
	for _, r := range rows(e.Store, conn) {
		if r.Injected && !strings.HasPrefix(r.ID, "21474836") {
			t.Errorf("injected row with id %s, want one of %v", r.ID, wire)
		}
	}
	cl.Say("quit")
	if err := cl.Wait(); err != nil {
		t.Fatalf("the client failed: %v", err)
	}
}

// The client's next id equal to one sockscope has in flight: the client's
// request is renamed on the wire, its reply given its id back, and both
// exchanges pair.
func TestSendForcedCollision(t *testing.T) {
	e, cl, conn := seedCapture(t)
	cl.Say("calls 5 1")
	cl.Expect(t, "ok 5")
	// time answers after a second: the injected request stays in flight.
	s, err := e.Send(context.Background(), conn, protocol.C2S, []byte(`{"rid":1,"method":"time","args":[6,7]}`))
	if err != nil {
		t.Fatal(err)
	}
	cl.Say("rid " + s.WireID)
	cl.Expect(t, "rid "+s.WireID)
	cl.Say("calls 1 1")
	cl.Expect(t, "ok 1")
	waitUntil(t, "both exchanges paired", func() bool {
		var ours, theirs bool
		for _, r := range rows(e.Store, conn) {
			ours = ours || r.Injected && r.Method == "time" && r.Status == protocol.StatusOK
			theirs = theirs || !r.Injected && r.Method == "add" && r.Status == protocol.StatusOK && r.ID != s.WireID && r.Resp != 0 && strings.HasPrefix(r.ID, "21474836")
		}
		return ours && theirs
	})
	cl.Say("quit")
	if err := cl.Wait(); err != nil {
		t.Fatalf("the client failed: %v", err)
	}
}

// Bad input sends nothing: not JSON (with the parser's position), a
// connection that closed.
func TestSendRefuses(t *testing.T) {
	e, _, conn := seedCapture(t)
	if _, err := e.Send(context.Background(), conn, protocol.C2S, []byte("{\"rid\":1,\n\"method\":}")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("invalid JSON: err = %v, want the parser's message with line 2", err)
	}
	if _, err := e.Send(context.Background(), conn+100, protocol.C2S, []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("unknown connection: err = %v", err)
	}
}

// SendNew opens a connection of sockscope's own, whose request and reply
// pair as an injected exchange.
func TestSendNew(t *testing.T) {
	e, _, conn := seedCapture(t)
	s, err := e.SendNew(context.Background(), conn, []byte(`{"rid":1,"method":"add","args":[40,2]}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Conn == conn || s.WireID != "1" {
		t.Fatalf("SendNew = %+v", s)
	}
	waitUntil(t, "the exchange on the new connection", func() bool {
		for _, r := range rows(e.Store, s.Conn) {
			if r.Method == "add" && r.Status == protocol.StatusOK && r.Injected {
				return true
			}
		}
		return false
	})
	if c, _ := e.Store.Conn(s.Conn); !c.Own {
		t.Errorf("the new connection is not marked as sockscope's own: %+v", c)
	}
	// Frame-aware on it, as an intercept or a resend makes it: every byte
	// sockscope sent as its client is on the wire, stored or relayed.
	if err := e.SetIntercept(context.Background(), "method:none", true); err != nil {
		t.Errorf("intercepting with sockscope's own connection open: %v", err)
	}
	if err := e.SetIntercept(context.Background(), "method:none", false); err != nil {
		t.Errorf("intercept off: %v", err)
	}
	s2, err := e.Send(context.Background(), s.Conn, protocol.C2S, []byte(`{"rid":5,"method":"add","args":[1,2]}`))
	if err != nil {
		t.Fatalf("a send on sockscope's own connection: %v", err)
	}
	waitUntil(t, "the resent exchange on the new connection", func() bool {
		for _, r := range rows(e.Store, s.Conn) {
			if r.Method == "add" && r.Status == protocol.StatusOK && r.ID == s2.WireID {
				return true
			}
		}
		return false
	})
}

// A wrapped child has one connection, its stdio: SendNew says so before it
// opens one, and no failed connection of sockscope's is left in the store.
func TestSendNewOnAWrappedChild(t *testing.T) {
	parent, client := net.Pipe()
	child, theirs := net.Pipe()
	defer parent.Close()
	defer theirs.Close()
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.Start(ctx, NewWrap(client, child, "child", nil, nil))
	t.Cleanup(func() { cancel(); e.Stop() })
	go io.Copy(theirs, theirs) // the child echoes
	parent.Write([]byte(`{"jsonrpc":"2.0","id":1,"method":"m"}` + "\n"))
	waitUntil(t, "the wrapped connection in the store", func() bool { return len(e.Store.Conns()) == 1 })
	if _, err := e.SendNew(context.Background(), e.Store.Conns()[0].ID, []byte(`{"jsonrpc":"2.0","id":2,"method":"m"}`)); !errors.Is(err, errOneConn) {
		t.Fatalf("SendNew on a wrapped child: %v, want %v", err, errOneConn)
	}
	if cs := e.Store.Conns(); len(cs) != 1 {
		t.Fatalf("%d connections in the store, want the wrapped one alone: %+v", len(cs), cs)
	}
}

// answeredConn waits until e's one connection has a call of method
// answered ok, and returns the connection.
func answeredConn(t *testing.T, e *Engine, method string) (conn uint64) {
	t.Helper()
	waitUntil(t, method+" answered", func() bool {
		for _, cs := range e.Store.Conns() {
			conn = cs.ID
		}
		for _, r := range rows(e.Store, conn) {
			if r.Method == method && r.Status == protocol.StatusOK {
				return true
			}
		}
		return false
	})
	return conn
}

// dapServer serves DAP on a Unix socket at path, for every client: each
// request gets a successful response.
func dapServer(t *testing.T, path string) {
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			s, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer s.Close()
				f := protocol.NewFramer(protocol.FramingContentLength, protocol.DefaultMaxFrame)
				enc := protocol.Encoder{Framing: protocol.FramingContentLength}
				buf := make([]byte, 4096)
				seq := 0
				for {
					n, err := s.Read(buf)
					f.Feed(buf[:n], func(fr *protocol.Frame) {
						info := protocol.Classify(fr.Data, nil)
						if info.Kind != protocol.KindRequest {
							return
						}
						seq++
						s.Write(enc.Append(nil, []byte(fmt.Sprintf(`{"seq":%d,"type":"response","request_seq":%s,"success":true,"command":%q}`, seq, info.ID, info.Method))))
					})
					if err != nil {
						return
					}
				}
			}()
		}
	}()
}

// N on a DAP connection is refused before a connection is opened: a new
// one would be no debug session until it launched or attached, a second
// session. (Its initialize was taken for LSP's, and a JSON-RPC
// initialized followed it.)
func TestSendNewRefusesDAP(t *testing.T) {
	dir := shortTemp(t)
	svc, front := filepath.Join(dir, "dap.sock"), filepath.Join(dir, "front.sock")
	dapServer(t, svc)
	e := relayTo(t, Config{}, front, svc)
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	enc := protocol.Encoder{Framing: protocol.FramingContentLength}
	c.Write(enc.Append(nil, []byte(`{"seq":1,"type":"request","command":"initialize","arguments":{"adapterID":"go","linesStartAt1":true}}`)))
	conn := answeredConn(t, e, "initialize")
	_, err = e.SendNew(context.Background(), conn, []byte(`{"seq":2,"type":"request","command":"threads"}`))
	if !errors.Is(err, client.ErrDAP) || !strings.Contains(err.Error(), "(n)") {
		t.Fatalf("SendNew on a DAP connection: %v, want a refusal that says to use n", err)
	}
	if cs := e.Store.Conns(); len(cs) != 1 {
		t.Fatalf("%d connections in the store, want the client's alone: %+v", len(cs), cs)
	}
}

// On varlink, whose replies pair by order with no id, a call sockscope
// sends the server is refused: its reply would reach the client as the
// answer to the client's own first call unanswered. A oneway call, which
// gets no reply, is sent.
func TestSendVarlinkCall(t *testing.T) {
	dir := shortTemp(t)
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
	ln, err := net.Listen("unix", svc)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	calls := make(chan string, 8)
	go func() {
		s, err := ln.Accept()
		if err != nil {
			return
		}
		defer s.Close()
		r := bufio.NewReader(s)
		for {
			m, err := r.ReadString(0)
			if err != nil {
				return
			}
			calls <- strings.TrimSuffix(m, "\x00")
			if !strings.Contains(m, `"oneway":true`) {
				io.WriteString(s, `{"parameters":{}}`+"\x00")
			}
		}
	}()
	e := relayTo(t, Config{}, front, svc)
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, `{"method":"org.example.Ping","parameters":{}}`+"\x00")
	if _, err := bufio.NewReader(c).ReadString(0); err != nil {
		t.Fatal(err)
	}
	<-calls
	conn := answeredConn(t, e, "org.example.Ping")
	if _, err := e.Send(context.Background(), conn, protocol.C2S, []byte(`{"method":"org.example.Ping","parameters":{}}`)); err == nil || !strings.Contains(err.Error(), "varlink") {
		t.Fatalf("a call: %v, want a refusal", err)
	}
	if _, err := e.Send(context.Background(), conn, protocol.C2S, []byte(`{"method":"org.example.Note","oneway":true}`)); err != nil {
		t.Fatal(err)
	}
	if m := <-calls; !strings.Contains(m, "Note") {
		t.Errorf("the server got %q, want the oneway call", m)
	}
}

// On a RESP connection, Send refuses (the client takes its replies in
// order), and SendNew refuses JSON that is no Redis command, opening no
// connection: it once sent the JSON unframed on a new one, and said it was
// sent. (A Redis command is sent, on a new connection: TestUIResendRedis.)
func TestSendRefusesNonJSON(t *testing.T) {
	dir := shortTemp(t)
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
	ln, err := net.Listen("unix", svc)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			s, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { // a Redis that answers every command +OK
				defer s.Close()
				br := bufio.NewReader(s)
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if strings.HasPrefix(line, "*") {
						s.Write([]byte("+OK\r\n"))
					}
				}
			}()
		}
	}()
	e := relayTo(t, Config{}, front, svc)
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("*1\r\n$4\r\nPING\r\n"))
	conn := answeredConn(t, e, "PING")
	msg := []byte(`{"jsonrpc":"2.0","id":1,"method":"m"}`)
	if _, err := e.Send(context.Background(), conn, protocol.C2S, msg); err == nil || !strings.Contains(err.Error(), "speaks resp, whose replies its client takes in order: sockscope sends it on a new connection") {
		t.Errorf("Send on a RESP connection: %v", err)
	}
	if _, err := e.SendNew(context.Background(), conn, msg); err == nil || !strings.Contains(err.Error(), "not resp: a Redis command is a non-empty array of its words") {
		t.Errorf("SendNew of JSON-RPC like a RESP connection: %v", err)
	}
	if cs := e.Store.Conns(); len(cs) != 1 {
		t.Errorf("%d connections in the store, want the client's alone: %+v", len(cs), cs)
	}
}
