package proxy

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"sockscope/event"
	"sockscope/protocol"
)

// Frames a verdict drops never reach upstream and are observed Withheld;
// frames it replaces reach upstream replaced and are observed as Observe
// says; the rest pass byte-exact, whatever the chunking.
func TestVerdicts(t *testing.T) {
	up, upAddr := record(t)
	q := event.NewQueue(0, false)
	o := observe(q)
	relay, addr := startRelay(t, "unix", upAddr, q)
	client := dial(t, addr)
	c := onlyConn(t, relay)
	verdict := func(wire []byte, f protocol.Frame, _ protocol.Framing) Verdict {
		switch {
		case strings.Contains(string(f.Data), "drop"):
			return Verdict{Drop: true}
		case strings.Contains(string(f.Data), "swap"):
			return Verdict{Replace: []byte("{\"swapped\":1}\n"), Observe: wire}
		}
		return Verdict{}
	}
	if err := c.SetFraming(protocol.C2S, protocol.FramingLines, verdict, nil, 0); err != nil {
		t.Fatal(err)
	}
	var sent, want strings.Builder
	for i := range 300 {
		switch i % 3 {
		case 0:
			sent.WriteString(`{"keep":` + strings.Repeat("1", i) + "}\n")
			want.WriteString(`{"keep":` + strings.Repeat("1", i) + "}\n")
		case 1:
			sent.WriteString(`{"drop":1}` + "\n")
		case 2:
			sent.WriteString(`{"swap":1}` + "\n")
			want.WriteString("{\"swapped\":1}\n")
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for rest := sent.String(); rest != ""; {
		n := min(len(rest), 1+rng.IntN(200))
		if _, err := client.Write([]byte(rest[:n])); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	closeWrite(t, client)
	select {
	case <-up.done:
	case <-time.After(liveness):
		t.Fatal("upstream never saw EOF")
	}
	if got := up.bytes(); got != want.String() {
		t.Fatalf("upstream got %d bytes, want %d", len(got), want.Len())
	}
	client.Close()
	var observed strings.Builder
	withheld := 0
	for _, ev := range o.waitCloses(t, 1) {
		if ev.Type != event.Data || ev.Dir != protocol.C2S {
			continue
		}
		if ev.Withheld {
			withheld++
			if string(ev.Data) != `{"drop":1}`+"\n" {
				t.Errorf("withheld event holds %q", ev.Data)
			}
			continue
		}
		observed.Write(ev.Data)
	}
	if withheld != 100 {
		t.Errorf("%d frames observed withheld, want 100", withheld)
	}
	if wantSeen := strings.ReplaceAll(sent.String(), `{"drop":1}`+"\n", ""); observed.String() != wantSeen {
		t.Errorf("observed stream differs from the client's, less the dropped frames")
	}
	if n := relay.held.Load(); n != 0 {
		t.Errorf("the relay still counts %d bytes held", n)
	}
}

// SetFraming refuses an offset the stream has moved past, and changes
// nothing then.
func TestSetFramingAt(t *testing.T) {
	up, upAddr := record(t)
	relay, addr := startRelay(t, "unix", upAddr, nil)
	client := dial(t, addr)
	c := onlyConn(t, relay)
	client.Write([]byte("{}\n"))
	waitFor(t, "the frame upstream", func() bool { return up.bytes() == "{}\n" })
	if err := c.SetFraming(protocol.C2S, protocol.FramingLines, nil, nil, 0); err == nil {
		t.Fatal("SetFraming at 0 succeeded after 3 bytes")
	}
	if off, framed := c.Forwarded(protocol.C2S); off != 3 || framed {
		t.Fatalf("Forwarded = %d, %v; want 3, false", off, framed)
	}
	if err := c.SetFraming(protocol.C2S, protocol.FramingLines, nil, nil, 3); err != nil {
		t.Fatal(err)
	}
	if _, framed := c.Forwarded(protocol.C2S); !framed {
		t.Fatal("not frame-aware after SetFraming")
	}
}

// Past MaxHeld for the whole relay, a partial frame is forwarded as it
// arrives rather than held.
func TestMaxHeldTotal(t *testing.T) {
	up, upAddr := record(t)
	ln, a := listenOn(t, "unix")
	relay := &Relay{Listener: ln, Dial: DialFunc(upAddr), MaxHeld: 16}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go relay.Serve(ctx)
	client := dial(t, a)
	c := onlyConn(t, relay)
	c.SetFraming(protocol.C2S, protocol.FramingLines, nil, nil, -1)
	client.Write([]byte(`{"a":1}` + "\n" + `{"partial":"over sixteen bytes`))
	waitFor(t, "the partial frame forwarded", func() bool {
		return up.bytes() == `{"a":1}`+"\n"+`{"partial":"over sixteen bytes`
	})
	client.Write([]byte("\"}\n{}\n"))
	waitFor(t, "the rest", func() bool { return strings.HasSuffix(up.bytes(), "\"}\n{}\n") })
}

// ServeConn relays a connection that came from no listener.
func TestServeConn(t *testing.T) {
	up, upAddr := record(t)
	q := event.NewQueue(0, false)
	o := observe(q)
	relay := &Relay{Dial: DialFunc(upAddr), Upstream: upAddr.String(), Queue: q}
	ours, theirs := net.Pipe()
	done := make(chan struct{})
	go func() {
		relay.ServeConn(context.Background(), theirs)
		close(done)
	}()
	ours.Write([]byte("hello\n"))
	waitFor(t, "the bytes upstream", func() bool { return up.bytes() == "hello\n" })
	ours.Close()
	<-done
	evs := o.waitCloses(t, 1)
	if evs[0].Type != event.Open || evs[0].Peer == nil {
		t.Errorf("first event %+v, want an Open with its Peer", evs[0])
	}
}

// A verdict's answer goes out as soon as its frame is dealt with, not once
// the frames after it in the same read are: the next one held (for a
// user's decision, minutes maybe) kept the made-up reply from the client.
func TestAnswerDoesNotWaitForTheNextFrame(t *testing.T) {
	up, upAddr := record(t)
	q := event.NewQueue(0, false)
	observe(q)
	relay, addr := startRelay(t, "unix", upAddr, q)
	client := dial(t, addr)
	c := onlyConn(t, relay)
	release := make(chan struct{})
	verdict := func(wire []byte, f protocol.Frame, _ protocol.Framing) Verdict {
		switch string(f.Data) {
		case `{"fab":1}`:
			return Verdict{Drop: true, Answer: []byte("{\"answered\":1}\n")}
		case `{"hold":1}`:
			return Verdict{Wait: func(stop <-chan struct{}) Verdict {
				select {
				case <-release:
				case <-stop:
				}
				return Verdict{}
			}}
		}
		return Verdict{}
	}
	if err := c.SetFraming(protocol.C2S, protocol.FramingLines, verdict, nil, 0); err != nil {
		t.Fatal(err)
	}
	if err := c.SetFraming(protocol.S2C, protocol.FramingLines, nil, nil, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Write([]byte("{\"fab\":1}\n{\"hold\":1}\n")); err != nil {
		t.Fatal(err)
	}
	client.SetReadDeadline(time.Now().Add(liveness))
	got := make([]byte, len("{\"answered\":1}\n"))
	if _, err := io.ReadFull(client, got); err != nil || string(got) != "{\"answered\":1}\n" {
		t.Fatalf("the answer did not come while the next frame was held: %q, %v", got, err)
	}
	close(release)
	closeWrite(t, client)
	select {
	case <-up.done:
	case <-time.After(liveness):
		t.Fatal("upstream never saw EOF")
	}
	if got := up.bytes(); got != "{\"hold\":1}\n" {
		t.Errorf("upstream got %q, want the held frame only", got)
	}
}
