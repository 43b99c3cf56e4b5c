//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// The session file's gaps, as sessionspec_e2e_test.go checks the rest:
// linux only, as stopDecoder is.

// A gap: the decoder's process stopped while 40 MiB of calls pass
// (recordGap), the relay drops its copy and says so in the file.
func TestSessionSpecGap(t *testing.T) {
	file := recordGap(t)
	py := specCheck(t, file)
	if len(py.Segments) != 1 || len(py.Segments[0].Gaps) == 0 || py.Segments[0].Gaps[0].Line > py.Segments[0].Frames[len(py.Segments[0].Frames)-1].Line ||
		py.Segments[0].End == nil ||
		py.Segments[0].End.DroppedBytes == nil || *py.Segments[0].End.DroppedBytes == 0 {
		t.Fatalf("want one segment with gaps and its drops counted in its end: %+v", py.Segments[0].End)
	}
}

// A gap inside an HTTP body: nginx sends 40 MiB while the decoder's
// process is stopped; the message counts the bytes its copy lost.
func TestSessionSpecHTTPGap(t *testing.T) {
	need(t, "curl")
	dir := shortDir(t)
	up := startNginx(t, dir)
	os.WriteFile(filepath.Join(dir, "html", "huge.txt"), bytes.Repeat([]byte("0123456789abcdef\n"), 40<<20/17), 0o644)
	front, file := filepath.Join(dir, "front.sock"), filepath.Join(dir, "s.jsonl")
	p := startSS(t, nil, "--headless", "-w", file, "--listen", front, up)
	child := stopDecoder(t, p)
	curl := func(urls ...string) {
		t.Helper()
		if out, err := exec.Command("curl", append([]string{"-sS", "-o", "/dev/null", "--unix-socket", front}, urls...)...).CombinedOutput(); err != nil {
			t.Fatalf("curl %v: %v\n%s", urls, err, out)
		}
	}
	curl("http://x/huge.txt")
	syscall.Kill(child, syscall.SIGCONT)
	n := 0
	eventually(t, "a request recorded after the decoder resumed", func() bool {
		n++
		curl(fmt.Sprintf("http://x/json?n=%d", n))
		b, _ := os.ReadFile(file)
		return bytes.Contains(b, []byte(fmt.Sprintf("GET /json?n=%d ", n)))
	})
	if code := p.stop(syscall.SIGINT); code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, p.err.String())
	}
	py := specCheck(t, file)
	if framesWhere(py, func(f pyFrame) bool { return f.Truncated && f.Err != nil && f.Framing == "http" }) == 0 {
		t.Error("no HTTP message a gap went through")
	}
}
