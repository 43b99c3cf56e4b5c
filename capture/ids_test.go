package capture

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"sockscope/internal/nodetest"
	"sockscope/protocol"
)

// A server that parses each request and writes its id back its own way
// (the seed server, in JavaScript, as QMP does) answers 2147483646.0 as
// 2147483646: the id translation compares ids as JSON values. A client
// request whose id equals, as a value, the id of sockscope's own request
// in flight is renamed on the wire and its reply comes back to it with
// its id as it spelt it; the reply to sockscope's request is withheld,
// never seen by the client. (Compared as bytes, the client's request
// passed as it was, its reply was withheld as sockscope's, and the
// client got sockscope's instead.)
func TestIDsComparedAsValues(t *testing.T) {
	dir := shortTemp(t)
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
	nodetest.Start(t, "seed-server.js", svc).Expect(t, "listening")
	e := relayTo(t, Config{}, front, svc)

	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	read := func() map[string]any {
		t.Helper()
		line, err := br.ReadBytes('\n')
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		var v map[string]any
		if err := json.Unmarshal(line, &v); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		v["line"] = string(line)
		return v
	}
	if v := read(); v["action"] != "register" {
		t.Fatalf("first line %v, want the server's register", v)
	}
	var conn uint64
	waitUntil(t, "the client's connection in the store", func() bool {
		if cs := e.Store.Conns(); len(cs) == 1 {
			conn = cs[0].ID
		}
		return conn != 0
	})

	// time answers after a second: sockscope's request stays in flight.
	s, err := e.Send(context.Background(), conn, protocol.C2S, []byte(`{"rid":1,"method":"time","args":[6,7]}`))
	if err != nil {
		t.Fatal(err)
	}
	respelt := s.WireID + ".0"
	if _, err := c.Write([]byte(`{"rid":` + respelt + `,"method":"add","args":[1,2]}` + "\n")); err != nil {
		t.Fatal(err)
	}
	v := read()
	if v["data"] != 3.0 || !strings.Contains(v["line"].(string), `"rid":`+respelt+`,`) {
		t.Fatalf("the client's add got %s; want data 3 under its own rid %s", v["line"], respelt)
	}
	waitUntil(t, "sockscope's own request answered", func() bool {
		for _, r := range rows(e.Store, conn) {
			if r.Injected && r.Method == "time" && r.Status == protocol.StatusOK {
				return true
			}
		}
		return false
	})
	// The server sent the reply to time before this echo's: had it been
	// passed on, the client would read it first.
	if _, err := c.Write([]byte(`{"rid":7,"method":"echo","args":["x"]}` + "\n")); err != nil {
		t.Fatal(err)
	}
	if v := read(); v["rid"] != 7.0 || v["data"] != "x" {
		t.Fatalf("after sockscope's reply was withheld the client read %s, want its echo's reply", v["line"])
	}
}
