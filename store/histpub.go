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

// HistBudget bounds the bytes of a set of histograms filled with AddIn,
// as a Store bounds its per-connection ones: see ConnHistBytes.
type HistBudget struct{ b histBudget }

// NewHistBudget returns a budget of max bytes (the histograms may take up
// to twice as much while growing).
func NewHistBudget(max int64) *HistBudget { return &HistBudget{histBudget{max: max}} }

// Used returns the bytes of octaves the budget's histograms hold.
func (b *HistBudget) Used() int64 { return b.b.used }

// AddIn counts one latency, taking the histogram's buckets out of budget
// b; a histogram b can't afford keeps its count and maximum only.
func (h *Hist) AddIn(d time.Duration, b *HistBudget) { h.h.addIn(d, &b.b) }

// Bytes returns the bytes of the histogram's octaves.
func (h *Hist) Bytes() int64 { return int64(h.h.k) * octBytes }

// Summary returns the count, the percentiles and the maximum, as the
// store's statistics say them.
func (h *Hist) Summary() Latency { return h.h.summary() }

// Counted is the status a row is counted under in the statistics (a
// no-reply or orphan marked Gap counts as no error at all).
func Counted(st protocol.Status, gap bool) protocol.Status { return counted(st, gap) }

// ConnError and MethodError report whether a row counted with status st
// is an error of its connection, and of its method.
func ConnError(st protocol.Status) int64 { return in(connErrors, st) }

// MethodError: see ConnError.
func MethodError(st protocol.Status) int64 { return in(methodErrors, st) }
