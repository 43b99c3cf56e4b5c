//go:build linux

package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"sockscope/session"
)

// Recording fails part-way (the file system fills up, or the file may grow
// no further): the traffic goes on unharmed, sockscope exits non-zero
// saying that recording stopped and why, and the file holds every frame up
// to that point, in order.
func TestRecordingStops(t *testing.T) {
	t.Run("full file system", func(t *testing.T) {
		dir := shortDir(t)
		if err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).Run(); err != nil {
			t.Skipf("cannot mount a 1 MiB tmpfs (needs root): %v", err)
		}
		t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
		rec := filepath.Join(dir, "s.jsonl")
		recordUntilStopped(t, rec, "no space left on device", func(args ...string) *exec.Cmd {
			return exec.Command(binary, args...)
		})
	})
	t.Run("file size limit", func(t *testing.T) {
		prlimit, err := exec.LookPath("prlimit")
		if err != nil {
			t.Skip("no prlimit")
		}
		rec := filepath.Join(shortDir(t), "s.jsonl")
		recordUntilStopped(t, rec, "file too large", func(args ...string) *exec.Cmd {
			return exec.Command(prlimit, append([]string{"--fsize=1048576", "--", binary}, args...)...)
		})
	})
}

// recordUntilStopped runs sockscope recording to rec, moves about 8 MiB of
// calls through it, and checks the run's end and the file.
func recordUntilStopped(t *testing.T, rec, why string, command func(args ...string) *exec.Cmd) {
	const calls = 4000
	svc, front := paths(t)
	startUpstream(t, svc, echoBytes)
	p := startCmd(t, nil, command("--headless", "--record", rec, "--listen", front, svc))
	waitListening(t, front)
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat("p", 1000)
	for i := 1; i <= calls; i++ {
		echo(t, c, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"put","params":"%s"}`+"\n", i, pad))
	}
	c.Close()
	code := p.stop(os.Interrupt)
	stderr := p.err.String()
	if code == 0 || !strings.Contains(stderr, "recording stopped: ") || !strings.Contains(stderr, rec) || !strings.Contains(stderr, why) {
		t.Errorf("exit %d, stderr %q: want non-zero and recording stopped: …%s: …%s", code, stderr, rec, why)
	}

	fi, err := os.Stat(rec)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := session.ReadFile(rec)
	if err != nil {
		t.Fatalf("reading what was recorded: %v", err)
	}
	next := [2]int{1, 1} // the id expected next, by direction
	for _, r := range recs {
		if r.Type != session.TypeFrame {
			continue
		}
		want := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"put","params":"%s"}`, next[r.Dir], pad)
		if string(r.Data) != want {
			t.Fatalf("%s frame %d of the file is %.80q, want %.80q", r.Dir, next[r.Dir], r.Data, want)
		}
		next[r.Dir]++
	}
	if next[0] < 100 || next[0] > calls {
		t.Errorf("the file holds %d frames c2s: want the ones until it filled", next[0]-1)
	}
	t.Logf("%d calls (%d KiB each way) all echoed; the file stopped at %d bytes with %d+%d frames: %s",
		calls, calls*len(pad)/1024, fi.Size(), next[0]-1, next[1]-1, strings.TrimSpace(stderr[strings.LastIndex(stderr, "sockscope: recording"):]))
}
