package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"

	"sockscope/protocol"
)

// Miss is what `serve` does with a request the recording cannot answer.
type Miss uint8

const (
	// MissError answers with an error in the protocol's shape that names
	// the method and the closest recorded request.
	MissError Miss = iota
	// MissClose closes the connection.
	MissClose
	// MissForward forwards the request to a real server.
	MissForward
)

// ParseMiss parses --miss error|close|forward:ADDR; it returns ADDR for
// forward.
func ParseMiss(s string) (Miss, string, error) {
	switch {
	case s == "error":
		return MissError, "", nil
	case s == "close":
		return MissClose, "", nil
	case strings.HasPrefix(s, "forward:") && len(s) > len("forward:"):
		return MissForward, s[len("forward:"):], nil
	}
	return 0, "", fmt.Errorf("--miss %q: want error, close or forward:ADDR", s)
}

// ServeConfig says how `serve` answers.
type ServeConfig struct {
	Match  Match
	Ignore Ignore
	Miss   Miss
	// Forward connects to the real server (MissForward), once per client
	// connection that misses.
	Forward func(ctx context.Context) (net.Conn, error)
	// Log, if set, gets a line per miss.
	Log io.Writer
}

// Server answers clients from a recording, as the recorded server did.
type Server struct {
	rec      *Recording
	cfg      ServeConfig
	requests *Matcher   // every recorded request of the clients
	notes    *Matcher   // every recorded notification of the clients
	inOrder  []*Matcher // per recorded connection (sequential, strict)

	conns, answered, misses atomic.Int64
	logMu                   sync.Mutex
}

// NewServer returns the Server of rec.
func NewServer(rec *Recording, cfg ServeConfig) *Server {
	s := &Server{rec: rec, cfg: cfg}
	var reqs, notes []*Exchange
	for _, c := range rec.Conns {
		var mine []*Exchange
		for _, x := range c.Exchanges {
			switch {
			case x.Row.Dir != protocol.C2S:
			case x.Row.Kind == protocol.KindRequest:
				mine = append(mine, x)
			default:
				notes = append(notes, x)
			}
		}
		reqs = append(reqs, mine...)
		s.inOrder = append(s.inOrder, NewMatcher(mine, cfg.Match, cfg.Ignore, rec.IDFields))
	}
	s.requests = NewMatcher(reqs, MatchMethodParams, cfg.Ignore, rec.IDFields)
	s.notes = NewMatcher(notes, MatchMethodParams, cfg.Ignore, rec.IDFields)
	return s
}

// Requests returns how many recorded requests the Server can answer.
func (s *Server) Requests() int { return s.requests.Len() }

// Summary is the line printed at exit.
func (s *Server) Summary() string {
	return fmt.Sprintf("sockscope serve: %d connections, %d requests answered from the recording, %d misses",
		s.conns.Load(), s.answered.Load(), s.misses.Load())
}

// Serve answers the clients accepted on ln until ctx is done, then closes
// ln and every connection.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for k := 0; ; k++ {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		s.conns.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveConn(ctx, nc, k)
		}()
	}
}

// mockConn is one client connection of a Server.
type mockConn struct {
	s      *Server
	nc     net.Conn
	enc    protocol.Encoder
	wmu    sync.Mutex
	reqs   *Matcher
	cur    Cursor // in the requests
	ncur   Cursor // in the notifications
	fwd    *forwarder
	closed bool
}

// send writes one message to the client, framed as the recorded server
// framed.
func (c *mockConn) send(p []byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.nc.Write(c.enc.Append(nil, p))
}

func (s *Server) serveConn(ctx context.Context, nc net.Conn, k int) {
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	defer nc.Close()
	c := &mockConn{s: s, nc: nc, reqs: s.requests}
	in, out := protocol.FramingAuto, protocol.FramingLines
	if len(s.rec.Conns) > 0 {
		played := s.rec.Conns[k%len(s.rec.Conns)]
		in = played.Framing[protocol.C2S]
		if f := played.Framing[protocol.S2C]; f != protocol.FramingAuto {
			out = f
		} else if in != protocol.FramingAuto {
			out = in
		}
		if s.cfg.Match != MatchMethodParams {
			c.reqs = s.inOrder[k%len(s.rec.Conns)]
		}
		c.enc = protocol.Encoder{Framing: out}
		for _, m := range played.Greeting() {
			c.send(m.Payload)
		}
	} else {
		c.enc = protocol.Encoder{Framing: out}
	}
	defer func() {
		if c.fwd != nil {
			c.fwd.close()
		}
	}()
	f := protocol.NewFramer(in, protocol.DefaultMaxFrame)
	buf := make([]byte, 64<<10)
	for !c.closed {
		n, err := nc.Read(buf)
		f.Feed(buf[:n], func(fr *protocol.Frame) {
			if !c.closed {
				c.handle(ctx, append([]byte(nil), fr.Data...))
			}
		})
		if err != nil {
			return
		}
	}
}

// handle answers one message of the client's.
func (c *mockConn) handle(ctx context.Context, p []byte) {
	s := c.s
	info := protocol.Classify(p, s.rec.IDFields)
	method := string(info.Method)
	switch {
	case info.Kind == protocol.KindRequest && info.ID != nil:
	case info.Kind == protocol.KindResponse: // the answer to a request of the recorded server's
		if c.fwd != nil {
			c.fwd.cl.Send(p)
		}
		return
	default: // a notification: send what the recorded server sent after it
		if x, ok := s.notes.Find(p, method, &c.ncur); ok {
			for _, m := range x.Followers {
				c.send(m.Payload)
			}
		}
		return
	}
	if x, ok := c.reqs.Find(p, method, &c.cur); ok {
		s.answered.Add(1)
		if x.Resp != nil {
			c.send(answerWith(x.Resp, info.ID))
		}
		for _, m := range x.Followers {
			c.send(m.Payload)
		}
		return
	}
	s.misses.Add(1)
	why := fmt.Sprintf("sockscope serve: no recorded reply to %s %s", method, short([]byte(requestKey(p, s.rec.IDFields, nil))))
	if x := s.requests.Closest(p, method); x != nil {
		why += "; the closest recorded request is " + Describe(x, s.rec.IDFields)
	}
	s.log(why)
	switch s.cfg.Miss {
	case MissClose:
		c.closed = true
		c.nc.Close()
	case MissForward:
		if c.fwd == nil {
			c.fwd = newForwarder(ctx, s, c)
		}
		c.fwd.forward(ctx, p)
	default:
		c.send(missReply(p, info, s.rec.IDFields, why))
	}
}

func (s *Server) log(line string) {
	if s.cfg.Log == nil {
		return
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintln(s.cfg.Log, line)
}
