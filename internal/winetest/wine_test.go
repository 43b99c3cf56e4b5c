//go:build linux

package winetest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sockscope/session"
)

// perClient is how many requests a client sends one at a time, and again
// pipelined, before its bye.
const perClient = 100

// TestNamedPipesUnderWine runs the real sockscope.exe under wine between a
// seed-protocol pipe server and pipe clients of its own (pipepeer): the very
// first client is answered, every reply arrives byte for byte, every
// exchange is in --dump and in the session file with the client's pid and
// image name, the pipe's security descriptor reads back as set, and a TCP
// client that half-closes towards a pipe server sees the end of the stream.
func TestNamedPipesUnderWine(t *testing.T) {
	w := newWine(t)
	w.goBuild("sockscope", "sockscope/internal/winetest/pipepeer")
	peer, ss := w.exe("pipepeer"), w.exe("sockscope")
	tag := strconv.Itoa(os.Getpid())
	up, front := `\\.\pipe\sockscope-wt-up-`+tag, `\\.\pipe\sockscope-wt-`+tag
	start := time.Now()

	server := w.start("server", "wine", peer, "server", up)
	if code := w.run(time.Minute, "probe", "wine", peer, "probe", up); code != 0 {
		t.Fatalf("the pipe server never answered: %s %s", w.lastLog(), readFile(server.err))
	}
	record := filepath.Join(w.dir, "session.ssr")
	scope := w.start("sockscope", "wine", ss, "--dump", "-w", record, "--listen", "pipe:sockscope-wt-"+tag, up)

	// The first client: sockscope's listener just came up, and this is
	// the first connection it gets; it must be answered (go-winio's hidden
	// instance, see proxy). It starts once sockscope says it listens: a
	// client that connects while the pipe is being created can still land
	// on that instance (see the README), and the test is not about that.
	w.waitOutput(scope, scope.err, "sockscope: listening on ")
	pids := map[int]bool{}
	first := w.start("client-first", "wine", peer, "client", front, strconv.Itoa(perClient))
	pids[w.clientPID(first)] = true
	var clients []*winProc
	for i := range 3 {
		clients = append(clients, w.start(fmt.Sprintf("client-%d", i), "wine", peer, "client", front, strconv.Itoa(perClient)))
	}
	for _, c := range clients {
		pids[w.clientPID(c)] = true
	}

	sddl, user, sdPID := w.readSD(peer, front)
	if want := "O:" + user + "D:P(A;;FA;;;" + user + ")(A;;FA;;;SY)(A;;FA;;;BA)"; sddl != want {
		t.Errorf("the pipe's security descriptor reads back as %s, want %s", sddl, want)
	}
	if !w.endedCleanly(scope, w.interrupt(scope), scope.err, "sockscope: 5 connections") {
		t.Errorf("sockscope exited %d (%s) after Ctrl-C: %s", scope.code, scope.state, readFile(scope.err))
	}
	checkDump(t, readFile(scope.out), pids, sdPID)
	checkSession(t, record, pids)

	// --pipe-sddl is what the pipe gets, and --headless prints its summary.
	custom := "O:" + user + "D:P(A;;FA;;;" + user + ")"
	scope2 := w.start("sockscope-sddl", "wine", ss, "--headless", "--pipe-sddl", custom, "--listen", "pipe:sockscope-wt-sddl-"+tag, up)
	w.waitOutput(scope2, scope2.err, "sockscope: listening on ")
	if got, _, _ := w.readSD(peer, `\\.\pipe\sockscope-wt-sddl-`+tag); got != custom {
		t.Errorf("with --pipe-sddl %s the pipe reads back as %s", custom, got)
	}
	w.interrupt(scope2)
	if out := readFile(scope2.out); !strings.Contains(out, "sockscope: 1 connection ") {
		t.Errorf("--headless summary: %q", out)
	}

	halfCloseTCPToPipe(t, w, ss, up)
	if !w.endedCleanly(server, w.interrupt(server), server.out, "server: stopped:") {
		t.Errorf("the pipe server exited %d (%s): %s", server.code, server.state, readFile(server.err))
	}
	t.Logf("wine part (after the prefix and the builds) took %v", time.Since(start).Round(time.Millisecond))
}

// clientPID waits for client p and returns the pid it reported.
func (w *wine) clientPID(p *winProc) int {
	w.t.Helper()
	if code := w.wait(p, 3*time.Minute); !w.endedCleanly(p, code, p.out, "ok pid=") {
		w.t.Fatalf("%s exited %d (%s): %s", p.name, code, p.state, readFile(p.err))
	}
	want := fmt.Sprintf("requests=%d", 2*perClient+1)
	var pid int
	out := readFile(p.out)
	if _, err := fmt.Sscanf(out, "ok pid=%d "+want, &pid); err != nil {
		w.t.Fatalf("%s said %q, want ok pid=N %s", p.name, out, want)
	}
	return pid
}

// readSD reads the security descriptor of pipe from another wine process.
func (w *wine) readSD(peer, pipe string) (sddl, user string, pid int) {
	w.t.Helper()
	p := w.start("sd", "wine", peer, "sd", pipe)
	if code := w.wait(p, time.Minute); !w.endedCleanly(p, code, p.out, "pid=") {
		w.t.Fatalf("reading the security descriptor: exit %d (%s): %s", code, p.state, readFile(p.err))
	}
	for _, line := range strings.Split(readFile(p.out), "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
		switch k {
		case "sddl":
			sddl = v
		case "user":
			user = v
		case "pid":
			pid, _ = strconv.Atoi(v)
		}
	}
	return sddl, user, pid
}

// checkDump checks sockscope's --dump: every client connection opened with
// the client's pid and image name, every request and reply is there byte
// for byte, every exchange is paired and ok, and it ended cleanly.
func checkDump(t *testing.T, dump string, pids map[int]bool, sdPID int) {
	t.Helper()
	type line struct {
		Type, Dir, Method, Status, Process, Error string
		Conn                                      uint64
		PID                                       int
		ID                                        json.RawMessage
		Frame                                     json.RawMessage
	}
	byConn := map[uint64][]line{}
	for _, s := range strings.Split(strings.TrimSpace(dump), "\n") {
		var l line
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatalf("dump line %q: %v", s, err)
		}
		byConn[l.Conn] = append(byConn[l.Conn], l)
	}
	seen, sdSeen := map[int]bool{}, false
	for conn, ls := range byConn {
		open := ls[0]
		if open.Type != "open" || open.Process != "pipepeer.exe" {
			t.Errorf("conn %d opens with %+v, want an open by pipepeer.exe", conn, open)
			continue
		}
		if open.PID == sdPID {
			sdSeen = true
			continue
		}
		if !pids[open.PID] {
			t.Errorf("conn %d: pid %d is none of the clients' %v", conn, open.PID, pids)
			continue
		}
		seen[open.PID] = true
		var c2s, s2c, ok []string
		for _, l := range ls[1:] {
			switch {
			case l.Type == "message" && l.Dir == "c2s":
				c2s = append(c2s, string(l.Frame)+"\n")
			case l.Type == "message":
				s2c = append(s2c, string(l.Frame)+"\n")
			case l.Type == "exchange" && l.Status == "ok":
				ok = append(ok, string(l.ID))
			case l.Type == "exchange":
				t.Errorf("conn %d: exchange %s is %s", conn, l.ID, l.Status)
			case l.Type == "error":
				t.Errorf("conn %d ended with an error: %s", conn, l.Error)
			}
		}
		if last := ls[len(ls)-1]; last.Type != "close" {
			t.Errorf("conn %d: last line %+v, want a clean close", conn, last)
		}
		wantC2S, wantS2C := transcript()
		if strings.Join(c2s, "") != strings.Join(wantC2S, "") || strings.Join(s2c, "") != strings.Join(wantS2C, "") {
			t.Errorf("conn %d: the dump's frames differ from what was sent (%d c2s, %d s2c)", conn, len(c2s), len(s2c))
		}
		if len(ok) != 2*perClient+1 {
			t.Errorf("conn %d: %d exchanges ok, want %d", conn, len(ok), 2*perClient+1)
		}
	}
	if len(seen) != len(pids) || !sdSeen {
		t.Errorf("the dump has connections from %v (and the descriptor reader: %v), want %v", seen, sdSeen, pids)
	}
}

// transcript is what one client sends and receives, line by line.
func transcript() (c2s, s2c []string) {
	s2c = append(s2c, Register)
	for rid := 1; rid <= 2*perClient; rid++ {
		c2s = append(c2s, Request(rid))
		s2c = append(s2c, WantReply(rid, false))
	}
	bye := 2*perClient + 1
	return append(c2s, Bye(bye)), append(s2c, WantReply(bye, true))
}

// checkSession checks the file -w wrote: the same connections, pids and
// image names, every frame byte for byte, and a clean end.
func checkSession(t *testing.T, path string, pids map[int]bool) {
	t.Helper()
	recs, err := session.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the session file: %v", err)
	}
	frames := map[uint64][2][]string{}
	clients := map[uint64]bool{}
	for _, r := range recs {
		switch r.Type {
		case session.TypeOpen:
			if pids[r.PID] && r.Process == "pipepeer.exe" {
				clients[r.Conn] = true
			}
		case session.TypeFrame:
			f := frames[r.Conn]
			f[r.Dir] = append(f[r.Dir], string(r.Data)+"\n")
			frames[r.Conn] = f
		}
	}
	if len(clients) != len(pids) {
		t.Errorf("the session file has %d client connections with their pid and name, want %d", len(clients), len(pids))
	}
	wantC2S, wantS2C := transcript()
	for conn := range clients {
		f := frames[conn]
		if strings.Join(f[0], "") != strings.Join(wantC2S, "") || strings.Join(f[1], "") != strings.Join(wantS2C, "") {
			t.Errorf("session conn %d: frames differ from what was sent (%d c2s, %d s2c)", conn, len(f[0]), len(f[1]))
		}
	}
	if last := recs[len(recs)-1]; last.Type != session.TypeEnd {
		t.Errorf("the session file ends with %s, want end", last.Type)
	}
}

// halfCloseTCPToPipe connects from here (Linux) over TCP to sockscope.exe
// in front of the pipe server, makes one call, then closes its write side.
// A pipe has no half-close: sockscope closes the pipe to the server, and
// the TCP client sees the end of the stream.
func halfCloseTCPToPipe(t *testing.T, w *wine, ss, up string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	scope := w.start("sockscope-tcp", "wine", ss, "--headless", "--listen", addr, up)
	var c *net.TCPConn
	for deadline := time.Now().Add(time.Minute); c == nil; {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			c = conn.(*net.TCPConn)
		} else if time.Now().After(deadline) {
			t.Fatalf("sockscope.exe never listened on %s: %v\n%s", addr, err, readFile(scope.err))
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	r := bufio.NewReader(c)
	io.WriteString(c, Request(1))
	for _, want := range []string{Register, WantReply(1, false)} {
		if got, err := r.ReadString('\n'); got != want {
			t.Fatalf("over TCP: got %q (%v), want %q", got, err, want)
		}
	}
	c.CloseWrite()
	if b, err := r.ReadByte(); err != io.EOF {
		t.Errorf("after a half-close towards a pipe: got %q, %v, want the end of the stream", b, err)
	}
	w.interrupt(scope)
	// The relay ends the connection just after the client read its end of
	// stream, and Ctrl-C may come first: then the summary says "(0 failed,
	// 1 open at exit)" (seen once on a loaded CI machine). Either way, one
	// connection and no failure.
	if out := readFile(scope.out); !strings.Contains(out, "1 connection (0 failed") {
		t.Errorf("--headless summary after the half-close: %q", out)
	}
}
