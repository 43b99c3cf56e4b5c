//go:build linux

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sockscope/session"
)

// TestDecoderApart: a headless run decodes in a process of its own, in a
// session of its own, every thread at nice 19 and its scheduling group too
// (where the kernel groups by session), and still records and sums up every
// call. With --lossless (the traffic waits for the decoder) only the group
// is lowered: it alone can be raised again while the relay waits
// (TestLosslessRaisesTheDecoder).
func TestDecoderApart(t *testing.T) {
	for _, lossless := range []bool{false, true} {
		t.Run("lossless="+strconv.FormatBool(lossless), func(t *testing.T) {
			svc, front := paths(t)
			file := filepath.Join(filepath.Dir(svc), "s.jsonl")
			echoServer(t, svc)
			args := []string{"--headless", "--record", file, "--listen", front, svc}
			if lossless {
				args = append(args, "--lossless")
			}
			p := startCmd(t, nil, lowest(exec.Command(binary, args...)))
			c := dialListening(t, front)
			r := bufio.NewReader(c)
			for id := 1; id <= 3; id++ {
				call(t, c, r, id)
			}
			child := decoderOf(t, p)
			pst, cst := procStat("/proc/"+strconv.Itoa(p.pid())+"/stat"), procStat("/proc/"+strconv.Itoa(child)+"/stat")
			if pst == nil || cst == nil || pst[3] == cst[3] {
				t.Fatalf("sessions: relay %v, decoder %v: want two", pst, cst)
			}
			want := "19"
			if lossless {
				want = "0"
			}
			threads, _ := filepath.Glob("/proc/" + strconv.Itoa(child) + "/task/*/stat")
			for _, th := range threads {
				if st := procStat(th); st != nil && st[16] != want {
					t.Errorf("decoder thread %s at nice %s, want %s", th, st[16], want)
				}
			}
			if len(threads) == 0 {
				t.Fatal("the decoder's process has no threads to read")
			}
			if g := groupNice(child); g != "" && g != "19" && (!lossless || grouping()) {
				t.Errorf("decoder's scheduling group at nice %s, want 19", g)
			}
			if code := p.stop(syscall.SIGINT); code != 0 {
				t.Fatalf("exit %d\nstderr:\n%s", code, p.err.String())
			}
			if !strings.Contains(p.out.String(), "3 requests: 3 ok") {
				t.Fatalf("summary %q: want the 3 calls", p.out.String())
			}
			recs, err := session.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if n := countType(recs, session.TypeFrame); n != 6 || recs[len(recs)-1].Type != session.TypeEnd {
				t.Fatalf("%d frames, last record %q: want 6 frames and an end", n, recs[len(recs)-1].Type)
			}
		})
	}
}

// TestLosslessRaisesTheDecoder: with --lossless, a decoder that falls
// behind (stopped, here) makes the relay wait, and its scheduling group is
// raised to the normal priority while the relay waits, then lowered again.
func TestLosslessRaisesTheDecoder(t *testing.T) {
	if !grouping() {
		t.Skip("no scheduling groups by session here (/proc/PID/autogroup)")
	}
	svc, front := paths(t)
	echoServer(t, svc)
	p := startCmd(t, nil, lowest(exec.Command(binary, "--headless", "--lossless", "--listen", front, svc)))
	c := dialListening(t, front)
	child := stopDecoder(t, p)
	if g := groupNice(child); g != "19" {
		t.Fatalf("the decoder's group at nice %s before the relay waited, want 19", g)
	}
	done := flood(c)
	eventually(t, "the decoder's group raised while the relay waits", func() bool { return groupNice(child) == "0" })
	syscall.Kill(child, syscall.SIGCONT)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	eventually(t, "the decoder's group lowered again", func() bool { return groupNice(child) == "19" })
	if code := p.stop(syscall.SIGINT); code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, p.err.String())
	}
	if !strings.Contains(p.out.String(), "dropped 0 events") {
		t.Fatalf("summary %q: want nothing dropped", p.out.String())
	}
}

// flood writes 64 MiB of requests on c (of 2 KiB: the echo server reads
// lines of up to 4 KiB), more than the socket buffers and the ring to the
// decoder's process hold, and reads the replies; done says how the writes
// ended.
func flood(c net.Conn) (done <-chan error) {
	line := []byte(`{"jsonrpc":"2.0","id":1,"params":"` + strings.Repeat("x", 2<<10) + `"}` + "\n")
	ch := make(chan error, 1)
	go func() {
		for range 32 << 10 {
			if _, err := c.Write(line); err != nil {
				ch <- err
				return
			}
		}
		ch <- nil
	}()
	go io.Copy(io.Discard, c)
	return ch
}

// TestLosslessDecoderFrozen: with --lossless, a decoder's process that
// stops makes the traffic wait, but not the relay's exit: it is given up
// and killed once it got no further, and the exit status says so.
func TestLosslessDecoderFrozen(t *testing.T) {
	if !grouping() {
		t.Skip("no scheduling groups by session here (/proc/PID/autogroup): nothing says the relay waits")
	}
	svc, front := paths(t)
	echoServer(t, svc)
	p := startSS(t, nil, "--headless", "--lossless", "--listen", front, svc)
	c := dialListening(t, front)
	child := stopDecoder(t, p)
	done := flood(c)
	// The decoder's group is raised as the relay begins to wait for it.
	eventually(t, "the relay waiting for the decoder", func() bool { return groupNice(child) == "0" })
	// The client's writes stall, the relay reading no more of them, and it
	// gives up and goes away: the relay's Close of it waits behind the
	// Data.
	c.SetWriteDeadline(time.Now().Add(2 * time.Second))
	if err := <-done; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the flood ended with %v; want its writes to time out, the relay waiting for the decoder", err)
	}
	c.Close()
	if code := p.stop(syscall.SIGINT); code != 1 {
		t.Fatalf("exit %d, want 1\nstderr:\n%s", code, p.err.String())
	}
	if !gone(child) {
		t.Fatal("the frozen decoder's process outlived the relay")
	}
}

// TestDecoderKilled: the decoder's process killed mid-run takes nothing
// from the traffic: the relay says so and goes on, and its exit status
// says the decoding failed.
func TestDecoderKilled(t *testing.T) {
	svc, front := paths(t)
	echoServer(t, svc)
	p := startSS(t, nil, "--headless", "--listen", front, svc)
	c := dialListening(t, front)
	r := bufio.NewReader(c)
	call(t, c, r, 1)
	child := decoderOf(t, p)
	syscall.Kill(child, syscall.SIGKILL)
	// Calls go on while the relay finds out, and after.
	for id := 2; !strings.Contains(p.err.String(), "the decoder's process is gone"); id++ {
		call(t, c, r, id)
		if id > 100000 {
			t.Fatalf("the relay never noticed its decoder died\nstderr:\n%s", p.err.String())
		}
	}
	c2 := dialListening(t, front)
	call(t, c2, bufio.NewReader(c2), 1)
	if code := p.stop(syscall.SIGINT); code != 1 {
		t.Fatalf("exit %d, want 1\nstderr:\n%s", code, p.err.String())
	}
}

// TestDecoderFrozen: a decoder's process that stops (SIGSTOP: a debugger, a
// machine out of memory) takes nothing from the traffic, which goes on past
// everything the pipe and the relay's queue hold, and does not keep the
// relay from exiting: it is killed once the relay has waited for it long
// enough, and the exit status says so.
func TestDecoderFrozen(t *testing.T) {
	svc, front := paths(t)
	echoServer(t, svc)
	p := startSS(t, nil, "--headless", "--listen", front, svc)
	child := stopDecoder(t, p)
	c := dialListening(t, front)
	bigCalls(t, c, bufio.NewReader(c))
	if code := p.stop(syscall.SIGINT); code != 1 {
		t.Fatalf("exit %d, want 1\nstderr:\n%s", code, p.err.String())
	}
	if !gone(child) {
		t.Fatal("the frozen decoder's process outlived the relay")
	}
}

// TestDecoderResumes: while the decoder's process is stopped the relay
// drops its copy of the traffic (counted, and marked as gaps); resumed, it
// decodes what comes after as before: the calls made then pair.
func TestDecoderResumes(t *testing.T) {
	svc, front := paths(t)
	file := filepath.Join(filepath.Dir(svc), "s.jsonl")
	echoServer(t, svc)
	p := startSS(t, nil, "--headless", "--record", file, "--listen", front, svc)
	child := stopDecoder(t, p)
	c := dialListening(t, front)
	r := bufio.NewReader(c)
	bigCalls(t, c, r)
	syscall.Kill(child, syscall.SIGCONT)
	// Calls, one at a time, until three in a row are recorded and paired:
	// the decoder first catches up with what the pipe and the relay's queue
	// still hold, and while the pipe is full the relay drops its copy of
	// what comes (a call's reply, once in CI), as it should.
	id := 100000
	var out string
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("show --dump of the recording, as last read:\n%s", out)
		}
	})
	eventually(t, "three calls in a row paired after the decoder resumed", func() bool {
		id++
		call(t, c, r, id)
		out, _ = showRun(t, "show", "--dump", file)
		row := 0
		for k := 100001; k <= id; k++ {
			if !strings.Contains(out, fmt.Sprintf(`"id":%d,"method":"echo","status":"ok"`, k)) {
				row = 0
			} else if row++; row == 3 {
				return true
			}
		}
		return false
	})
	if code := p.stop(syscall.SIGINT); code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, p.err.String())
	}
	if strings.Contains(p.out.String(), "dropped 0 events") {
		t.Fatalf("summary %q: want drops", p.out.String())
	}
	if !strings.Contains(out, `"type":"gap"`) {
		t.Error("no gap in the recording where the relay dropped")
	}
}

// TestRelayKilledEndsTheRecording: the relay's process killed mid-run (no
// chance to clean up) ends the events, and the decoder's process finishes
// the recording as a clean stop does, with an end record. (What the relay
// had not yet handed over, a few milliseconds of traffic at most, is lost
// with it.)
func TestRelayKilledEndsTheRecording(t *testing.T) {
	svc, front := paths(t)
	file := filepath.Join(filepath.Dir(svc), "s.jsonl")
	echoServer(t, svc)
	p := startSS(t, nil, "--headless", "--record", file, "--listen", front, svc)
	c := dialListening(t, front)
	r := bufio.NewReader(c)
	for id := 1; id <= 3; id++ {
		call(t, c, r, id)
	}
	child := decoderOf(t, p)
	eventually(t, "the 6 frames in the file", func() bool {
		recs, _ := session.ReadFile(file)
		return countType(recs, session.TypeFrame) == 6
	})
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.wait()
	eventually(t, "the decoder's process to end", func() bool { return gone(child) })
	recs, err := session.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if n := countType(recs, session.TypeFrame); n != 6 || recs[len(recs)-1].Type != session.TypeEnd {
		t.Fatalf("%d frames, last record %q: want 6 frames and an end", n, recs[len(recs)-1].Type)
	}
}

// TestRelayKilledDuringTakeover: the relay's process killed while it
// holds a taken-over path cannot give the path back; the decoder's
// process, which outlives it, says so and what to run.
func TestRelayKilledDuringTakeover(t *testing.T) {
	path := takeoverServer(t)
	p := startSS(t, nil, "--headless", path)
	p.waitStderr("listening on")
	roundTrip(t, path, "through\n")
	child := decoderOf(t, p)
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.wait()
	eventually(t, "the decoder's process to end", func() bool { return gone(child) })
	p.waitStderr("sockscope: " + path + " is still taken over: run sockscope restore " + path + "\n")
	if out, err := exec.Command(binary, "restore", path).CombinedOutput(); err != nil {
		t.Fatalf("sockscope restore: %v: %s", err, out)
	}
	roundTrip(t, path, "direct\n")
}

// bigCalls makes 12,000 calls of 3 KiB, one at a time, on c: 40 MiB, more
// than the pipe and the queues between the relay and its decoder hold.
func bigCalls(t *testing.T, c net.Conn, r *bufio.Reader) {
	t.Helper()
	params := strings.Repeat("x", 3<<10)
	for id := 1; id <= 12000; id++ {
		fmt.Fprintf(c, `{"jsonrpc":"2.0","id":%d,"method":"echo","params":"%s"}`+"\n", id, params)
		c.SetReadDeadline(time.Now().Add(time.Minute))
		if _, err := r.ReadString('\n'); err != nil {
			t.Fatalf("call %d: %v", id, err)
		}
	}
}

// recordGap records a session with a gap through the real binary, and
// returns the session file: the decoder's process stopped while bigCalls
// pass (the relay drops its copy and says so in the file), then continued,
// and calls made until one is recorded paired after the gap.
func recordGap(t *testing.T) string {
	t.Helper()
	svc, front := paths(t)
	file := filepath.Join(filepath.Dir(svc), "s.jsonl")
	echoServer(t, svc)
	p := startSS(t, nil, "--headless", "--record", file, "--listen", front, svc)
	child := stopDecoder(t, p)
	c := dialListening(t, front)
	r := bufio.NewReader(c)
	bigCalls(t, c, r)
	syscall.Kill(child, syscall.SIGCONT)
	id := 100000
	eventually(t, "a call after the gap paired", func() bool {
		id++
		call(t, c, r, id)
		out, _ := showRun(t, "show", "--dump", file)
		return strings.Contains(out, fmt.Sprintf(`"id":%d,"method":"echo","status":"ok"`, id))
	})
	c.Close()
	if code := p.stop(syscall.SIGINT); code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, p.err.String())
	}
	return file
}

// stopDecoder stops (SIGSTOP) the decoder's process of p once it runs, and
// returns its pid; it is continued at the test's end.
func stopDecoder(t *testing.T, p *ssProc) int {
	t.Helper()
	p.waitStderr("listening on") // the decoder's process has said it runs
	child := decoderOf(t, p)
	syscall.Kill(child, syscall.SIGSTOP)
	t.Cleanup(func() { syscall.Kill(child, syscall.SIGCONT) })
	return child
}
