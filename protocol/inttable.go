package protocol

// intTable is a hash table of Pendings keyed by a uint64 (an idKey's n):
// open addressing with linear probing, at most half full, and deletion by
// shifting the entries that follow back, so no tombstones build up. It
// keeps the size it grew to (bounded by the Pairer's maxPending): a table
// emptied and refilled by every burst would be reallocated each time. It is
// what makes pairing an integer id cost a few nanoseconds: a request is one
// swap, its reply one take.
type intTable struct {
	slots []intSlot // a power of two long, or nil
	n     int
}

type intSlot struct {
	used bool
	key  uint64
	val  Pending
}

// home is the slot a key hashes to (Fibonacci hashing: consecutive ids
// spread over the table).
func (t *intTable) home(k uint64) int {
	return int((k * 0x9E3779B97F4A7C15) >> 32 & uint64(len(t.slots)-1))
}

// find returns the slot of key k, or the empty slot where it would go.
func (t *intTable) find(k uint64) int {
	mask := len(t.slots) - 1
	i := t.home(k)
	for t.slots[i].used && t.slots[i].key != k {
		i = (i + 1) & mask
	}
	return i
}

func (t *intTable) get(k uint64) (Pending, bool) {
	if t.n == 0 {
		return Pending{}, false
	}
	s := &t.slots[t.find(k)]
	return s.val, s.used
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
	s := &t.slots[t.find(k)]
	if s.used {
		return s, true
	}
	s.used, s.key = true, k
	t.n++
	return s, false
}

// take removes k and returns what it held.
func (t *intTable) take(k uint64) (Pending, bool) {
	if t.n == 0 {
		return Pending{}, false
	}
	i := t.find(k)
	if !t.slots[i].used {
		return Pending{}, false
	}
	v := t.slots[i].val
	t.remove(i)
	return v, true
}

// remove empties slot i, moving back the entries of its probe run that
// would no longer be found past the hole.
func (t *intTable) remove(i int) {
	mask := len(t.slots) - 1
	for j := (i + 1) & mask; t.slots[j].used; j = (j + 1) & mask {
		// Entry j may fill the hole at i if its home is not within (i, j].
		if h := t.home(t.slots[j].key); (j-h)&mask >= (j-i)&mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = intSlot{}
	t.n--
}

func (t *intTable) resize(size int) {
	old := t.slots
	t.slots = make([]intSlot, size)
	for i := range old {
		if old[i].used {
			t.slots[t.find(old[i].key)] = old[i]
		}
	}
}

// removeIf removes the entries f selects and appends them to out.
func (t *intTable) removeIf(out []Pending, f func(Pending) bool) []Pending {
	for i := 0; i < len(t.slots); {
		if s := &t.slots[i]; s.used && f(s.val) {
			out = append(out, s.val)
			t.remove(i) // an entry may have moved into slot i: look again
			continue
		}
		i++
	}
	return out
}
