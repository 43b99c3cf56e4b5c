//go:build unix

package main

import (
	"bufio"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// The upstream dies and comes back while clients are connected: the
// connections it had end with an error in --dump (one end line each, no
// clean close), a client that connects while it is down gets a dial error,
// and clients connecting once it is back are served.
func TestUpstreamRestart(t *testing.T) {
	svc, front := paths(t)
	hung := make(chan struct{}, 4)
	released := make(chan struct{})
	defer close(released)
	// Echo each line; on a "hang" request, stop reading (a stuck server
	// that gets restarted), so what arrives next stays unread.
	up := startUpstream(t, svc, func(c net.Conn) {
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if strings.Contains(line, `"hang"`) {
				hung <- struct{}{}
				<-released
				return
			}
			io.WriteString(c, line)
		}
	})
	p := startSS(t, nil, "--dump", "--lossless", "--listen", front, svc)
	waitListening(t, front)

	req := func(id, method string) string {
		return `{"jsonrpc":"2.0","id":` + id + `,"method":"` + method + `"}` + "\n"
	}
	var clients []net.Conn
	for i := range 4 {
		c, err := net.Dial("unix", front)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
		echo(t, c, req("1", "before"))
		if i >= 2 { // in flight when the upstream dies
			io.WriteString(c, req("2", "hang"))
			<-hung
			io.WriteString(c, req("3", "unread"))
		}
	}
	eventually(t, "the unread requests in the dump", func() bool {
		// One message line per client (the frame repeats the method, so
		// count the line's own fields).
		return strings.Count(p.out.String(), `"id":3,"method":"unread","frame"`) == 2
	})
	up.kill()
	// The idle clients see the upstream's end and try again.
	for _, c := range clients[:2] {
		if n, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("idle client read %d, %v after the upstream died; want EOF", n, err)
		}
		io.WriteString(c, req("4", "retry"))
	}
	for _, c := range clients {
		io.Copy(io.Discard, c) // the relay closes each one
	}
	// Down: a new client is accepted and closed at once.
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Read(make([]byte, 1)); n != 0 {
		t.Errorf("a client got data with the upstream down")
	}
	c.Close()

	up.start()
	c, err = net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	echo(t, c, req("5", "after"))
	c.Close()
	eventually(t, "seven connection ends in the dump (waitListening's probe is the first)", func() bool {
		s := p.out.String()
		return strings.Count(s, `{"type":"close"`)+strings.Count(s, `{"type":"error"`) == 7
	})
	if code := p.stop(os.Interrupt); code != 0 {
		t.Errorf("exit %d: %s", code, p.err.String())
	}

	ends := map[float64][]string{}
	for _, l := range dumpLines(t, p.out.Bytes()) {
		switch l["type"] {
		case "close":
			ends[l["conn"].(float64)] = append(ends[l["conn"].(float64)], "close")
		case "error":
			ends[l["conn"].(float64)] = append(ends[l["conn"].(float64)], l["error"].(string))
		}
	}
	t.Logf("ends by connection: %v", ends)
	for conn := 1.0; conn <= 7; conn++ {
		e := ends[conn]
		switch {
		case len(e) != 1:
			t.Errorf("conn %v ended %d times: %q", conn, len(e), e)
		case conn == 1 && e[0] != "close":
			t.Errorf("conn 1, the probe, ended with %q", e[0])
		case conn > 1 && conn <= 6 && e[0] == "close":
			t.Errorf("conn %v ended cleanly; the upstream died under it", conn)
		case conn == 6 && !strings.Contains(e[0], "dial upstream"):
			t.Errorf("conn 6 ended with %q, want a dial error", e[0])
		case conn == 7 && e[0] != "close":
			t.Errorf("conn 7, after the restart, ended with %q", e[0])
		}
	}
}

// echo writes msg on c while it reads the same bytes back (msg may be
// larger than the socket buffers).
func echo(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	c.SetDeadline(time.Now().Add(time.Minute))
	defer c.SetDeadline(time.Time{})
	wrote := make(chan error, 1)
	go func() {
		_, err := io.WriteString(c, msg)
		wrote <- err
	}()
	got := make([]byte, len(msg))
	_, err := io.ReadFull(c, got)
	if werr := <-wrote; werr != nil {
		t.Fatal(werr)
	}
	if err != nil || string(got) != msg {
		t.Fatalf("echo %.200q, %v; want %.200q", got, err, msg)
	}
}
