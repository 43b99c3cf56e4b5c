package store

import (
	"time"

	"sockscope/protocol"
)

// View is what readers (the UI, the filter) read: the methods of *Store
// that do not change it, and Clear. The live store is one View; a session
// file's index (package index) is another, which reads frames from the
// file on demand.
type View interface {
	Gen() uint64
	Totals() Totals
	Conns() []Conn
	Conn(id uint64) (Conn, bool)
	Methods(conn uint64) []MethodStats
	RecentLatencies(dst []time.Duration) []time.Duration
	RowBounds() (first, next uint64)
	Row(seq uint64) (Row, bool)
	Rows(from uint64, fn func(Row) bool)
	RowsBefore(before uint64, fn func(Row) bool)
	MessageBounds() (first, next uint64)
	Message(seq uint64) (protocol.Message, bool)
	Messages(from uint64, fn func(*protocol.Message) bool)
	Clear()
}

var _ View = (*Store)(nil)
