// Package sessiongen writes session files of any size for tests and
// benchmarks: several connections of JSON-RPC-like traffic with requests
// answered in and out of order, error replies, requests never answered,
// replies to nothing, notifications, raw lines, long ids and methods, and
// now and then a slow exchange.
package sessiongen

import (
	"fmt"
	"math/rand/v2"
	"sockscope/event"
	"strings"
	"time"

	"sockscope/protocol"
	"sockscope/session"
)

// Config says what to write.
type Config struct {
	// Size is about how many bytes to write (the file ends at the first
	// record past it, with its connections closed).
	Size int64
	// Conns is how many connections are open at once. If zero, 4.
	Conns int
	// Start is the time of the first record. If zero, 2025-01-02 03:04:05 UTC.
	Start time.Time
	// Seed makes the traffic repeatable.
	Seed uint64
	// NoEnd leaves the connections open and the segment without its end
	// record (a recording still running).
	NoEnd bool
	// Needle, if set, is put in the params of one request, the first
	// written past NeedleAt bytes (if zero, nine tenths of Size): a search
	// must find it.
	Needle   string
	NeedleAt int64
}

// Write writes the session to path (appending a segment if it exists).
func Write(path string, cfg Config) error {
	if cfg.Conns <= 0 {
		cfg.Conns = 4
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	}
	rec, err := session.Create(path, session.Header{Started: cfg.Start, Listen: "unix:/tmp/gen.sock", Upstream: "unix:/tmp/gen.sock.orig", Framing: "lines"})
	if err != nil {
		return err
	}
	g := &gen{rec: rec, cfg: cfg, rnd: rand.New(rand.NewPCG(cfg.Seed, 7)), at: cfg.Start}
	for c := 1; c <= cfg.Conns; c++ {
		g.open(uint64(c))
	}
	needleAt := cfg.NeedleAt
	if needleAt == 0 {
		needleAt = cfg.Size * 9 / 10
	}
	next := uint64(cfg.Conns) + 1
	for i := 0; rec.Size() < cfg.Size; i++ {
		c := g.conns[g.rnd.IntN(len(g.conns))]
		g.step(c, cfg.Needle != "" && rec.Size() >= needleAt && !g.needled)
		if i%5000 == 4999 { // connections come and go
			k := g.rnd.IntN(len(g.conns))
			g.close(g.conns[k])
			g.conns = append(g.conns[:k], g.conns[k+1:]...)
			g.open(next)
			next++
		}
		if i%1024 == 0 {
			if err := rec.Flush(); err != nil {
				return err
			}
		}
	}
	if cfg.NoEnd {
		return rec.Flush()
	}
	for _, c := range g.conns { // as sockscope ends with connections open
		g.rec.Close(c.id, g.tick(time.Millisecond), event.OpenAtExit)
	}
	return rec.End(g.at, 0, 0)
}

type gen struct {
	rec     *session.Recorder
	cfg     Config
	rnd     *rand.Rand
	at      time.Time
	conns   []*conn
	needled bool
}

type conn struct {
	id      uint64
	nextID  int
	pending []pending
}

type pending struct {
	id     string
	method string
}

var methods = []string{"add", "echo", "textDocument/hover", "textDocument/completion", "workspace/symbol", "query-status",
	"textDocument/semanticTokens/full/delta/with/a/very/long/method/name/indeed"}

func (g *gen) tick(d time.Duration) time.Time {
	g.at = g.at.Add(d)
	return g.at
}

func (g *gen) open(id uint64) {
	g.rec.Open(id, g.tick(time.Millisecond), fmt.Sprintf("pid=%d", 1000+id), "unix:/tmp/gen.sock", "unix:/tmp/gen.sock.orig", int(1000+id), 1000, "genclient", false)
	g.conns = append(g.conns, &conn{id: id, nextID: 1})
}

func (g *gen) close(c *conn) {
	// What is still pending stays unanswered: no-reply rows.
	err := ""
	if c.id%7 == 0 {
		err = "connection reset by peer"
	}
	g.rec.Close(c.id, g.tick(time.Millisecond), err)
}

func (g *gen) frame(c *conn, dir protocol.Dir, text string) {
	g.rec.Frame(c.id, dir, g.tick(time.Duration(50+g.rnd.IntN(400))*time.Microsecond),
		protocol.Frame{Data: []byte(text), Size: len(text), Wire: len(text) + 1}, protocol.FramingLines, session.Marks{})
}

// step writes one thing on connection c.
func (g *gen) step(c *conn, needle bool) {
	switch r := g.rnd.IntN(100); {
	case needle:
		g.needled = true
		g.request(c, `,"params":{"text":"`+g.cfg.Needle+`"}`)
	case r < 45 || len(c.pending) == 0:
		g.request(c, "")
	case r < 88: // a reply, mostly to the oldest, sometimes to another
		k := 0
		if g.rnd.IntN(4) == 0 {
			k = g.rnd.IntN(len(c.pending))
		}
		p := c.pending[k]
		c.pending = append(c.pending[:k], c.pending[k+1:]...)
		if g.rnd.IntN(200) == 0 {
			g.tick(time.Duration(1+g.rnd.IntN(3)) * time.Second) // a slow one
		}
		if g.rnd.IntN(10) == 0 {
			g.frame(c, protocol.S2C, `{"id":`+p.id+`,"error":{"code":-32601,"message":"no such method: `+p.method+`"}}`)
		} else {
			g.frame(c, protocol.S2C, `{"id":`+p.id+`,"result":{"value":`+fmt.Sprint(g.rnd.IntN(1000))+`,"pad":"`+strings.Repeat("x", g.rnd.IntN(300))+`"}}`)
		}
	case r < 95:
		g.frame(c, protocol.S2C, `{"method":"progress","params":{"token":`+fmt.Sprint(g.rnd.IntN(50))+`}}`)
	case r < 97:
		g.frame(c, protocol.S2C, `{"id":"nobody-asked-`+fmt.Sprint(g.rnd.IntN(1e6))+`","result":null}`)
	case r < 98:
		g.frame(c, protocol.C2S, "not json at all "+fmt.Sprint(g.rnd.IntN(1e6)))
	default:
		n := g.rnd.IntN(100)
		text := `{"method":"log","params":{"line":"` + strings.Repeat("y", n) + `"}}`
		var marks session.Marks
		if n%7 == 0 { // what a rule did to it, as a recording says
			marks.Note = &protocol.Note{Act: protocol.ActEdited, Rule: "r1", Diff: "-" + text + "\n+" + text}
		}
		g.rec.Frame(c.id, protocol.C2S, g.tick(time.Duration(50+g.rnd.IntN(400))*time.Microsecond),
			protocol.Frame{Data: []byte(text), Size: len(text), Wire: len(text) + 1}, protocol.FramingLines, marks)
	}
}

// request sends the next request of c; extra goes inside the object.
func (g *gen) request(c *conn, extra string) {
	id := fmt.Sprint(c.nextID)
	if c.nextID%50 == 0 {
		id = `"a-rather-long-string-id-` + fmt.Sprint(c.nextID) + `-for-the-index"`
	}
	c.nextID++
	m := methods[g.rnd.IntN(len(methods))]
	if len(c.pending) > 64 { // a server that gave up on the oldest
		c.pending = c.pending[1:]
	}
	c.pending = append(c.pending, pending{id, m})
	g.frame(c, protocol.C2S, `{"id":`+id+`,"method":"`+m+`"`+extra+`}`)
}
