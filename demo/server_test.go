package demo

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startServer serves the demo on a fresh unix socket and returns its path.
// The server is stopped, and Serve's return checked, at the end of the test.
func startServer(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ss")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "service.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
	return path
}

// rawConn is a test client that speaks the protocol by hand.
type rawConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

// dialRaw connects and consumes the registration line, returning it.
func dialRaw(t *testing.T, path string) (*rawConn, string) {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := &rawConn{t: t, c: c, br: bufio.NewReader(c)}
	return r, r.line()
}

func (r *rawConn) send(s string) {
	r.t.Helper()
	if _, err := io.WriteString(r.c, s+"\n"); err != nil {
		r.t.Fatal(err)
	}
}

// line reads one line, failing the test after a generous timeout.
func (r *rawConn) line() string {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	s, err := r.br.ReadString('\n')
	if err != nil {
		r.t.Fatalf("read: %v (got %q)", err, s)
	}
	return strings.TrimSuffix(s, "\n")
}

func TestRegisterSentOnConnect(t *testing.T) {
	path := startServer(t)
	_, reg := dialRaw(t, path)
	want := `{"action":"register","methods":["add","time","echo","slow","boom","never","crash"]}`
	if reg != want {
		t.Fatalf("register = %s, want %s", reg, want)
	}
}

func TestReplies(t *testing.T) {
	path := startServer(t)
	tests := []struct{ req, want string }{
		{`{"rid":1,"method":"add","args":[1,2,3,4,5]}`, `{"success":true,"rid":1,"data":15}`},
		{`{"rid":2,"method":"add","args":[1.5,"x",2]}`, `{"success":true,"rid":2,"data":"1.5x2"}`},
		{`{"rid":3,"method":"add","args":[]}`, `{"success":false,"rid":3,"error":"Reduce of empty array with no initial value"}`},
		{`{"rid":4,"method":"add","args":[1,null]}`, `{"success":false,"rid":4,"error":"add: argument 2: null is not a number"}`},
		{`{"rid":5,"method":"multiply","args":[6,7]}`, `{"success":false,"rid":5}`},
		{`{"rid":6,"method":"echo","args":["héllo→世界"]}`, `{"success":true,"rid":6,"data":"héllo→世界"}`},
		{`{"rid":"s","method":"echo","args":[1,{"a":[]}]}`, `{"success":true,"rid":"s","data":[1,{"a":[]}]}`},
		{`{"method":"nope"}`, `{"success":false}`},
	}
	c, _ := dialRaw(t, path)
	for _, tt := range tests {
		c.send(tt.req)
		if got := c.line(); got != tt.want {
			t.Errorf("%s\n got %s\nwant %s", tt.req, got, tt.want)
		}
	}
}

func TestTimeAnswersLateAndOutOfOrder(t *testing.T) {
	path := startServer(t)
	c, _ := dialRaw(t, path)
	start := time.Now()
	c.send(`{"rid":1,"method":"time","args":[1,2,3,4,5]}`)
	c.send(`{"rid":2,"method":"add","args":[1,2]}`)
	if got, want := c.line(), `{"success":true,"rid":2,"data":3}`; got != want {
		t.Fatalf("first reply %s, want %s (add overtakes time)", got, want)
	}
	if got, want := c.line(), `{"success":true,"rid":1,"data":120}`; got != want {
		t.Fatalf("second reply %s, want %s", got, want)
	}
	if el := time.Since(start); el < 900*time.Millisecond {
		t.Fatalf("time answered after %v, want about %v", el, TimeDelay)
	}

	c.send(`{"rid":3,"method":"time","args":[]}`)
	var m struct {
		Success bool
		Data    string
	}
	if err := json.Unmarshal([]byte(c.line()), &m); err != nil || !m.Success {
		t.Fatalf("time(): %+v %v", m, err)
	}
	if _, err := time.Parse(time.RFC3339Nano, m.Data); err != nil {
		t.Fatalf("time() data %q: %v", m.Data, err)
	}
}

func TestSlowAnswersWithinBounds(t *testing.T) {
	path := startServer(t)
	c, _ := dialRaw(t, path)
	c.send(`{"rid":1,"method":"slow","args":[]}`)
	var m struct {
		Success bool
		Rid     int
		Data    int
	}
	if err := json.Unmarshal([]byte(c.line()), &m); err != nil {
		t.Fatal(err)
	}
	if !m.Success || m.Rid != 1 || m.Data < 50 || m.Data > 800 {
		t.Fatalf("slow reply %+v", m)
	}
}

// TestBoomSendsEmptyObject checks that a rejected promise sends {} and
// nothing else: the next line on the connection answers the next request.
func TestBoomSendsEmptyObject(t *testing.T) {
	path := startServer(t)
	c, _ := dialRaw(t, path)
	c.send(`{"rid":1,"method":"boom","args":[]}`)
	if got := c.line(); got != `{}` {
		t.Fatalf("boom sent %s, want {}", got)
	}
	c.send(`{"rid":2,"method":"time","args":[2]}`)
	if got, want := c.line(), `{"success":true,"rid":2,"data":2}`; got != want {
		t.Fatalf("after boom got %s, want %s", got, want)
	}
}

// TestNeverSendsNothing checks that `never` is not answered while a request
// sent after it takes a whole second to come back.
func TestNeverSendsNothing(t *testing.T) {
	path := startServer(t)
	c, _ := dialRaw(t, path)
	c.send(`{"rid":1,"method":"never","args":[]}`)
	c.send(`{"rid":2,"method":"time","args":[3]}`)
	if got, want := c.line(), `{"success":true,"rid":2,"data":3}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestCrashAndBadJSONDropTheConnection(t *testing.T) {
	path := startServer(t)
	for _, req := range []string{`{"rid":1,"method":"crash","args":[]}`, `{"rid":1,`} {
		c, _ := dialRaw(t, path)
		c.send(`{"rid":9,"method":"time","args":[1]}`) // in flight, lost with the connection
		c.send(req)
		c.c.SetReadDeadline(time.Now().Add(10 * time.Second))
		s, err := c.br.ReadString('\n')
		if !errors.Is(err, io.EOF) {
			t.Fatalf("after %s: read %q, %v; want EOF", req, s, err)
		}
	}
}

func TestServeClosesConnectionsOnCancel(t *testing.T) {
	dir, err := os.MkdirTemp("", "ss")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ln, err := net.Listen("unix", filepath.Join(dir, "s.sock"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln) }()
	c, _ := dialRaw(t, filepath.Join(dir, "s.sock"))
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	c.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.br.ReadString('\n'); !errors.Is(err, io.EOF) {
		t.Fatalf("connection not closed: %v", err)
	}
}
