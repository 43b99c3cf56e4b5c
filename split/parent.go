//go:build unix

package split

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"sockscope/capture"
	"sockscope/event"
	"sockscope/protocol"
)

// readyTimeout bounds how long Start waits for the decoder's process to
// run (its store made, its recording and feed opened).
const readyTimeout = 30 * time.Second

// lowNice is the decoder's process's nice value when lowered: the lowest
// priority there is short of SCHED_IDLE (a thread at SCHED_IDLE that holds
// a lock or a runtime's attention can wait seconds for a core).
const lowNice = 19

// Config says how to start the decoder's process. It runs at the lowest
// priority (Linux: nice 19, in a session, and so a scheduling group, of its
// own): it gets the CPU the relay and the peers leave.
type Config struct {
	// Setup says what to decode, keep and write: Child gives it to the
	// process, which is the running binary, started again with no
	// arguments.
	Setup any
	// Framing is the configured one: how to frame what is sent on a
	// connection the decoder's process cannot answer for.
	Framing protocol.Framing
	// Quiet keeps the process off stdout (the relay's may be a wrapped
	// child's stream); it still writes on stderr.
	Quiet bool
	// Lossless says the relay waits for the decoder rather than drop: the
	// process is lowered only where its priority can be raised again while
	// the relay waits (Linux's scheduling groups by session), and runs at
	// normal priority elsewhere.
	Lossless bool
	// Normal runs the process at the relay's priority instead of the
	// lowest: for comparison, and for tests on a machine busy with other
	// work, which may leave a lowered decoder next to nothing.
	Normal bool
	// UI says the process runs the UI, on the terminal that is this
	// process's stdin and stdout, or TTY if set: it gets them, and the
	// terminal's resizes (terminal.go).
	UI  bool
	TTY *os.File
}

// showsFirst says whether the process, one with the UI and lowered, starts
// at the relay's priority instead and lowers itself once its UI has drawn
// its first screen (Source.Drawn): born at nice 19, on a machine with two
// CPU hogs, the demo's first screen took 1.3-10.2 s (median 6.3). It
// decodes only from then on: until it does, the relay drops what the ring
// has no room for, as it does whenever the decoder is behind.
func (cfg Config) showsFirst() bool { return cfg.UI && !cfg.Normal && !cfg.Lossless }

// Decoder is the decoder's process, from the relay's: a capture.Decoder.
// Start it, make the engine with it, then tell it the engine (Serve).
type Decoder struct {
	cmd      *exec.Cmd
	lossless bool             // Config.Lossless: the traffic waits for the decoder
	grouped  bool             // its scheduling group is lowered: raise can raise it
	framing  protocol.Framing // Config.Framing
	ring     *ringWriter      // the events, to the process
	w        *writer
	link     *link
	ready    chan string
	engine   Engine        // the relay's, once Serve gave it
	serving  chan struct{} // closed by Serve
	exited   chan struct{}
	err      error // how the process ended, once exited is closed
	stop     chan error

	// full says the last flush left bytes the ring had no room for;
	// dropped is the drops last written. Both are send's, under sendMu;
	// behind (cap 1) is signalled when full becomes true.
	sendMu  sync.Mutex
	full    bool
	dropped uint64
	behind  chan struct{}

	mu     sync.Mutex
	dead   error // why the events no longer go to the process
	raised int   // raise calls not yet lowered
}

// Start starts the decoder's process and waits until it runs. It returns
// what the process says it publishes (its feed), for the user.
func Start(cfg Config) (*Decoder, string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	setup, err := json.Marshal(cfg.Setup)
	if err != nil {
		return nil, "", err
	}
	size, err := ringSizeHere()
	if err != nil {
		return nil, "", err
	}
	exited := make(chan struct{})
	rw, ringFiles, err := openRing(size, exited)
	if err != nil {
		return nil, "", err
	}
	defer closeAll(ringFiles) // the process has its copies
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		rw.discard()
		return nil, "", err
	}
	syscall.CloseOnExec(fds[0])
	syscall.CloseOnExec(fds[1])
	ours, theirs := os.NewFile(uintptr(fds[0]), "decoder-link"), os.NewFile(uintptr(fds[1]), "decoder-link")
	defer theirs.Close()
	c, err := net.FileConn(ours)
	ours.Close()
	if err != nil {
		rw.discard()
		return nil, "", err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), Env+"="+string(setup))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if cfg.Quiet {
		cmd.Stdout = nil // /dev/null
	}
	// fds 3 to 6: the ring's bell, the link, the ring's memory and its
	// room pipe (Child).
	cmd.ExtraFiles = []*os.File{ringFiles[0], theirs, ringFiles[1], ringFiles[2]}
	if cfg.UI && cfg.TTY == nil {
		cfg.TTY = controllingTTY()
		if cfg.TTY != nil {
			defer cfg.TTY.Close() // the process's copy is its own
		}
	}
	switch {
	case cfg.UI && cfg.TTY != nil:
		cmd.ExtraFiles = append(cmd.ExtraFiles, cfg.TTY) // fd 7
		cmd.Env = append(cmd.Env, envTTY+"=7")
	case cfg.UI:
		cmd.Stdin = os.Stdin
	}
	if cfg.showsFirst() {
		cmd.Env = append(cmd.Env, envFirst+"=1")
	}
	// A session of its own: the terminal's signals (Ctrl-C) are the relay
	// process's, which ends the events when it stops; and a scheduling
	// group of its own (startLowered).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	d := &Decoder{cmd: cmd, ring: rw, framing: cfg.Framing, w: &writer{out: rw}, ready: make(chan string, 1),
		serving: make(chan struct{}), exited: exited, stop: make(chan error, 1)}
	d.link = newLink(c, d.serve)
	d.lossless = cfg.Lossless
	var tty *terminal
	if cfg.UI {
		tty = openTerminal(cfg) // before the UI's process changes it
	}
	switch {
	case cfg.Normal:
		err = cmd.Start()
	case cfg.Lossless:
		d.grouped, err = startBoostable(cmd)
	case cfg.showsFirst():
		d.grouped, err = startRaised(cmd)
	default:
		d.grouped, err = startLowered(cmd)
	}
	if err != nil {
		d.link.close()
		rw.discard()
		return nil, "", fmt.Errorf("the decoder's process: %w", err)
	}
	if tty != nil {
		tty.forward(cmd.Process)
	}
	go func() {
		d.err = cmd.Wait()
		if tty != nil {
			tty.ended(cmd.ProcessState, ": relaying without it; Ctrl-C stops")
		}
		close(d.exited)
		d.ring.abort() // a wait for room (--lossless) ends: nothing will take it
		d.link.close()
	}()
	select {
	case what := <-d.ready:
		return d, what, nil
	case <-d.exited:
		rw.discard()
		if ee, ok := d.err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
			return nil, "", ErrSaid // it said why (its setup failed: a -w it cannot create)
		}
		return nil, "", fmt.Errorf("the decoder's process ended before it ran: %v", d.err)
	case <-time.After(readyTimeout):
		cmd.Process.Kill()
		rw.discard()
		return nil, "", errors.New("the decoder's process did not start in time")
	}
}

// ErrSaid is Start's error when the decoder's process ended before it ran
// having said why on stderr (exit status 1): there is nothing to add.
var ErrSaid = errors.New("the decoder's process ended before it ran, and said why")

// Engine is the relay's process's engine, as the decoder's process uses
// it: to send (the UI's and the feed's viewers' resend and inject) and to
// hold frames (the UI's interceptor).
type Engine interface {
	capture.Sender
	capture.Interceptor
}

// Serve tells d the engine that sends and holds for the decoder's process.
func (d *Decoder) Serve(e Engine) {
	d.engine = e
	close(d.serving)
}

// serve answers the decoder process's requests.
func (d *Decoder) serve(m msg) msg {
	switch m.Op {
	case opReady:
		d.ready <- m.Text
		return msg{}
	case opStop, opQuit:
		var why error // nil: the user quit
		if m.Op == opStop {
			why = errors.New(m.Text)
		}
		select {
		case d.stop <- why:
		default:
		}
		return msg{}
	}
	select {
	case <-d.serving:
	case <-d.exited:
		return msg{Err: errGone.Error()}
	}
	if a, ok := serveIntercept(d.engine, m); ok {
		return a
	}
	if m.Op != opSend && m.Op != opSendNew {
		return unknown(m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	defer d.raise()() // it may wait for the decoder to catch up
	var sent capture.Sent
	var err error
	if m.Op == opSend {
		sent, err = d.engine.Send(ctx, m.Conn, m.Dir, m.Msg)
	} else {
		sent, err = d.engine.SendNew(ctx, m.Conn, m.Msg)
	}
	a := msg{Conn: sent.Conn, Text: sent.WireID}
	if err != nil {
		a.Err = err.Error()
	}
	return a
}

// Run implements capture.Decoder: it writes the events to the decoder's
// process, and when the process is gone, only releases them (the relay
// goes on without a decoder). Each event is written as it is put
// (Queue.Direct): the relay's goroutine that read it copies it onto the
// ring, where the decoder's process takes it when it wakes
// (ringReader.Read), and the relay reads its next bytes into the same
// buffer. With --lossless it waits there for room, so the traffic waits
// for the decoder's process; without, what has no room is dropped.
// Handing the events over in batches from the queue instead, every 20 ms,
// added about 4 µs to the median of a one-at-a-time round trip (each read
// landed in a new piece of a slab kept until the batch was written, and a
// goroutine woke for it), and with --lossless took the relay's process
// 0.13-0.17 µs of CPU a pipelined 64 B call against 0.09 now (1.5-2.0× a
// bare relay's against 1.0-1.4×; three runs each, alternated).
func (d *Decoder) Run(q *event.Queue) {
	stop := make(chan struct{})
	defer close(stop)
	if d.lossless && d.grouped {
		go d.boostWhileWaiting(stop)
	}
	go func() {
		select {
		case <-q.Ending(): // the relay stops: finish, or be left behind
			d.raise()
			select {
			case <-d.stalled(stop):
				d.ring.abort()
			case <-stop:
			}
		case <-stop:
		}
	}()
	if !d.lossless {
		d.behind = make(chan struct{}, 1)
		caughtUp := make(chan struct{})
		defer func() { <-caughtUp }()
		go func() {
			defer close(caughtUp)
			d.catchUp(q)
		}()
	}
	q.Direct(func(ev *event.Event) {
		one := [1]event.Event{*ev}
		d.send(q, one[:], d.lossless)
	})
	q.Take(nil) // returns once q is closed: each Put went to send
	d.sendMu.Lock()
	if d.alive() {
		e, b := q.Dropped()
		d.w.drops(e+d.w.skip.events, b+d.w.skip.bytes)
		d.fail(d.w.flush(true))
	}
	d.sendMu.Unlock()
	d.ring.close()
}

// catchUp writes what the ring had no room for at the last flush (a
// connection's Close, say, which is never dropped) once it has room, every
// napTime while it is behind, until q closes: the traffic may have
// stopped, with no Put to write it.
func (d *Decoder) catchUp(q *event.Queue) {
	for {
		select {
		case <-q.Closed():
			return
		case <-d.behind:
		}
		for behind := true; behind; behind = d.send(q, nil, false) {
			select {
			case <-q.Closed():
				return
			case <-time.After(napTime):
			}
		}
	}
}

// send writes evs onto the ring, after the relay's drops if they changed;
// unless wait, only what it has room for now: the Data events it has none
// for are dropped, counted and carried as gaps, as the queue drops them.
// The events are the caller's again when it returns. behind says the
// ring had no room for all of it (never with wait).
func (d *Decoder) send(q *event.Queue, evs []event.Event, wait bool) (behind bool) {
	d.sendMu.Lock()
	defer d.sendMu.Unlock()
	if !d.alive() {
		return false
	}
	skip := &d.w.skip
	// The ring had no room at the last flush: unless it has some now, the
	// events' bytes are dropped here rather than wait.
	if d.full {
		d.fail(d.w.flush(false))
		d.full = d.w.behind()
	}
	// While the decoder's process sheds, it drops the Data anyway: the
	// drops are counted here, and written once it takes the events again.
	shed := d.ring.shed.Load() != 0
	e, b := q.Dropped()
	if e+skip.events != d.dropped && !shed {
		d.dropped = e + skip.events
		d.w.drops(d.dropped, b+skip.bytes)
	}
	for i := range evs {
		if (d.full || shed) && evs[i].Type == event.Data {
			skip.drop(&evs[i])
			continue
		}
		skip.Carry(&evs[i])
		d.w.event(&evs[i])
	}
	// And on the head page, as they grow (Source.Dropped).
	if e+skip.events != d.ring.dropEvents.Load() {
		d.ring.dropEvents.Store(e + skip.events)
		d.ring.dropBytes.Store(b + skip.bytes)
	}
	d.fail(d.w.flush(wait))
	was := d.full
	d.full = d.w.behind()
	if d.full && !was && d.behind != nil {
		select {
		case d.behind <- struct{}{}:
		default:
		}
	}
	return d.full
}

// boostAfter is how long after the relay last waited for the decoder's
// process it is lowered again.
const boostAfter = 100 * time.Millisecond

// boostWhileWaiting raises the decoder's process's priority to the relay's
// while the relay waits for it (--lossless: then the traffic moves only as
// fast as it decodes), and lowers it again once the relay has not waited
// for boostAfter, until stop is closed.
func (d *Decoder) boostWhileWaiting(stop <-chan struct{}) {
	check := time.NewTicker(boostAfter)
	defer check.Stop()
	var lower func() // while raised
	waits := d.ring.waits.Load()
	for {
		select {
		case <-d.ring.waiting:
			if lower == nil {
				lower = d.raise()
			}
		case <-check.C:
			w := d.ring.waits.Load()
			if lower != nil && w == waits && !d.ring.blocked.Load() {
				lower()
				lower = nil
			}
			waits = w
		case <-stop:
			return
		}
	}
}

// raise puts the decoder's process at the relay's priority until the
// returned function is called, where its scheduling group is what was
// lowered (the others cannot be raised again): while the relay waits for
// it (--lossless), while a Send waits for it to reach a frame boundary,
// and once the relay stops.
func (d *Decoder) raise() (lower func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.grouped {
		return func() {}
	}
	if d.raised++; d.raised == 1 {
		d.setGroupNice(0)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			d.mu.Lock()
			defer d.mu.Unlock()
			if d.raised--; d.raised == 0 {
				d.setGroupNice(lowNice)
			}
		})
	}
}

// setGroupNice sets the process's group's nice value, unless it has
// exited (its pid may be another process's now).
func (d *Decoder) setGroupNice(nice int) {
	select {
	case <-d.exited:
	default:
		setGroupNice(d.cmd.Process.Pid, nice)
	}
}

// alive reports whether the events still go to the process.
func (d *Decoder) alive() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dead == nil
}

// fail stops sending events to the process, if err says it is gone.
func (d *Decoder) fail(err error) {
	if err == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dead == nil {
		d.dead = err
		fmt.Fprintf(os.Stderr, "sockscope: the decoder's process is gone (%v): relaying without decoding\n", err)
	}
}

// Stopping receives when the decoder's process says the run must stop:
// why (--dump's reader went away), or nil when its user quit the UI. The
// caller should stop the engine.
func (d *Decoder) Stopping() <-chan error { return d.stop }

// Warn tells the decoder's process what its UI, and its feed's attached
// viewers, must warn the user of, in the status bar, for as long as it
// lasts (Source.Warning): say, that
// another socket replaced sockscope's at a path it took over. "" takes
// the warning back. It waits for the process to take it (at most 10 s:
// call it on a goroutine that may wait).
func (d *Decoder) Warn(text string) error {
	_, err := d.ask(msg{Op: opWarn, Text: text})
	return err
}

// Kill ends the decoder's process at once, for a run that could not start.
func (d *Decoder) Kill() {
	d.cmd.Process.Kill()
	d.ring.close()
	<-d.exited
}

// ask asks the decoder's process what the control port needs.
func (d *Decoder) ask(m msg) (msg, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return d.link.call(ctx, m)
}

// Wire implements capture.Decoded.
func (d *Decoder) Wire(conn uint64, dir protocol.Dir) (int64, bool) {
	a, err := d.ask(msg{Op: opWire, Conn: conn, Dir: dir})
	return a.N, err == nil && a.OK
}

// Encoder implements capture.Decoded.
func (d *Decoder) Encoder(conn uint64, dir protocol.Dir) protocol.Encoder {
	a, err := d.ask(msg{Op: opEncoder, Conn: conn, Dir: dir})
	f, ferr := protocol.ParseFraming(a.Text)
	if err != nil || ferr != nil {
		return capture.FallbackEncoder(d.framing)
	}
	return protocol.Encoder{Framing: f, CRLF: a.CRLF}
}

// Pending implements capture.Decoded.
func (d *Decoder) Pending(conn uint64, dir protocol.Dir) []string {
	a, _ := d.ask(msg{Op: opPending, Conn: conn, Dir: dir})
	return a.IDs
}

// HandshakeRequest implements capture.Decoded.
func (d *Decoder) HandshakeRequest(conn uint64) (string, []byte, bool) {
	a, err := d.ask(msg{Op: opHandshake, Conn: conn})
	return a.Text, a.Msg, err == nil && a.OK
}

// closeAll closes fs.
func closeAll(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}
