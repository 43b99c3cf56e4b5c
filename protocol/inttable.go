package protocol

import (
	"math/bits"
	"sync"
)

// intTable is a hash table of Pendings keyed by a uint64 (an idKey's n):
// open addressing with linear probing in Robin Hood order, at most half
// full. It keeps the size it grew to (bounded by the Pairer's maxPending):
// a table emptied and refilled by every burst would be reallocated each
// time. It is what makes pairing an integer id cost a few nanoseconds: a
// request is one swap, its reply one take.
//
// A client pipelining many thousands of calls keeps its ids in a sliding
// window far larger than the first cache levels, so home keeps small
// groups of consecutive ids in consecutive slots: the calls of a group
// share cache lines, where a hash that scatters every id misses the cache
// at every request and every reply.
//
// Robin Hood order (within a run of used slots, entries lie in the order
// of their homes) keeps the runs that such groups make cheap: a lookup
// stops at the first entry whose home lies past the key's, and a deletion
// moves back only the entries that lie past their homes, never scanning
// the rest of the run.
type intTable struct {
	slots []intSlot // a power of two long, or nil
	n     int
	shift uint8 // 64 - log2(len(slots)): home takes a product's top bits
}

type intSlot struct {
	used bool
	home uint32 // home(key), kept: probes compare homes at every step
	key  uint64
	val  Pending
}

// home is the slot a key hashes to: consecutive ids go in groups of
// 1<<homeGroup, which lie in consecutive slots, and the groups are spread
// by Fibonacci hashing of the rest of the key. So a pipelining client's
// calls touch a new cache line every few calls, not at every call, while
// runs of used slots stay short: an entry out of step with its neighbours
// (a request whose reply was lost, a peer's own numbering) moves a group at
// most, where one long run of consecutive ids would make each such entry
// shift the whole window.
//
// Fibonacci hashing takes the product's top bits (shift): those are what
// spread consecutive groups evenly over the table, each landing in the
// largest gap the ones before left. Its middle bits (the product shifted by
// a fixed 32, masked) spread them as a weaker multiplier would, and the
// groups of requests whose replies were dropped, up to 100,000 of them
// pending, merged into runs of hundreds of slots, which every request and
// reply landing among them shifted or walked (BenchmarkObserve64BDropping).
func (t *intTable) home(k uint64) uint32 {
	h := (k>>homeGroup)*0x9E3779B97F4A7C15>>(t.shift&63) + k&(1<<homeGroup-1)
	return uint32(h) & uint32(len(t.slots)-1)
}

// homeGroup is log2 of the ids that home keeps in consecutive slots.
const homeGroup = 4

// find returns the slot of key k and true, or the slot where k would go
// (empty, or held by an entry that must move on) and false.
func (t *intTable) find(k uint64) (int, bool) {
	h := t.home(k)
	if s := &t.slots[h]; s.used && s.key == k {
		return int(h), true // the usual case: at its home
	}
	return t.probe(k, h)
}

// probe is find past the home slot h.
func (t *intTable) probe(k uint64, h uint32) (int, bool) {
	mask := uint32(len(t.slots) - 1)
	for i := h; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if !s.used {
			return int(i), false
		}
		if s.key == k {
			return int(i), true
		}
		// Past the entries whose homes come before k's: k is not here.
		if (i-s.home)&mask < (i-h)&mask {
			return int(i), false
		}
	}
}

func (t *intTable) get(k uint64) (Pending, bool) {
	if t.n == 0 {
		return Pending{}, false
	}
	i, ok := t.find(k)
	if !ok {
		return Pending{}, false
	}
	return t.slots[i].val, true
}

// swap sets k to v and returns what it held.
func (t *intTable) swap(k uint64, v Pending) (Pending, bool) {
	s, had := t.slot(k)
	old := s.val
	s.val = v
	return old, had
}

// slot returns the slot of key k and whether k was present; if it was not,
// the slot is taken for k, with the zero Pending, for the caller to set.
func (t *intTable) slot(k uint64) (*intSlot, bool) {
	if 2*(t.n+1) > len(t.slots) {
		t.resize(max(2*len(t.slots), 16))
	}
	h := t.home(k)
	i, ok := t.probe(k, h)
	if ok {
		return &t.slots[i], true
	}
	t.insertAt(i)
	t.slots[i] = intSlot{used: true, home: h, key: k}
	t.n++
	return &t.slots[i], false
}

// insertAt makes slot i free, moving the entries from i to the next free
// slot on by one (which keeps them in the order of their homes).
func (t *intTable) insertAt(i int) {
	mask := len(t.slots) - 1
	j := i
	for t.slots[j].used {
		j = (j + 1) & mask
	}
	for ; j != i; j = (j - 1) & mask {
		t.slots[j] = t.slots[(j-1)&mask]
	}
}

// take removes k and returns what it held.
func (t *intTable) take(k uint64) (Pending, bool) {
	if t.n == 0 {
		return Pending{}, false
	}
	i, ok := t.find(k)
	if !ok {
		return Pending{}, false
	}
	v := t.slots[i].val
	t.remove(i)
	return v, true
}

// remove empties slot i, moving back by one the entries after it that lie
// past their homes.
func (t *intTable) remove(i int) {
	mask := len(t.slots) - 1
	for {
		j := (i + 1) & mask
		if s := &t.slots[j]; !s.used || int(s.home) == j {
			break
		}
		t.slots[i] = t.slots[j]
		i = j
	}
	t.slots[i] = intSlot{}
	t.n--
}

// resize moves the entries into a table of size slots, in an order that
// keeps the Robin Hood order.
func (t *intTable) resize(size int) {
	old := t.slots
	t.slots = spares.take(size)
	t.shift = uint8(64 - bits.TrailingZeros(uint(size)))
	t.n = 0
	for i := range old {
		if old[i].used {
			s, _ := t.slot(old[i].key)
			s.val = old[i].val
		}
	}
	spares.put(old)
}

// values appends every entry to out, in no order.
func (t *intTable) values(out []Pending) []Pending {
	for i := range t.slots {
		if s := &t.slots[i]; s.used {
			out = append(out, s.val)
		}
	}
	return out
}

// release empties the table, its slots going to spares.
func (t *intTable) release() {
	spares.put(t.slots)
	*t = intTable{}
}

// spares keeps slot arrays that tables left (growing, or released at their
// connection's end), one of each size, for the tables that grow next: a
// pipelining connection's table grows to a hundred thousand slots or more
// (4 MiB), which, new, is fresh memory to fault in page by page (about 14
// µs a page on this project's VM). It holds at most twice the largest
// table's slots.
var spares slotSpares

type slotSpares struct {
	sync.Mutex
	bySize [64][]intSlot // by log2 of the size
}

// take returns size zeroed slots, a spare's if there is one.
func (sp *slotSpares) take(size int) []intSlot {
	i := bits.TrailingZeros(uint(size))
	sp.Lock()
	s := sp.bySize[i]
	sp.bySize[i] = nil
	sp.Unlock()
	if s == nil {
		s = make([]intSlot, size)
	}
	return s
}

// put keeps s, cleared, unless a spare of its size is kept already.
func (sp *slotSpares) put(s []intSlot) {
	if len(s) == 0 {
		return
	}
	i := bits.TrailingZeros(uint(len(s)))
	sp.Lock()
	defer sp.Unlock()
	if sp.bySize[i] == nil {
		clear(s)
		sp.bySize[i] = s
	}
}

// removeIf removes the entries f selects, by key and value, and appends
// them to out, in no order.
func (t *intTable) removeIf(out []Pending, f func(key uint64, p Pending) bool) []Pending {
	for i := 0; i < len(t.slots); {
		if s := &t.slots[i]; s.used && f(s.key, s.val) {
			out = append(out, s.val)
			t.remove(i) // an entry may have moved into slot i: look again
			continue
		}
		i++
	}
	return out
}
