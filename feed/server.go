package feed

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"sockscope/capture"
	"sockscope/protocol"
	"sockscope/proxy"
	"sockscope/session"
	"sockscope/store"
)

// Config says where an instance publishes its feed and how it describes
// itself.
type Config struct {
	// PID is the instance's process, as the listing shows it: the relay's
	// (a decoder in a process of its own publishes its relay's feed). If
	// zero, this process.
	PID int
	// Path is the socket's path. If empty, the default one of PID.
	Path string
	// What says what the instance wraps or proxies, for the listing.
	What string
	// Header is the stream's session header (framing, id fields).
	Header session.Header
	// MaxBuffered bounds what one viewer has not read yet. If zero,
	// DefaultMaxBuffered.
	MaxBuffered int
	// Warning, if set, is what the instance's UI warns of
	// (ui.Options.Warning), "" while there is nothing: viewers are told
	// as it changes, within warningEvery, so that their UIs warn too.
	Warning func() string
}

// warningEvery is how often Config.Warning is asked.
const warningEvery = 250 * time.Millisecond

// Port is what a viewer's requests act on: the capture engine.
type Port interface {
	Send(ctx context.Context, conn uint64, dir protocol.Dir, msg []byte) (capture.Sent, error)
	SendNew(ctx context.Context, like uint64, msg []byte) (capture.Sent, error)
}

// Server is an instance's feed: the socket viewers attach to, and the
// observe.Sink that tells them what is decoded.
type Server struct {
	cfg     Config
	ln      net.Listener
	started time.Time
	st      *store.Store
	ctl     Port

	mu      sync.Mutex
	viewers map[*viewer]bool // attached
	// attached is len(viewers), read without mu: with no viewer, the
	// observer's calls cost an atomic load, not a lock and a closure.
	attached atomic.Int32
	scratch  []byte         // the record being encoded, under mu
	all      sync.WaitGroup // the connections' goroutines
	closed   bool
	stopped  chan struct{} // closed by Close
	// warning is what Config.Warning last said, under mu: a viewer is
	// told it as it attaches, and every one as it changes.
	warning string
}

// Listen publishes a feed at cfg.Path (mode 0600, in a directory only the
// user may write to): a stale socket left by a killed instance is replaced,
// a live one is not.
func Listen(cfg Config) (*Server, error) {
	if runtime.GOOS == "windows" {
		return nil, errors.New("feeds are not supported on Windows yet")
	}
	if cfg.PID == 0 {
		cfg.PID = os.Getpid()
	}
	if cfg.Path == "" {
		cfg.Path = PathOf(cfg.PID)
	}
	if cfg.MaxBuffered <= 0 {
		cfg.MaxBuffered = DefaultMaxBuffered
	}
	if cfg.Header.Started.IsZero() {
		cfg.Header.Started = time.Now()
	}
	if err := privateDir(filepath.Dir(cfg.Path)); err != nil {
		return nil, fmt.Errorf("feed: %w", err)
	}
	if _, err := os.Lstat(cfg.Path); err == nil {
		if c, err := net.Dial("unix", cfg.Path); err == nil {
			c.Close()
			return nil, fmt.Errorf("feed: %s: another sockscope publishes its feed there", cfg.Path)
		}
		os.Remove(cfg.Path)
	}
	// The socket is created 0600: no moment when others may connect.
	old := umask(0o177)
	ln, err := net.Listen("unix", cfg.Path)
	umask(old)
	if err != nil {
		return nil, fmt.Errorf("feed: %w", err)
	}
	if ul, ok := ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(true)
	}
	return &Server{cfg: cfg, ln: ln, started: cfg.Header.Started, viewers: map[*viewer]bool{}, stopped: make(chan struct{})}, nil
}

// Path returns the socket's path.
func (s *Server) Path() string { return s.cfg.Path }

// Serve accepts viewers until ctx is done or Close is called. st is the
// instance's store (the history), ctl its control port.
func (s *Server) Serve(ctx context.Context, st *store.Store, ctl Port) {
	s.st, s.ctl = st, ctl
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	if s.cfg.Warning != nil {
		go s.watchWarning()
	}
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		if _, uid := proxy.PeerCred(c); uid < 0 || uid != os.Getuid() {
			c.Close() // another user's process: the mode should have stopped it
			continue
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.all.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.all.Done()
			s.serveViewer(ctx, c)
		}()
	}
}

// Close removes the socket and disconnects every viewer, once it has
// written out what was queued for it (its last records: they were dropped)
// or endWait has passed (a viewer that does not read).
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.stopped)
	vs := make([]*viewer, 0, len(s.viewers))
	for v := range s.viewers {
		vs = append(vs, v)
		v.end()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	timeout := time.NewTimer(endWait)
	defer timeout.Stop()
	for _, v := range vs {
		select {
		case <-v.done:
		case <-timeout.C:
			for _, v := range vs {
				v.close()
			}
			return err
		}
	}
	return err
}

// endWait bounds how long Close waits for viewers to read their last
// records.
const endWait = 2 * time.Second

// watchWarning tells the viewers what Config.Warning says as it changes,
// until Close.
func (s *Server) watchWarning() {
	tick := time.NewTicker(warningEvery)
	defer tick.Stop()
	for {
		select {
		case <-s.stopped:
			return
		case <-tick.C:
		}
		text := s.cfg.Warning()
		s.mu.Lock()
		if text != s.warning {
			s.warning = text
			line := warningLine(text)
			for v := range s.viewers {
				v.send(line)
			}
		}
		s.mu.Unlock()
	}
}

// tellWarning tells a viewer that just attached what the instance warns
// of, if anything.
func (s *Server) tellWarning(v *viewer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.warning != "" {
		v.send(warningLine(s.warning))
	}
}

func warningLine(text string) []byte {
	b, _ := json.Marshal(warning{Type: typeWarning, Text: text})
	return append(b, '\n')
}

// hello describes the instance now.
func (s *Server) hello() Hello {
	h := Hello{Type: typeHello, Feed: Version, PID: s.cfg.PID, What: s.cfg.What, Started: s.started}
	if s.st != nil {
		t := s.st.Totals()
		h.Conns, h.Open, h.Messages = t.Conns, t.OpenConns, t.Messages
	}
	s.mu.Lock()
	h.Viewers = len(s.viewers)
	s.mu.Unlock()
	return h
}

// serveViewer talks to one connection: hello, then its requests.
func (s *Server) serveViewer(ctx context.Context, c net.Conn) {
	v := newViewer(c, s.cfg.MaxBuffered)
	go v.writeLoop()
	defer func() {
		v.close()
		<-v.done
		s.mu.Lock()
		delete(s.viewers, v)
		s.attached.Store(int32(len(s.viewers)))
		s.mu.Unlock()
	}()
	b, _ := json.Marshal(s.hello())
	v.send(append(b, '\n'))
	br := bufio.NewReaderSize(c, 64<<10)
	var reqs sync.WaitGroup
	defer reqs.Wait()
	for {
		line, err := readLine(br, maxRequest)
		if err != nil {
			return
		}
		var r request
		if err := json.Unmarshal(line, &r); err != nil {
			s.answer(v, result{Req: r.Req, Error: "not a request: " + err.Error()})
			continue
		}
		switch r.Op {
		case "attach":
			reqs.Add(1)
			go func() {
				defer reqs.Done()
				s.stream(v)
			}()
		case "send", "send_new":
			reqs.Add(1)
			go func() {
				defer reqs.Done()
				s.answer(v, s.do(ctx, r))
			}()
		default:
			s.answer(v, result{Req: r.Req, Error: fmt.Sprintf("unknown op %q", r.Op)})
		}
	}
}

// do runs a control request.
func (s *Server) do(ctx context.Context, r request) result {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	var (
		sent capture.Sent
		err  error
	)
	switch {
	case s.ctl == nil:
		err = errors.New("this instance takes no requests")
	case r.Op == "send_new":
		sent, err = s.ctl.SendNew(ctx, r.Conn, r.Msg)
	default:
		dir := protocol.C2S
		if r.Dir == protocol.S2C.String() {
			dir = protocol.S2C
		}
		sent, err = s.ctl.Send(ctx, r.Conn, dir, r.Msg)
	}
	res := result{Req: r.Req, Conn: sent.Conn, WireID: sent.WireID}
	if err != nil {
		res.Error = err.Error()
	}
	return res
}

// answer sends a result.
func (s *Server) answer(v *viewer, r result) {
	r.Type = typeResult
	b, _ := json.Marshal(r)
	v.send(append(b, '\n'))
}

// errLineTooLong is a line over its bound.
var errLineTooLong = errors.New("line too long")

// readLine reads a line of at most max bytes, without its newline.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var long []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if err == nil {
			if long == nil {
				return chunk[:len(chunk)-1], nil
			}
			long = append(long, chunk...)
			return long[:len(long)-1], nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
		long = append(long, chunk...)
		if len(long) > max {
			return nil, errLineTooLong
		}
	}
}
