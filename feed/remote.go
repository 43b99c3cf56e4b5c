package feed

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"sockscope/capture"
	"sockscope/event"
	"sockscope/session"
)

// Remote is an instance's feed as a capture Source: the records it streams
// become the events they were made from, which the attaching side's own
// observer decodes into its own store. Its Send and SendNew ask the
// instance to act, over the same socket.
type Remote struct {
	c     net.Conn
	br    *bufio.Reader
	hello Hello
	ids   *IDs // connection numbers shared with other Remotes; nil: the instance's own

	wmu     sync.Mutex // serialises requests
	next    atomic.Uint64
	mu      sync.Mutex
	wait    map[uint64]chan result
	gone    error  // why the feed ended, once it has
	skips   []Skip // under mu
	warning string // what the instance warns of, under mu

	lastAt time.Time // of the last record read, by Run

	skippedEvents, skippedBytes atomic.Uint64
	live                        chan struct{} // closed at the live marker
	liveOnce                    sync.Once
}

// Dial connects to the feed at path and reads its hello.
func Dial(path string) (*Remote, error) {
	c, err := net.Dial("unix", path)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(c, 256<<10)
	h, err := readHello(br)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &Remote{c: c, br: br, hello: h, wait: map[uint64]chan result{}, live: make(chan struct{})}, nil
}

// Hello returns what the instance said of itself when Dial connected.
func (r *Remote) Hello() Hello { return r.hello }

// Live is closed once the history has been read and live records follow.
func (r *Remote) Live() <-chan struct{} { return r.live }

// Warning is what the instance's UI warns of (feed.Config.Warning), as
// the feed last said: "" while there is nothing.
func (r *Remote) Warning() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.warning
}

// Close disconnects; the instance goes on.
func (r *Remote) Close() error { return r.c.Close() }

// Attach asks for the stream and returns its header: the settings the
// instance decodes with, which the attaching engine should use.
func (r *Remote) Attach() (session.Header, error) {
	if err := r.write(request{Op: "attach"}); err != nil {
		return session.Header{}, err
	}
	for {
		line, err := readLine(r.br, session.MaxLine)
		if err != nil {
			return session.Header{}, fmt.Errorf("attach: %w", err)
		}
		if r.other(line) {
			continue
		}
		rec, err := session.ParseRecord(line)
		if err != nil || rec.Type != session.TypeHeader {
			return session.Header{}, errors.New("attach: the feed sent no header")
		}
		return *rec.Header, nil
	}
}

// Skipped reports what the instance skipped because this side did not
// keep up (capture.Config.Dropped).
func (r *Remote) Skipped() (events, bytes uint64) {
	return r.skippedEvents.Load(), r.skippedBytes.Load()
}

// errFeedEnded closes the connections still open when a feed ends.
var errFeedEnded = errors.New("the feed ended (the instance exited, or dropped this viewer)")

// Run implements capture.Source: it reads the stream until it ends or ctx
// is done. Call Attach first.
func (r *Remote) Run(ctx context.Context, q *event.Queue) error {
	stop := context.AfterFunc(ctx, func() { r.c.Close() })
	defer stop()
	open := map[uint64]bool{}
	var (
		err   error
		reads capture.Reads
	)
	put := func(ev event.Event, _ int64, _ int) { q.Put(ev) }
	for {
		if r.br.Buffered() == 0 {
			// The next record is not here yet: the instance may say
			// nothing for a while, and the frame held (Reads) is shown now.
			reads.Flush(put)
		}
		var line []byte
		if line, err = readLine(r.br, session.MaxLine); err != nil {
			break
		}
		if r.other(line) {
			continue
		}
		rec, perr := session.ParseRecord(line)
		if perr != nil {
			continue // a line this version cannot read: skip it, as a session file's
		}
		if rec.Type != session.TypeFrame && rec.Type != session.TypeGap {
			reads.Flush(put)
		}
		if !rec.At.IsZero() {
			r.lastAt = rec.At
		}
		id := r.local(rec.Conn)
		switch rec.Type {
		case session.TypeOpen:
			open[id] = true
			client := rec.Client
			if r.ids != nil { // merged: whose connection it is, as the status bar names them
				client = fmt.Sprintf("%d:%s", r.hello.PID, client)
			}
			q.Put(event.Event{Type: event.Open, Conn: id, At: rec.At, Peer: &event.Peer{
				Client: client, Listen: rec.Listen, Upstream: rec.Upstream,
				PID: rec.PID, UID: rec.UID, Process: rec.Process, Own: rec.Own,
			}})
		case session.TypeFrame:
			ev := capture.DataEvent(id, rec)
			if head, ok := capture.Begun(&ev, rec.Began); ok {
				reads.Hold(head, 0, 0, put)
			}
			reads.Hold(ev, 0, 0, put)
		case session.TypeGap:
			reads.Hold(capture.GapEvent(id, rec), 0, 0, put) // the instance skips whole frames
		case session.TypeClose:
			delete(open, id)
			var cerr error
			if rec.Err != "" {
				cerr = errors.New(rec.Err)
			}
			q.Put(event.Event{Type: event.Close, Conn: id, At: rec.At, Err: cerr})
		}
	}
	reads.Flush(put)
	r.end(err)
	for id := range open {
		q.Put(event.Event{Type: event.Close, Conn: id, Err: errFeedEnded})
	}
	return nil
}

// other handles a line that is the feed's own (a result, the skipped
// marker, the live marker) and reports whether it was one.
func (r *Remote) other(line []byte) bool {
	var m struct {
		Type string `json:"type"`
	}
	if len(line) > 64 && string(line[:len(`{"type":"frame"`)]) == `{"type":"frame"` {
		return false // the common case, without a second parse
	}
	if json.Unmarshal(line, &m) != nil {
		return false
	}
	switch m.Type {
	case typeResult:
		var res result
		if json.Unmarshal(line, &res) == nil {
			r.mu.Lock()
			ch := r.wait[res.Req]
			delete(r.wait, res.Req)
			r.mu.Unlock()
			if ch != nil {
				ch <- res
			}
		}
	case typeSkipped:
		var sk skipped
		if json.Unmarshal(line, &sk) == nil {
			r.noteSkip(sk)
		}
	case typeLive:
		r.liveOnce.Do(func() { close(r.live) })
	case typeWarning:
		var w warning
		if json.Unmarshal(line, &w) == nil {
			r.mu.Lock()
			r.warning = w.Text
			r.mu.Unlock()
		}
	case typeHello:
	default:
		return false
	}
	return true
}

// end fails the requests waiting for a result.
func (r *Remote) end(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gone = errFeedEnded
	for id, ch := range r.wait {
		ch <- result{Req: id, Error: errFeedEnded.Error()}
		delete(r.wait, id)
	}
}

// write sends one request line.
func (r *Remote) write(req request) error {
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	r.wmu.Lock()
	defer r.wmu.Unlock()
	_, err = r.c.Write(append(b, '\n'))
	return err
}

// call sends a request and waits for its result.
func (r *Remote) call(ctx context.Context, req request) (capture.Sent, error) {
	if !json.Valid(req.Msg) {
		return capture.Sent{}, errors.New("not JSON")
	}
	req.Req = r.next.Add(1)
	ch := make(chan result, 1)
	r.mu.Lock()
	if r.gone != nil {
		r.mu.Unlock()
		return capture.Sent{}, r.gone
	}
	r.wait[req.Req] = ch
	r.mu.Unlock()
	if err := r.write(req); err != nil {
		r.mu.Lock()
		delete(r.wait, req.Req)
		r.mu.Unlock()
		return capture.Sent{}, err
	}
	select {
	case res := <-ch:
		sent := capture.Sent{Conn: r.local(res.Conn), WireID: res.WireID}
		if res.Error != "" {
			return sent, errors.New(res.Error)
		}
		return sent, nil
	case <-ctx.Done():
		r.mu.Lock()
		delete(r.wait, req.Req)
		r.mu.Unlock()
		return capture.Sent{}, ctx.Err()
	}
}

// local is the attaching side's number for the instance's connection id.
func (r *Remote) local(id uint64) uint64 {
	if r.ids == nil || id == 0 {
		return id
	}
	return r.ids.local(r, id)
}
