package client

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"sockscope/protocol"
)

// A reply pairs with its call when its id is the same JSON value spelt
// the server's way: escapes, key order, number spelling, spaces (QEMU and
// Python's json.dumps write ids their own way). Keyed by the raw bytes,
// each call waited out its timeout.
func TestCallPairsIDsAsJSONValues(t *testing.T) {
	ours, theirs := net.Pipe()
	defer ours.Close()
	respell := map[string]string{
		`"café"`:        `"caf\u00e9"`,
		`{"a":1,"b":2}`: `{"b": 2, "a": 1}`,
		`1.0`:           `1`,
		`"a/b"`:         `"a\/b"`,
	}
	go func() {
		defer theirs.Close()
		sc := bufio.NewScanner(theirs)
		for sc.Scan() {
			info := protocol.Classify(sc.Bytes(), nil)
			theirs.Write([]byte(`{"jsonrpc":"2.0","id":` + respell[string(info.ID)] + `,"result":true}` + "\n"))
		}
	}()
	c := New(ours, Options{Framing: protocol.FramingLines})
	for id := range respell {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		reply, err := c.Call(ctx, []byte(`{"jsonrpc":"2.0","id":`+id+`,"method":"m"}`))
		cancel()
		if err != nil || !strings.Contains(string(reply), `"result":true`) {
			t.Errorf("id %s: %q, %v", id, reply, err)
		}
	}
}

// QMP's qmp_capabilities as its clients mostly send it, without an id, is
// replayed with one of sockscope's, whose reply (QEMU's spelling) it
// returns. Without, Handshake failed at once: "the request has no id"
// (`N` on a QMP connection, serve's --miss forward).
func TestHandshakeQMPWithoutID(t *testing.T) {
	ours, theirs := net.Pipe()
	defer ours.Close()
	got := make(chan string, 1)
	go func() {
		defer theirs.Close()
		theirs.Write([]byte(`{"QMP": {"version": {}, "capabilities": ["oob"]}}` + "\n"))
		sc := bufio.NewScanner(theirs)
		for sc.Scan() {
			got <- sc.Text()
			info := protocol.Classify(sc.Bytes(), nil)
			theirs.Write([]byte(`{"return": {}, "id": ` + string(info.ID) + "}\n"))
		}
	}()
	c := New(ours, Options{Framing: protocol.FramingLines})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reply, err := c.Handshake(ctx, "qmp_capabilities", []byte(`{"execute":"qmp_capabilities"}`))
	if err != nil || string(reply) != `{"return": {}, "id": "sockscope-handshake"}` {
		t.Fatalf("reply %q, %v", reply, err)
	}
	if sent := <-got; sent != `{"id":"sockscope-handshake","execute":"qmp_capabilities"}` {
		t.Errorf("sent %s", sent)
	}
}

// A reply longer than the decoder keeps of a frame (1 MiB) is the call's
// whole reply: send printed nothing and timed out on a 3 MB one, and
// serve's --miss forward would have passed on its first MiB. A reply over
// the client's own cap fails its call at once, saying so.
func TestCallTakesABigReplyWhole(t *testing.T) {
	big := strings.Repeat("x", 3<<20)
	serve := func(theirs net.Conn) {
		defer theirs.Close()
		sc := bufio.NewScanner(theirs)
		for sc.Scan() {
			info := protocol.Classify(sc.Bytes(), nil)
			theirs.Write([]byte(`{"jsonrpc":"2.0","result":"` + big + `","id":` + string(info.ID) + "}\n"))
		}
	}
	for _, c := range []struct {
		max  int
		want error
	}{{0, nil}, {1 << 20, ErrTooBig}} {
		ours, theirs := net.Pipe()
		go serve(theirs)
		cl := New(ours, Options{Framing: protocol.FramingLines, MaxFrame: c.max})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		reply, err := cl.Call(ctx, []byte(`{"jsonrpc":"2.0","id":7,"method":"m"}`))
		cancel()
		cl.Close()
		switch {
		case c.want != nil:
			if !errors.Is(err, c.want) {
				t.Errorf("MaxFrame %d: %v, want %v", c.max, err, c.want)
			}
		case err != nil:
			t.Errorf("MaxFrame %d: %v", c.max, err)
		case len(reply) != len(big)+len(`{"jsonrpc":"2.0","result":"","id":7}`):
			t.Errorf("MaxFrame %d: a reply of %d bytes", c.max, len(reply))
		}
	}
}
