package replay

import (
	"context"
	"maps"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sockscope/internal/sessiongen"
	"sockscope/protocol"
	"sockscope/session"
)

// sideFile writes a session file in which sockscope injected, withheld,
// edited and doubled frames, and returns its path. Conn 1 is a client's; conn 2 one
// sockscope opened itself (N), every frame it sent marked injected.
func sideFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "acted.jsonl")
	l, err := sessiongen.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	note := func(act protocol.Act, diff string) *protocol.Note {
		return &protocol.Note{Act: act, Rule: "r1", Diff: diff}
	}
	c2s, s2c := protocol.C2S, protocol.S2C
	l.R.Open(1, l.At, "@", "/front.sock", "unix:/up.sock", 42, 0, "client", false)
	l.Line(1, c2s, `{"jsonrpc":"2.0","id":1,"method":"echo","params":[1]}`, session.Marks{})
	l.Line(1, s2c, `{"jsonrpc":"2.0","id":1,"result":[1]}`, session.Marks{})
	// R: a request resent to the server, its reply withheld from the client.
	l.Line(1, c2s, `{"jsonrpc":"2.0","id":2147483646,"method":"echo","params":[1]}`, session.Marks{Injected: true})
	l.Line(1, s2c, `{"jsonrpc":"2.0","id":2147483646,"result":[1]}`, session.Marks{Withheld: true})
	// n, ctrl+t: a notification composed for the client.
	l.Line(1, s2c, `{"jsonrpc":"2.0","method":"composed"}`, session.Marks{Injected: true})
	// A reply rule: the request kept from the server, a reply made up.
	l.Line(1, c2s, `{"jsonrpc":"2.0","id":3,"method":"slow"}`, session.Marks{Withheld: true, Note: note(protocol.ActFabricated, "answered by sockscope")})
	l.Line(1, s2c, `{"jsonrpc":"2.0","id":3,"result":"made up"}`, session.Marks{Injected: true, Note: note(protocol.ActFabricated, "")})
	// A drop rule: a notification kept from the client.
	l.Line(1, s2c, `{"jsonrpc":"2.0","method":"progress"}`, session.Marks{Withheld: true, Note: note(protocol.ActDropped, "")})
	// A set rule: the reply edited on its way to the client.
	l.Line(1, c2s, `{"jsonrpc":"2.0","id":4,"method":"echo","params":[4]}`, session.Marks{})
	l.Line(1, s2c, `{"jsonrpc":"2.0","id":4,"result":"edited"}`, session.Marks{Note: note(protocol.ActEdited,
		"-"+`{"jsonrpc":"2.0","id":4,"result":[4]}`+"\n+"+`{"jsonrpc":"2.0","id":4,"result":"edited"}`)})
	// A duplicate rule: one notification forwarded twice.
	l.Line(1, s2c, `{"jsonrpc":"2.0","method":"tick"}`, session.Marks{Note: note(protocol.ActDuplicated, "")})
	l.Line(1, s2c, `{"jsonrpc":"2.0","method":"tick"}`, session.Marks{Note: note(protocol.ActDuplicated, "")})
	// An edit whose note does not hold all of the old reply.
	l.Line(1, c2s, `{"jsonrpc":"2.0","id":5,"method":"echo","params":[5]}`, session.Marks{})
	l.Line(1, s2c, `{"jsonrpc":"2.0","id":5,"result":"short"}`, session.Marks{Note: note(protocol.ActEdited,
		"-"+strings.Repeat("x", 2<<10)+"…\n+"+`{"jsonrpc":"2.0","id":5,"result":"short"}`)})
	// An edit of a reply past the diff's 2 KiB, its note holding the whole
	// of the old one (Was), as sockscope writes them since.
	l.Line(1, c2s, `{"jsonrpc":"2.0","id":6,"method":"echo","params":[6]}`, session.Marks{})
	edited := note(protocol.ActEdited, "-"+bigReply6[:2<<10]+"…\n+"+`{"jsonrpc":"2.0","id":6,"result":"short"}`)
	edited.Was = []byte(bigReply6)
	l.Line(1, s2c, `{"jsonrpc":"2.0","id":6,"result":"short"}`, session.Marks{Note: edited})
	l.R.Close(1, l.At.Add(time.Millisecond), "")
	l.R.Open(2, l.At, "sockscope#1", "/front.sock", "unix:/up.sock", -1, -1, "", false)
	l.Line(2, c2s, `{"jsonrpc":"2.0","id":7,"method":"echo","params":["own"]}`, session.Marks{Injected: true})
	l.Line(2, s2c, `{"jsonrpc":"2.0","id":7,"result":["own"]}`, session.Marks{})
	l.R.Close(2, l.At.Add(time.Millisecond), "")
	if err := l.End(); err != nil {
		t.Fatal(err)
	}
	return path
}

// bigReply6 is what the server sent for request 6, which sockscope edited.
var bigReply6 = `{"jsonrpc":"2.0","id":6,"result":"` + strings.Repeat("y", 3<<10) + `"}`

// payloads returns what c holds in direction d, in order.
func payloads(c *Conn, d protocol.Dir) []string {
	var out []string
	for _, m := range c.Msgs {
		if m.Dir == d {
			out = append(out, string(m.Payload))
		}
	}
	return out
}

// replies returns, by id, the recorded reply of each of c's requests
// that replay compares ("" for none).
func replies(c *Conn) map[string]string {
	out := map[string]string{}
	for _, x := range c.Exchanges {
		if comparable(x) {
			out[x.Row.ID] = ""
			if x.Resp != nil {
				out[x.Row.ID] = string(x.Resp.Payload)
			}
		}
	}
	return out
}

func equal(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}

// The server's side of each connection, which replay sends and compares
// with: what the server received (sockscope's injected requests, all of
// its own connection's, not the request it kept from the server) and what
// it sent (the replies and notifications sockscope withheld from the
// client, an edited reply as it was before the edit, one copy of a
// duplicate; nothing sockscope injected toward the client).
func TestLoadServerSide(t *testing.T) {
	rec, err := Load(context.Background(), sideFile(t), LoadOptions{Side: ServerSide})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Conns) != 2 {
		t.Fatalf("%d connections", len(rec.Conns))
	}
	c1, c2 := rec.Conns[0], rec.Conns[1]
	if got, want := payloads(c1, protocol.C2S), []string{
		`{"jsonrpc":"2.0","id":1,"method":"echo","params":[1]}`,
		`{"jsonrpc":"2.0","id":2147483646,"method":"echo","params":[1]}`,
		`{"jsonrpc":"2.0","id":4,"method":"echo","params":[4]}`,
		`{"jsonrpc":"2.0","id":5,"method":"echo","params":[5]}`,
		`{"jsonrpc":"2.0","id":6,"method":"echo","params":[6]}`,
	}; !equal(got, want) {
		t.Errorf("conn 1, what the server received:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got, want := payloads(c1, protocol.S2C), []string{
		`{"jsonrpc":"2.0","id":1,"result":[1]}`,
		`{"jsonrpc":"2.0","id":2147483646,"result":[1]}`,
		`{"jsonrpc":"2.0","method":"progress"}`,
		`{"jsonrpc":"2.0","id":4,"result":[4]}`,
		`{"jsonrpc":"2.0","method":"tick"}`,
		`{"jsonrpc":"2.0","id":5,"result":"short"}`, // what the server sent is not in the note: as recorded
		bigReply6,
	}; !equal(got, want) {
		t.Errorf("conn 1, what the server sent:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got, want := replies(c1), map[string]string{
		"1":          `{"jsonrpc":"2.0","id":1,"result":[1]}`,
		"2147483646": `{"jsonrpc":"2.0","id":2147483646,"result":[1]}`,
		"4":          `{"jsonrpc":"2.0","id":4,"result":[4]}`,
		"5":          `{"jsonrpc":"2.0","id":5,"result":"short"}`,
		"6":          bigReply6,
	}; !maps.Equal(got, want) {
		t.Errorf("conn 1's compared requests: %v", got)
	}
	if got := replies(c2); len(got) != 1 || got["7"] != `{"jsonrpc":"2.0","id":7,"result":["own"]}` {
		t.Errorf("sockscope's own connection: its requests %v, want the echo with its reply", got)
	}
}

// The client's side, which serve answers clients from, is as it was:
// what the client sent (the request a rule answered included, not
// sockscope's) and what it received (the made-up reply and the composed
// notification included, not the replies withheld from it, each as
// it got it).
func TestLoadClientSide(t *testing.T) {
	rec, err := Load(context.Background(), sideFile(t), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c1 := rec.Conns[0]
	if got, want := payloads(c1, protocol.C2S), []string{
		`{"jsonrpc":"2.0","id":1,"method":"echo","params":[1]}`,
		`{"jsonrpc":"2.0","id":3,"method":"slow"}`,
		`{"jsonrpc":"2.0","id":4,"method":"echo","params":[4]}`,
		`{"jsonrpc":"2.0","id":5,"method":"echo","params":[5]}`,
		`{"jsonrpc":"2.0","id":6,"method":"echo","params":[6]}`,
	}; !equal(got, want) {
		t.Errorf("conn 1, what the client sent:\n%s", strings.Join(got, "\n"))
	}
	if got, want := payloads(c1, protocol.S2C), []string{
		`{"jsonrpc":"2.0","id":1,"result":[1]}`,
		`{"jsonrpc":"2.0","method":"composed"}`,
		`{"jsonrpc":"2.0","id":3,"result":"made up"}`,
		`{"jsonrpc":"2.0","id":4,"result":"edited"}`,
		`{"jsonrpc":"2.0","method":"tick"}`,
		`{"jsonrpc":"2.0","method":"tick"}`,
		`{"jsonrpc":"2.0","id":5,"result":"short"}`,
		`{"jsonrpc":"2.0","id":6,"result":"short"}`,
	}; !equal(got, want) {
		t.Errorf("conn 1, what the client received:\n%s", strings.Join(got, "\n"))
	}
}
