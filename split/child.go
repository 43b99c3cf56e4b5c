//go:build unix

package split

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"sockscope/capture"
	"sockscope/event"
	"sockscope/protocol"
)

// Source is the relay's process as a capture Source of the decoder's: the
// events it hands over, and the way back (Send, SendNew go to the relay's
// engine).
type Source struct {
	ring *ringReader
	r    *reader
	link *link

	read  atomic.Uint64 // events taken from the ring
	ended chan struct{} // closed when Run returns
	tty   *os.File      // the UI's terminal, if the relay's process gave one

	// first, when the process was started to show its UI first
	// (Config.showsFirst), is closed by Drawn: Run takes no event before.
	first     chan struct{}
	firstOnce sync.Once

	mu       sync.Mutex
	decoded  capture.Decoded // what the relay's process asks, once Ready gave it
	progress func() uint64   // how far the decoding got (Ready)
	warning  string          // the relay's process's (Decoder.Warn)
}

// Child returns the Source of a process the relay's started (Env is set),
// with the setup the relay's process gave in setup, or nil when this
// process is no decoder's.
func Child(setup any) (*Source, error) {
	env, ok := os.LookupEnv(Env)
	if !ok {
		return nil, nil
	}
	os.Unsetenv(Env) // not for the processes this one starts
	// The ring's pipes (openRing's files, as Start numbers them) are
	// non-blocking, the runtime poller's: closing the bell ends a read
	// (Run's context). They are not for the processes this one starts (the
	// UI's editor): the relay's process must see the room pipe close when
	// this one ends.
	for _, fd := range []int{3, 6} {
		syscall.SetNonblock(fd, true)
		syscall.CloseOnExec(fd)
	}
	ring, err := ringFrom(os.NewFile(3, "events-bell"), os.NewFile(5, "events"), os.NewFile(6, "events-room"))
	if err != nil {
		return nil, errors.New("the events' ring: " + err.Error())
	}
	s := &Source{ring: ring, ended: make(chan struct{})}
	s.tty = TakeTTY()
	if err := json.Unmarshal([]byte(env), setup); err != nil {
		return nil, errors.New(Env + ": " + err.Error())
	}
	f := os.NewFile(4, "decoder-link")
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	s.r = newReader(s.ring)
	s.link = newLink(c, s.serve)
	if os.Getenv(envFirst) != "" {
		os.Unsetenv(envFirst)
		s.first = make(chan struct{})
		// A UI that never draws (its terminal gone) does not keep the
		// process from decoding, nor at the peers' priority.
		time.AfterFunc(firstTimeout, s.Drawn)
	}
	return s, nil
}

// envFirst tells the decoder's process that it was started at the relay's
// priority to show its UI's first screen at once (Config.showsFirst).
const envFirst = "SOCKSCOPE_DECODER_FIRST"

// firstTimeout bounds how long the process stays at the relay's priority
// and decodes nothing when its UI shows no first screen.
const firstTimeout = 5 * time.Second

// ShowsFirst reports whether this process waits for its UI's first screen
// (Drawn) before it lowers itself and decodes.
func (s *Source) ShowsFirst() bool { return s.first != nil }

// Drawn says the UI has drawn its first screen (ui.Options.Drawn): when
// ShowsFirst, the process lowers itself (Lower) and Run begins to take
// the events. Later calls do nothing.
func (s *Source) Drawn() {
	if s.first == nil {
		return
	}
	s.firstOnce.Do(func() {
		Lower() // best effort, as a lowered start's group
		close(s.first)
	})
}

// Ready tells the relay's process that this one runs, decoding what
// decoded knows into, and what to tell the user (its feed's address).
// progress is a count that grows as the decoding goes on (the messages
// stored): with the events taken from the ring, it tells the relay's
// process, once the relay stops, that this one is still finishing, not
// stuck.
func (s *Source) Ready(decoded capture.Decoded, progress func() uint64, what string) error {
	s.mu.Lock()
	s.decoded, s.progress = decoded, progress
	s.mu.Unlock()
	_, err := s.link.call(context.Background(), msg{Op: opReady, Text: what})
	return err
}

// Stop tells the relay's process that the run cannot go on, and why.
func (s *Source) Stop(why error) {
	s.link.call(context.Background(), msg{Op: opStop, Text: why.Error()})
}

// Quit tells the relay's process that the user quit the UI: the run
// stops, and Run returns once the events are all taken.
func (s *Source) Quit() {
	s.link.call(context.Background(), msg{Op: opQuit})
}

// Ended is closed when Run has returned: the relay's process stopped (or
// died), and every event it handed over is taken.
func (s *Source) Ended() <-chan struct{} { return s.ended }

// RelayDied reports, once Ended is closed, whether the relay's process
// died (SIGKILL, a crash) rather than ended the events itself: then it
// cleaned up nothing of its own, such as a path it had taken over.
func (s *Source) RelayDied() bool { return s.ring.diedWriter() }

// TTY is the terminal the UI runs in when the relay's process gave one
// (Config.TTY), or nil: then it is stdin and stdout.
func (s *Source) TTY() *os.File { return s.tty }

// Dropped reports what the relay dropped before the events reached this
// process (capture.Config.Dropped): as the relay's process counts it (on
// the ring's head page), or as its last drops record on the stream said,
// whichever is more.
func (s *Source) Dropped() (events, bytes uint64) {
	return max(s.r.dropEvents.Load(), s.ring.dropEvents.Load()), max(s.r.dropBytes.Load(), s.ring.dropBytes.Load())
}

// Shed tells the relay's process to drop the Data that comes from now on
// (on) rather than copy it onto the ring, or to write it again (off): the
// decoder rests for its share of the CPU and drops what comes meanwhile
// (capture.Config.Shed), so the copies onto the ring, out of it and into
// the queue, only to be dropped, would be CPU taken for nothing. The
// relay's process drops it as it drops what has no room on the ring:
// counted, and carried as gaps.
func (s *Source) Shed(on bool) {
	var v uint32
	if on {
		v = 1
	}
	s.ring.shed.Store(v)
}

// Run implements capture.Source: it ends when the relay's process closes
// the stream (it stopped, or died).
func (s *Source) Run(ctx context.Context, q *event.Queue) error {
	stop := context.AfterFunc(ctx, func() { s.ring.bell.Close() })
	defer stop()
	defer close(s.ended)
	defer s.r.close()
	if s.first != nil {
		select {
		case <-s.first:
		case <-ctx.Done():
			return nil
		}
	}
	for {
		var ev event.Event
		err := s.r.next(&ev)
		switch {
		case err == io.EOF || ctx.Err() != nil:
			return nil
		case err != nil:
			return err
		}
		if !q.Put(ev) {
			ev.Release() // dropped: its chunk goes back, not to the collector
		}
		s.read.Add(1)
	}
}

// Send implements capture.Sender.
func (s *Source) Send(ctx context.Context, conn uint64, dir protocol.Dir, m []byte) (capture.Sent, error) {
	a, err := s.link.call(ctx, msg{Op: opSend, Conn: conn, Dir: dir, Msg: m})
	return capture.Sent{Conn: a.Conn, WireID: a.Text}, err
}

// SendNew implements capture.Sender.
func (s *Source) SendNew(ctx context.Context, like uint64, m []byte) (capture.Sent, error) {
	a, err := s.link.call(ctx, msg{Op: opSendNew, Conn: like, Msg: m})
	return capture.Sent{Conn: a.Conn, WireID: a.Text}, err
}

// Warning is what the relay's process last said the UI must warn of
// (Decoder.Warn), for as long as it lasts: ui.Options.Warning. It is ""
// while there is nothing.
func (s *Source) Warning() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.warning
}

// serve answers what the relay's process asks of the decoded traffic, and
// takes what it tells.
func (s *Source) serve(m msg) msg {
	if m.Op == opWarn { // before Ready too
		s.mu.Lock()
		s.warning = m.Text
		s.mu.Unlock()
		return msg{}
	}
	s.mu.Lock()
	d, progress := s.decoded, s.progress
	s.mu.Unlock()
	if d == nil {
		return msg{Err: "not decoding yet"}
	}
	switch m.Op {
	case opProgress:
		return msg{N: int64(s.read.Load() + progress())}
	case opWire:
		n, ok := d.Wire(m.Conn, m.Dir)
		return msg{N: n, OK: ok}
	case opEncoder:
		enc := d.Encoder(m.Conn, m.Dir)
		return msg{Text: enc.Framing.String(), CRLF: enc.CRLF}
	case opPending:
		return msg{IDs: d.Pending(m.Conn, m.Dir)}
	case opHandshake:
		method, payload, ok := d.HandshakeRequest(m.Conn)
		return msg{Text: method, Msg: payload, OK: ok}
	}
	return unknown(m)
}
