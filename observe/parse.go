package observe

import (
	"fmt"
	"time"
	"unsafe"

	"sockscope/event"

	"sockscope/protocol"
)

// The observer works in two stages. Parse frames and classifies each
// connection's bytes, per direction, and writes down what the commit stage
// is to do, in order, as steps; commit pairs, stores, records and dumps
// them. Handle and Run run one after the other, a batch at a time.
//
// The stages share no state: parse owns the framers, the process names and
// its batch until it hands it on; commit owns the rest of the Observer.

// stepKind says what a step is.
type stepKind uint8

const (
	stepOpen  stepKind = iota // the connection opened; peer is who
	stepGap                   // n bytes of dir, read up to at, were dropped
	stepFrame                 // a frame of dir, read at at, and what it is
	stepSeen                  // dir was observed up to at
	stepClose                 // the connection ended, with err if it failed
)

// step is one thing for the commit stage to do. Its connection, direction
// and time are msg's Conn, Dir and At; a stepFrame's msg is the frame
// itself, which the commit stage stores and pairs in place.
type step struct {
	kind stepKind
	n    int64 // stepGap: bytes dropped
	// skip, for stepGap, is the bytes of the stream that no frame holds:
	// n and those of the frame the framer let go, or 0 when a frame took
	// the gap in (its Wire counts them).
	skip int64
	peer *event.Peer // stepOpen
	err  error       // stepClose
	// since, for a frame of a protocol paired by order, is when it began
	// if before msg.At (its first bytes came in an earlier read): a reply
	// read in between may answer it (an HTTP server answers before the
	// request's body is in). For stepSeen, when the frame the direction
	// is in the middle of began; for stepGap, when the frame the gap cut
	// short (and the framer let go) began, if one did.
	since time.Time
	msg   protocol.Message
}

// mark says what sockscope did to a frame (event.Event's flags).
type mark struct {
	injected, withheld bool
	note               *protocol.Note
}

// batch is a batch of relay events and the steps parsed from it. Frames
// alias the events' bytes, or bytes the batch keeps: they stay valid until
// the batch is reset.
//
// The room past the steps is not cleared: it holds the steps of earlier
// batches, which whoever fills a slot overwrites (see next). What they
// still refer to is bounded by the batch's capacity (about stepsPerBatch
// steps); clearing 256 bytes per frame cost a tenth of the observer's own
// work.
type batch struct {
	events []event.Event
	steps  []step
	kept   keeper
	panic  string // why parsing crashed, if it did: the rest was not parsed
}

// reset empties the batch for reuse, releasing its events' bytes to the
// relay if release is set (the events came from the Queue).
func (b *batch) reset(release bool) {
	if release {
		for i := range b.events {
			b.events[i].Release()
		}
		clear(b.events) // the slice is reused: hold no bytes meanwhile
	}
	b.events = b.events[:0]
	b.steps = b.steps[:0]
	b.kept.reset()
	b.panic = ""
}

// next returns the room for a step after the batch's last, without adding
// it: add does, once it is filled in. Filling in a frame's step in place
// spares copying it. The room may hold a step of an earlier batch: the
// caller writes every field that the step's kind reads (parseFrame a
// frame's kind and whole message, its Info through Memo.ClassifyInto, which
// writes all of it; addStep the whole step).
func (b *batch) next() *step {
	if len(b.steps) == cap(b.steps) {
		b.steps = append(b.steps, step{})[:len(b.steps)]
	}
	return &b.steps[: len(b.steps)+1 : len(b.steps)+1][len(b.steps)]
}

// add adds the step next returned.
func (b *batch) add() { b.steps = b.steps[:len(b.steps)+1] }

// addStep adds a step of kind for connection conn, direction d, time at.
func (b *batch) addStep(kind stepKind, conn uint64, d protocol.Dir, at time.Time) *step {
	s := b.next()
	*s = step{kind: kind, msg: protocol.Message{Conn: conn, Dir: d, At: at}}
	b.add()
	return s
}

// framers is what the parse stage keeps per connection: a parser for
// each direction.
type framers [2]dirParser

// dirParser parses one direction of a connection.
type dirParser struct {
	f    protocol.Framer
	emit func(*protocol.Frame) // parseFrame, for the frames f cuts
	conn uint64
	dir  protocol.Dir
	// framing is the framing of the frames while a Feed or Flush runs,
	// known after its first frame: a framer decides its framing before it
	// emits a frame, and keeps it through the call.
	framing protocol.Framing
	known   bool
	// memo remembers the skeleton of the direction's last JSON frame:
	// the next, nearly always alike, is classified against it.
	memo protocol.Memo
	// since is when the frame the framer holds part of began, for a
	// protocol paired by order (zero: none, or another protocol).
	since time.Time
	// heldAt, if not zero, is when the HTTP response the framer holds
	// was read whole but for a body it may not have: its request was not
	// framed yet (protocol.AwaitsRequest); heldMark is that read's marks.
	heldAt   time.Time
	heldMark mark
}

// parseEvents turns b.events, from the i-th on, into b.steps. A panic is recovered: it
// is noted in the batch, and the rest of the batch is lost to the decoder.
func (o *Observer) parseEvents(b *batch, i int) {
	defer func() {
		if r := recover(); r != nil {
			b.panic = fmt.Sprint(r)
		}
		o.out, o.chunk = nil, nil
	}()
	o.out = b
	for ; i < len(b.events); i++ {
		ev := &b.events[i]
		if o.crashTest != nil {
			o.crashTest(ev)
		}
		o.parseEvent(ev)
	}
}

// parseEvent appends the steps of one event to the batch being parsed.
func (o *Observer) parseEvent(ev *event.Event) {
	b := o.out
	switch ev.Type {
	case event.Open:
		o.parseOpen(ev.Conn, ev.At, ev.Peer)
	case event.Data:
		fs := o.framers[ev.Conn]
		if fs == nil { // data of a connection we never saw open: cannot happen, but lose nothing
			fs = o.parseOpen(ev.Conn, ev.At, nil)
		}
		d := ev.Dir
		p := &fs[d]
		if ev.Gap > 0 {
			gi := len(b.steps) // by index: a frame the gap ends may grow b.steps
			b.addStep(stepGap, ev.Conn, d, ev.At).n = ev.Gap
			o.at, o.chunk, o.mark = ev.At, nil, mark{}
			skip := ev.Gap
			if !ev.Whole {
				if protocol.SkipGap(p.f, ev.Gap, p.emit) {
					skip = 0
				} else {
					b.steps[gi].since = p.since // the frame begun then is lost with the gap
					skip += int64(protocol.Unframed(p.f))
					p.f.Reset()
					p.since = time.Time{}
				}
			}
			b.steps[gi].skip = skip
		}
		o.at, o.chunk, o.mark = ev.At, ev.Data, mark{ev.Injected, ev.Withheld, ev.Note}
		p.known = false
		p.f.Feed(ev.Data, p.emit)
		if ev.Cut.N > 0 { // the rest of a recorded frame the recording did not keep
			protocol.SkipCut(p.f, ev.Cut, p.emit)
		}
		if d == protocol.C2S {
			if r := &fs[protocol.S2C]; !r.heldAt.IsZero() {
				o.endLateHead(r)
			}
		} else if !p.heldAt.IsZero() {
			p.heldAt, p.heldMark = time.Time{}, mark{}
		}
		if protocol.PairingOf(p.f.Framing()) == protocol.PairByOrder && protocol.Unframed(p.f) > 0 {
			// A frame begun and not ended: the request it may be began
			// then, and a reply read since may answer it.
			if p.since.IsZero() {
				p.since = ev.At
			}
			if d == protocol.S2C && protocol.AwaitsRequest(p.f) {
				p.heldAt, p.heldMark = ev.At, o.mark
			}
		} else {
			p.since = time.Time{}
		}
		if !ev.More { // the read's last: settle it
			b.addStep(stepSeen, ev.Conn, d, ev.At).since = p.since
		}
	case event.Close:
		if fs := o.framers[ev.Conn]; fs != nil {
			o.at, o.chunk, o.mark = ev.At, nil, mark{}
			for d := range fs {
				fs[d].known = false
				if n := ev.TailGaps[d]; n > 0 {
					// The last bytes were dropped, not the stream cut: what
					// is left of a frame is let go, as at a gap met
					// mid-stream, not flushed as a frame the end cut;
					// unless the gap is in a body the framer can go past.
					gi := len(b.steps)
					b.addStep(stepGap, ev.Conn, protocol.Dir(d), ev.At).n = n
					skip := int64(0)
					if protocol.SkipGap(fs[d].f, n, fs[d].emit) {
						fs[d].f.Flush(fs[d].emit) // a body to the end of the stream
					} else {
						b.steps[gi].since = fs[d].since
						skip = n + int64(protocol.Unframed(fs[d].f))
						fs[d].f.Reset()
					}
					b.steps[gi].skip = skip
				} else {
					fs[d].f.Flush(fs[d].emit)
				}
			}
			delete(o.framers, ev.Conn)
		}
		b.addStep(stepClose, ev.Conn, 0, ev.At).err = ev.Err
	}
}

// endLateHead ends the HTTP response r holds, read before its request
// reached the framers, if that request, just framed, was a HEAD: it has no
// body, and is a frame now, of the read it ended in (it waited for the
// next response, or the connection's end, and was timed then).
func (o *Observer) endLateHead(r *dirParser) {
	at, chunk, mk := o.at, o.chunk, o.mark
	o.at, o.chunk, o.mark = r.heldAt, nil, r.heldMark
	r.known = false
	if protocol.EndLateHead(r.f, r.emit) {
		r.heldAt, r.heldMark = time.Time{}, mark{}
	}
	o.at, o.chunk, o.mark = at, chunk, mk
}

// parseOpen starts parsing connection id, opened at at by peer (nil if
// unknown).
func (o *Observer) parseOpen(id uint64, at time.Time, p *event.Peer) *framers {
	if p == nil {
		p = &event.Peer{PID: -1, UID: -1}
	}
	fs := &framers{}
	for d, f := range protocol.NewFramerPair(o.cfg.Framing, o.cfg.MaxFrame, o.cfg.IDFields...) {
		dp := &fs[d]
		dp.f, dp.conn, dp.dir = f, id, protocol.Dir(d)
		dp.emit = o.parseFrame(dp)
	}
	o.framers[id] = fs
	o.out.addStep(stepOpen, id, 0, at).peer = p
	return fs
}

// parseFrame returns p's emit, which classifies a frame p cut, fr, in the
// batch's next step, and adds the step. A frame not in the chunk being fed
// (one gathered from several, or flushed at the end) is in the framer's
// own buffer, which its next chunk overwrites: the batch keeps a copy.
// (The closure does it all: one call per frame, not two. Inlined into
// parseOpen, the closure would be compiled again there, without the calls
// inlined in it.)
//
//go:noinline
func (o *Observer) parseFrame(p *dirParser) func(fr *protocol.Frame) {
	return func(fr *protocol.Frame) {
		if !p.known {
			p.framing, p.known = p.f.Framing(), true
		}
		b := o.out
		s := b.next()
		m := &s.msg
		f := &m.Frame
		*f = *fr // straight from the framer's frame into the step
		if !within(f.Data, o.chunk) {
			f.Data = b.kept.keep(f.Data)
		}
		s.kind, s.since, p.since = stepFrame, p.since, time.Time{} // the next begins in this read
		m.Seq, m.Conn, m.Dir, m.At, m.Framing = 0, p.conn, p.dir, o.at, p.framing
		m.Injected, m.Withheld, m.Note = o.mark.injected, o.mark.withheld, o.mark.note
		if f.Whole != nil || f.Err != "" { // rare: one test for both
			o.classifyOdd(p, m)
		} else {
			p.memo.ClassifyInto(p.framing, f.Data, p.dir, o.cfg.IDFields, &m.Info)
			m.IntID = p.memo.TakeIntID() // the id's integer if the Memo found it
		}
		b.add()
	}
}

// classifyOdd classifies m, a frame over the cap, an HTTP/2 header block
// or a frame with the framer's error, for parseFrame's emit.
func (o *Observer) classifyOdd(p *dirParser, m *protocol.Message) {
	f := &m.Frame
	if f.Whole != nil {
		// The framing may have changed within the Feed (an h2c upgrade:
		// the first frame of HTTP/2 carries Whole).
		p.framing = p.f.Framing()
		m.Framing = p.framing
		// Over the cap, or an HTTP/2 header block: classified by the
		// framer, in its buffers.
		b := o.out
		m.Info, f.Whole = *f.Whole, nil
		m.Info.ID, m.Info.Method = b.kept.keepNil(m.Info.ID), b.kept.keepNil(m.Info.Method)
		f.Fields = b.kept.keepNil(f.Fields) // an HTTP/2 header block's, decoded
	} else {
		p.memo.ClassifyInto(p.framing, f.Data, p.dir, o.cfg.IDFields, &m.Info)
	}
	m.IntID = p.memo.TakeIntID() // the id's integer if the Memo found it (0 after f.Whole)
	if f.Err != "" && !protocol.CutShort(p.framing, f.Err, m.Info.Kind) {
		// The framer's reason ("negative Content-Length") says why the
		// bytes are not a frame; the classifier's ("not JSON") only what
		// they look like.
		m.Info.SetRaw(f.Err)
		m.IntID = 0
	}
}

// within reports whether b lies inside in.
func within(b, in []byte) bool {
	if len(b) == 0 {
		return true
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	s := uintptr(unsafe.Pointer(unsafe.SliceData(in)))
	return p >= s && p+uintptr(len(b)) <= s+uintptr(len(in))
}

// keeper holds copies of bytes for as long as a batch lives, in chunks that
// it reuses from batch to batch.
type keeper struct {
	chunks [][]byte
	used   int // chunks holding copies; the last may have room
}

// keepChunk is the size of a keeper's chunks, and keepChunks how many it
// keeps for reuse (a copy larger than a chunk gets one of its own size).
const (
	keepChunk  = 64 << 10
	keepChunks = 16
)

// keep returns a copy of p, valid until reset.
func (k *keeper) keep(p []byte) []byte {
	if k.used == 0 || cap(k.chunks[k.used-1])-len(k.chunks[k.used-1]) < len(p) {
		if k.used == len(k.chunks) {
			k.chunks = append(k.chunks, nil)
		}
		if cap(k.chunks[k.used]) < len(p) {
			k.chunks[k.used] = make([]byte, 0, max(len(p), keepChunk))
		}
		k.used++
	}
	c := &k.chunks[k.used-1]
	n := len(*c)
	*c = append(*c, p...)
	return (*c)[n:len(*c):len(*c)]
}

// keepNil is keep, but nil stays nil.
func (k *keeper) keepNil(p []byte) []byte {
	if p == nil {
		return nil
	}
	return k.keep(p)
}

// reset forgets every copy, keeping a few standard chunks for reuse.
func (k *keeper) reset() {
	n := 0
	for _, c := range k.chunks {
		if cap(c) == keepChunk && n < keepChunks {
			k.chunks[n] = c[:0]
			n++
		}
	}
	clear(k.chunks[n:])
	k.chunks = k.chunks[:n]
	k.used = 0
}
