package store

// ring holds the values with sequence numbers [first, next) in a circular
// buffer whose length is a power of two, so a sequence number's slot is
// seq & (len-1). It grows by doubling; its owner bounds how many it holds, so
// the buffer never grows past the next power of two above that bound.
// Sequence numbers start at 1.
type ring[T any] struct {
	buf         []T
	first, next uint64
}

func newRing[T any]() ring[T] { return ring[T]{first: 1, next: 1} }

// len returns how many values are held.
func (r *ring[T]) len() int { return int(r.next - r.first) }

// has reports whether seq is held.
func (r *ring[T]) has(seq uint64) bool { return seq >= r.first && seq < r.next }

// at returns the slot of seq, which must be held.
func (r *ring[T]) at(seq uint64) *T { return &r.buf[seq&uint64(len(r.buf)-1)] }

// push appends a zero value and returns its slot and sequence number. The
// slot is valid until the next push.
func (r *ring[T]) push() (*T, uint64) {
	if r.len() == len(r.buf) {
		r.grow()
	}
	seq := r.next
	r.next++
	return r.at(seq), seq
}

// pop drops the oldest value, zeroing its slot so that what it referenced
// can be collected.
func (r *ring[T]) pop() {
	var zero T
	*r.at(r.first) = zero
	r.first++
}

// grow doubles the buffer (starting at 64 slots).
func (r *ring[T]) grow() {
	nb := make([]T, max(2*len(r.buf), 64))
	oldMask, newMask := uint64(len(r.buf)-1), uint64(len(nb)-1)
	for seq := r.first; seq < r.next; {
		i, j := seq&oldMask, seq&newMask
		n := min(uint64(len(r.buf))-i, uint64(len(nb))-j, r.next-seq)
		copy(nb[j:j+n], r.buf[i:i+n])
		seq += n
	}
	r.buf = nb
}

// reset drops every value and the buffer; sequence numbers continue.
func (r *ring[T]) reset() {
	r.buf = nil
	r.first = r.next
}
