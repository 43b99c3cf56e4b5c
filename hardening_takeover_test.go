//go:build unix

package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// takeoverServer is a live server at dir/app.sock that echoes; it returns
// the path.
func takeoverServer(t *testing.T) string {
	t.Helper()
	path := filepath.Join(shortDir(t), "app.sock")
	startUpstream(t, path, echoBytes)
	return path
}

// onlyFile checks that dir holds nothing but the socket: no moved socket,
// marker or temporary name was left behind.
func onlyFile(t *testing.T, path string) {
	t.Helper()
	ents, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != filepath.Base(path) {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %q, want only %s", names, filepath.Base(path))
	}
}

// `sockscope --dump PATH` without --listen takes over a live Unix socket:
// clients of PATH go through it, and on SIGTERM, SIGHUP or SIGINT the
// server's own socket is back at PATH and answers directly.
func TestTakeoverThroughBinary(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			path := takeoverServer(t)
			p := startSS(t, nil, "--dump", path)
			p.waitStderr("took over " + path)
			msg := `{"jsonrpc":"2.0","id":7,"method":"via"}` + "\n"
			roundTrip(t, path, msg)
			// The message reaches the dump before the connection's close.
			eventually(t, "the close of the connection in the dump", func() bool {
				return strings.Contains(p.out.String(), `{"type":"close","conn":1`)
			})
			if code := p.stop(sig); code != 0 {
				t.Errorf("exit %d after %v: %s", code, sig, p.err.String())
			}
			var via bool
			for _, l := range dumpLines(t, p.out.Bytes()) {
				via = via || l["type"] == "message" && l["method"] == "via"
			}
			if !via {
				t.Errorf("the client did not go through sockscope:\n%s", p.out.String())
			}
			if want := "sockscope: put the server's socket back at " + path + "\n"; !strings.Contains(p.err.String(), want) {
				t.Errorf("stderr %q does not say %q", p.err.String(), want)
			}
			roundTrip(t, path, "direct\n")
			onlyFile(t, path)
		})
	}
}

// After SIGKILL the server's socket is still aside; `sockscope restore
// PATH` puts it back.
func TestTakeoverRestoreAfterKill(t *testing.T) {
	path := takeoverServer(t)
	p := startSS(t, nil, "--headless", path)
	p.waitStderr("took over " + path)
	roundTrip(t, path, "through\n")
	p.stop(syscall.SIGKILL)
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		t.Fatal("the path still answers after sockscope was killed: nothing to restore?")
	}
	out, err := exec.Command(binary, "restore", path).CombinedOutput()
	if want := "put the server's socket back at " + path + "\n"; err != nil || string(out) != want {
		t.Fatalf("sockscope restore: %v: %q, want %q", err, out, want)
	}
	roundTrip(t, path, "direct\n")
	onlyFile(t, path)
}

// A give-back that fails says which path once: "sockscope: restore PATH:
// …" (it said "restoring PATH: restore PATH: …"). Here another server
// replaced sockscope's socket at the path while the first still answers
// at the moved name, so sockscope leaves both to a person.
func TestTakeoverRestoreErrorSaidOnce(t *testing.T) {
	path := takeoverServer(t)
	p := startSS(t, nil, "--headless", path)
	p.waitStderr("took over " + path)
	os.Remove(path)
	startUpstream(t, path, echoBytes)
	p.stop(syscall.SIGTERM)
	var said string
	for line := range strings.Lines(p.err.String()) {
		if strings.Contains(line, "replaced") && strings.Contains(line, "mv -f") {
			said = line
		}
	}
	if !strings.HasPrefix(said, "sockscope: restore "+path+": ") || strings.Count(said, "restor") != 1 {
		t.Errorf("the give-back's error %q: want it to say \"sockscope: restore %s: \" once\nstderr:\n%s", said, path, p.err.String())
	}
}

// The server stopped while sockscope held its path, removing the file at
// its path (sockscope's, by then) as Go's servers do, and leaving its
// socket at the moved name, where nobody accepts: the give-back removes it
// rather than put a dead socket back at the path, and says so in one line,
// at sockscope's exit and in `sockscope restore` after a SIGKILL.
func TestTakeoverServerStoppedMeanwhile(t *testing.T) {
	dir := shortDir(t)
	path := filepath.Join(dir, "app.sock")
	server := startUpstream(t, path, echoBytes)
	said := "sockscope: the server at " + path + " stopped meanwhile; removed its stale socket\n"

	p := startSS(t, nil, "--headless", path)
	p.waitStderr("took over " + path)
	roundTrip(t, path, "through\n")
	server.kill()
	if code := p.stop(syscall.SIGTERM); code != 0 {
		t.Errorf("exit %d", code)
	}
	if n := strings.Count(p.err.String(), said); n != 1 || strings.Contains(p.err.String(), "restore ") {
		t.Errorf("stderr says %q %d times, want once and no other word of the give-back:\n%s", said, n, p.err.String())
	}
	emptyDir(t, dir)

	server.start()
	p = startSS(t, nil, "--headless", path)
	p.waitStderr("took over " + path)
	p.stop(syscall.SIGKILL)
	server.kill()
	out, err := exec.Command(binary, "restore", path).CombinedOutput()
	if code := exitCode(err); code != 1 || string(out) != said {
		t.Errorf("sockscope restore: exit %d: %q, want exit 1: %q", code, out, said)
	}
	emptyDir(t, dir)
}

// The server restarted while sockscope held its path: the new one listens
// at the path itself. Within a second or so sockscope says, once, that new
// clients reach the server past it; at exit it leaves the new socket where
// it is, removes the old one at the moved name, and says so.
func TestTakeoverServerRestartedMeanwhile(t *testing.T) {
	dir := shortDir(t)
	path := filepath.Join(dir, "app.sock")
	server := startUpstream(t, path, echoBytes)
	p := startSS(t, nil, "--dump", path)
	p.waitStderr("took over " + path)
	roundTrip(t, path, "through\n")
	server.kill()
	server.start()
	restarted := inode(t, path)
	warning := "sockscope: warning: another socket replaced sockscope's at " + path + " (the server restarted?)"
	p.waitStderr(warning)
	roundTrip(t, path, "direct\n")
	if code := p.stop(syscall.SIGTERM); code != 0 {
		t.Errorf("exit %d", code)
	}
	stderr := p.err.String()
	if n := strings.Count(stderr, warning); n != 1 {
		t.Errorf("the warning said %d times, want once:\n%s", n, stderr)
	}
	moved := filepath.Join(dir, ".app.sock.sockscope-"+strconv.Itoa(p.pid()))
	if want := "sockscope: the server was restarted meanwhile and listens at " + path + " again: left its new socket alone and removed its old one, " + moved + "\n"; !strings.Contains(stderr, want) {
		t.Errorf("stderr does not say %q:\n%s", want, stderr)
	}
	if ino := inode(t, path); ino != restarted {
		t.Errorf("the path holds inode %d after sockscope exited, not the restarted server's %d", ino, restarted)
	}
	roundTrip(t, path, "direct\n")
	onlyFile(t, path)
}

// The server restarted after sockscope was killed holding its path, and
// its old socket at the moved name was removed too: `sockscope restore`
// says so and exits 0, leaving the new socket where it is (it said
// "nothing had been moved", which was false).
func TestTakeoverRestoreAfterRestart(t *testing.T) {
	dir := shortDir(t)
	path := filepath.Join(dir, "app.sock")
	server := startUpstream(t, path, echoBytes)
	p := startSS(t, nil, "--headless", path)
	p.waitStderr("took over " + path)
	p.stop(syscall.SIGKILL)
	moved := filepath.Join(dir, ".app.sock.sockscope-"+strconv.Itoa(p.pid()))
	server.kill() // its listener's close removes the path: sockscope's socket
	os.Remove(moved)
	server.start()
	restarted := inode(t, path)
	out, err := exec.Command(binary, "restore", path).CombinedOutput()
	want := "the server was restarted meanwhile and listens at " + path + " again: left its new socket alone; its old one, " + moved + ", was gone already: nothing to give back\n"
	if code := exitCode(err); code != 0 || string(out) != want {
		t.Errorf("sockscope restore: exit %d: %q, want exit 0: %q", code, out, want)
	}
	if ino := inode(t, path); ino != restarted {
		t.Errorf("the path holds inode %d after the restore, not the restarted server's %d", ino, restarted)
	}
	roundTrip(t, path, "direct\n")
	onlyFile(t, path)
}

// emptyDir checks that nothing is left in dir.
func emptyDir(t *testing.T, dir string) {
	t.Helper()
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("%s holds %q, want nothing", dir, names)
	}
}

// exitCode is the exit status of a command that ended with err.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// A TCP address cannot be taken over; the message says to use --listen.
func TestTakeoverRefusesTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p := startSS(t, nil, "--headless", ln.Addr().String())
	if code := p.wait(); code == 0 {
		t.Error("take-over of a TCP address exited 0")
	}
	if msg := p.err.String(); !strings.Contains(msg, "--listen") || !strings.Contains(msg, "take-over") {
		t.Errorf("stderr %q does not ask for --listen", msg)
	}
}

// A named pipe cannot be taken over either, on any system; the message says
// why and names the --listen to use instead.
func TestTakeoverRefusesPipe(t *testing.T) {
	p := startSS(t, nil, "--headless", `pipe:app`)
	if code := p.wait(); code == 0 {
		t.Error("take-over of a pipe exited 0")
	}
	msg := p.err.String()
	for _, want := range []string{"can't be taken over", "can't be renamed", `--listen pipe:app-debug \\.\pipe\app`} {
		if !strings.Contains(msg, want) {
			t.Errorf("stderr %q does not say %q", msg, want)
		}
	}
}

// Stopping, sockscope puts the server's socket back before it waits for
// its decoder: with the decoder's process stopped (waited for in 5 s
// ticks), the server's own socket is at the path, and answers, while
// sockscope is still finishing. The path had pointed at a socket nobody
// accepted on until sockscope exited, 7.5 s later.
func TestTakeoverRestoresBeforeTheDecoderFinishes(t *testing.T) {
	path := takeoverServer(t)
	server := inode(t, path)
	p := startSS(t, nil, "--headless", path)
	p.waitStderr("took over " + path)
	roundTrip(t, path, "through\n")
	dec := decoderOf(t, p)
	syscall.Kill(dec, syscall.SIGSTOP)
	defer syscall.Kill(dec, syscall.SIGCONT)
	p.cmd.Process.Signal(syscall.SIGTERM)
	eventually(t, "the server's socket back at the path", func() bool { return inode(t, path) == server })
	select {
	case <-p.done:
		t.Fatal("sockscope had exited before the server's socket was back: it was put back only at the end")
	default:
	}
	roundTrip(t, path, "direct\n")
	syscall.Kill(dec, syscall.SIGCONT)
	p.wait()
	onlyFile(t, path)
}

// inode is the inode of the file at path, 0 when there is none.
func inode(t *testing.T, path string) uint64 {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0
	}
	return st.Ino
}

// A bad flag is refused before the socket is taken over: it was taken
// over, then given back, for a run that could not start.
func TestTakeoverBadFlagTakesNothing(t *testing.T) {
	dir := shortDir(t)
	svc := filepath.Join(dir, "svc.sock")
	seedServer(t, svc)
	_, errOut, status := runStatus(t, "--headless", "--framing", "bogus", svc)
	if status != 2 || !strings.Contains(errOut, `--framing "bogus": want one of`) || strings.Contains(errOut, "took over") {
		t.Errorf("status %d: %s", status, errOut)
	}
}

// Delve's DAP server (dlv dap) serves one session, and exits when its
// connection closes: taking its socket over and giving it back must not
// connect to it (the kernel says it listens), or the server is gone before
// any client came. Before, the take-over's check that someone listens was
// dlv's session: dlv exited, and the take-over failed with "could not move
// the server's socket aside: … no such file or directory".
func TestTakeoverDelve(t *testing.T) {
	dlv := dlvPath(t)
	path := filepath.Join(shortDir(t), "d.sock")
	cmd := exec.Command(dlv, "dap", "--listen", "unix:"+path)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || !strings.Contains(line, "listening") {
		t.Fatalf("dlv dap said %q, %v", line, err)
	}
	p := startSS(t, nil, "--headless", path)
	p.waitStderr("took over " + path)
	if code := p.stop(syscall.SIGTERM); code != 0 || !strings.Contains(p.err.String(), "put the server's socket back at "+path) {
		t.Fatalf("exit %d: %s", code, p.err.String())
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("dlv at its path again: %v", err)
	}
	defer c.Close()
	b := []byte(`{"seq":1,"type":"request","command":"initialize","arguments":{"adapterID":"go"}}`)
	fmt.Fprintf(c, "Content-Length: %d\r\n\r\n%s", len(b), b)
	if m, err := readDAP(bufio.NewReader(c)); err != nil || m["command"] != "initialize" || m["success"] != true {
		t.Fatalf("initialize, straight to dlv after the give-back: %v, %v", m, err)
	}
}
