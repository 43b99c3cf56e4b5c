package proxy

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"sockscope/protocol"
)

// partialRelay is a relay in front of a recording upstream whose client's
// direction is frame-aware with framing, verdict and head; it returns the
// client's end, the connection and the upstream.
func partialRelay(t *testing.T, relay *Relay, framing protocol.Framing, verdict FrameFunc, head HeadFunc) (client interface{ Write([]byte) (int, error) }, c *Conn, up *recorder) {
	t.Helper()
	up, upAddr := record(t)
	ln, a := listenOn(t, "unix")
	relay.Listener, relay.Dial = ln, DialFunc(upAddr)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go relay.Serve(ctx)
	cl := dial(t, a)
	c = onlyConn(t, relay)
	if err := c.SetFraming(protocol.C2S, framing, verdict, head, 0); err != nil {
		t.Fatal(err)
	}
	return cl, c, up
}

// judged records the frames a verdict was asked about.
type judged struct {
	mu     sync.Mutex
	frames []string
}

func (j *judged) verdict(_ []byte, f protocol.Frame, _ protocol.Framing) Verdict {
	j.mu.Lock()
	j.frames = append(j.frames, string(f.Data))
	j.mu.Unlock()
	return Verdict{}
}

func (j *judged) seen() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.frames...)
}

// A frame whose head the HeadFunc passes is forwarded as it arrives (a
// streamed body flows before it ends), and its verdict is not asked; one
// whose head it does not pass is held until it is whole, then judged.
func TestStreamedBodyPassedOnItsHead(t *testing.T) {
	var j judged
	head := func(h []byte, framing protocol.Framing) bool {
		return framing == protocol.FramingHTTP && strings.HasPrefix(string(h), "POST /stream ")
	}
	client, c, up := partialRelay(t, &Relay{PartialWait: time.Hour}, protocol.FramingHTTP, j.verdict, head)
	const (
		streamHead = "POST /stream HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
		heldHead   = "POST /held HTTP/1.1\r\nContent-Length: 10\r\n\r\n"
	)
	client.Write([]byte(streamHead + "5\r\nhello\r\n"))
	waitFor(t, "the head and first chunk upstream", func() bool { return up.bytes() == streamHead+"5\r\nhello\r\n" })
	client.Write([]byte("5\r\nworld\r\n"))
	waitFor(t, "the second chunk upstream", func() bool { return strings.HasSuffix(up.bytes(), "5\r\nworld\r\n") })
	client.Write([]byte("0\r\n\r\n" + heldHead + "hello"))
	waitFor(t, "the held frame's start read", func() bool { return c.r.held.Load() == int64(len(heldHead+"hello")) })
	if got := up.bytes(); got != streamHead+"5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n" {
		t.Fatalf("upstream has %q: the held frame's start went, or the stream's end did not", got)
	}
	if got := j.seen(); len(got) != 0 {
		t.Fatalf("the verdict was asked about %q", got)
	}
	client.Write([]byte("world"))
	waitFor(t, "the held frame upstream", func() bool { return strings.HasSuffix(up.bytes(), heldHead+"helloworld") })
	if got := j.seen(); len(got) != 1 || got[0] != heldHead+"helloworld" {
		t.Fatalf("the verdict was asked about %q, want the held frame alone", got)
	}
}

// A partial frame that waits PartialWait for its end (a prompt with no
// line end) is forwarded, and Unjudged is told; the rest of it follows as
// it arrives, and the next frame is judged again.
func TestPartialFrameForwardedAfterWait(t *testing.T) {
	var j judged
	told := make(chan string, 4)
	relay := &Relay{PartialWait: 20 * time.Millisecond, Unjudged: func(_ *Conn, d protocol.Dir, why string) { told <- d.String() + ": " + why }}
	client, _, up := partialRelay(t, relay, protocol.FramingLines, j.verdict, nil)
	client.Write([]byte("{\"a\":1}\npassword: "))
	waitFor(t, "the prompt upstream", func() bool { return up.bytes() == "{\"a\":1}\npassword: " })
	select {
	case why := <-told:
		if !strings.Contains(why, "did not come within 20ms") {
			t.Errorf("Unjudged told %q", why)
		}
	case <-time.After(liveness):
		t.Fatal("Unjudged was not told")
	}
	client.Write([]byte("secret"))
	waitFor(t, "the rest of the line upstream", func() bool { return strings.HasSuffix(up.bytes(), "password: secret") })
	client.Write([]byte("\n{\"b\":2}\n"))
	waitFor(t, "the next frame upstream", func() bool { return strings.HasSuffix(up.bytes(), "secret\n{\"b\":2}\n") })
	if got := j.seen(); len(got) != 2 || got[0] != `{"a":1}` || got[1] != `{"b":2}` {
		t.Fatalf("the verdict was asked about %q", got)
	}
}

// Once a frame outgrows MaxFrame, what comes of it later is forwarded as
// it arrives too, not held until the frame ends or outgrows it again.
func TestOversizedFrameRestForwardedAsItArrives(t *testing.T) {
	var j judged
	client, _, up := partialRelay(t, &Relay{MaxFrame: 64, PartialWait: time.Hour}, protocol.FramingLines, j.verdict, nil)
	big := strings.Repeat("x", 64+protocol.MaxHeaderBytes+1)
	client.Write([]byte(big))
	waitFor(t, "the oversized start upstream", func() bool { return up.bytes() == big })
	client.Write([]byte("yyy"))
	waitFor(t, "the next bytes upstream", func() bool { return up.bytes() == big+"yyy" })
	client.Write([]byte("\n{}\n"))
	waitFor(t, "the next frame upstream", func() bool { return up.bytes() == big+"yyy\n{}\n" })
	if got := j.seen(); len(got) != 1 || got[0] != "{}" {
		t.Fatalf("the verdict was asked about %q, want {} alone", got)
	}
}

// A frame whose head a verdict may act on waits for its end past
// PartialWait when its body has a set length (its sender will send it);
// one with an open-ended body (a stream that may never end) does not.
func TestStalledHeldHeadBySize(t *testing.T) {
	for _, c := range []struct {
		head string
		goes bool
	}{
		{"POST /a HTTP/1.1\r\nContent-Length: 10\r\n\r\nhello", false},
		{"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", true},
	} {
		var j judged
		never := func([]byte, protocol.Framing) bool { return false }
		client, conn, up := partialRelay(t, &Relay{PartialWait: time.Nanosecond}, protocol.FramingHTTP, j.verdict, never)
		client.Write([]byte(c.head))
		if c.goes {
			waitFor(t, "the stream upstream", func() bool { return up.bytes() == c.head })
			continue
		}
		waitFor(t, "the frame's start read", func() bool { return conn.r.held.Load() == int64(len(c.head)) })
		conn.stalled(protocol.C2S) // as its timer would, again
		if got := up.bytes(); got != "" || conn.r.held.Load() != int64(len(c.head)) {
			t.Fatalf("%q: upstream has %q: the frame did not wait for its end", c.head, got)
		}
	}
}
