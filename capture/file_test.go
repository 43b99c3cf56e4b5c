package capture

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"sockscope/protocol"
	"sockscope/store"
)

// A recording decodes as the live run did: bytes the framer could not
// frame (a Content-Length header block it could not read, the body it then
// skipped to the next header) are raw frames with their reasons, and are
// not framed again on the way back (a header made up, a frame of what was
// none).
func TestRecordingDecodesAsLive(t *testing.T) {
	dir := shortTemp(t)
	svc, front, rec := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock"), filepath.Join(dir, "rec.jsonl")
	echo, err := net.Listen("unix", svc)
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	e := relayTo(t, Config{Record: rec, Framing: protocol.FramingContentLength}, front, svc)
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	in := "Content-Length: abc\r\n\r\n" + `{"jsonrpc":"2.0","id":2,"method":"lost"}` + "Content-Length: 2\r\n\r\n{}"
	go c.Write([]byte(in))
	if got := make([]byte, len(in)); func() error { _, err := io.ReadFull(c, got); return err }() != nil || string(got) != in {
		t.Fatalf("echoed %q", got)
	}
	c.Close()
	waitUntil(t, "the connection's end in the store", func() bool {
		cs := e.Store.Conns()
		return len(cs) == 1 && cs[0].State != store.ConnOpen
	})
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(rec)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	shown, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	shown.Start(context.Background(), NewFile(f))
	if err := shown.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	live, again := frames(e.Store), frames(shown.Store)
	if !slices.Equal(live, again) || len(live) != 6 {
		t.Errorf("live:\n%q\nfrom the recording:\n%q", live, again)
	}
}

// frames lists a store's messages: direction, bytes, size on the wire,
// and the framer's complaint.
func frames(st *store.Store) []string {
	var out []string
	first, next := st.MessageBounds()
	for seq := first; seq < next; seq++ {
		if m, ok := st.Message(seq); ok {
			out = append(out, m.Dir.String()+" "+string(m.Frame.Data)+" "+strconv.Itoa(m.Frame.Wire)+" "+m.Frame.Err)
		}
	}
	return out
}
