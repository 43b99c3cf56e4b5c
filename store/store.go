// Package store keeps what sockscope observed: connections, messages, and
// rows (request/response pairs, lone notifications, orphans, raw frames),
// bounded by count and bytes, oldest evicted first, with live statistics.
//
// The store copies what it keeps (payloads into large byte chunks, names
// and reasons into tables) into records that hold no pointers, so even a
// million stored messages cost the garbage collector next to nothing, and
// the caller's buffers are free once AddMessage returns. Reads build the
// exported values from the records: Row and Message return copies; Messages
// lends the store's bytes for the duration of its callback.
//
// One writer (the observer) changes it in batches with Update; any number of
// readers (the UI) poll Gen on a tick and read a window when it moved:
//
//	if g := st.Gen(); g != m.gen {
//		m.gen = g
//		st.Rows(m.next, func(r store.Row) bool { ...; return true })
//	}
package store

import (
	"time"

	"sockscope/protocol"
)

// Defaults, said once.
const (
	// DefaultMaxMessages bounds the stored messages.
	DefaultMaxMessages = 1_000_000
	// DefaultMaxBytes bounds the stored bytes: frame payloads (and ids or
	// methods kept beside them) plus RecordOverhead per message and per row.
	// The memory the payloads really take (whole chunks of up to 4 MiB, a
	// 64th of the bound) is what is held within it.
	DefaultMaxBytes = 256 << 20
	// RecordOverhead is what one stored message or row is counted as on top
	// of its payload, so the byte bound also bounds the records themselves.
	RecordOverhead = 160
	// RecentLatencies is how many of the latest latencies are kept for a
	// sparkline.
	RecentLatencies = 512
	// MaxMethods bounds the distinct method names the store keeps statistics
	// for (and interns); rows of further methods are counted under
	// OtherMethod.
	MaxMethods = 10_000
	// DefaultMaxConns is the bound on connections kept that a live capture
	// sets (Config.MaxConns): a proxy that relays millions of short
	// connections keeps the open ones and those whose rows it still holds,
	// and counts the others.
	DefaultMaxConns = 10_000
	// OtherMethod is where statistics of methods beyond MaxMethods (or with
	// names longer than maxMethodLen bytes) go.
	OtherMethod = "(other)"
)

// Config bounds a Store. Zero fields take the defaults above.
type Config struct {
	MaxMessages int
	MaxBytes    int64
	// MaxConns, if not zero, bounds the connections kept: beyond about
	// twice as many, the closed ones none of whose rows are stored any
	// more are forgotten, with their statistics (Conns and Conn no longer
	// return them; Totals still count them). Zero keeps every connection.
	MaxConns int
}

// ConnState is where a connection stands.
type ConnState uint8

const (
	// ConnOpen is relaying.
	ConnOpen ConnState = iota
	// ConnClosed ended cleanly.
	ConnClosed
	// ConnFailed ended with an error (Conn.Err).
	ConnFailed
	// ConnOpenAtExit was still open when sockscope stopped, which closed
	// it: it did not fail.
	ConnOpenAtExit
)

// String returns "open", "closed", "error" or "open at exit".
func (s ConnState) String() string {
	switch s {
	case ConnClosed:
		return "closed"
	case ConnFailed:
		return "error"
	case ConnOpenAtExit:
		return "open at exit"
	}
	return "open"
}

// Latency summarises a set of latencies.
type Latency struct {
	Count              int
	P50, P90, P99, Max time.Duration
	// NoPercentiles is set when the percentiles were not kept (P50, P90
	// and P99 are zero; Count and Max are exact): a per-connection
	// histogram beyond the statistics' memory budget (ConnHistBytes).
	NoPercentiles bool
}

// Conn is one relayed connection and its statistics.
type Conn struct {
	ID       uint64
	Client   string // client address
	Listen   string // address it connected to
	Upstream string
	PID, UID int // -1 when unknown
	Process  string
	Own      bool // sockscope opened it itself (SendNew)
	State    ConnState
	Err      string // why it failed (ConnFailed)
	Opened   time.Time
	Closed   time.Time // zero while open

	Messages int64    // messages seen, both directions
	Bytes    [2]int64 // payload bytes seen, by protocol.Dir
	// Wire counts the bytes of the frames seen, framing included, by
	// protocol.Dir: the stream offset at the end of the last whole frame,
	// unless bytes were dropped.
	Wire     [2]int64
	Errors   int64   // rows with status error, orphan or no-reply (not Gap)
	InFlight int     // rows pending now
	Latency  Latency // of answered rows
}

// Row is one line of the exchanges list: a request and its response, or a
// lone message (notification, orphan response, raw frame, other JSON).
type Row struct {
	Seq  uint64
	Conn uint64
	// Dir is the direction of the first message (for a request: the side
	// that asked).
	Dir protocol.Dir
	// Kind is the first message's kind.
	Kind   protocol.Kind
	ID     string // raw JSON id, "" when none
	Method string
	Status protocol.Status
	// Duplicate is set when another request with this id was in flight.
	Duplicate bool
	// Gap is set on a no-reply or orphan row when the observer dropped
	// bytes (it could not keep up) where the missing reply or request
	// would have travelled: it may have passed unseen.
	Gap bool
	// Injected is set when sockscope sent the row's first message itself
	// (an injected or resent request, a notification it pushed): a flag
	// beside the status, which says how the exchange went.
	Injected bool
	// Act is what sockscope did to the row's request or response on its
	// way (held, edited, dropped, fabricated, ...; see protocol.Note): a
	// flag beside the status too.
	Act protocol.Act
	// Code is the HTTP status code of the reply (200, 404, …), 0 when the
	// row is not an answered HTTP exchange: its Status says ok or error
	// (4xx/5xx) beside it.
	Code int
	// Req and Resp are the message seqs (0 when none; a row for a lone
	// message has only Req; an orphan has only Resp).
	Req, Resp     uint64
	ReqAt, RespAt time.Time
	ReqSize       int
	RespSize      int
	Latency       time.Duration // RespAt - ReqAt for answered rows
}

// MethodStats summarises the rows of one method.
type MethodStats struct {
	Method  string
	Count   int64 // rows
	Errors  int64 // status error, no-reply (not Gap)
	Pending int
	Latency Latency
}

// Totals counts everything the store has seen, evicted included. (The
// store keeps only some of the counts; Totals works out the others.)
type Totals struct {
	Messages       uint64 // ever added
	Rows           uint64
	Bytes          int64 // payload bytes ever added
	StoredMessages int
	StoredBytes    int64  // counted against Config.MaxBytes
	Evicted        uint64 // messages pushed out by the bounds
	Conns          int
	OpenConns      int
	DroppedEvents  uint64 // reported by the relay's queue
	DroppedBytes   uint64
	// Latency is of answered rows, all connections.
	Latency Latency
}
