package store

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"sockscope/event"
	"sockscope/protocol"
)

// Store holds what was observed. Its zero value is not usable; call New.
type Store struct {
	mu  sync.RWMutex
	gen atomic.Uint64

	maxMessages int
	maxBytes    int64

	// The records, and what they refer to by number (see record.go).
	msgs      ring[msgRec]
	rows      ring[rowRec]
	exts      ring[extRef] // rows with bytes in the arena, oldest first
	arena     arena
	epoch     time.Time         // stamps count from here
	clock     clock             // reads times against epoch (stamp.go)
	lastT     lastStamp         // the time stamped last (stamp.go)
	reasons   []string          // interned error reasons; 0 is ""
	reasonIdx map[string]uint16 // index of each reason
	accs      []*connAcc        // connections by index
	mtab      []*methodAcc      // all-connections method statistics by index; 0 is none
	cms       []*methodAcc      // per-connection method statistics by index; 0 is none
	bound     connBound         // of the connections kept (connbound.go)

	tot Totals

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
	aside   map[uint64]aside   // of the stored messages with mAside, by seq
	cleared uint64             // messages Clear dropped, not evicted
	gaps    gaps               // bytes of the streams no message holds
	dirty   []*latAcc
	lats    [latBatch]latEntry // latencies not yet counted (latency.go)
	nlats   int

	tx Tx
}

// New returns an empty Store bounded by cfg.
func New(cfg Config) *Store {
	s := &Store{
		maxMessages: cfg.MaxMessages,
		maxBytes:    cfg.MaxBytes,
		msgs:        newFlatRing[msgRec](),
		rows:        newFlatRing[rowRec](),
		exts:        newFlatRing[extRef](),
		epoch:       time.Now(),
		reasons:     []string{""},
		reasonIdx:   map[string]uint16{"": 0},
		mtab:        []*methodAcc{nil},
		cms:         []*methodAcc{nil},
		byID:        map[uint64]*connAcc{},
		methods:     map[string]*methodAcc{},
		names:       map[string]*methodAcc{},
		gone:        map[uint64]goneRow{},
		aside:       map[uint64]aside{},
	}
	if s.maxMessages <= 0 {
		s.maxMessages = DefaultMaxMessages
	}
	if s.maxBytes <= 0 {
		s.maxBytes = DefaultMaxBytes
	}
	s.arena = newArena(s.maxBytes)
	s.clock = clockFrom(s.epoch)
	s.lastT.at = noTime // of the zero time
	s.bound.max = cfg.MaxConns
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
	if s.nlats > 0 {
		s.flushLatencies()
	}
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
	if a := tx.s.last; a != nil && a.c.ID == id {
		return a
	}
	return tx.lookup(id)
}

// lookup is conn of a connection other than the last one.
func (tx *Tx) lookup(id uint64) *connAcc {
	s := tx.s
	a := s.byID[id]
	if a == nil {
		a = tx.addConn(Conn{ID: id, PID: -1, UID: -1})
	}
	s.last = a
	return a
}

func (tx *Tx) addConn(c Conn) *connAcc {
	s := tx.s
	s.compact()
	a := &connAcc{c: c, methods: map[string]*methodAcc{}, idx: uint32(len(s.accs))}
	s.accs = append(s.accs, a)
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
	a.c.PID, a.c.UID, a.c.Process, a.c.Opened, a.c.Own = c.PID, c.UID, c.Process, c.Opened, c.Own
	tx.changed = true
}

// CloseConn records the end of a connection: cleanly when err is empty,
// as open at exit when it is event.OpenAtExit (sockscope stopped), failed
// with err otherwise. Only the first end of a connection counts.
func (tx *Tx) CloseConn(id uint64, at time.Time, err string) {
	a := tx.conn(id)
	if a.c.State != ConnOpen {
		return
	}
	a.c.State, a.c.Closed, a.c.Err = ConnClosed, at, err
	switch err {
	case "":
	case event.OpenAtExit:
		a.c.State, a.c.Err = ConnOpenAtExit, ""
	default:
		a.c.State = ConnFailed
	}
	tx.s.tot.OpenConns--
	tx.changed = true
}

// AddMessage stores m (which it only reads: a pointer, not a copy of a
// couple of hundred bytes per frame), assigning and returning its Seq (from
// 1, strictly increasing); the caller sets m.Seq. The payload (m.Frame.Data) is copied into the store, and so
// are m.Info.ID and m.Info.Method when they do not alias the payload: once
// AddMessage returns, the store holds nothing of the caller's. Error
// reasons are interned (beyond 4096 distinct ones they read back as
// "(reason table full)"); m.At reads back equal, in UTC if it was, in local
// time otherwise. The oldest messages (and rows that refer to them) are
// evicted to stay within the bounds.
func (tx *Tx) AddMessage(m *protocol.Message) uint64 {
	s := tx.s
	for s.msgs.len() >= s.maxMessages {
		tx.evictMessage()
	}
	data := m.Frame.Data
	truncated := m.Frame.Truncated
	if len(data) > maxPayload {
		data, truncated = data[:maxPayload], true
	}
	at := s.stamp(&m.At)
	utc := s.lastT.utc
	flags := flag(utc, mUTC) | flag(m.Info.IsError, mIsError)
	// whole: a truncated frame's marks that the bytes kept may not say.
	var whole bool
	if truncated || m.Injected || m.Withheld { // rare: one test for the three
		flags |= flag(truncated, mTruncated) | flag(m.Injected, mInjected) | flag(m.Withheld, mWithheld)
		whole = truncated && (m.Info.Continues || m.Info.ByOrder)
	}
	// The id and method usually lie within the payload: then they take no
	// room of their own, and the allocation is the payload alone.
	var l msgLayout
	idIn, mIn := true, true
	if b := m.Info.ID; b != nil {
		flags |= mHasID
		l.idOff, idIn = offsetIn(b, data)
		l.idLen = uint32(len(b))
	}
	if b := m.Info.Method; b != nil {
		flags |= mHasMethod
		l.mOff, mIn = offsetIn(b, data)
		l.mLen = uint32(len(b))
	}
	end := uint32(len(data))
	var room []byte // the fast path's room for the payload, copied into last
	if a := &s.arena; idIn && mIn && m.Note == nil && m.Frame.Fields == nil {
		if n := int(end); n > 0 && n < coldMin && a.off+n <= len(a.cur) {
			// put1's fast path, here: most payloads are small and fit.
			// The copy waits until the record is written: across the call
			// to memmove, fewer values are kept on the stack.
			l.chunk, l.off = a.chunks.next-1, uint32(a.off)
			// a.cur[a.off:a.off+n], which the test above bounds.
			room = unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(a.cur)), a.off)), n)
			a.off += n
			a.live += int64(n)
		} else {
			if !a.fits(n) {
				tx.makeRoom(n)
			}
			l.chunk, l.off = a.put1(data)
		}
	} else {
		end = tx.putApart(m, data, &l)
	}
	var infoEr, frameE uint16 // nearly always no error: one test for both
	if len(m.Info.Err)|len(m.Frame.Err) != 0 {
		infoEr, frameE = s.reason(m.Info.Err), s.reason(m.Frame.Err)
	}
	// Written in place, field by field: a composite literal stored through
	// a pointer is built aside (64 bytes) and copied. Every field, and the
	// slot is not zeroed first: it may hold a dropped record
	// (TestAddMessageWritesEveryField).
	size, wire := m.Frame.Size, m.Frame.Wire
	if uint64(size|wire) > 1<<32-1 || whole || l.fields != 0 {
		flags |= mAside
	}
	if !s.msgs.room() {
		s.msgs.addBlock()
	}
	p, seq := pushMsg(&s.msgs)
	p.conn, p.at, p.size, p.wire = m.Conn, at, uint32(size), uint32(wire)
	p.loc, p.n, p.alen = loc(l.chunk, l.off), uint32(len(data)), end
	p.idOff, p.idLen, p.mOff, p.mLen = l.idOff, l.idLen, l.mOff, l.mLen
	p.infoEr, p.frameE = infoEr, frameE
	p.dir, p.kind, p.flags, p.frm = m.Dir, m.Info.Kind, flags, m.Framing
	if flags&mAside != 0 {
		s.aside[seq] = aside{size: size, wire: wire, continues: whole && m.Info.Continues, byOrder: whole && m.Info.ByOrder, fields: l.fields}
	}
	copy(room, data)
	t := &s.tot
	t.Bytes += int64(m.Frame.Size)
	t.StoredBytes += int64(end) + RecordOverhead
	a := tx.conn(m.Conn)
	a.c.Messages++
	a.c.Bytes[m.Dir&1] += int64(m.Frame.Size)
	// What sockscope injects into a peer's stream is not of the relay's
	// stream offsets (proxy.Conn.Forwarded); on a connection of its own,
	// what it sends as the client is.
	if !m.Injected || a.c.Own && m.Dir == protocol.C2S {
		a.c.Wire[m.Dir&1] += int64(m.Frame.Wire)
	}
	tx.changed = true
	if s.over() {
		// A full store evicts about a message per message: the first, as
		// trim would (there is one: m), without trim's call and loop.
		tx.evictMessage()
		if s.over() {
			tx.trim()
		}
	}
	return seq
}

// SetBegan records when message seq, just added, began: at, the read
// before the one that ended it (observe.Sink.Frame's began; a frame of a
// protocol paired by order). Few frames have one: it is kept aside. A
// viewer that attaches gets it with the message (feed's history).
func (tx *Tx) SetBegan(seq uint64, at time.Time) {
	s := tx.s
	if seq < s.msgs.first || seq >= s.msgs.next || at.IsZero() {
		return
	}
	r := s.msgs.at(seq)
	a, ok := s.aside[seq]
	if !ok || r.flags&mAside == 0 {
		a = aside{size: int(r.size), wire: int(r.wire)}
		r.flags |= mAside
	}
	a.began = at
	s.aside[seq] = a
}

// Began returns when the stored messages of seqs from to to (excluded)
// that began in an earlier read than their end began (SetBegan), by seq.
func (s *Store) Began(from, to uint64) map[uint64]time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out map[uint64]time.Time
	for seq := max(from, s.msgs.first); seq < min(to, s.msgs.next); seq++ {
		if s.msgs.at(seq).flags&mAside == 0 {
			continue
		}
		if a := s.aside[seq]; !a.began.IsZero() {
			if out == nil {
				out = map[uint64]time.Time{}
			}
			out[seq] = a.began
		}
	}
	return out
}

// msgLayout is where a message's bytes go: its allocation's location and
// the id's and method's offsets and lengths in it.
type msgLayout struct {
	chunk                    uint64
	off                      uint32
	idOff, idLen, mOff, mLen uint32
	fields                   uint32 // the length of Frame.Fields, kept before the note
}

// putApart is AddMessage's allocation when the id or the method lies
// outside the payload, or there are fields (an HTTP/2 header block's) or
// a note: they are copied in after the payload, in that order, and l says
// where. It returns the allocation's length.
func (tx *Tx) putApart(m *protocol.Message, data []byte, l *msgLayout) uint32 {
	s := tx.s
	end := uint32(len(data))
	var extra [4][]byte
	if b := m.Info.ID; b != nil {
		l.idOff, l.idLen, extra[0] = place(b, data, &end)
	}
	if b := m.Info.Method; b != nil {
		l.mOff, l.mLen, extra[1] = place(b, data, &end)
	}
	if b := m.Frame.Fields; len(b) > 0 && len(b) <= maxPayload { // after the id and method: msgRec.note
		extra[2], l.fields = b, uint32(len(b))
		end += l.fields
	}
	if m.Note != nil { // last: msgRec.note
		b := m.Note.AppendBinary(nil)
		extra[3] = b
		end += uint32(len(b))
	}
	if !s.arena.fits(int(end)) {
		tx.makeRoom(int(end))
	}
	l.chunk, l.off = s.arena.put(data, extra[0], extra[1], extra[2], extra[3])
	return end
}

// place locates b (at most maxPayload bytes of it) in a message's
// allocation: within the payload data if it lies there, else appended at
// *end, which it advances, and returned as extra to be copied in.
func place(b, data []byte, end *uint32) (off, n uint32, extra []byte) {
	b = b[:min(len(b), maxPayload)]
	if off, ok := offsetIn(b, data); ok {
		return off, uint32(len(b)), nil
	}
	off = *end
	*end += uint32(len(b))
	return off, uint32(len(b)), b
}

// maxPayload bounds the bytes kept of one payload (and of an id or method
// kept beside it), so that offsets fit a record.
const maxPayload = 1 << 30

// flag returns f if b, 0 if not, without a branch: a bool is the byte 0
// or 1.
func flag(b bool, f uint8) uint8 { return -*(*uint8)(unsafe.Pointer(&b)) & f }
