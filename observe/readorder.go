package observe

import (
	"time"

	"sockscope/event"
)

// inReadOrder puts the data events of evs in the order their bytes were
// read (At), where their source queued them in another. A relay reads each
// direction of a connection on a goroutine of its own, and queues what it
// read once it has forwarded it: a request's read can reach the queue after
// its reply's, which the service answered meanwhile. Decoded in queue
// order, each such reply is early (kept until its request comes); under a
// pipelined load that was about a sixth of the decoder's process's CPU.
//
// Only data events with a monotonic clock reading move (a relay's, in this
// process or, through package split, in the relay's: see monotonic), and
// only past data events of another direction or connection: the bytes of
// one direction stay in the order they were read whatever the clock says,
// and no data moves past an Open, a Close or any other event. The events
// are nearly in order, so this is an insertion sort: a comparison an
// event, and a move for each one out of place.
//
// It returns how many events were passed in all, which is at most
// readOrderBudget an event: far from read order (a session file whose
// clock went back, reads whose forwarding to a slow peer delayed their
// queueing), the rest of the batch stays in queue order. Any order that
// keeps each direction's is decoded alike: the read order only spares
// holding replies as early.
func inReadOrder(evs []event.Event) (passed int) {
	budget := readOrderBudget * len(evs)
	for i := 1; i < len(evs) && passed < budget; i++ {
		e := &evs[i]
		if e.Type != event.Data || !e.At.Before(evs[i-1].At) || !monotonic(e.At) {
			continue
		}
		j := i
		for j > 0 && passed < budget && e.At.Before(evs[j-1].At) && mayPass(e, &evs[j-1]) && monotonic(evs[j-1].At) {
			j--
			passed++
		}
		if j < i {
			moved := *e
			copy(evs[j+1:i+1], evs[j:i])
			evs[j] = moved
		}
	}
	return passed
}

// readOrderBudget bounds the work of inReadOrder: the events it passes, a
// move of an event (160 bytes) each, at most this many per event of the
// batch. Fully reversed, a batch of n events would take n²/2.
const readOrderBudget = 16

// monotonic reports whether t has a monotonic clock reading: then the
// order of times is the order of reads. A wall clock (a session file's
// times) may step back: a reply read after the step would move before a
// request read before it, whose direction, seen past the reply, orphans it
// before its own request (read after the step, queued after its reply)
// comes. The queue's order is causal: a direction queues a read before it
// reads the next.
func monotonic(t time.Time) bool { return t != t.Round(0) }

// mayPass reports whether data event e may be put before event other: a
// data event of another direction or connection.
func mayPass(e, other *event.Event) bool {
	return other.Type == event.Data && (other.Conn != e.Conn || other.Dir != e.Dir)
}
