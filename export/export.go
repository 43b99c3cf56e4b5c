// Package export writes what a store holds in formats other tools read:
// pcapng for Wireshark, tshark and termshark (each connection a synthetic
// TCP stream over loopback), JSON Lines for jq, and HAR. It reads the store
// only, so it exports a decoded session file and a live capture alike:
//
//	q, _ := query.Parse("method:add")
//	st, err := export.Write(w, st, export.PCAPNG, export.Options{Filter: q})
//	fmt.Println(export.TsharkCommand("out.pcapng", st))
//
// What it exports is the store's exchanges (rows), with the pairing the
// observer made: a request with its response, its status and latency.
package export

import (
	"fmt"
	"io"
	"strings"
	"time"

	"sockscope/protocol"
	"sockscope/query"
	"sockscope/store"
)

// Format is an export format.
type Format uint8

const (
	// PCAPNG is a pcapng capture: every connection a TCP stream over
	// loopback, each packet's comment saying its exchange.
	PCAPNG Format = iota
	// JSONL is one JSON object per exchange and line.
	JSONL
	// HAR is an HTTP Archive 1.2 log, one entry per exchange.
	HAR
)

var formatNames = [...]string{"pcapng", "jsonl", "har"}

// String returns the format's command-line name.
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("format(%d)", f)
}

// ParseFormat parses a command-line format name.
func ParseFormat(s string) (Format, error) {
	for i, n := range formatNames {
		if strings.EqualFold(s, n) {
			return Format(i), nil
		}
	}
	return 0, fmt.Errorf("format %q: want one of %s", s, strings.Join(formatNames[:], ", "))
}

// FormatOf guesses the format from a file name's extension (.pcapng,
// .jsonl or .json, .har).
func FormatOf(name string) (Format, bool) {
	switch n := strings.ToLower(name); {
	case strings.HasSuffix(n, ".pcapng"):
		return PCAPNG, true
	case strings.HasSuffix(n, ".jsonl"), strings.HasSuffix(n, ".json"):
		return JSONL, true
	case strings.HasSuffix(n, ".har"):
		return HAR, true
	}
	return 0, false
}

// Options say what to export.
type Options struct {
	// Filter selects exchanges, in the UI's filter language; nil selects
	// all. A pcapng holds the messages of the selected exchanges (all the
	// messages when nil).
	Filter *query.Query
	// Now is when the wait of a pending exchange ends, for latency terms
	// of the filter. If zero, the time of the store's latest message.
	Now time.Time
	// Creator and Version name the program in the pcapng and HAR headers.
	// If empty, "sockscope" and "dev".
	Creator, Version string
}

// Stats say what was exported.
type Stats struct {
	// Exchanges and Messages exported; Packets written (pcapng).
	Exchanges, Messages, Packets int
	// ContentLength is set when some frame was exported with a
	// Content-Length header (LSP, DAP): tshark's JSON dissector must skip
	// it (see TsharkCommand).
	ContentLength bool
	// HTTP, HTTP2, RESP and Other are set when some frame exported was
	// HTTP/1.1, HTTP/2, RESP, or in another framing (see TsharkCommand);
	// JSON when some was in a framing that carries JSON (lines,
	// Content-Length, varlink), not msgpack-RPC's binary or raw bytes.
	HTTP, HTTP2, RESP, Other, JSON bool
	// HTTP2Prior is set when some HTTP/2 frame was on a connection no
	// HTTP/1.1 frame came before (prior knowledge), not one upgraded to
	// h2c (see TsharkCommand). Set for PCAPNG only.
	HTTP2Prior bool
	// Legs counts the connections written as two streams (pcapng): the
	// client's leg and the server's, for what sockscope withheld or
	// injected on them (see UpstreamPort).
	Legs int
}

// Write writes the exchanges of st (a live store or a session file's index)
// that opts selects to w in format f.
func Write(w io.Writer, st store.View, f Format, opts Options) (Stats, error) {
	if opts.Creator == "" {
		opts.Creator = "sockscope"
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	sel := selectRows(st, opts)
	switch f {
	case PCAPNG:
		return writePCAPNG(w, st, sel, opts)
	case JSONL:
		return writeJSONL(w, st, sel)
	case HAR:
		return writeHAR(w, st, sel, opts)
	}
	return Stats{}, fmt.Errorf("export: unknown format %v", f)
}

// selection is the exchanges chosen, by row seq, in order.
type selection struct {
	rows []uint64
	all  bool // no filter: every row and every message
}

// selectRows lists the rows opts.Filter passes.
func selectRows(st store.View, opts Options) selection {
	q := opts.Filter
	if q.Empty() {
		q = nil
	}
	if q.NeedsConns() {
		q.BindConns(st.Conns())
	}
	now := opts.Now
	if now.IsZero() {
		now = latest(st)
	}
	sel := selection{all: q == nil}
	// Rows' callback must not call the store, which a text term does: take
	// a batch of rows, then match them.
	batch := make([]store.Row, 0, 4096)
	for from, _ := st.RowBounds(); ; {
		batch = batch[:0]
		st.Rows(from, func(r store.Row) bool {
			batch = append(batch, r)
			return len(batch) < cap(batch)
		})
		if len(batch) == 0 {
			return sel
		}
		for i := range batch {
			if q.MatchRow(st, &batch[i], now) {
				sel.rows = append(sel.rows, batch[i].Seq)
			}
		}
		from = batch[len(batch)-1].Seq + 1
	}
}

// latest is the time of the store's newest message, or now.
func latest(st store.View) time.Time {
	_, next := st.MessageBounds()
	if m, ok := st.Message(next - 1); ok {
		return m.At
	}
	return time.Now()
}

// flags lists what is special about an exchange, for a packet comment or a
// "flags" member.
func flags(r *store.Row, req, resp *protocol.Message) []string {
	var fl []string
	if r.Duplicate {
		fl = append(fl, "duplicate")
	}
	if r.Gap {
		fl = append(fl, "gap")
	}
	if r.Injected || req != nil && req.Injected || resp != nil && resp.Injected {
		fl = append(fl, "injected")
	}
	if req != nil && req.Withheld || resp != nil && resp.Withheld {
		fl = append(fl, "withheld")
	}
	if req != nil && req.Frame.Truncated || resp != nil && resp.Frame.Truncated {
		fl = append(fl, "truncated")
	}
	if r.Act != protocol.ActNone { // what sockscope did to one of them: edit, drop, fab, ...
		fl = append(fl, r.Act.String())
	}
	return fl
}

// messagesOf returns the request and response of row r (nil when none, or
// evicted).
func messagesOf(st store.View, r *store.Row) (req, resp *protocol.Message) {
	if r.Req != 0 {
		if m, ok := st.Message(r.Req); ok {
			req = &m
		}
	}
	if r.Resp != 0 {
		if m, ok := st.Message(r.Resp); ok {
			resp = &m
		}
	}
	return req, resp
}
