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
