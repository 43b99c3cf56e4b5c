package observe

import (
	"time"

	"sockscope/event"
	"sockscope/store"
)

// stepsPerBatch is about how many steps Run parses into a batch before it
// hands the batch to commit (a batch always holds whole events): the relay
// hands over up to DefaultQueueBytes at once, which at 64 bytes a frame
// would be a hundred thousand steps.
const stepsPerBatch = 4096

// takeBytes bounds the Data Run takes from the queue at a time when it
// may rest (Config.Busy), so that it weighs a rest (yield) after each
// take, not only once the whole queue is decoded. A decoder that rested
// while the traffic went on finds its queue full (4 MiB in the decoder's
// process): decoding it whole, in memory it had not used before, took 175
// ms of its CPU under issue 16's pipelined 64 B load, several times its
// share of the relay's over a two-second run.
const takeBytes = 256 << 10

// Run consumes q until it is closed and drained, then closes what is still
// open and flushes the outputs. Run it on its own goroutine.
//
// Decoding runs on Run's goroutine, each batch parsed and then committed.
// (To keep it off the CPU the relay and the peers need, a run without UI
// decodes in a process of its own, at the lowest priority: package split.)
//
// A second goroutine committing each batch while Run parsed the next, while
// the relay waited for the observer, made --lossless 64 B 30 % faster when
// the observer shared the relay's process. With the decoder in a process of
// its own it made it slower: 1.7-2.5 M calls a second against 2.0-3.0 M
// without it (seven runs each, both arrangements, alternated), the
// decoder's CPU a call 0.41-0.58 µs against 0.31-0.40; in the relay's
// process (SOCKSCOPE_DECODER=inprocess) 1.9-2.6 M against 2.1-3.0 M.
func (o *Observer) Run(q *event.Queue) {
	var (
		b       batch
		evs     []event.Event
		dropped uint64 // the events Config.Dropped counted at the last batch
		take    int64  // the most Data to take at once: all, unless it may rest
	)
	if o.cfg.Busy != nil {
		take = takeBytes
	}
	for {
		var ok bool
		if evs, ok = q.TakeUpTo(evs[:0], take); !ok {
			break
		}
		light := event.Light(evs)
		inReadOrder(evs)
		t0 := time.Now()
		o.decode(&b, evs)
		clear(evs)
		if d, owing := o.yield(time.Since(t0), &dropped, !light); d > 0 {
			shed := owing && o.cfg.Shed != nil
			if shed {
				o.cfg.Shed(true)
			}
			o.rest(d, q.Closed())
			if owing && !closed(q) {
				// What came during a rest for Owed is stale: decoding it
				// would cost as much as decoding the traffic as it is now,
				// which is what a user watching wants to see, and each
				// wake-up would cost more than a share can pay for. (If
				// the relay stopped, Run takes all it left.) Its drops,
				// and the relay's while the decoder rested, are no reason
				// to rest again (yield): light traffic after them is
				// decoded whole.
				q.DropData()
				if o.cfg.Dropped != nil {
					dropped, _ = o.cfg.Dropped()
				}
			}
			if shed {
				o.cfg.Shed(false)
			}
		} else if light {
			q.Rest() // heavy traffic is decoded at once, while in the cache
		}
	}
	o.finish(time.Now())
}

// yieldRatio is how much longer Run rests than it decoded while the
// traffic is heavy, or events are dropped, on a machine with no CPU to
// spare (Config.Busy): the decoder then takes a sixteenth of the CPU it
// would, and drops more. A process at nice 19 still costs the programs it
// watches its CPU (each time one wakes and must preempt it, and while it
// faults in fresh memory: a new store's first filling is most of its cost
// a 16 KiB frame). Under issue 16's pipelined loads on 2 CPUs (`sockbench
// -json -bare -only 64b,16k`, three runs of each ratio alternated, both
// arrangements, paired round by round) the peers made 0.97-1.03× (median
// 0.98) the bare relay's at 15, 0.84-1.01× (0.97) at 7 and 0.87-1.02×
// (0.935) at 3; the decoder saw about 20 % of the 64 B calls and 10 % of
// the 16 KiB ones at 15, against 65 % and 55 % at 3.
const yieldRatio = 15

// maxYield bounds one rest: a batch that took long to decode (a large
// frame, or the decoder's process's whole queue, 4 MiB) is no reason to
// stop for longer.
const maxYield = 500 * time.Millisecond

// maxOwed bounds one rest for Config.Owed. The first rests of a flood pay
// for what the decoder took before the machine's load was known (its
// first 100 ms, 500 ms of the relay's CPU), the later ones for a wake-up
// of about 5 ms of its CPU (at 64 B on this project's VM).
const maxOwed = 3 * time.Second

// closed reports whether q is closed.
func closed(q *event.Queue) bool { return isClosed(q.Closed()) }

// isClosed reports whether c is closed.
func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

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

// restShowingDrops is Run's rest (Observer.rest): sleep, and every
// dropsEvery meanwhile, the store's drop counts brought up to date. A rest
// for Owed lasts up to maxOwed, and then nothing is committed: the UI's
// header showed the drops, and the bytes relayed a second, standing still
// for as long, in steps, under a flood.
func (o *Observer) restShowingDrops(d time.Duration, done <-chan struct{}) {
	for d > 0 && !isClosed(done) {
		s := min(d, dropsEvery)
		sleep(s, done)
		if d -= s; d <= 0 && s < dropsEvery {
			return // a short rest: the next batch's commit brings them
		}
		if o.cfg.Dropped != nil {
			e, b := o.cfg.Dropped()
			o.cfg.Store.Update(func(tx *store.Tx) { tx.SetDropped(e, b) })
		}
	}
}

// dropsEvery is how often a rest brings the drop counts up to date: the
// UI's header reads them at its tick, 40 ms.
const dropsEvery = 100 * time.Millisecond

// yield returns how long Run rests after a batch that took took to decode:
// yieldRatio times that while the batch was heavy or Config.Dropped's count
// grew since the last batch (at *dropped), and Config.Busy says the CPUs
// are in use; else 0, and Config.Owed starts its count anew. When the
// count grew (the decoder drops on a busy machine), what Owed says if
// longer: then owing says so.
func (o *Observer) yield(took time.Duration, dropped *uint64, heavy bool) (rest time.Duration, owing bool) {
	if o.cfg.Busy == nil {
		return 0, false
	}
	grew := false
	if o.cfg.Dropped != nil {
		e, _ := o.cfg.Dropped()
		grew = e != *dropped
		*dropped = e
	}
	rests := (grew || heavy) && o.cfg.Busy()
	var owed time.Duration
	if o.cfg.Owed != nil {
		owed = min(o.cfg.Owed(rests), maxOwed)
	}
	if !rests {
		return 0, false
	}
	rest = min(yieldRatio*took, maxYield)
	if grew && owed > rest {
		return owed, true
	}
	return rest, false
}

// decode parses evs into batches of about stepsPerBatch steps, which then
// own the events, and commits each, releasing its events: the store has its
// own copy of their bytes, which the relay may now reuse.
func (o *Observer) decode(b *batch, evs []event.Event) {
	for i := 0; i < len(evs); {
		for i < len(evs) && len(b.steps) < stepsPerBatch && b.panic == "" {
			b.events = append(b.events, evs[i])
			o.parseEvents(b, len(b.events)-1)
			i++
		}
		o.commit(b)
		b.reset(true)
		o.flush()
	}
}
