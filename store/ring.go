package store

import (
	"unsafe"

	"sockscope/internal/hugemem"
)

// ringBlock is how many values a block of a ring holds.
const (
	ringBlockBits = 9
	ringBlock     = 1 << ringBlockBits
)

// A ring keeps the blocks it frees for reuse: at least minSpares, and up
// to a 32nd of its length when it frees one (a 32nd more memory than its
// longest, at most). A full store evicts as much as it adds, but its
// rings' lengths still swing by tens of blocks when it drops: the replies
// of a dropped read of requests come in before the orphan rows they turn
// into, a dropped read of replies leaves rows pending for long, and an
// arena chunk released at once lets the records grow by its size. Keeping
// fewer would free blocks and allocate new ones a moment later, 32 or 64
// KiB of garbage each time, and fresh memory that faults in page by page
// (BenchmarkObserve64BDropping: 16 B a call keeping a 64th, none keeping a
// 32nd).
const minSpares = 4

// ring holds the values with sequence numbers [first, next) in blocks of
// ringBlock values: sequence number seq is slot seq%ringBlock of block
// seq/ringBlock, and the live blocks are themselves kept in a circular
// table whose length is a power of two. Growing adds a block (or reuses one
// freed) and, rarely, doubles the table of block pointers: values
// are never moved, so a ring of millions of records grows without copying
// them (a copy the runtime could not interrupt for a garbage collection,
// which would stall every goroutine, the relay's included, while it ran).
// Sequence numbers start at 1.
type ring[T any] struct {
	blocks      []*[ringBlock]T // block b at blocks[b&(len-1)], for b in [bfirst, bnext)
	bfirst      uint64
	bnext       uint64
	spares      []*[ringBlock]T // blocks freed, for reuse (a flat ring's go to carve)
	tail        *[ringBlock]T   // block bnext-1, the one push fills
	head        *[ringBlock]T   // block bfirst, the oldest value's (nil when not live)
	first, next uint64
	carve       *hugemem.Carver // of a ring of values with no pointers: cuts its blocks from huge-page regions
}

func newRing[T any]() ring[T] { return ring[T]{first: 1, next: 1} }

// newFlatRing is newRing for values with no pointers (the records), whose
// blocks are cut from regions advised for huge pages (package hugemem): a
// store filling up is most of what a busy sockscope faults in. A block
// freed goes back to its carver, which is the ring's spares. Its values
// are dropped, not popped, and push's callers write them whole: a block
// reused may hold old values (see drop).
func newFlatRing[T any]() ring[T] {
	r := newRing[T]()
	r.carve = &hugemem.Carver{Size: int(unsafe.Sizeof([ringBlock]T{}))}
	return r
}

// newBlock returns a block of a flat ring, from c (its Size that of the
// block): new and zeroed, or one given back as it was left.
func newBlock[T any](c *hugemem.Carver) *[ringBlock]T {
	return (*[ringBlock]T)(unsafe.Pointer(unsafe.SliceData(c.Get())))
}

// putBlock gives blk, from newBlock, back to c.
func putBlock[T any](c *hugemem.Carver, blk *[ringBlock]T) {
	c.Put(unsafe.Slice((*byte)(unsafe.Pointer(blk)), unsafe.Sizeof(*blk)))
}

// len returns how many values are held.
func (r *ring[T]) len() int { return int(r.next - r.first) }

// has reports whether seq is held.
func (r *ring[T]) has(seq uint64) bool { return seq >= r.first && seq < r.next }

// at returns the slot of seq, which must be held.
func (r *ring[T]) at(seq uint64) *T {
	return &r.blocks[(seq>>ringBlockBits)&uint64(len(r.blocks)-1)][seq&(ringBlock-1)]
}

// front returns the slot of the oldest value, which must be held.
func (r *ring[T]) front() *T { return &r.head[r.first&(ringBlock-1)] }

// push appends a value and returns its slot and sequence number: a zero
// value, unless values were dropped (see drop). The slot is valid until the
// value is popped.
func (r *ring[T]) push() (*T, uint64) {
	seq := r.next
	if b := seq >> ringBlockBits; b >= r.bnext {
		r.addBlock()
	}
	r.next++
	return &r.tail[seq&(ringBlock-1)], seq
}

// room reports whether push has room for a value without a block more.
func (r *ring[T]) room() bool { return r.next>>ringBlockBits < r.bnext }

// pushMsg and pushRow are push of the message and row rings once room
// holds (the caller adds a block when it does not), which the compiler
// inlines: the generic push, compiled once per record shape and indexing
// through its dictionary, costs too much to inline, and is a call per
// record.
func pushMsg(r *ring[msgRec]) (p *msgRec, seq uint64) {
	seq = r.next
	r.next = seq + 1
	return &r.tail[seq%ringBlock], seq
}

func pushRow(r *ring[rowRec]) (p *rowRec, seq uint64) {
	seq = r.next
	r.next = seq + 1
	return &r.tail[seq%ringBlock], seq
}

// addBlock appends block bnext.
func (r *ring[T]) addBlock() {
	if r.bnext-r.bfirst == uint64(len(r.blocks)) {
		nb := make([]*[ringBlock]T, max(2*len(r.blocks), 4))
		for b := r.bfirst; b < r.bnext; b++ {
			nb[b&uint64(len(nb)-1)] = r.blocks[b&uint64(len(r.blocks)-1)]
		}
		r.blocks = nb
	}
	var blk *[ringBlock]T
	if r.carve != nil {
		blk = newBlock[T](r.carve)
	} else if n := len(r.spares); n > 0 {
		blk, r.spares[n-1] = r.spares[n-1], nil
		r.spares = r.spares[:n-1]
	} else {
		blk = new([ringBlock]T)
	}
	r.blocks[r.bnext&uint64(len(r.blocks)-1)] = blk
	r.tail = blk
	if r.bnext == r.bfirst {
		r.head = blk
	}
	r.bnext++
}

// pop drops the oldest value, zeroing its slot so that what it referenced
// can be collected, and frees its block once no value in it is held.
func (r *ring[T]) pop() {
	var zero T
	*r.front() = zero
	r.first++
	if r.first>>ringBlockBits > r.bfirst {
		r.nextBlock()
	}
}

// nextBlock frees block bfirst, whose every value was popped or dropped.
func (r *ring[T]) nextBlock() {
	i := r.bfirst & uint64(len(r.blocks)-1)
	if r.carve != nil {
		putBlock(r.carve, r.blocks[i])
	} else if n := len(r.spares); n < minSpares || n < int(r.bnext-r.bfirst)/32 {
		r.spares = append(r.spares, r.blocks[i]) // popped: zero; dropped: see drop
	}
	r.blocks[i] = nil
	r.bfirst++
	r.head = nil
	if r.bfirst < r.bnext {
		r.head = r.blocks[r.bfirst&uint64(len(r.blocks)-1)]
	}
}

// drop is pop without zeroing the slot, for values with no pointers whose
// slots push's callers overwrite whole: the slot stays as it was until the
// block is reused. (The spare blocks, a flat ring's carver's, and the tail
// once every value was dropped, may then hold old values.)
func (r *ring[T]) drop() {
	r.first++
	if r.first>>ringBlockBits > r.bfirst {
		r.nextBlock()
	}
}

// reset drops every value and the blocks (a flat ring gives them back to
// its carver); sequence numbers continue.
func (r *ring[T]) reset() {
	if r.carve != nil {
		for b := r.bfirst; b < r.bnext; b++ {
			putBlock(r.carve, r.blocks[b&uint64(len(r.blocks)-1)])
		}
	}
	r.blocks, r.spares, r.tail, r.head = nil, nil, nil, nil
	r.first = r.next
	r.bfirst, r.bnext = r.first>>ringBlockBits, r.first>>ringBlockBits
}
