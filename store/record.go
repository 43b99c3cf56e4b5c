package store

import (
	"time"
	"unsafe"

	"sockscope/protocol"
)

// The rings hold records with no pointers in them, so however many are
// stored, the garbage collector does not scan them and writing them needs
// no write barriers. Bytes live in the arena, strings in the store's tables;
// records refer to both by number. TestRecordsHoldNoPointers keeps it so.

// msgRec is a stored message: 64 bytes, one cache line (a ring block of
// them is page-aligned), so that evicting or reading one touches one line.
// Its allocation in the arena is the payload, then the id and the method
// when they are not within the payload, then the note.
type msgRec struct {
	conn   uint64
	at     int64  // see stamp
	loc    uint64 // location of the allocation (see loc)
	size   uint32 // Frame.Size; with mAside, Store.aside holds it and wire
	wire   uint32 // Frame.Wire
	n      uint32 // payload bytes
	alen   uint32 // the allocation's length; the note is its last bytes
	idOff  uint32 // the id is alloc[idOff:idOff+idLen]
	idLen  uint32
	mOff   uint32 // the method is alloc[mOff:mOff+mLen]
	mLen   uint32
	infoEr uint16 // Info.Err, an index into the reason table
	frameE uint16 // Frame.Err, likewise
	dir    protocol.Dir
	kind   protocol.Kind
	flags  uint8
	frm    protocol.Framing // how the frame was cut (Message.Framing)
}

// Flags of a msgRec.
const (
	mIsError = 1 << iota
	mTruncated
	mHasID
	mHasMethod
	mUTC
	mInjected
	mWithheld
	mAside // Store.aside holds what the record has no room for
)

// aside is what a message's record has no room for, kept apart for the
// few that need it (mAside): a frame's size and wire length beyond 32 bits
// (a frame of 4 GiB or more: a long HTTP body), and what the decoder found
// a truncated frame to be from all of its bytes that the bytes kept do not
// say (varlink's continues, mpv's pairing by order: a viewer that attaches
// late reads it in the feed's history, as a recording's frame record's
// whole). size and wire are the message's, whatever their size.
type aside struct {
	size, wire         int
	continues, byOrder bool
	// fields is the length of Frame.Fields (an HTTP/2 header block's),
	// kept after the payload, id and method, before the note.
	fields uint32
	// began is when the frame's first bytes were read, if in an earlier
	// read than its end (Tx.SetBegan).
	began time.Time
}

// note returns where the note (protocol.Note.AppendBinary) lies in the
// allocation: after the payload, the id and method kept apart and fields
// bytes of Frame.Fields (Store.aside's), to its end. n is 0 when the
// message has none.
func (m *msgRec) note(fields uint32) (off, n uint32) {
	off = max(m.n, m.idOff+m.idLen, m.mOff+m.mLen) + fields
	return off, m.alen - off
}

// A location in the arena as a record keeps it: the chunk's sequence
// number above the offset's bits. Offsets in a standard chunk are below
// maxChunk; an allocation larger than that has a chunk of its own, at
// offset 0. 42 bits of chunks last 2^42 chunks of at least 64 bytes.
const locOffBits = 22

// The check that offsets fit: maxChunk is 1<<locOffBits at most.
var _ [1<<locOffBits - maxChunk]byte

// loc returns the location of offset off in chunk.
func loc(chunk uint64, off uint32) uint64 { return chunk<<locOffBits | uint64(off) }

// chunkOf and offOf return a location's chunk and offset.
func chunkOf(l uint64) uint64 { return l >> locOffBits }
func offOf(l uint64) uint32   { return uint32(l & (1<<locOffBits - 1)) }

// idInline is how long a row id can be and still be kept in the record;
// longer ids go to the arena.
const idInline = 32

// rowRec is a stored row: 128 bytes, two cache lines (a ring block of them
// is page-aligned). The first holds what evicting it reads (the messages
// it refers to, its status, its bytes in the arena, and what a pending
// row leaves behind) and what Answer reads and writes, so that either,
// coming to a row long after it was last touched, reads one line, not two
// (TestRowLines).
type rowRec struct {
	req, resp uint64 // the oldest message the row refers to is oldest(req, resp)
	reqAt     int64  // see stamp
	respAt    int64
	respSize  uint32 // RespSize's low 32 bits; with rRespHi, respHi has the rest
	idLen     uint32
	mLen      uint32 // the method's length in the arena (0: it is gm's name)
	conn      uint32 // index into Store.accs
	gm        uint32 // index into Store.mtab, 0 without method
	cm        uint32 // index into Store.cms, 0 without method
	dir       protocol.Dir
	kind      protocol.Kind
	status    protocol.Status
	flags     uint8
	act       protocol.Act // what sockscope did to one of its messages
	code      uint16       // the HTTP status code of the reply (Row.Code)

	latency time.Duration // with rLatency; without, it is latency(reqAt, respAt)
	reqSize int
	ext     uint64 // arena chunk of a long id and a method not interned
	extOff  uint32
	respHi  uint32
	id      [idInline]byte
}

// lat returns the row's latency.
func (r *rowRec) lat() time.Duration {
	if r.flags&rLatency != 0 {
		return r.latency
	}
	return latency(r.reqAt, r.respAt)
}

// respBytes returns the row's RespSize.
func (r *rowRec) respBytes() int {
	n := uint64(r.respSize)
	if r.flags&rRespHi != 0 {
		n |= uint64(r.respHi) << 32
	}
	return int(n)
}

// respHiOf returns the bits of a RespSize beyond respSize's, and the flag
// that says a record holds them (0 when there are none).
func respHiOf(n int) (hi uint32, f uint8) {
	hi = uint32(uint64(n) >> 32)
	if hi != 0 {
		f = rRespHi
	}
	return hi, f
}

// extIDLen returns how many bytes of the id are in the arena.
func (r *rowRec) extIDLen() int {
	if r.idLen > idInline {
		return int(r.idLen)
	}
	return 0
}

// extLen returns the length of the row's allocation in the arena.
func (r *rowRec) extLen() int { return r.extIDLen() + int(r.mLen) }

// Flags of a rowRec.
const (
	rDuplicate = 1 << iota
	rReqUTC
	rRespUTC
	rGap
	rInjected
	rLatency // the latency is not RespAt-ReqAt: rowRec.latency holds it
	rRespHi  // RespSize is beyond 32 bits: see rowRec.respHi
)

// extRef is a row with bytes in the arena, queued so that the arena knows
// the oldest of them.
type extRef struct {
	row   uint64
	chunk uint64
}

// maxReasons bounds the reason table; further reasons are stored as
// reasonsFull.
const (
	maxReasons  = 4096
	reasonsFull = "(reason table full)"
)

// reason returns the index of err in the reason table, adding it.
func (s *Store) reason(err string) uint16 {
	if err == "" {
		return 0
	}
	return s.addReason(err)
}

// addReason is reason of a non-empty err.
func (s *Store) addReason(err string) uint16 {
	if i, ok := s.reasonIdx[err]; ok {
		return i
	}
	if len(s.reasons) >= maxReasons-1 {
		err = reasonsFull
		if i, ok := s.reasonIdx[err]; ok {
			return i
		}
	}
	i := uint16(len(s.reasons))
	s.reasons = append(s.reasons, err)
	s.reasonIdx[err] = i
	return i
}

// offsetIn returns the offset of sub in b and true, if sub lies within b.
func offsetIn(sub, b []byte) (uint32, bool) {
	if len(sub) == 0 || len(sub) > len(b) {
		return 0, len(sub) == 0
	}
	d := uintptr(unsafe.Pointer(unsafe.SliceData(sub))) - uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if d > uintptr(len(b)-len(sub)) {
		return 0, false
	}
	return uint32(d), true
}

// bytesOf returns the bytes of str without copying; they must not be
// modified.
func bytesOf(str string) []byte { return unsafe.Slice(unsafe.StringData(str), len(str)) }
