package store

import (
	"time"

	"sockscope/protocol"
)

// Hist is the store's latency histogram, for statistics kept outside a
// Store (a session file's index): log-linear buckets, a few hundred bytes
// for a narrow range of latencies, percentiles within about 1.6%.
type Hist struct{ h hist }

// Add counts one latency.
func (h *Hist) Add(d time.Duration) { h.h.add(d) }

// Summary returns the count, the percentiles and the maximum, as the
// store's statistics say them.
func (h *Hist) Summary() Latency { return h.h.summary() }

// Counted is the status a row is counted under in the statistics (a
// no-reply or orphan marked Gap counts as no error at all).
func Counted(st protocol.Status, gap bool) protocol.Status { return counted(st, gap) }

// ConnError and MethodError report whether a row counted with status st
// is an error of its connection, and of its method.
func ConnError(st protocol.Status) int64 { return connError(st) }

// MethodError: see ConnError.
func MethodError(st protocol.Status) int64 { return methodError(st) }
