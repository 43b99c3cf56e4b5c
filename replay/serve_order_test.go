package replay

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"sockscope/protocol"
	"sockscope/session"
)

// A relay forwards a read first and reports it after, each direction on
// its own, so a recording may hold a server's message before the client's
// message it follows, its time still the time it was read: the reply to
// the first command (it was sent on connect as a greeting, and again as
// the answer, and every reply after came one command late), and the
// second confirmation of a SUBSCRIBE, recorded after the reply to the
// command before it (it went out after that reply, where the client took
// it for the next). serve sends each once, after the message it follows
// in read order.
func TestServeRepliesRecordedBeforeTheirRequests(t *testing.T) {
	path := filepath.Join(t.TempDir(), "early.jsonl")
	r, err := session.Create(path, session.Header{Started: time.Unix(1, 0), Upstream: "unix:/up.sock", Listen: "/front.sock",
		Framing: "resp", IDFields: protocol.DefaultIDFields})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(2, 0)
	frame := func(ms int, dir protocol.Dir, p string) {
		r.Frame(1, dir, t0.Add(time.Duration(ms)*time.Millisecond), protocol.Frame{Data: []byte(p), Size: len(p), Wire: len(p)}, protocol.FramingRESP, session.Marks{})
	}
	const (
		set   = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
		ping  = "*1\r\n$4\r\nPING\r\n"
		sub   = "*3\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n$1\r\nb\r\n"
		confA = "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
		confB = "*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"
	)
	r.Open(1, t0, "@", "/front.sock", "unix:/up.sock", 42, 0, "redis-cli", false)
	frame(2, protocol.S2C, "+OK\r\n") // recorded first, read after SET
	frame(1, protocol.C2S, set)
	frame(3, protocol.C2S, ping)
	frame(4, protocol.S2C, "+PONG\r\n")
	frame(6, protocol.S2C, confA) // both read after the SUBSCRIBE
	frame(6, protocol.S2C, confB)
	frame(5, protocol.C2S, sub)
	r.Close(1, t0.Add(time.Second), "")
	if err := r.End(t0.Add(time.Second), 0, 0); err != nil {
		t.Fatal(err)
	}

	rec, err := Load(context.Background(), path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if g := rec.Conns[0].Greeting(); len(g) != 0 {
		t.Errorf("a greeting of %d messages, the first %q; want none", len(g), g[0].Payload)
	}
	srv, err := NewServer(rec, ServeConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveOn(t, srv, ln)
	cl, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	cl.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(cl, set+ping+sub); err != nil {
		t.Fatal(err)
	}
	want := "+OK\r\n+PONG\r\n" + confA + confB
	got := make([]byte, len(want))
	if _, err := io.ReadFull(cl, got); err != nil || string(got) != want {
		t.Fatalf("serve answered %q (%v), want %q", got, err, want)
	}
}
