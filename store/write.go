package store

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"sockscope/protocol"
)

// Store holds what was observed. Its zero value is not usable; call New.
type Store struct {
	mu  sync.RWMutex
	gen atomic.Uint64

	maxMessages int
	maxBytes    int64

	msgs ring[protocol.Message]
	rows ring[rowRec]
	tot  Totals

	conns   []*connAcc // by ID ascending
	byID    map[uint64]*connAcc
	last    *connAcc // the connection looked up last
	methods map[string]*methodAcc
	names   map[string]*methodAcc // interned method names and their statistics
	lastG   *methodAcc            // the method looked up last
	all     latAcc
	recent  [RecentLatencies]time.Duration
	nrecent uint64
	gone    map[uint64]goneRow // pending rows no longer stored
	dirty   []*latAcc

	tx Tx
}

// rowRec is a stored row with its statistics accumulators.
type rowRec struct {
	Row
	conn   *connAcc
	gm, cm *methodAcc // all connections, this connection; nil without method
	oldest uint64     // oldest message seq the row refers to
}

// New returns an empty Store bounded by cfg.
func New(cfg Config) *Store {
	s := &Store{
		maxMessages: cfg.MaxMessages,
		maxBytes:    cfg.MaxBytes,
		msgs:        newRing[protocol.Message](),
		rows:        newRing[rowRec](),
		byID:        map[uint64]*connAcc{},
		methods:     map[string]*methodAcc{},
		names:       map[string]*methodAcc{},
		gone:        map[uint64]goneRow{},
	}
	if s.maxMessages <= 0 {
		s.maxMessages = DefaultMaxMessages
	}
	if s.maxBytes <= 0 {
		s.maxBytes = DefaultMaxBytes
	}
	s.tx.s = s
	return s
}

// Tx changes a Store inside Update. It is valid only during Update's fn.
type Tx struct {
	s       *Store
	changed bool
}

// Update runs fn under the write lock, then moves Gen once if fn changed
// anything. fn must not call back into the store's reader methods.
func (s *Store) Update(fn func(tx *Tx)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := &s.tx
	tx.changed = false
	fn(tx)
	if len(s.dirty) > 0 {
		s.summarise()
	}
	if tx.changed {
		s.gen.Add(1)
	}
}

// conn returns the accumulator of connection id, creating an open one for a
// connection OpenConn never announced.
func (tx *Tx) conn(id uint64) *connAcc {
	s := tx.s
	if s.last != nil && s.last.c.ID == id {
		return s.last
	}
	a := s.byID[id]
	if a == nil {
		a = tx.addConn(Conn{ID: id, PID: -1, UID: -1})
	}
	s.last = a
	return a
}

func (tx *Tx) addConn(c Conn) *connAcc {
	s := tx.s
	a := &connAcc{c: c, methods: map[string]*methodAcc{}}
	a.c.State = ConnOpen
	s.byID[c.ID] = a
	i, _ := slices.BinarySearchFunc(s.conns, c.ID, func(a *connAcc, id uint64) int {
		return cmp.Compare(a.c.ID, id)
	})
	s.conns = slices.Insert(s.conns, i, a)
	s.tot.Conns++
	s.tot.OpenConns++
	tx.changed = true
	return a
}

// OpenConn records a new connection, open. If the connection is already
// known (a message arrived first), its description is filled in.
func (tx *Tx) OpenConn(c Conn) {
	a := tx.s.byID[c.ID]
	if a == nil {
		tx.addConn(c)
		return
	}
	a.c.Client, a.c.Listen, a.c.Upstream = c.Client, c.Listen, c.Upstream
	a.c.PID, a.c.UID, a.c.Process, a.c.Opened = c.PID, c.UID, c.Process, c.Opened
	tx.changed = true
}

// CloseConn records the end of a connection: cleanly when err is empty,
// failed with err otherwise. Only the first end of a connection counts.
func (tx *Tx) CloseConn(id uint64, at time.Time, err string) {
	a := tx.conn(id)
	if a.c.State != ConnOpen {
		return
	}
	a.c.State, a.c.Closed, a.c.Err = ConnClosed, at, err
	if err != "" {
		a.c.State = ConnFailed
	}
	tx.s.tot.OpenConns--
	tx.changed = true
}

// AddMessage stores m, assigning and returning its Seq (from 1, strictly
// increasing). m.Frame.Data is kept as given, not copied. The oldest
// messages (and rows that refer to them) are evicted to stay within the
// bounds.
func (tx *Tx) AddMessage(m protocol.Message) uint64 {
	s := tx.s
	for s.msgs.len() >= s.maxMessages {
		tx.evictMessage()
	}
	p, seq := s.msgs.push()
	m.Seq = seq
	*p = m
	s.tot.Messages++
	s.tot.StoredMessages++
	s.tot.Bytes += int64(m.Frame.Size)
	s.tot.StoredBytes += int64(len(m.Frame.Data)) + RecordOverhead
	a := tx.conn(m.Conn)
	a.c.Messages++
	a.c.Bytes[m.Dir&1] += int64(m.Frame.Size)
	tx.changed = true
	tx.trim()
	return seq
}

// trim evicts oldest messages, then rows, until the byte bound holds.
func (tx *Tx) trim() {
	s := tx.s
	for s.tot.StoredBytes > s.maxBytes {
		switch {
		case s.msgs.len() > 0:
			tx.evictMessage()
		case s.rows.len() > 0:
			tx.evictRow()
		default:
			return
		}
	}
}

// evictMessage drops the oldest message and the oldest rows that refer to
// a message no longer stored.
func (tx *Tx) evictMessage() {
	s := tx.s
	m := s.msgs.at(s.msgs.first)
	s.tot.StoredBytes -= int64(len(m.Frame.Data)) + RecordOverhead
	s.tot.StoredMessages--
	s.tot.Evicted++
	s.msgs.pop()
	for s.rows.len() > 0 && s.rows.at(s.rows.first).oldest < s.msgs.first {
		tx.evictRow()
	}
}

// evictRow drops the oldest row, remembering it if it is still pending.
func (tx *Tx) evictRow() {
	s := tx.s
	r := s.rows.at(s.rows.first)
	s.forget(r)
	s.tot.StoredBytes -= RecordOverhead
	s.rows.pop()
}
