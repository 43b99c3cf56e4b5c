//go:build unix

package replay

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"sockscope/protocol"
	"sockscope/store"
)

// With --miss forward, the real server gets the client's replies to its
// own requests, and none of those to the recorded server's requests that
// serve played, which it never asked.
func TestForwardRepliesOnlyTheRealServers(t *testing.T) {
	dir := t.TempDir()
	// The recording: hello is answered, and the recorded server asked the
	// client its own question (id 7) after it.
	c := &Conn{ID: 1, Framing: [2]protocol.Framing{protocol.FramingLines, protocol.FramingLines}}
	add := func(seq uint64, dir protocol.Dir, p string) *Msg {
		m := msgOf(p)
		m.Seq, m.Dir = seq, dir
		c.Msgs = append(c.Msgs, m)
		return m
	}
	hello := add(1, protocol.C2S, `{"jsonrpc":"2.0","id":1,"method":"hello"}`)
	answer := add(2, protocol.S2C, `{"jsonrpc":"2.0","id":1,"result":"hi"}`)
	add(3, protocol.S2C, `{"jsonrpc":"2.0","id":7,"method":"recorded/ask"}`)
	c.addExchange(store.Row{Dir: protocol.C2S, Kind: protocol.KindRequest, ID: "1"}, hello, answer)
	c.link(protocol.DefaultIDFields)
	rec := &Recording{Path: "rec.jsonl", IDFields: protocol.DefaultIDFields, Conns: []*Conn{c}}

	// The real server: it asks the client (id 9) after it answers a
	// request, and says every reply it got.
	real := filepath.Join(dir, "real.sock")
	rln, err := net.Listen("unix", real)
	if err != nil {
		t.Fatal(err)
	}
	defer rln.Close()
	got := make(chan string, 16)
	go func() {
		nc, err := rln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		sc := bufio.NewScanner(nc)
		for sc.Scan() {
			var m struct {
				ID     json.RawMessage `json:"id"`
				Method string          `json:"method"`
			}
			json.Unmarshal(sc.Bytes(), &m)
			if m.Method == "" {
				got <- sc.Text()
				continue
			}
			fmt.Fprintf(nc, `{"jsonrpc":"2.0","id":%s,"result":"real"}`+"\n", m.ID)
			fmt.Fprintf(nc, `{"jsonrpc":"2.0","id":9,"method":"real/ask"}`+"\n")
		}
	}()

	srv, err := NewServer(rec, ServeConfig{Miss: MissForward, Forward: func(ctx context.Context) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", real)
	}})
	if err != nil {
		t.Fatal(err)
	}
	mock := filepath.Join(dir, "mock.sock")
	ln, err := net.Listen("unix", mock)
	if err != nil {
		t.Fatal(err)
	}
	serveOn(t, srv, ln)

	cl, err := net.Dial("unix", mock)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	cl.SetDeadline(time.Now().Add(10 * time.Second))
	in := bufio.NewScanner(cl)
	next := func(want string) {
		t.Helper()
		if !in.Scan() {
			t.Fatalf("the client got nothing, want %s: %v", want, in.Err())
		}
		if in.Text() != want {
			t.Fatalf("the client got %s, want %s", in.Text(), want)
		}
	}
	fmt.Fprintln(cl, `{"jsonrpc":"2.0","id":1,"method":"hello"}`)
	next(`{"jsonrpc":"2.0","id":1,"result":"hi"}`)
	next(`{"jsonrpc":"2.0","id":7,"method":"recorded/ask"}`)
	fmt.Fprintln(cl, `{"jsonrpc":"2.0","id":2,"method":"other"}`) // a miss: forwarded
	next(`{"jsonrpc":"2.0","id":2,"result":"real"}`)
	next(`{"jsonrpc":"2.0","id":9,"method":"real/ask"}`)
	// Both replies on one connection, in this order: the real server's
	// first one is the first it gets.
	fmt.Fprintln(cl, `{"jsonrpc":"2.0","id":7,"result":"to the recorded one"}`)
	fmt.Fprintln(cl, `{"jsonrpc":"2.0","id":9,"result":"to the real one"}`)
	select {
	case r := <-got:
		if r != `{"jsonrpc":"2.0","id":9,"result":"to the real one"}` {
			t.Errorf("the real server got %s", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the real server got no reply to its request")
	}
}
