package observe

import (
	"time"

	"sockscope/event"
)

// stepsPerBatch is about how many steps Run parses into a batch before it
// hands the batch to commit (a batch always holds whole events): the relay
// hands over up to DefaultQueueBytes at once, which at 64 bytes a frame
// would be a hundred thousand steps.
const stepsPerBatch = 4096

// Run consumes q until it is closed and drained, then closes what is still
// open and flushes the outputs. Run it on its own goroutine.
//
// Decoding runs on Run's goroutine. (To keep it off the CPU the relay and
// the peers need, a run without UI decodes in a process of its own, at the
// lowest priority: package split.)
//
// While the relay waits for the observer (a lossless queue that filled up),
// the observer's speed is the traffic's: Run then commits each batch on a
// second goroutine while it parses the next, so that decoding takes two
// cores.
// (On two cores, the second goroutine made --lossless 64 B calls 30 %
// faster, but cost a busy relay that was not waiting 15-20 % of its 64 B
// throughput without --lossless, and 4 % at 16 KiB with it.)
func (o *Observer) Run(q *event.Queue) {
	p := o.newPipeline()
	var (
		evs     []event.Event
		waits   uint64
		dropped uint64 // the events Config.Dropped counted at the last batch
	)
	for {
		var ok bool
		if evs, ok = q.Take(evs[:0]); !ok {
			break
		}
		w := q.Waits()
		relayWaited := w != waits
		waits = w
		light := event.Light(evs)
		inReadOrder(evs)
		t0 := time.Now()
		o.decode(p, evs, relayWaited)
		clear(evs)
		if d := o.yield(time.Since(t0), &dropped); d > 0 {
			o.rest(d, q.Closed())
		} else if light {
			q.Rest() // heavy traffic is decoded at once, while in the cache
		}
	}
	p.close()
	o.finish(time.Now())
}

// yieldRatio is how much longer Run rests than it decoded while events are
// dropped on a machine with no CPU to spare (Config.Busy): the decoder
// then takes a quarter of the CPU it would, and drops more. A process at
// nice 19 still costs the programs it watches its CPU (each time one wakes
// and must preempt it): under issue 16's pipelined 64 B load on 2 CPUs,
// seven pairs of runs alternated, the peers were 0.78-1.13× (median 0.98)
// as fast as behind a bare relay in sessions of their own and 0.83-1.10×
// (0.97) in one, against 0.84-1.00× (0.89) and 0.86-0.94× (0.89) without
// rests; the decoder dropped 10-26 % of the bytes (400-1,400 reads)
// rather than 2-5 % (50-220 reads).
const yieldRatio = 3

// maxYield bounds one rest: a batch that took long to decode (a large
// frame, or the decoder's process's whole queue, 4 MiB) is no reason to
// stop for longer.
const maxYield = 500 * time.Millisecond

// sleep waits for d, or until done is closed (the relay stopped: Run
// finishes what it has without resting).
func sleep(d time.Duration, done <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-done:
	}
}

// yield returns how long Run rests after a batch that took took to decode:
// yieldRatio times that while Config.Dropped's count grew since the last
// batch (at *dropped) and Config.Busy says the CPUs are in use, else 0.
func (o *Observer) yield(took time.Duration, dropped *uint64) time.Duration {
	if o.cfg.Dropped == nil || o.cfg.Busy == nil {
		return 0
	}
	e, _ := o.cfg.Dropped()
	grew := e != *dropped
	*dropped = e
	if !grew || !o.cfg.Busy() {
		return 0
	}
	return min(yieldRatio*took, maxYield)
}

// decode parses evs into batches of about stepsPerBatch steps, which then
// own the events (and release them once committed), and commits them, on
// p's committing goroutine if async.
func (o *Observer) decode(p *pipeline, evs []event.Event, async bool) {
	for i := 0; i < len(evs); {
		b := p.get()
		for i < len(evs) && len(b.steps) < stepsPerBatch && b.panic == "" {
			b.events = append(b.events, evs[i])
			o.parseEvents(b, len(b.events)-1)
			i++
		}
		p.commit(b, async)
	}
}

// pipeline takes Run's parsed batches to commit, in order: on a goroutine
// of its own (async), or on Run's once the batches handed to that
// goroutine are committed. It has two batches: one parsing while the other
// commits.
type pipeline struct {
	o        *Observer
	parsed   chan *batch // to the committing goroutine
	back     chan *batch // from it, committed
	spare    []*batch    // the batches neither parsed nor committing
	inFlight int         // batches sent to parsed and not yet back
}

func (o *Observer) newPipeline() *pipeline {
	p := &pipeline{o: o, parsed: make(chan *batch), back: make(chan *batch, 2), spare: []*batch{{}, {}}}
	go func() {
		for b := range p.parsed {
			p.commitHere(b)
			p.back <- b
		}
	}()
	return p
}

// get returns an empty batch, waiting for a commit if both are taken.
func (p *pipeline) get() *batch {
	if len(p.spare) == 0 {
		p.spare = append(p.spare, <-p.back)
		p.inFlight--
	}
	b := p.spare[len(p.spare)-1]
	p.spare = p.spare[:len(p.spare)-1]
	return b
}

// commit commits b, on the committing goroutine if async.
func (p *pipeline) commit(b *batch, async bool) {
	if async {
		p.parsed <- b
		p.inFlight++
		return
	}
	p.wait()
	p.commitHere(b)
	p.spare = append(p.spare, b)
}

// commitHere commits b on this goroutine and releases its events: the
// store has its own copy of their bytes, which the relay may now reuse.
func (p *pipeline) commitHere(b *batch) {
	p.o.commit(b)
	b.reset(true)
	p.o.flush()
}

// wait waits until every batch sent to the committing goroutine is
// committed.
func (p *pipeline) wait() {
	for ; p.inFlight > 0; p.inFlight-- {
		p.spare = append(p.spare, <-p.back)
	}
}

// close waits for the commits in flight and ends the committing goroutine.
func (p *pipeline) close() {
	p.wait()
	close(p.parsed)
}
