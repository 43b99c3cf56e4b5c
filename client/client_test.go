package client

import (
	"bufio"
	"context"
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
