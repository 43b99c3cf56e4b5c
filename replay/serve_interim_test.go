package replay

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sockscope/protocol"
	"sockscope/session"
)

// A 103 Early Hints recorded before the first request of its connection:
// the relay forwards a read first and reports it after, so on a busy
// machine the server's answer to a request may be reported before the
// request itself. serve sends it once, before the response it came with,
// not also on connect as the connection's greeting (a client took it for
// a second 103 to its first request).
func TestServeHTTPInterimBeforeFirstRequest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "early.jsonl")
	r, err := session.Create(path, session.Header{Started: time.Unix(1, 0), Upstream: "unix:/up.sock", Listen: "/front.sock",
		Framing: "http", IDFields: protocol.DefaultIDFields})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(2, 0)
	frame := func(dir protocol.Dir, p string) {
		at = at.Add(time.Millisecond)
		r.Frame(1, dir, at, protocol.Frame{Data: []byte(p), Size: len(p), Wire: len(p)}, protocol.FramingHTTP, session.Marks{})
	}
	r.Open(1, at, "@", "/front.sock", "unix:/up.sock", 42, 0, "client", false)
	frame(protocol.S2C, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n") // reported before its request
	frame(protocol.C2S, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
	frame(protocol.S2C, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\npage a")
	frame(protocol.C2S, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
	frame(protocol.S2C, "HTTP/1.1 103 Early Hints\r\nLink: </b.css>; rel=preload\r\n\r\n")
	frame(protocol.S2C, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\npage b")
	r.Close(1, at, "")
	if err := r.End(at.Add(time.Second), 0, 0); err != nil {
		t.Fatal(err)
	}

	rec, err := Load(context.Background(), path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(rec, ServeConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveOn(t, srv, ln)

	cl, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	cl.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(cl)
	for _, p := range []string{"/a", "/b"} {
		var saw []string
		req, _ := http.NewRequest("GET", "http://x"+p, nil)
		if err := req.Write(cl); err != nil {
			t.Fatal(err)
		}
		// Read as Go's client reads: each 1xx, then the final response.
		var resp *http.Response
		for {
			resp, err = http.ReadResponse(br, req)
			if err != nil {
				t.Fatalf("GET %s: %v (after %v)", p, err, saw)
			}
			if resp.StatusCode >= 200 {
				break
			}
			saw = append(saw, fmt.Sprintf("%d %s", resp.StatusCode, resp.Header.Get("Link")))
		}
		var b strings.Builder
		bufio.NewReader(resp.Body).WriteTo(&b)
		resp.Body.Close()
		got := strings.Join(append(saw, fmt.Sprintf("%d %s", resp.StatusCode, b.String())), ", ")
		if want := fmt.Sprintf("103 <%s.css>; rel=preload, 200 page %s", p, p[1:]); got != want {
			t.Errorf("GET %s: %s, want %s", p, got, want)
		}
	}
}
