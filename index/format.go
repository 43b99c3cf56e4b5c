// Package index keeps an index of a session file beside it (FILE.idx): one
// fixed-size record per frame (where its record lies in the session file,
// its time, connection, direction, kind), one per row (the pairing the
// observer decoded: ids, method, status, latency, the frames it pairs),
// one per gap (bytes of a stream that no frame holds: store.Gap) and
// snapshots of HTTP/2's HPACK tables (h2.go), so
// that `sockscope show` lists, filters and pages through a session of any
// size without decoding it into memory, and reads a frame's bytes from the
// file only when it is looked at.
//
// The index is written while the session is recorded (capture's recorder
// sink feeds a Writer) or built from the file by Build, which runs the
// observer over it as show always did. A View reads it for the UI, through
// the same methods as the live store (store.View).
//
// The file is a sequence of 64 KiB blocks: the first holds the header,
// each later one records of one kind (frames, rows, connections, gaps or
// snapshots), in seq order within the kind. A row is written when it is
// added (a request still pending) and again, in place, when it reaches its
// final status.
package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"sockscope/protocol"
	"sockscope/store"
)

// Settings are what a session is decoded with: an index built with other
// settings is stale.
type Settings struct {
	Framing  protocol.Framing
	IDFields []string // nil: protocol.DefaultIDFields
	MaxFrame int      // 0: protocol.DefaultMaxFrame
}

// Hash is what an index records of the settings (Writer.SetConfig).
func (s Settings) Hash() uint64 {
	h := fnv.New64a()
	ids := s.IDFields
	if ids == nil {
		ids = protocol.DefaultIDFields
	}
	mf := s.MaxFrame
	if mf <= 0 {
		mf = protocol.DefaultMaxFrame
	}
	fmt.Fprintf(h, "%s|%s|%d", s.Framing, strings.Join(ids, ","), mf)
	return h.Sum64()
}

// Sizes of the format, said once.
const (
	// BlockSize is the size of every block of the file.
	BlockSize = 64 << 10
	blockHead = 16 // kind, count, reserved
	msgSize   = 64
	rowSize   = 128
	connSize  = 256
	gapSize   = 32
	snapSize  = 256
	// msgsPerBlock and rowsPerBlock are how many records a block holds.
	msgsPerBlock  = (BlockSize - blockHead) / msgSize
	rowsPerBlock  = (BlockSize - blockHead) / rowSize
	connsPerBlock = (BlockSize - blockHead) / connSize
	gapsPerBlock  = (BlockSize - blockHead) / gapSize
	snapsPerBlock = (BlockSize - blockHead) / snapSize
	// idInline and methodInline are the bytes of a row's id and method kept
	// in its record; longer ones are read from the frame when needed.
	idInline     = 24
	methodInline = 40
	magic        = "SOCKIDX1"
	version      = 9 // 2: connection records; 3: a row's act; 4: the session file's modification time; 5: its change time and inode; 6: a method as text, a JSON string's escapes read; 7: gaps; 8: HTTP/2 header blocks chained; 9: HPACK table snapshots
)

// Block kinds.
const (
	kindMsgs  = 1
	kindRows  = 2
	kindConns = 3
	kindGaps  = 4
	kindSnaps = 5
	nKinds    = 6
)

// Suffix is appended to a session file's name to name its index.
const Suffix = ".idx"

// PathOf returns the index's path for the session file at path.
func PathOf(path string) string { return path + Suffix }

// header is the first block's content.
type header struct {
	complete    bool  // the session file was indexed to its end (and ended)
	pid         int   // the process writing it, while it does
	sessionSize int64 // bytes of the session file indexed
	head        [64]byte
	msgs, rows  uint64
	conns       uint64
	gaps        uint64
	snaps       uint64 // records of HPACK table snapshots (snapRec)
	first, last int64  // unix nanoseconds of the first and last frame
	cfg         uint64 // hash of the settings it was decoded with (Settings.hash)
	// file is the session file's state once it held what is indexed
	// (FileState: its modification time noTime when not known).
	file FileState
}

func (h *header) encode(b []byte) {
	clear(b[:256])
	copy(b, magic)
	le.PutUint32(b[8:], version)
	if h.complete {
		b[12] = 1
	}
	le.PutUint32(b[16:], uint32(h.pid))
	le.PutUint64(b[24:], uint64(h.sessionSize))
	le.PutUint64(b[32:], h.msgs)
	le.PutUint64(b[40:], h.rows)
	le.PutUint64(b[48:], uint64(h.first))
	le.PutUint64(b[56:], uint64(h.last))
	copy(b[64:128], h.head[:])
	le.PutUint64(b[128:], h.cfg)
	le.PutUint64(b[136:], h.conns)
	le.PutUint64(b[144:], uint64(h.file.mod))
	le.PutUint64(b[152:], uint64(h.file.change))
	le.PutUint64(b[160:], h.file.ino)
	le.PutUint64(b[168:], h.gaps)
	le.PutUint64(b[176:], h.snaps)
}

var errNotIndex = errors.New("not a sockscope index")

func (h *header) decode(b []byte) error {
	if len(b) < 184 || string(b[:8]) != magic || le.Uint32(b[8:]) != version {
		return errNotIndex
	}
	h.complete = b[12] == 1
	h.pid = int(le.Uint32(b[16:]))
	h.sessionSize = int64(le.Uint64(b[24:]))
	h.msgs, h.rows = le.Uint64(b[32:]), le.Uint64(b[40:])
	h.first, h.last = int64(le.Uint64(b[48:])), int64(le.Uint64(b[56:]))
	copy(h.head[:], b[64:128])
	h.cfg = le.Uint64(b[128:])
	h.conns = le.Uint64(b[136:])
	h.file.mod = int64(le.Uint64(b[144:]))
	h.file.change = int64(le.Uint64(b[152:]))
	h.file.ino = le.Uint64(b[160:])
	h.gaps = le.Uint64(b[168:])
	h.snaps = le.Uint64(b[176:])
	return nil
}

var le = binary.LittleEndian

// msgRec is a frame's record.
type msgRec struct {
	off   int64 // of its record in the session file
	n     uint32
	at    int64
	conn  uint64
	size  uint32
	wire  uint32
	dir   protocol.Dir
	kind  protocol.Kind
	flags uint8
	// h2prev, for an HTTP/2 header block (mH2Block), is the seq of the
	// header block before it on its connection and direction (0: it is
	// the first): View.Message decodes the chain again (h2.go).
	h2prev uint64
}

// Flags of a msgRec.
const (
	mIsError = 1 << iota
	mTruncated
	mInjected
	mWithheld
	mH2Block     // an HTTP/2 header block its framer gave fields (Frame.Fields)
	mH2Undecoded // … which its framer did not decode
)

func (r *msgRec) encode(b []byte) {
	le.PutUint64(b[0:], uint64(r.off))
	le.PutUint32(b[8:], r.n)
	le.PutUint64(b[16:], uint64(r.at))
	le.PutUint64(b[24:], r.conn)
	le.PutUint32(b[32:], r.size)
	le.PutUint32(b[36:], r.wire)
	b[40], b[41], b[42] = byte(r.dir), byte(r.kind), r.flags
	le.PutUint64(b[48:], r.h2prev)
}

func (r *msgRec) decode(b []byte) {
	r.off = int64(le.Uint64(b[0:]))
	r.n = le.Uint32(b[8:])
	r.at = int64(le.Uint64(b[16:]))
	r.conn = le.Uint64(b[24:])
	r.size, r.wire = le.Uint32(b[32:]), le.Uint32(b[36:])
	r.dir, r.kind, r.flags = protocol.Dir(b[40]), protocol.Kind(b[41]), b[42]
	r.h2prev = le.Uint64(b[48:])
}

// Flags of a row record.
const (
	rDuplicate = 1 << iota
	rGap
	rInjected
	rLongID     // the id is longer than idInline
	rLongMethod // the method is longer than methodInline
)

// encodeRow writes row r into the record b.
func encodeRow(b []byte, r *store.Row) {
	clear(b[:rowSize])
	le.PutUint64(b[0:], uint64(stamp(r.ReqAt)))
	le.PutUint64(b[8:], uint64(stamp(r.RespAt)))
	le.PutUint64(b[16:], r.Req)
	le.PutUint64(b[24:], r.Resp)
	le.PutUint64(b[32:], uint64(r.Latency))
	le.PutUint64(b[40:], r.Conn)
	le.PutUint32(b[48:], uint32(r.ReqSize))
	le.PutUint32(b[52:], uint32(r.RespSize))
	b[56], b[57], b[58] = byte(r.Dir), byte(r.Kind), byte(r.Status)
	var f uint8
	if r.Duplicate {
		f |= rDuplicate
	}
	if r.Gap {
		f |= rGap
	}
	if r.Injected {
		f |= rInjected
	}
	if len(r.ID) > idInline {
		f |= rLongID
	}
	if len(r.Method) > methodInline {
		f |= rLongMethod
	}
	b[59] = f
	b[60] = byte(copy(b[64:64+idInline], r.ID))
	b[61] = byte(copy(b[88:88+methodInline], r.Method))
	b[62] = byte(r.Act)
}

// decodeRow reads record b as row seq. An id or method too long for the
// record comes back cut: the View completes it from the frame.
func decodeRow(b []byte, seq uint64) (store.Row, uint8) {
	r := store.Row{Seq: seq,
		ReqAt: unstamp(int64(le.Uint64(b[0:]))), RespAt: unstamp(int64(le.Uint64(b[8:]))),
		Req: le.Uint64(b[16:]), Resp: le.Uint64(b[24:]), Latency: time.Duration(le.Uint64(b[32:])),
		Conn: le.Uint64(b[40:]), ReqSize: int(le.Uint32(b[48:])), RespSize: int(le.Uint32(b[52:])),
		Dir: protocol.Dir(b[56]), Kind: protocol.Kind(b[57]), Status: protocol.Status(b[58]), Act: protocol.Act(b[62])}
	f := b[59]
	r.Duplicate, r.Gap, r.Injected = f&rDuplicate != 0, f&rGap != 0, f&rInjected != 0
	if n := int(b[60]); n > 0 {
		r.ID = string(b[64 : 64+n])
	}
	if n := int(b[61]); n > 0 {
		r.Method = string(b[88 : 88+n])
	}
	return r, f
}

// encodeGap writes gap g into the record b.
func encodeGap(b []byte, g *store.Gap) {
	clear(b[:gapSize])
	le.PutUint64(b[0:], g.Conn)
	le.PutUint64(b[8:], g.Before)
	le.PutUint64(b[16:], uint64(g.Bytes))
	b[24] = byte(g.Dir)
}

// decodeGap reads a gap's record.
func decodeGap(b []byte) store.Gap {
	return store.Gap{Conn: le.Uint64(b[0:]), Before: le.Uint64(b[8:]), Bytes: int64(le.Uint64(b[16:])), Dir: protocol.Dir(b[24])}
}

// snapData is the bytes of a snapshot one record holds.
const snapData = snapSize - 16

// A snapshot of HPACK's dynamic table (protocol.H2Blocks.Snapshot) after
// HTTP/2 header block seq is kept in records of its own, one after the
// other: each says the block's seq, the snapshot's length and the record's
// place in it, then holds the next snapData bytes of it.

// encodeSnap writes the records of snapshot snap, after block seq, with
// add.
func encodeSnap(seq uint64, snap []byte, add func(fill func([]byte))) {
	for part := 0; part == 0 || part*snapData < len(snap); part++ {
		add(func(b []byte) {
			clear(b[:snapSize])
			le.PutUint64(b[0:], seq)
			le.PutUint32(b[8:], uint32(len(snap)))
			le.PutUint32(b[12:], uint32(part))
			copy(b[16:], snap[part*snapData:])
		})
	}
}

// decodeSnapHead reads a snapshot record's head: the block it follows,
// the snapshot's length, the record's place in it.
func decodeSnapHead(b []byte) (seq uint64, n, part int) {
	return le.Uint64(b[0:]), int(le.Uint32(b[8:])), int(le.Uint32(b[12:]))
}

// noTime stamps the zero time.
const noTime = -1 << 63

func stamp(t time.Time) int64 {
	if t.IsZero() {
		return noTime
	}
	return t.UnixNano()
}

func unstamp(n int64) time.Time {
	if n == noTime {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// connStr is the bytes a connection record keeps of each of its strings.
const connStr = 54

// encodeConn writes connection c (its description and state, not its
// statistics) into the record b. Strings longer than connStr are cut.
func encodeConn(b []byte, c *store.Conn) {
	clear(b[:connSize])
	le.PutUint64(b[0:], c.ID)
	le.PutUint64(b[8:], uint64(stamp(c.Opened)))
	le.PutUint64(b[16:], uint64(stamp(c.Closed)))
	b[24] = byte(c.State)
	if c.Own {
		b[25] = 1
	}
	le.PutUint32(b[28:], uint32(int32(c.PID)))
	le.PutUint32(b[32:], uint32(int32(c.UID)))
	for i, s := range [4]string{c.Client, c.Listen, c.Upstream, c.Process} {
		o := 36 + i*(connStr+1)
		b[o] = byte(copy(b[o+1:o+1+connStr], s))
	}
}

// decodeConn reads a connection record.
func decodeConn(b []byte) store.Conn {
	c := store.Conn{ID: le.Uint64(b[0:]), Opened: unstamp(int64(le.Uint64(b[8:]))), Closed: unstamp(int64(le.Uint64(b[16:]))),
		State: store.ConnState(b[24]), Own: b[25] == 1,
		PID: int(int32(le.Uint32(b[28:]))), UID: int(int32(le.Uint32(b[32:])))}
	var s [4]string
	for i := range s {
		o := 36 + i*(connStr+1)
		s[i] = string(b[o+1 : o+1+int(min(b[o], connStr))])
	}
	c.Client, c.Listen, c.Upstream, c.Process = s[0], s[1], s[2], s[3]
	return c
}
