package replay

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"sockscope/internal/sessiongen"
	"sockscope/protocol"
	"sockscope/session"
)

// A recording whose first connection is one sockscope opened itself (N)
// and whose second is a client's: Load marks the first Own, and serve
// plays no client on it. A client of `serve --match sequential` plays the
// client's connection, its greeting and its replies, not sockscope's
// reply pushed at it as a greeting and a miss.
func TestServeSkipsOwnConnection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "own-first.jsonl")
	l, err := sessiongen.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	c2s, s2c := protocol.C2S, protocol.S2C
	l.R.Open(1, l.At, "sockscope#1", "/front.sock", "unix:/up.sock", -1, -1, "", true)
	l.Line(1, s2c, `{"jsonrpc":"2.0","method":"hello","params":["own"]}`, session.Marks{})
	l.Line(1, c2s, `{"jsonrpc":"2.0","id":1,"method":"echo","params":["own"]}`, session.Marks{Injected: true})
	l.Line(1, s2c, `{"jsonrpc":"2.0","id":1,"result":"own"}`, session.Marks{})
	l.R.Close(1, l.At, "")
	l.R.Open(2, l.At, "@", "/front.sock", "unix:/up.sock", 42, 0, "client", false)
	l.Line(2, s2c, `{"jsonrpc":"2.0","method":"hello","params":["client"]}`, session.Marks{})
	l.Line(2, c2s, `{"jsonrpc":"2.0","id":1,"method":"echo","params":["client"]}`, session.Marks{})
	l.Line(2, s2c, `{"jsonrpc":"2.0","id":1,"result":"client"}`, session.Marks{})
	l.R.Close(2, l.At, "")
	if err := l.End(); err != nil {
		t.Fatal(err)
	}

	rec, err := Load(context.Background(), path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Conns) != 2 || !rec.Conns[0].Own || rec.Conns[1].Own {
		t.Fatalf("loaded connections: %+v", rec.Conns)
	}
	srv, err := NewServer(rec, ServeConfig{Match: MatchSequential})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveOn(t, srv, ln)

	for k := range 2 { // each new client plays the client's connection
		cl, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		cl.SetDeadline(time.Now().Add(10 * time.Second))
		in := bufio.NewScanner(cl)
		next := func(want string) {
			t.Helper()
			if !in.Scan() {
				t.Fatalf("client %d got nothing, want %s: %v", k, want, in.Err())
			}
			if in.Text() != want {
				t.Fatalf("client %d got %s, want %s", k, in.Text(), want)
			}
		}
		next(`{"jsonrpc":"2.0","method":"hello","params":["client"]}`)
		fmt.Fprintln(cl, `{"jsonrpc":"2.0","id":5,"method":"echo","params":["client"]}`)
		next(`{"jsonrpc":"2.0","id":5,"result":"client"}`)
		cl.Close()
	}
	if got := srv.Summary(); got != "sockscope serve: 2 connections, 2 requests answered from the recording, 0 misses" {
		t.Errorf("summary: %s", got)
	}
}

// serveOn runs srv on ln until the test ends.
func serveOn(t *testing.T, srv *Server, ln net.Listener) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
}
