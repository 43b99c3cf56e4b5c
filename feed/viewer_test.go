//go:build unix

package feed

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sockscope/protocol"
	"sockscope/session"
)

// A viewer whose peer reads nothing: queueing live records never waits,
// what does not fit is skipped and counted, and once the peer reads, the
// skipped markers and gap records account for every frame it did not get,
// before the next record after them.
func TestViewerSkipsAhead(t *testing.T) {
	dir, err := os.MkdirTemp("", "fv")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ln, err := net.Listen("unix", filepath.Join(dir, "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("unix", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	const max = 64 << 10
	v := newViewer(c, max)
	go v.writeLoop()
	defer v.close()
	v.mu.Lock()
	v.attached, v.live = true, true
	v.mu.Unlock()

	frame := func(i int) []byte {
		m := &protocol.Message{Conn: 1, Dir: protocol.S2C, At: time.Now(),
			Frame: protocol.Frame{Data: []byte(strings.Repeat("x", 4000)), Size: 4000, Wire: 4001}}
		return appendMessage(nil, m, protocol.FramingLines, time.Time{})
	}
	// Far more than the socket's buffers and the viewer's bound together:
	// if record waited for the peer, this would never end.
	const n = 20000 // 80 MB
	for i := range n {
		v.record(frame(i), true, gapKey{1, protocol.S2C}, 4001)
	}
	closeRec := session.AppendRecord(nil, session.Record{Type: session.TypeClose, Conn: 1, At: time.Now()})
	v.record(closeRec, false, gapKey{}, 0)

	br := bufio.NewReaderSize(peer, 1<<20)
	frames, skippedTotal, gaps := 0, uint64(0), 0
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasPrefix(line, `{"type":"frame"`):
			frames++
		case strings.HasPrefix(line, `{"type":"skipped"`):
			var sk skipped
			if err := json.Unmarshal([]byte(line), &sk); err != nil {
				t.Fatal(err)
			}
			skippedTotal += sk.Events
		case strings.HasPrefix(line, `{"type":"gap"`):
			gaps++
		case strings.HasPrefix(line, `{"type":"close"`):
			if skippedTotal == 0 || gaps == 0 {
				t.Fatalf("the close came with %d skipped and %d gap records", skippedTotal, gaps)
			}
			if frames+int(skippedTotal) != n {
				t.Fatalf("%d frames read and %d skipped, want %d in all", frames, skippedTotal, n)
			}
			return
		}
	}
}

// A viewer frozen through the end of a burst: the last frames are skipped
// and nothing comes after them. Once its peer reads again it is told how
// much it missed without waiting for more traffic, and then gets the live
// records that follow.
func TestViewerSkippedAtTheEnd(t *testing.T) {
	peer, v := viewerPair(t, 64<<10)
	frame := appendMessage(nil, &protocol.Message{Conn: 1, Dir: protocol.S2C, At: time.Now(),
		Frame: protocol.Frame{Data: []byte(strings.Repeat("x", 4000)), Size: 4000, Wire: 4001}}, protocol.FramingLines, time.Time{})
	const n = 2000 // 8 MB: far past the socket's buffers and the bound
	for range n {
		v.record(frame, true, gapKey{1, protocol.S2C}, 4001)
	}
	// A bound on the failure only: the marker must come with no more records.
	peer.SetReadDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReaderSize(peer, 1<<20)
	frames, skippedTotal := 0, uint64(0)
	for frames+int(skippedTotal) < n {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("after %d frames and %d skipped: %v", frames, skippedTotal, err)
		}
		switch {
		case strings.HasPrefix(line, `{"type":"frame"`):
			frames++
		case strings.HasPrefix(line, `{"type":"skipped"`):
			var sk skipped
			if err := json.Unmarshal([]byte(line), &sk); err != nil {
				t.Fatal(err)
			}
			skippedTotal += sk.Events
		}
	}
	if skippedTotal == 0 {
		t.Fatalf("nothing was skipped: the test did not fill the buffer")
	}
	closeRec := session.AppendRecord(nil, session.Record{Type: session.TypeClose, Conn: 1, At: time.Now()})
	v.record(closeRec, false, gapKey{}, 0)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, `{"type":"close"`) {
			return
		}
		if strings.HasPrefix(line, `{"type":"frame"`) || strings.HasPrefix(line, `{"type":"skipped"`) {
			t.Fatalf("after the marker, %.60q", line)
		}
	}
}

// viewerPair returns a live, attached viewer of bound max and the peer
// reading from it.
func viewerPair(t *testing.T, max int) (net.Conn, *viewer) {
	t.Helper()
	dir, err := os.MkdirTemp("", "fv")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ln, err := net.Listen("unix", filepath.Join(dir, "s"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	peer, err := net.Dial("unix", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	v := newViewer(c, max)
	go v.writeLoop()
	t.Cleanup(v.close)
	v.mu.Lock()
	v.attached, v.live = true, true
	v.mu.Unlock()
	return peer, v
}

// When the instance ends, a viewer gets the records queued for it before
// its connection closes: the last messages and the closes are what it
// wants to see (they were dropped with the buffer).
func TestViewerEndWritesWhatIsQueued(t *testing.T) {
	peer, v := viewerPair(t, 8<<20)
	frame := appendMessage(nil, &protocol.Message{Conn: 1, Dir: protocol.S2C, At: time.Now(),
		Frame: protocol.Frame{Data: []byte(strings.Repeat("x", 4000)), Size: 4000, Wire: 4001}}, protocol.FramingLines, time.Time{})
	const n = 1000 // 4 MB: past the socket's buffers, within the bound
	for range n {
		v.record(frame, true, gapKey{1, protocol.S2C}, 4001)
	}
	v.record(session.AppendRecord(nil, session.Record{Type: session.TypeClose, Conn: 1, At: time.Now()}), false, gapKey{}, 0)
	v.end()
	peer.SetReadDeadline(time.Now().Add(30 * time.Second)) // a bound on the failure only
	br := bufio.NewReaderSize(peer, 1<<20)
	frames, closed := 0, false
	for {
		line, err := br.ReadString('\n')
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		frames += strings.Count(line[:min(len(line), 20)], `"type":"frame"`)
		closed = closed || strings.HasPrefix(line, `{"type":"close"`)
	}
	if frames != n || !closed {
		t.Fatalf("%d frames and the close %v before the end, want %d and the close", frames, closed, n)
	}
	select {
	case <-v.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the writer did not stop after writing everything out")
	}
}
