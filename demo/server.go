// Package demo is what `sockscope demo` runs: a service speaking the seed
// protocol (Midway's newline-delimited JSON socket IPC, see
// shared/seed-protocol.md) and a few clients calling it, so that sockscope has
// live, varied traffic to show without any other program installed.
//
// Typical use, with sockscope relaying between the two sockets:
//
//	ln, _ := net.Listen("unix", filepath.Join(dir, "service.sock"))
//	go demo.Serve(ctx, ln)
//	// ... start the relay on dir/sockscope.sock → dir/service.sock ...
//	demo.RunClients(ctx, func(ctx context.Context) (net.Conn, error) {
//		var d net.Dialer
//		return d.DialContext(ctx, "unix", filepath.Join(dir, "sockscope.sock"))
//	}, demo.ClientOptions{})
//
// The service is faithful to the quirks of the article's reference server:
// replies are `{"success":…,"rid":N,"data"|"error":…}` in that key order, an
// unknown method gets `{"success":false,"rid":N}` with no error, a rejected
// promise (boom) sends `{}` with no rid and the request is never answered,
// and some requests (never, crash) get no reply at all.
package demo

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"sync"
)

// Methods are the methods the demo service registers, in the order it lists
// them in its registration message.
var Methods = []string{"add", "time", "echo", "slow", "boom", "never", "crash"}

// maxLine caps a request line; a longer one is treated like invalid JSON.
const maxLine = 1 << 20

// Serve serves the seed protocol on ln until ctx is done, then closes ln and
// every connection and returns nil. It returns an accept error that happens
// before ctx is done. On each new connection it first sends the registration
// message {"action":"register","methods":[...Methods]}.
func Serve(ctx context.Context, ln net.Listener) error {
	var (
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
		wg    sync.WaitGroup
	)
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	defer stop()
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		mu.Lock()
		if ctx.Err() != nil {
			mu.Unlock()
			c.Close()
			return nil
		}
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			serveConn(ctx, c)
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
		}()
	}
}

// request is a seed-protocol request as the reference client sends it.
type request struct {
	Rid    json.RawMessage   `json:"rid"`
	Method string            `json:"method"`
	Args   []json.RawMessage `json:"args"`
}

// reply is the reference server's response object: the key order is that of
// its `ret` object (success, rid, then data or error).
type reply struct {
	Success bool            `json:"success"`
	Rid     json.RawMessage `json:"rid,omitempty"`
	Data    any             `json:"data,omitempty"`
	Error   string          `json:"error,omitempty"`
}

// session is one connection to the service.
type session struct {
	conn net.Conn
	done <-chan struct{} // closed when the connection ends

	mu sync.Mutex // serialises writes
	w  *bufio.Writer
}

// send writes v as one JSON line. Errors are ignored: a failed write means
// the connection is going away, and the reader notices.
func (s *session) send(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w.Write(b)
	s.w.WriteByte('\n')
	s.w.Flush()
}

func serveConn(ctx context.Context, c net.Conn) {
	defer c.Close()
	done := make(chan struct{})
	defer close(done)
	s := &session{conn: c, done: done, w: bufio.NewWriter(c)}
	s.send(map[string]any{"action": "register", "methods": Methods})

	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 4096), maxLine)
	for sc.Scan() {
		line := sc.Bytes()
		if !json.Valid(line) {
			// The reference parser throws on a line that is not JSON, an
			// uncaught exception that takes the connection down with it.
			return
		}
		// A valid line of the wrong shape (say `5`, or a numeric method)
		// decodes as far as it can, like a JS object missing those fields.
		var req request
		_ = json.Unmarshal(line, &req)
		if !s.handle(ctx, req) {
			return
		}
	}
}
