//go:build unix

package split

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"sync"
	"sync/atomic"

	"sockscope/protocol"
)

// msg is one line on the control link between the two processes: a
// request (ID and Op), or the answer to one (Re).
type msg struct {
	ID uint64 `json:"id,omitempty"`
	Op string `json:"op,omitempty"`
	Re uint64 `json:"re,omitempty"`

	Conn uint64       `json:"conn,omitempty"`
	Dir  protocol.Dir `json:"dir,omitempty"`
	Msg  []byte       `json:"msg,omitempty"` // a payload
	IDs  []string     `json:"ids,omitempty"`
	Text string       `json:"text,omitempty"`
	Err  string       `json:"err,omitempty"`
	N    int64        `json:"n,omitempty"`
	OK   bool         `json:"ok,omitempty"`
	CRLF bool         `json:"crlf,omitempty"`
	Hold uint64       `json:"hold,omitempty"` // a held frame's number
	Val  []byte       `json:"val,omitempty"`  // a value in JSON (held frames, rules, notices)
}

// The link's requests.
const (
	// The decoder's process asks the relay's:
	opReady   = "ready"    // it runs (Text: what it tells the user)
	opSend    = "send"     // Engine.Send
	opSendNew = "send_new" // Engine.SendNew (Conn: like)
	opStop    = "stop"     // the run must stop (Text: why): an output failed
	opQuit    = "quit"     // the user quit the UI: the run stops
	// and the interceptor's calls (remote.go: capture.Interceptor).
	// The relay's process asks the decoder's (capture.Decoded):
	opWire      = "wire"
	opEncoder   = "encoder"   // Text: the framing
	opPending   = "pending"   // IDs: the ids
	opHandshake = "handshake" // Text: the method, Msg: the request
	// and how far it got (N: a count that grows while it decodes), once
	// the relay stops:
	opProgress = "progress"
	// It tells the decoder's what its UI must warn of (Text): Warn.
	opWarn = "warn"
)

// errGone is what a call returns once the link is closed.
var errGone = errors.New("the other process is gone")

// link is a two-way request/answer channel over one connection: either
// side calls, and serves the other's calls on goroutines of their own.
type link struct {
	c     net.Conn
	serve func(msg) msg

	wmu  sync.Mutex
	enc  *json.Encoder
	next atomic.Uint64

	mu   sync.Mutex
	wait map[uint64]chan msg
	done chan struct{}
}

func newLink(c net.Conn, serve func(msg) msg) *link {
	l := &link{c: c, serve: serve, enc: json.NewEncoder(c), wait: map[uint64]chan msg{}, done: make(chan struct{})}
	go l.read()
	return l
}

// call sends m as a request and waits for its answer.
func (l *link) call(ctx context.Context, m msg) (msg, error) {
	m.ID = l.next.Add(1)
	ch := make(chan msg, 1)
	l.mu.Lock()
	l.wait[m.ID] = ch
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.wait, m.ID)
		l.mu.Unlock()
	}()
	if err := l.write(m); err != nil {
		return msg{}, errGone
	}
	select {
	case a := <-ch:
		if a.Err != "" {
			return a, errors.New(a.Err)
		}
		return a, nil
	case <-l.done:
		return msg{}, errGone
	case <-ctx.Done():
		return msg{}, ctx.Err()
	}
}

func (l *link) write(m msg) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	return l.enc.Encode(m)
}

// read routes answers to their callers and serves requests, until the
// connection ends.
func (l *link) read() {
	defer close(l.done)
	br := bufio.NewReader(l.c)
	for {
		line, err := br.ReadBytes('\n')
		if err != nil {
			return
		}
		var m msg
		if json.Unmarshal(line, &m) != nil {
			continue // not ours to fail on: a bad line changes nothing
		}
		if m.Re != 0 {
			l.mu.Lock()
			ch := l.wait[m.Re]
			l.mu.Unlock()
			select {
			case ch <- m:
			default: // a second answer, or none awaited: not ours to wait on
			}
			continue
		}
		if m.ID == 0 {
			continue // neither a request nor an answer
		}
		go func() {
			a := l.serve(m)
			a.Re = m.ID
			l.write(a)
		}()
	}
}

// close ends the link.
func (l *link) close() error { return l.c.Close() }

// closed is closed when the link has ended.
func (l *link) closed() <-chan struct{} { return l.done }

// unknown answers a request of an op this side does not serve.
func unknown(m msg) msg { return msg{Err: "split: no op " + m.Op} }
