package observe

import (
	"runtime"
	"sync"
	"sync/atomic"

	"sockscope/event"
)

// lowDecoder is a goroutine that decodes on a thread of lowered priority
// (SCHED_IDLE or nice 19, lowerThreadPriority), while Run takes the events
// at normal priority, so that the queue's lock is never held by a thread
// that waits for a core. It is what issue 16 proposed for a decoder that
// must not take the CPU of the programs it watches, and it is off by
// default, for what it measured (cmd/sockbench, 64 B pipelined, two CPU
// hogs on the 2-core machine):
//
//   - The Go runtime stops every goroutine for parts of a garbage
//     collection, and waits for each thread running Go code to stop: a
//     decoder thread that a busy machine does not schedule keeps the
//     relay stopped meanwhile. The longest such pause was 1.4-1.6 s at
//     SCHED_IDLE and 116-176 ms at nice 19, against 1-5 ms at normal
//     priority, and --lossless relayed 0.31x (SCHED_IDLE) and 0.66x (nice)
//     of direct, against 0.83x.
//   - Linux schedules each session as a group (autogroup), and a thread's
//     priority orders the threads of its group only: run in a session of
//     its own, a sockscope whose decoder is at SCHED_IDLE still takes its
//     session's share from programs in other sessions (0.77x of a bare
//     relay at 64 B, as at normal priority; 0.93x with everything in one
//     session, against 0.67x).
//
// A decoder that yields needs a runtime of its own: a process, in a
// session of its own.
type lowDecoder struct {
	o     *Observer
	p     *pipeline
	prio  string             // lowPriority's
	jobs  chan []event.Event // to the goroutine
	done  chan int           // from it: how many events of the job it took
	yield atomic.Bool        // stop after the batch being committed
}

// lowered raises GOMAXPROCS once, for the first thread lowered.
var lowered sync.Once

// newLowDecoder starts a decoding goroutine for o at priority prio. Where
// the thread's priority cannot be lowered, it decodes at normal priority.
func newLowDecoder(o *Observer, p *pipeline, prio string) *lowDecoder {
	d := &lowDecoder{o: o, p: p, prio: prio, jobs: make(chan []event.Event), done: make(chan int)}
	go d.run(nil)
	return d
}

// run decodes the jobs on a thread of lowered priority, locked to this
// goroutine and never unlocked: the goroutine's end ends the thread, so
// that no other goroutine ever runs at its priority. The process's main
// thread is the exception (the runtime parks it for good instead of
// ending it), so run does not lower that one: it hands over to a new
// goroutine, which runs on another thread while this one holds the main
// thread, and closes started (if not nil) once it has one.
func (d *lowDecoder) run(started chan struct{}) {
	runtime.LockOSThread()
	if onMainThread() {
		s := make(chan struct{})
		go d.run(s)
		<-s
		runtime.UnlockOSThread()
		return
	}
	if started != nil {
		close(started)
	}
	if lowerThreadPriority(d.prio) == nil {
		lowered.Do(func() {
			// The thread holds a P while it runs, and a descheduled one
			// keeps it: one more P lets the relay run as wide as ever.
			runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
		})
	}
	for evs := range d.jobs {
		d.done <- d.o.decode(d.p, evs, 0, false, d.yield.Load)
	}
}

// decode has the low-priority goroutine decode evs and returns how many
// events it took: all of them, unless waiting received first (the relay
// now waits for the observer), when it stops at its next batch.
func (d *lowDecoder) decode(evs []event.Event, waiting <-chan struct{}) int {
	d.yield.Store(false)
	d.jobs <- evs
	select {
	case n := <-d.done:
		return n
	case <-waiting:
		d.yield.Store(true)
		return <-d.done
	}
}

// close ends the goroutine, and with it its thread.
func (d *lowDecoder) close() { close(d.jobs) }
