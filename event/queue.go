package event

import (
	"sync"
	"sync/atomic"
	"time"
)

// DefaultQueueBytes bounds the Data bytes a Queue holds when NewQueue is
// given no bound: about 10 ms of traffic at full speed, enough to ride out
// a busy decoder, small enough to keep memory near the store's bound.
const DefaultQueueBytes = 16 << 20

// Queue carries Events from sources (a relay, say) to one observer. It is bounded by the
// bytes of the Data it holds: when full, Put drops Data (counting what
// it dropped) rather than wait, so a slow observer never slows the traffic.
// In lossless mode Put waits for room instead. Open and Close are
// never dropped; they are bounded by the number of connections.
//
// Any number of goroutines may Put; one consumer calls Take.
type Queue struct {
	max      int64
	lossless bool

	mu     sync.Mutex
	room   sync.Cond // lossless Puts wait here for Take
	evs    []Event   // evs[head:] are queued; those before it were taken
	head   int
	bytes  int64 // Data bytes queued
	closed bool
	gaps   Gaps // bytes dropped since the last kept Data
	// direct, once set (Direct), takes each event at once in place of
	// the queue.
	direct func(*Event)

	wake chan struct{} // cap 1: the queue became non-empty or closed
	// filling (cap 1) is signalled when the Data queued passes a quarter
	// of max.
	filling chan struct{}
	ending  chan struct{} // closed by End
	end     sync.Once
	done    chan struct{} // closed by Close
	rest    *time.Timer   // the consumer's (Rest)

	droppedEvents, droppedBytes atomic.Uint64
	waits                       atomic.Uint64 // lossless Puts that waited for room
	blocked                     atomic.Int32  // lossless Puts waiting for room now
}

// NewQueue returns a Queue holding at most maxBytes of Data (if zero or
// less, DefaultQueueBytes). If lossless, Put waits for room instead of
// dropping.
func NewQueue(maxBytes int64, lossless bool) *Queue {
	if maxBytes <= 0 {
		maxBytes = DefaultQueueBytes
	}
	q := &Queue{
		max:      maxBytes,
		lossless: lossless,
		wake:     make(chan struct{}, 1),
		filling:  make(chan struct{}, 1),
		ending:   make(chan struct{}),
		done:     make(chan struct{}),
	}
	q.room.L = &q.mu
	return q
}

// Put queues ev and reports whether it was kept. It never blocks unless the
// queue is lossless. A dropped Data is counted, and the next kept Data
// of the same connection and direction carries the dropped bytes in Gap
// (or, when none comes, the connection's Close in TailGaps). The
// caller must not touch ev.Data after a Put that kept it; after a Put that
// dropped it, the bytes are the caller's again. After Close, Put drops
// everything without counting. Once the queue is Direct, Put hands ev to
// the consumer at once and keeps nothing: it returns false, and the bytes
// are the caller's again.
func (q *Queue) Put(ev Event) bool {
	n := int64(len(ev.Data))
	q.mu.Lock()
	if q.direct != nil && !q.closed {
		q.gaps.Carry(&ev)
		q.direct(&ev)
		q.mu.Unlock()
		return false
	}
	if ev.Type == Data {
		if q.lossless && !q.closed && q.bytes > 0 && q.bytes+n > q.max {
			q.waits.Add(1)
			q.blocked.Add(1)
			for !q.closed && q.bytes > 0 && q.bytes+n > q.max {
				q.room.Wait()
			}
			q.blocked.Add(-1)
		}
		if q.closed {
			q.mu.Unlock()
			return false
		}
		// Lossless, it waited for an empty queue: an event larger than the
		// bound alone is let in rather than dropped.
		if !q.lossless && q.bytes+n > q.max {
			q.gaps.Add(ev.Conn, ev.Dir, n)
			q.mu.Unlock()
			q.droppedEvents.Add(1)
			q.droppedBytes.Add(uint64(n))
			return false
		}
	} else if q.closed {
		q.mu.Unlock()
		return false
	}
	q.gaps.Carry(&ev)
	if len(q.evs) == cap(q.evs) && q.head > 0 { // reuse the room taken from
		k := copy(q.evs, q.evs[q.head:])
		clear(q.evs[k:])
		q.evs, q.head = q.evs[:k], 0
	}
	q.evs = append(q.evs, ev)
	q.bytes += n
	first := len(q.evs)-q.head == 1
	filling := q.bytes >= q.max/4 && q.bytes-n < q.max/4
	q.mu.Unlock()
	if first {
		poke(q.wake)
	}
	if filling {
		poke(q.filling)
	}
	return true
}

// poke signals ch, of capacity 1, unless a signal is already waiting.
func poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Filling receives when the Data queued passes a quarter of the bound: a
// consumer that waits before taking, to take more at once, should take now.
// A receive may be stale (the events since taken): it only wakes the
// consumer once too early.
func (q *Queue) Filling() <-chan struct{} { return q.filling }

// Take waits until at least one event is queued, then moves all queued
// events to the end of dst and returns it with true. Pass the previous
// result resliced to zero length to reuse it. Once the queue is closed and
// empty, Take returns dst and false.
func (q *Queue) Take(dst []Event) ([]Event, bool) { return q.TakeUpTo(dst, 0) }

// TakeUpTo is Take of the oldest events queued that hold at most max bytes
// of Data (one event at least); of all of them if max <= 0.
func (q *Queue) TakeUpTo(dst []Event, max int64) ([]Event, bool) {
	for {
		q.mu.Lock()
		if evs := q.evs[q.head:]; len(evs) > 0 {
			k, n := len(evs), q.bytes
			if max > 0 {
				k, n = 1, int64(len(evs[0].Data))
				for ; k < len(evs) && n+int64(len(evs[k].Data)) <= max; k++ {
					n += int64(len(evs[k].Data))
				}
			}
			dst = append(dst, evs[:k]...)
			clear(evs[:k]) // let go of the Data we no longer hold
			q.head += k
			if q.head == len(q.evs) {
				q.evs, q.head = q.evs[:0], 0
			}
			q.bytes -= n
			if q.lossless {
				q.room.Broadcast()
			}
			q.mu.Unlock()
			return dst, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return dst, false
		}
		select {
		case <-q.wake:
		case <-q.done:
		}
	}
}

// Direct makes the queue hand each event to put as it comes, under the
// queue's lock (so one at a time, in the order of the Puts), instead of
// holding it for Take: for a consumer that only copies the events on, and
// so need not be woken, nor the events' bytes kept, for it. put must copy
// what it keeps of an event. It is the Put's caller that waits for it, and
// every other Put with it: put may wait for room only if the queue is
// lossless, and must end that wait once Ending is closed and the room it
// waits for will not come (the sources cannot end, nor Close lock the
// queue, before it does). The events already queued go
// to put first, in order; from then on Take returns only once the queue
// is closed. Only the consumer calls Direct.
func (q *Queue) Direct(put func(*Event)) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := q.head; i < len(q.evs); i++ {
		put(&q.evs[i])
		q.evs[i].Release()
	}
	clear(q.evs)
	q.evs, q.head, q.bytes = q.evs[:0], 0, 0
	q.direct = put
}

// DropData drops the Data queued, as Put drops what has no room: counted,
// the bytes carried as gaps by the next kept event of their connection
// and direction. The other events stay, in order. For a consumer that
// rested while events queued, to go on with the traffic as it is now,
// not as it was.
func (q *Queue) DropData() {
	q.mu.Lock()
	defer q.mu.Unlock()
	var events, bytes uint64
	kept := q.evs[:0]
	for _, ev := range q.evs[q.head:] {
		if ev.Type != Data {
			q.gaps.Carry(&ev)
			kept = append(kept, ev)
			continue
		}
		q.gaps.Add(ev.Conn, ev.Dir, ev.Gap+int64(len(ev.Data)))
		events++
		bytes += uint64(len(ev.Data))
		ev.Release()
	}
	clear(q.evs[len(kept):])
	q.evs, q.head, q.bytes = kept, 0, 0
	q.droppedEvents.Add(events)
	q.droppedBytes.Add(bytes)
	if q.lossless {
		q.room.Broadcast()
	}
}

// Close ends the queue: Puts are dropped from now on, waiting Puts return,
// and Take returns false once the events already queued are taken.
func (q *Queue) Close() {
	q.End()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.closed = true
	close(q.done)
	q.room.Broadcast()
}

// Waits returns how many times a lossless Put has waited for room so far:
// how often the relay waited for the observer. It may be called at any time.
func (q *Queue) Waits() uint64 { return q.waits.Load() }

// Max is the most bytes of Data the queue holds.
func (q *Queue) Max() int64 { return q.max }

// Closed is closed once Close was called.
func (q *Queue) Closed() <-chan struct{} { return q.done }

// End says the sources are ending: Close follows once they have. A
// consumer that makes Puts wait (Direct, lossless) learns it from Ending,
// and must then end the waits it cannot end otherwise. Close calls it too.
func (q *Queue) End() { q.end.Do(func() { close(q.ending) }) }

// Ending is closed once End was called.
func (q *Queue) Ending() <-chan struct{} { return q.ending }

// Blocked reports whether a lossless Put is waiting for room now. It may be
// called at any time.
func (q *Queue) Blocked() bool { return q.blocked.Load() > 0 }

// Dropped returns how many Data events, and how many bytes in them, Put has
// dropped so far. It may be called at any time.
func (q *Queue) Dropped() (events, bytes uint64) {
	return q.droppedEvents.Load(), q.droppedBytes.Load()
}
