package index

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"

	"sockscope/store"
)

// cacheBlocks bounds the blocks an Index keeps read in memory.
const cacheBlocks = 32

// Index is an open index file: written by a Writer, read by a View, or
// both at once (Build writes while show reads). Its methods are safe for
// concurrent use.
type Index struct {
	mu     sync.Mutex
	f      *os.File
	h      header
	blocks int64           // blocks in the file, the header's included
	tables [nKinds][]int64 // block numbers by kind
	// cur is the block of each kind being filled (nil: none yet); it is
	// written out on flush, and read from memory until then.
	cur   [nKinds]*block
	cache [cacheBlocks]*block
	hand  int
	err   error // the first write error
}

// block is one block's bytes and where it lies.
type block struct {
	no    int64
	kind  int
	n     int // records
	b     []byte
	dirty bool
}

// create makes an empty index at path, written by this process.
func create(path string) (*Index, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	x := &Index{f: f, blocks: 1}
	x.h.pid = os.Getpid()
	x.h.file = FileState{mod: noTime, change: noTime}
	if err := x.writeHeader(); err != nil {
		f.Close()
		return nil, err
	}
	return x, nil
}

// OpenFile opens the index at path for reading and scans its blocks.
func OpenFile(path string) (*Index, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	x := &Index{f: f}
	if err := x.reload(); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return x, nil
}

// reload reads the header and the block table again (the file may have
// grown).
func (x *Index) reload() error {
	b := make([]byte, BlockSize)
	if _, err := x.f.ReadAt(b[:256], 0); err != nil {
		return err
	}
	var h header
	if err := h.decode(b); err != nil {
		return err
	}
	st, err := x.f.Stat()
	if err != nil {
		return err
	}
	n := st.Size() / BlockSize
	var head [blockHead]byte
	for no := x.blocks; no < n; no++ {
		if no == 0 {
			continue
		}
		if _, err := x.f.ReadAt(head[:], no*BlockSize); err != nil {
			return err
		}
		k := int(le.Uint32(head[:]))
		if k < kindMsgs || k > kindSnaps {
			return fmt.Errorf("block %d: %w", no, errNotIndex)
		}
		x.tables[k] = append(x.tables[k], no)
	}
	x.blocks = max(n, 1)
	x.h = h
	x.cache = [cacheBlocks]*block{}
	return nil
}

// Close closes the file.
func (x *Index) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.f == nil {
		return nil
	}
	err := x.f.Close()
	x.f = nil
	return err
}

func (x *Index) writeHeader() error {
	b := make([]byte, BlockSize)
	x.h.encode(b)
	_, err := x.f.WriteAt(b[:256], 0)
	return err
}

// per returns how many records a block of kind k holds, and their size.
func per(k int) (n, size int) {
	switch k {
	case kindMsgs:
		return msgsPerBlock, msgSize
	case kindConns:
		return connsPerBlock, connSize
	case kindGaps:
		return gapsPerBlock, gapSize
	case kindSnaps:
		return snapsPerBlock, snapSize
	}
	return rowsPerBlock, rowSize
}

// slot returns the bytes of record i (from 0) of kind k, reading its block
// if need be, or nil when the index does not hold it. x.mu is held.
func (x *Index) slot(k int, i uint64) ([]byte, *block, error) {
	pb, size := per(k)
	bi := int(i / uint64(pb))
	if bi >= len(x.tables[k]) {
		return nil, nil, io.EOF
	}
	no := x.tables[k][bi]
	var blk *block
	if c := x.cur[k]; c != nil && c.no == no {
		blk = c
	} else if blk = x.cached(no); blk == nil {
		blk = &block{no: no, kind: k, b: make([]byte, BlockSize)}
		if _, err := x.f.ReadAt(blk.b, no*BlockSize); err != nil {
			return nil, nil, err
		}
		blk.n = int(le.Uint32(blk.b[4:]))
		x.cache[x.hand] = blk
		x.hand = (x.hand + 1) % cacheBlocks
	}
	j := int(i % uint64(pb))
	if j >= blk.n {
		return nil, nil, io.EOF
	}
	o := blockHead + j*size
	return blk.b[o : o+size], blk, nil
}

func (x *Index) cached(no int64) *block {
	for _, c := range x.cache {
		if c != nil && c.no == no {
			return c
		}
	}
	return nil
}

// add appends a record of kind k, filled by fill.
func (x *Index) add(k int, fill func([]byte)) {
	pb, size := per(k)
	c := x.cur[k]
	if c == nil || c.n == pb {
		if c != nil {
			x.writeBlock(c)
		}
		c = &block{no: x.blocks, kind: k, b: make([]byte, BlockSize)}
		le.PutUint32(c.b, uint32(k))
		x.blocks++
		x.tables[k] = append(x.tables[k], c.no)
		x.cur[k] = c
	}
	o := blockHead + c.n*size
	fill(c.b[o : o+size])
	c.n++
	c.dirty = true
}

// put changes record i of kind k in place with fill, writing it out at
// once unless its block is the one being filled. x.mu is held.
func (x *Index) put(k int, i uint64, fill func([]byte)) {
	b, blk, err := x.slot(k, i)
	if err != nil {
		return
	}
	fill(b)
	if blk != x.cur[k] {
		if x.err == nil {
			pb, size := per(k)
			pos := blk.no*BlockSize + int64(blockHead) + int64(i%uint64(pb))*int64(size)
			if _, err := x.f.WriteAt(b, pos); err != nil {
				x.err = err
			}
		}
		return
	}
	blk.dirty = true
}

// writeBlock writes block c out.
func (x *Index) writeBlock(c *block) {
	if !c.dirty || x.err != nil {
		return
	}
	le.PutUint32(c.b[4:], uint32(c.n))
	if _, err := x.f.WriteAt(c.b, c.no*BlockSize); err != nil {
		x.err = err
	}
	c.dirty = false
}

// msg returns frame seq's record.
func (x *Index) msg(seq uint64) (msgRec, bool) {
	var r msgRec
	if seq == 0 {
		return r, false
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	b, _, err := x.slot(kindMsgs, seq-1)
	if err != nil {
		return r, false
	}
	r.decode(b)
	return r, true
}

// row returns row seq as its record says.
func (x *Index) row(seq uint64) (store.Row, uint8, bool) {
	if seq == 0 {
		return store.Row{}, 0, false
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	b, _, err := x.slot(kindRows, seq-1)
	if err != nil {
		return store.Row{}, 0, false
	}
	r, f := decodeRow(b, seq)
	return r, f, true
}

// counts returns the frames and rows the index holds.
func (x *Index) counts() (msgs, rows uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.h.msgs, x.h.rows
}

// Fresh reports whether the index is complete and of the session file
// whose beginning is head and which fi describes: its size, and its state
// as Writer.SetFile was given it (an edit in place that keeps the size
// and the beginning, or a copy put in its place with the same
// modification time, still changes that), decoded with cfg (a hash of
// the settings, as Writer.SetConfig was given).
func (x *Index) Fresh(head []byte, fi fs.FileInfo, cfg uint64) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	var want [64]byte
	copy(want[:], head)
	h := x.h
	return h.complete && h.head == want && h.sessionSize == fi.Size() && h.file == StateOf(fi) && h.cfg == cfg
}

// Writing returns the process writing the index, if it is not complete
// (0 when none).
func (x *Index) Writing() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.h.complete {
		return 0
	}
	return x.h.pid
}
