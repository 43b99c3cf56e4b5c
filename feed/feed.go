// Package feed lets a person look at, and act on, a running sockscope from
// another terminal. Every instance may publish a feed: a Unix socket, only
// its user's to connect to, that streams what the instance's store holds
// (history) and then everything its observer decodes (live), as the records
// of a session file, and takes control requests (resend, inject) on the
// same socket. The attaching side reads it as one more capture Source (a
// Remote), with an observer and a store of its own, so its UI is the
// ordinary one.
//
// The instance's side:
//
//	srv, err := feed.Listen(feed.Config{Path: feed.PathOf(os.Getpid()), What: "wraps gopls"})
//	cfg.Sinks = append(cfg.Sinks, srv.Sink()) // the observer tells it what it decodes
//	e, err := capture.New(cfg)
//	go srv.Serve(ctx, e.Store, e)
//	defer srv.Close()
//
// The attaching side:
//
//	r, err := feed.Dial(path)
//	h, err := r.Attach()
//	e, err := capture.New(capture.Config{IDFields: h.IDFields, Dropped: r.Skipped})
//	e.Start(ctx, r)
//	ui.Run(ctx, e.Store, ui.Options{Control: ...r.Control()...})
//
// The wire: one JSON object a line. On connecting, the instance sends a
// hello; the viewer sends {"op":"attach"} to be sent the stream (a session
// header, the history, {"type":"live"}, then live records), and
// {"op":"send",...} or {"op":"send_new",...} requests, each answered by a
// {"type":"result",...} line. A viewer that does not keep up is skipped
// ahead: the frames it has no room for are dropped, and a
// {"type":"skipped"} line with gap records says so before the next record
// it gets. A {"type":"warning","text":...} line says what the instance's
// UI warns of (a taken-over path another socket replaced), as it changes:
// "" once there is nothing. The instance never waits for a viewer.
package feed

import (
	"encoding/json"
	"time"
)

// Version is the feed's protocol version, in every hello.
const Version = 1

// Bounds of a feed, said once.
const (
	// DefaultMaxBuffered bounds what a viewer has not read yet, when
	// Config.MaxBuffered is zero: frames that do not fit are skipped.
	DefaultMaxBuffered = 8 << 20
	// hardFactor times the bound is what a viewer may be behind with
	// records that are never skipped (opens, closes, results) before it is
	// disconnected.
	hardFactor = 4
	// maxRequest bounds one line a viewer sends.
	maxRequest = 16 << 20
	// requestTimeout bounds one control request.
	requestTimeout = 30 * time.Second
)

// Hello is the first line an instance sends: what `sockscope attach`
// lists.
type Hello struct {
	Type     string    `json:"type"` // "hello"
	Feed     int       `json:"feed"` // Version
	PID      int       `json:"pid"`
	What     string    `json:"what"` // what the instance wraps or proxies
	Started  time.Time `json:"started"`
	Conns    int       `json:"conns"`
	Open     int       `json:"open"`
	Messages uint64    `json:"messages"`
	Viewers  int       `json:"viewers"`
}

// request is a line a viewer sends.
type request struct {
	Op   string          `json:"op"`  // attach, send, send_new
	Req  uint64          `json:"req"` // echoed in the result
	Conn uint64          `json:"conn"`
	Dir  string          `json:"dir,omitempty"` // c2s or s2c (send)
	Msg  json.RawMessage `json:"msg,omitempty"`
}

// result answers a request.
type result struct {
	Type   string `json:"type"` // "result"
	Req    uint64 `json:"req"`
	Conn   uint64 `json:"conn,omitempty"`
	WireID string `json:"wire_id,omitempty"`
	Error  string `json:"error,omitempty"`
}

// skipped says a viewer was skipped ahead: how many events (frames and
// gaps) it did not get since the record before this line, and of which
// connections.
type skipped struct {
	Type   string     `json:"type"` // "skipped"
	Events uint64     `json:"events"`
	Bytes  uint64     `json:"bytes"`
	Conns  []connSkip `json:"conns,omitempty"`
}

// connSkip is what a viewer did not get of one connection.
type connSkip struct {
	Conn   uint64 `json:"conn"`
	Events uint64 `json:"events"`
}

// Line types of the feed besides a session file's.
const (
	typeHello   = "hello"
	typeResult  = "result"
	typeSkipped = "skipped"
	typeLive    = "live"
	typeWarning = "warning"
)

// warning is the line that says what the instance warns of.
type warning struct {
	Type string `json:"type"` // "warning"
	Text string `json:"text"`
}

// liveLine marks the end of the history.
const liveLine = `{"type":"live"}` + "\n"
