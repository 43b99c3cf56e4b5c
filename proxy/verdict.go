package proxy

import (
	"bytes"
	"errors"
	"net"
	"time"

	"sockscope/event"
	"sockscope/protocol"
)

// Verdict is what a frame-aware direction does with one whole frame. The
// zero Verdict forwards it as it is.
type Verdict struct {
	// Drop: the frame is not forwarded. The observer sees it Withheld.
	Drop bool
	// Replace, if not nil, is forwarded instead of the frame; it carries
	// its own framing.
	Replace []byte
	// Observe, if not nil, is what the observer is told of a replaced
	// frame, instead of what was forwarded (the frame as it was on the
	// other leg, so that pairing sees one id).
	Observe []byte
	// Note, if not nil, goes with what the observer is told of the frame:
	// what sockscope did to it, and which rule.
	Note *protocol.Note
	// Wait, if not nil, holds the frame: the direction forwards nothing
	// more until Wait returns the Verdict to apply (which must not Wait
	// again). Frames after the held one wait behind it (the direction
	// stops reading, so they wait in the kernel's buffers); the other
	// direction and other connections go on. Wait runs on the direction's
	// own goroutine without its lock; stop is closed when the connection
	// closes, and Wait must then return soon. Bounding the hold is Wait's
	// business.
	Wait func(stop <-chan struct{}) Verdict
	// Answer, if not nil, is a frame (with its framing) injected into the
	// other direction as soon as this frame is dealt with, observed as Injected
	// with AnswerNote: a reply made up for a request that is dropped.
	Answer     []byte
	AnswerNote *protocol.Note
	// Close ends the connection once the frame is dealt with: cleanly, or
	// with Reset abortively (an RST where the transport has one).
	Close, Reset bool
	// Slice, if positive, writes the frame in writes of at most Slice
	// bytes; Rate, if positive, paces those writes at Rate bytes a second.
	Slice, Rate int
}

// plain reports whether v forwards the frame as it is, with nothing to say.
func (v *Verdict) plain() bool {
	return !v.Drop && v.Replace == nil && v.Note == nil && v.Wait == nil && v.Answer == nil &&
		!v.Close && v.Slice <= 0 && v.Rate <= 0
}

// ErrClosedByRule is how a connection a Verdict closed ends.
var ErrClosedByRule = errors.New("closed by sockscope (a rule or the user)")

// framed walks the whole frames one chunk completed in a frame-aware
// direction: runs of frames forwarded as they are go out in one write;
// a frame the verdict drops or replaces ends the run.
type framed struct {
	c        *Conn
	d        protocol.Dir
	s        *direction
	at       time.Time
	run, end int // held[run:end] is the run to forward; held[:run] is done
	done     int
	err      error
	after    *[]Verdict // verdicts to finish once the lock is let go
}

// frame handles one whole frame, the next f.Wire bytes of held (less what
// was owed: the start of an oversized frame, already forwarded).
func (f *framed) frame(fr *protocol.Frame) {
	if f.err != nil {
		return
	}
	s := f.s
	n := max(fr.Wire-s.owed, 0)
	wire := s.held[f.end : f.end+n]
	owed := s.owed > 0
	s.owed = 0
	var v Verdict
	if s.verdict != nil && !owed {
		v = s.verdict(wire, *fr, s.framer.Framing())
	}
	if v.plain() {
		f.end += n
		return
	}
	if f.err = f.flushRun(); f.err != nil {
		return
	}
	if v.Wait != nil {
		// Held: nothing else of this direction moves; s.held stays as it
		// is (SetFraming refuses while waiting), so wire stays valid.
		s.waiting = true
		s.mu.Unlock()
		stopWatch := f.c.watchHangup()
		v = v.Wait(f.c.done)
		stopWatch()
		s.mu.Lock()
		s.waiting = false
		v.Wait = nil
	}
	f.end += n
	f.run, f.done = f.end, f.end
	s.forwarded += int64(n)
	if v.Close {
		*f.after = append(*f.after, v) // its answer, then the close, once the lock is let go
	}
	if v.Drop {
		f.c.r.put(event.Event{Type: event.Data, Conn: f.c.id, Dir: f.d, At: f.at, Data: bytes.Clone(wire), Withheld: true, Note: v.Note})
		if v.Close {
			f.err = ErrClosedByRule
			return
		}
		f.answer(v)
		return
	}
	out := v.Replace
	if out == nil {
		out = wire
	}
	if f.err = f.c.write(s.dst, out, v.Slice, v.Rate); f.err != nil {
		return
	}
	seen := v.Observe
	if seen == nil {
		seen = out
	}
	f.c.r.put(event.Event{Type: event.Data, Conn: f.c.id, Dir: f.d, At: f.at, Data: bytes.Clone(seen), Note: v.Note})
	if v.Close {
		f.err = ErrClosedByRule
		return
	}
	f.answer(v)
}

// answer injects v's answer, if any, into the other direction now, not
// once the frames after this one in the chunk are dealt with: one of them
// may be held for minutes, and the answer with it. The direction's lock
// is let go meanwhile, as for a Wait (the other direction may be
// answering into this one).
func (f *framed) answer(v Verdict) {
	if v.Answer == nil {
		return
	}
	s := f.s
	s.waiting = true
	s.mu.Unlock()
	f.c.InjectNote(f.d.Opposite(), v.Answer, v.AnswerNote) // the connection may be ending; its close says so
	s.mu.Lock()
	s.waiting = false
}

// write writes out to dst: at once, or in writes of at most slice bytes
// paced at rate bytes a second, until the connection closes.
func (c *Conn) write(dst net.Conn, out []byte, slice, rate int) error {
	if slice <= 0 && rate <= 0 {
		_, err := dst.Write(out)
		return err
	}
	if slice <= 0 {
		slice = max(rate/20, 1) // 20 writes a second
	}
	start := time.Now()
	for sent := 0; sent < len(out); {
		n := min(slice, len(out)-sent)
		if _, err := dst.Write(out[sent : sent+n]); err != nil {
			return err
		}
		sent += n
		if rate > 0 && sent < len(out) {
			due := start.Add(time.Duration(float64(sent) / float64(rate) * float64(time.Second)))
			select {
			case <-time.After(time.Until(due)):
			case <-c.done:
				return net.ErrClosed
			}
		}
	}
	return nil
}

// flushRun writes and observes the run of frames forwarded as they are.
func (f *framed) flushRun() error {
	if f.end == f.run {
		return nil
	}
	out := bytes.Clone(f.s.held[f.run:f.end])
	f.s.forwarded += int64(len(out))
	f.run, f.done = f.end, f.end
	if _, err := f.s.dst.Write(out); err != nil {
		return err
	}
	f.c.r.put(event.Event{Type: event.Data, Conn: f.c.id, Dir: f.d, At: f.at, Data: out})
	return nil
}

// hangupPoll is how often a connection with a held frame looks whether a
// peer closed it.
const hangupPoll = 50 * time.Millisecond

// watchHangup closes the connection if a peer closes its end while a
// frame is held (the direction that holds it reads nothing, so it would
// not notice): the held frame's Wait sees the close. It returns the
// function that stops watching.
func (c *Conn) watchHangup() (stop func()) {
	quit := make(chan struct{})
	go func() {
		t := time.NewTicker(hangupPoll)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-c.done:
				return
			case <-t.C:
			}
			c.mu.Lock()
			up := c.up
			c.mu.Unlock()
			if hungUp(c.client) || up != nil && hungUp(up) {
				c.close(errors.New("a peer closed the connection while a frame was held"))
				return
			}
		}
	}()
	return func() { close(quit) }
}
