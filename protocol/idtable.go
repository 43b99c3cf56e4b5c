package protocol

// The Pairer's tables and keys: what a (direction, id) pair is looked up by.

// idTable maps (direction, id) keys to Pendings. Integer ids (nearly every
// id of JSON-RPC, LSP and the seed protocol) go in an intTable; others in a
// map keyed by pairKey.
type idTable struct {
	ints intTable
	strs map[pairKey]Pending
}

func newIDTable() idTable { return idTable{strs: map[pairKey]Pending{}} }

func (t *idTable) get(k *idKey) (Pending, bool) {
	if k.isInt {
		return t.ints.get(k.n)
	}
	e, ok := t.strs[*k.s]
	return e, ok
}

// swap sets k to e and returns what it held.
func (t *idTable) swap(k *idKey, e Pending) (Pending, bool) {
	if k.isInt {
		return t.ints.swap(k.n, e)
	}
	old, ok := t.strs[*k.s]
	t.strs[*k.s] = e
	return old, ok
}

// take removes k and returns what it held.
func (t *idTable) take(k *idKey) (Pending, bool) {
	if k.isInt {
		return t.ints.take(k.n)
	}
	e, ok := t.strs[*k.s]
	if ok {
		delete(t.strs, *k.s)
	}
	return e, ok
}

func (t *idTable) len() int { return t.ints.n + len(t.strs) }

// values appends every entry to out, in no order.
func (t *idTable) values(out []Pending) []Pending {
	out = t.ints.values(out)
	for _, e := range t.strs {
		out = append(out, e)
	}
	return out
}

// removeIf removes the entries f selects and appends them to out, in no
// order.
func (t *idTable) removeIf(out []Pending, f func(Pending) bool) []Pending {
	out = t.ints.removeIf(out, func(_ uint64, e Pending) bool { return f(e) })
	for k, e := range t.strs {
		if f(e) {
			delete(t.strs, k)
			out = append(out, e)
		}
	}
	return out
}

// drain appends every entry to out, in no order, and empties the table.
func (t *idTable) drain(out []Pending) []Pending {
	out = t.values(out)
	t.ints.release()
	clear(t.strs)
	return out
}

// idKey is a key of an idTable: an integer id's, or another's. It is
// small, so that passing one around costs nothing: another id's pairKey
// lives in the Pairer.
type idKey struct {
	isInt bool
	n     uint64 // the direction in bit 63, the sign in bit 62, the magnitude below
	s     *pairKey
}

// pairKey is (direction the request travelled, id). Ids of up to
// shortID bytes are kept inline, so a lookup allocates nothing.
type pairKey struct {
	dir   Dir
	n     uint8 // length of a short id in short; longID for a long one
	short [shortID]byte
	long  string
}

const (
	shortID = 22
	longID  = 255
)

// keyOf is the key of id, which travelled in dir. An id with other
// spellings is compared in its canonical one (idkey.go), written in the
// Pairer's scratch buffer; plain numbers and strings are used as they are.
// A key that is no integer is p.key: it holds until the next call.
func (p *Pairer) keyOf(dir Dir, id []byte) idKey {
	if n, ok := intKey(dir, id); ok {
		return idKey{isInt: true, n: n}
	}
	return p.otherKey(dir, id)
}

// otherKey is keyOf for an id that is not an integer as it is spelt.
func (p *Pairer) otherKey(dir Dir, id []byte) idKey {
	if !needsCanon(id) {
		setKey(&p.key, dir, id)
		return idKey{s: &p.key}
	}
	p.scratch = canonID(p.scratch[:0], id)
	k := idKey{s: &p.key}
	if n, ok := intKey(dir, p.scratch); ok {
		k = idKey{isInt: true, n: n}
	} else {
		setKey(&p.key, dir, p.scratch)
	}
	if cap(p.scratch) > keepBuf {
		p.scratch = nil // a huge id once: do not keep its memory
	}
	return k
}

// intKey is the key of id when it is an integer in its canonical spelling
// (no leading zero, no "-0") of at most 18 digits.
func intKey(dir Dir, id []byte) (uint64, bool) {
	neg := uint64(0)
	if len(id) > 0 && id[0] == '-' {
		id, neg = id[1:], 1
	}
	if len(id) == 0 || len(id) > 18 || (id[0] == '0' && (len(id) > 1 || neg == 1)) {
		return 0, false
	}
	var v uint64
	for _, c := range id {
		d := c - '0'
		if d > 9 {
			return 0, false
		}
		v = v*10 + uint64(d)
	}
	return uint64(dir&1)<<63 | neg<<62 | v, true
}

// IntID is an id that is an integer in its canonical spelling of at most
// 18 digits, as a classifier found it (Memo.TakeIntID): bit 63 set, the sign in
// bit 62 and the magnitude below. 0 is none: an id that is not such an
// integer, or that the classifier did not look at.
type IntID uint64

// key is intKey(dir, id) for an id whose IntID is n (not 0).
func (n IntID) key(dir Dir) uint64 { return uint64(n)&^(1<<63) | uint64(dir&1)<<63 }

// setKey sets k to the key of id as it is spelt.
func setKey(k *pairKey, dir Dir, id []byte) {
	*k = pairKey{dir: dir}
	if len(id) <= shortID {
		k.n = uint8(copy(k.short[:], id))
	} else {
		k.n, k.long = longID, string(id)
	}
}
