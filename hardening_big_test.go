//go:build unix

package main

import (
	"bytes"
	"hash/crc32"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// digest counts and checksums the bytes written to it.
type digest struct {
	n   int64
	sum uint32
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (d *digest) Write(p []byte) (int, error) {
	d.n += int64(len(p))
	d.sum = crc32.Update(d.sum, castagnoli, p)
	return len(p), nil
}

// hashedEcho echoes a connection and sends the digest of what it read on
// got once the client has finished.
func hashedEcho(got chan<- digest) func(net.Conn) {
	return func(c net.Conn) {
		var d digest
		io.Copy(c, io.TeeReader(c, &d))
		got <- d
	}
}

// send writes size bytes to a new connection to addr: prefix, then 'x'
// up to size, then suffix, in big writes. It reads the echo concurrently
// and returns the digests of what was sent and what came back.
func send(t *testing.T, addr string, size int64, prefix, suffix string) (sent, back digest) {
	t.Helper()
	c, err := net.Dial("unix", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Minute))
	read := make(chan error, 1)
	go func() {
		_, err := io.Copy(&back, c)
		read <- err
	}()
	block := bytes.Repeat([]byte("x"), 1<<20)
	w := io.MultiWriter(c, &sent)
	if _, err := io.WriteString(w, prefix); err != nil {
		t.Fatal(err)
	}
	for left := size - int64(len(prefix)+len(suffix)); left > 0; {
		n := min(left, int64(len(block)))
		if _, err := w.Write(block[:n]); err != nil {
			t.Fatal(err)
		}
		left -= n
	}
	if _, err := io.WriteString(w, suffix); err != nil {
		t.Fatal(err)
	}
	c.(*net.UnixConn).CloseWrite()
	if err := <-read; err != nil {
		t.Fatal(err)
	}
	return sent, back
}

// A 64 MiB frame and a 1 GiB stream without a newline, echoed: forwarded
// byte-exact both ways, kept truncated with their true size in --dump and
// in the session file, and sockscope's peak memory stays under the store
// cap plus 200 MiB.
func TestHugeFrames(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 2.1 GiB")
	}
	const (
		frame     = 64 << 20
		stream    = 1 << 30
		storeCap  = 64 << 20
		hwmBound  = (storeCap + 200<<20) >> 10 // KiB
		frameHead = `{"jsonrpc":"2.0","method":"big","params":"`
	)
	svc, front := paths(t)
	rec := filepath.Join(filepath.Dir(svc), "s.jsonl")
	got := make(chan digest, 2)
	startUpstream(t, svc, hashedEcho(got))
	p := startSS(t, nil, "--dump", "--lossless", "--max-bytes", strconv.Itoa(storeCap), "--record", rec, "--listen", front, svc)
	waitListening(t, front)
	<-got // the digest of waitListening's probe: nothing

	start := time.Now()
	sent, back := send(t, front, frame+1, frameHead, `"}`+"\n")
	frameTime := time.Since(start)
	if up := <-got; up != sent || back != sent {
		t.Errorf("64 MiB frame: sent %+v, upstream read %+v, echo %+v", sent, up, back)
	}
	start = time.Now()
	sent, back = send(t, front, stream, `{"jsonrpc":"2.0","method":"stream","params":"`, "")
	streamTime := time.Since(start)
	if up := <-got; up != sent || back != sent {
		t.Errorf("1 GiB stream: sent %+v, upstream read %+v, echo %+v", sent, up, back)
	}
	eventually(t, "both connections' ends in the dump", func() bool {
		return bytes.Count(p.out.Bytes(), []byte(`{"type":"close"`)) == 2
	})
	hwm := procKiB(t, p.pid(), "VmHWM")
	if hwm > hwmBound {
		t.Errorf("VmHWM %d KiB, want under %d KiB (store cap + 200 MiB)", hwm, hwmBound)
	}
	if code := p.stop(os.Interrupt); code != 0 {
		t.Fatalf("exit %d: %s", code, p.err.String())
	}
	t.Logf("64 MiB frame echoed in %v, 1 GiB stream echoed in %v; VmHWM %d KiB", frameTime.Round(time.Millisecond), streamTime.Round(time.Millisecond), hwm)

	// Each size shows up once per direction, truncated, in both records.
	want := map[int64]int{frame: 2, stream: 2}
	dumped := map[int64]int{}
	for _, l := range dumpLines(t, p.out.Bytes()) {
		if l["type"] == "message" {
			size := int64(l["size"].(float64))
			if l["truncated"] != true || l["reason"] == nil {
				t.Errorf("message of %d bytes not shown truncated with a reason: truncated %v, reason %v", size, l["truncated"], l["reason"])
			}
			dumped[size]++
		}
	}
	recorded := map[int64]int{}
	for _, r := range recordedFrames(t, rec) {
		if !r.Truncated || len(r.Data) >= r.Size {
			t.Errorf("recorded frame of %d bytes keeps %d, truncated %v", r.Size, len(r.Data), r.Truncated)
		}
		recorded[int64(r.Size)]++
	}
	for size, n := range want {
		if dumped[size] != n || recorded[size] != n {
			t.Errorf("size %d: %d in the dump, %d in the session, want %d each (dump %v, session %v)", size, dumped[size], recorded[size], n, dumped, recorded)
		}
	}
}

// The 1 GiB stream again in the default mode, where the observer may drop
// what it cannot keep up with: the bytes still arrive exact, and memory
// stays bounded with the default store cap.
func TestHugeStreamDefaultMode(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 2 GiB")
	}
	const stream, hwmBound = 1 << 30, (256<<20 + 200<<20) >> 10 // KiB
	svc, front := paths(t)
	got := make(chan digest, 1)
	startUpstream(t, svc, hashedEcho(got))
	p := startSS(t, nil, "--headless", "--listen", front, svc)
	waitListening(t, front)
	<-got // the digest of waitListening's probe: nothing
	start := time.Now()
	sent, back := send(t, front, stream, `{"jsonrpc":"2.0","method":"stream","params":"`, "")
	elapsed := time.Since(start)
	if up := <-got; up != sent || back != sent {
		t.Errorf("1 GiB stream: sent %+v, upstream read %+v, echo %+v", sent, up, back)
	}
	hwm := procKiB(t, p.pid(), "VmHWM")
	if hwm > hwmBound {
		t.Errorf("VmHWM %d KiB, want under %d KiB (default store cap + 200 MiB)", hwm, hwmBound)
	}
	if code := p.stop(os.Interrupt); code != 0 {
		t.Fatalf("exit %d: %s", code, p.err.String())
	}
	t.Logf("1 GiB stream echoed in %v without --lossless; VmHWM %d KiB; %s", elapsed.Round(time.Millisecond), hwm, strings.TrimSpace(p.out.String()))
}
