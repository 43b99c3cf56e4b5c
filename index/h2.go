package index

import (
	"bytes"
	"fmt"
	"strconv"
	"sync"

	"sockscope/protocol"
	"sockscope/session"
)

// An HTTP/2 header block is compressed against the blocks before it on its
// connection and direction (HPACK's dynamic table), so its frame alone
// does not say its fields: View.Message decodes the direction's blocks
// again, from its start, up to the one it reads. The index chains each
// block to the one before it (msgRec.h2prev), and keeps a snapshot of each
// direction's table every h2SnapEvery blocks (Writer.h2Block), where the
// decoding of a block starts when no nearer one is at hand; h2Cache keeps
// the fields of the blocks decoded, and each direction's decoding where it
// stopped, so that paging through a long connection decodes each block
// once.

// Bounds of decoding HTTP/2 header blocks again, said once.
const (
	// h2Step bounds the header blocks one read of a message decodes: a
	// block further from where its direction's decoding stands (its
	// start, or where a read before stopped) says how far it still is,
	// and the next read of it goes on from there.
	h2Step = 1 << 16
	// h2MaxChain bounds the header blocks of one direction a read walks
	// back through.
	h2MaxChain = 1 << 26
	// h2CacheBytes bounds the decoded fields kept (h2Cache.fields).
	h2CacheBytes = 8 << 20
	// h2Resumes bounds the directions whose decoding is kept where it
	// stopped (each holds HPACK's table: 4 KiB unless the peers chose
	// more, at most 64 KiB).
	h2Resumes = 256
)

// h2Key is a connection's direction.
type h2Key struct {
	conn uint64
	dir  protocol.Dir
}

// h2Resume is a direction's decoding, which stopped after block last.
type h2Resume struct {
	key  h2Key
	b    *protocol.H2Blocks
	last uint64
}

// h2Cache decodes HTTP/2 header blocks again for a View.
type h2Cache struct {
	mu     sync.Mutex
	fields map[uint64][]byte // by seq
	order  []uint64          // the keys of fields, oldest first from head
	head   int
	bytes  int
	// win is a window of the session file read at winOff: the blocks of a
	// direction lie close together in it, and are read in their order.
	win    []byte
	winOff int64
	// resumes, least recently used first.
	resumes []*h2Resume
	// snaps is the first record of each snapshot of the index
	// (Writer.h2Block), by the block it follows; snapsRead counts the
	// records read for it.
	snaps     map[uint64]uint64
	snapsRead uint64
	// step is h2Step, or less (a test's); decodes counts the blocks
	// decoded.
	step    int
	decodes int
}

// fields returns the Frame.Fields of message seq, an HTTP/2 header block
// of v whose record is r.
func (c *h2Cache) get(v *View, seq uint64, r msgRec) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.fields[seq]; ok {
		return f
	}
	step := h2Step
	if c.step > 0 {
		step = c.step
	}
	key := h2Key{r.conn, r.dir}
	res := c.resume(key)
	c.readSnaps(v)
	// Back along the chain to where the decoding starts: the block the
	// direction's decoding stopped after, one the index keeps a snapshot
	// after, or the direction's first. ring keeps the step blocks walked
	// last (the oldest), ring[i%step].
	var ring []uint64
	var b *protocol.H2Blocks
	n := 0
	for s, rec := seq, r; ; {
		if n == len(ring) && n < step {
			ring = append(ring, 0)
		}
		ring[n%step] = s
		if n++; n > h2MaxChain {
			return protocol.H2NotDecoded(strconv.Itoa(h2MaxChain) + " header blocks or more before it on its connection")
		}
		prev := rec.h2prev
		if prev == 0 {
			break
		}
		if res != nil && prev == res.last {
			b = res.b
			break
		}
		if first, ok := c.snaps[prev]; ok {
			// One that does not read whole (damaged) is passed by.
			if b, ok = c.snap(v, prev, first, r.dir); ok {
				break
			}
		}
		var ok bool
		if rec, ok = v.x.msg(prev); !ok || rec.flags&mH2Block == 0 || rec.conn != r.conn || rec.dir != r.dir {
			return protocol.H2NotDecoded("the index's chain of header blocks is broken (rebuild it: remove " + PathOf(v.path) + ")")
		}
		s = prev
	}
	if b == nil {
		b = protocol.NewH2Blocks(r.dir)
	}
	var f []byte
	k := min(n, step)
	for i := n - 1; i >= n-k; i-- {
		s := ring[i%step]
		f = c.decode(v, b, s)
		c.keep(s, f)
	}
	c.decodes += k
	c.stopped(key, b, ring[(n-k)%step])
	if n > k {
		return protocol.H2NotDecoded("not yet: " + strconv.Itoa(n-k) + " header blocks before it on its connection are still to be decoded (" +
			strconv.Itoa(step) + " are, each time it is shown)")
	}
	return f
}

// decode decodes block seq with b, the decoding of its direction up to
// the block before it.
func (c *h2Cache) decode(v *View, b *protocol.H2Blocks, seq uint64) []byte {
	r, ok := v.x.msg(seq)
	var rec session.Record
	var err error
	if ok {
		rec, err = c.read(v, r.off, int(r.n))
	}
	if !ok || err != nil || rec.Type != session.TypeFrame {
		const why = "a header block before it could not be read: the session file changed"
		b.Lose(why)
		return protocol.H2NotDecoded(why)
	}
	m := protocol.Message{Dir: r.dir, Frame: protocol.Frame{Data: rec.Data, Truncated: rec.Truncated || r.flags&mTruncated != 0, Err: rec.Err}}
	return b.Decode(&m, r.flags&mH2Undecoded == 0)
}

// readSnaps notes the snapshots the index holds that were not read yet.
func (c *h2Cache) readSnaps(v *View) {
	x := v.x
	x.mu.Lock()
	defer x.mu.Unlock()
	for ; c.snapsRead < x.h.snaps; c.snapsRead++ {
		b, _, err := x.slot(kindSnaps, c.snapsRead)
		if err != nil {
			return
		}
		if seq, _, part := decodeSnapHead(b); part == 0 {
			if c.snaps == nil {
				c.snaps = map[uint64]uint64{}
			}
			c.snaps[seq] = c.snapsRead
		}
	}
}

// snap returns the decoding of direction dir after block seq, from its
// snapshot in the index, whose first record is first.
func (c *h2Cache) snap(v *View, seq, first uint64, dir protocol.Dir) (*protocol.H2Blocks, bool) {
	x := v.x
	x.mu.Lock()
	defer x.mu.Unlock()
	var snap []byte
	for i := first; ; i++ {
		b, _, err := x.slot(kindSnaps, i)
		if err != nil {
			break
		}
		s, n, part := decodeSnapHead(b)
		if s != seq || part != int(i-first) || n > 1<<20 {
			break
		}
		snap = append(snap, b[16:16+min(snapData, n-len(snap))]...)
		if len(snap) == n {
			return protocol.H2BlocksAt(dir, snap)
		}
	}
	return nil, false
}

// h2Window is how much of the session file h2Cache.read reads at once.
const h2Window = 64 << 10

// read reads the record of n bytes at off in v's session file, through
// the window.
func (c *h2Cache) read(v *View, off int64, n int) (session.Record, error) {
	if n <= 0 || n > h2Window {
		return session.ReadAt(v.f, off, n)
	}
	if off < c.winOff || off+int64(n) > c.winOff+int64(len(c.win)) {
		if c.win == nil {
			c.win = make([]byte, h2Window)
		}
		k, err := v.f.ReadAt(c.win[:cap(c.win)], off)
		if k < n {
			c.win = c.win[:0]
			return session.Record{}, fmt.Errorf("session: record at %d: %w", off, err)
		}
		c.win, c.winOff = c.win[:k], off
	}
	line := c.win[off-c.winOff : off-c.winOff+int64(n)]
	return session.ParseRecord(bytes.TrimRight(line, "\r\n"))
}

// keep keeps f, the fields of block seq, dropping the oldest kept past
// h2CacheBytes.
func (c *h2Cache) keep(seq uint64, f []byte) {
	if c.fields == nil {
		c.fields = map[uint64][]byte{}
	}
	if _, ok := c.fields[seq]; ok {
		return
	}
	c.fields[seq] = f
	c.order = append(c.order, seq)
	c.bytes += len(f) + 64
	for c.bytes > h2CacheBytes && c.head < len(c.order)-1 {
		c.bytes -= len(c.fields[c.order[c.head]]) + 64
		delete(c.fields, c.order[c.head])
		c.head++
	}
	if c.head > len(c.order)/2 {
		c.order = append(c.order[:0], c.order[c.head:]...)
		c.head = 0
	}
}

// resume returns key's decoding where it stopped, if kept.
func (c *h2Cache) resume(key h2Key) *h2Resume {
	for _, r := range c.resumes {
		if r.key == key {
			return r
		}
	}
	return nil
}

// stopped keeps b, key's decoding, which stopped after block last, as its
// most recently used.
func (c *h2Cache) stopped(key h2Key, b *protocol.H2Blocks, last uint64) {
	for i, r := range c.resumes {
		if r.key == key {
			c.resumes = append(c.resumes[:i], c.resumes[i+1:]...)
			break
		}
	}
	if len(c.resumes) == h2Resumes {
		c.resumes = append(c.resumes[:0], c.resumes[1:]...)
	}
	c.resumes = append(c.resumes, &h2Resume{key: key, b: b, last: last})
}
