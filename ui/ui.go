// Package ui is sockscope's live inspector: a full-screen Bubble Tea
// program that shows what the store holds — connections, the exchanges
// list (or the raw message stream), the selected exchange in detail, and
// latency statistics — and stays smooth under heavy traffic.
//
// Typical use, once the observer fills st:
//
//	err := ui.Run(ctx, st, ui.Options{Listen: "unix:/tmp/app.sock", Upstream: "unix:/tmp/app.sock.orig"})
//
// The UI never touches a socket. Data enters it in batches: a tick every
// Options.Tick reads the store when its generation moved, and rendering
// reads only the rows on screen, so a million stored messages cost no more
// than ten.
package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	tea "charm.land/bubbletea/v2"
	xterm "github.com/charmbracelet/x/term"

	"sockscope/protocol"
	"sockscope/replay"
	"sockscope/store"

	"time"
)

// Options configure the inspector.
type Options struct {
	// Listen and Upstream are shown in the status bar.
	Listen, Upstream string
	// SendAddr is where `sockscope send` reaches the server as the
	// clients do (Y's command): the address sockscope listens on; "" when
	// there is none (a wrapped child's stdio, an attached viewer).
	SendAddr string
	// IDFields are the members that carry request ids (sockscope's --id):
	// Y's command names the one a request's id is in when send would not
	// look there. If nil, protocol.DefaultIDFields.
	IDFields []string
	// OneConn says the run has one connection, which sockscope cannot
	// open another of (a wrapped child's stdio): N says so.
	OneConn bool
	// RecordPath is the session file being written; "" when not recording.
	RecordPath string
	// RecordStatus reports the session file's size and its write error, if
	// any; nil when not recording.
	RecordStatus func() (size int64, err error)
	// Away, if set, says when the terminal is not the UI's for a while
	// (true: the process that holds it, and would get its job-control
	// signals, was stopped, and the shell has it) and when it is again
	// (false): the UI gives it back, and takes it again.
	Away <-chan bool
	// Warning, if set, is polled on every tick for what the user must
	// know for as long as it lasts, "" while there is nothing: say, that
	// another socket replaced sockscope's at a path it took over, so new
	// clients no longer pass through it. The status bar shows it, and the
	// bottom line for a few seconds when it comes or changes. It is
	// called on the UI's goroutine: it must return at once.
	Warning func() string
	// File, if set, says the UI shows a session file, not a live proxy:
	// the status bar names the file, its size and time span (and the
	// progress of its indexing) instead of a rate, drops and pause.
	File func() FileStatus
	// Nav, with File, reaches the whole file: a search over its payloads,
	// jumps to a time, an error, a slow exchange; sparklines of it.
	Nav FileNav
	// Tick is how often the store is read. If zero, 40ms.
	Tick time.Duration
	// Control is the way back to the data path: resend, edit, compose and
	// copy-as-command (R, e, n, N, Y). If nil (a session file being
	// shown), those keys are disabled and not in the help.
	Control Control
	// TTY, if set, is the terminal the UI runs in instead of stdin and
	// stdout (a wrapped child's stdio is not a terminal: --ui TTY).
	TTY *os.File
	// NoSignals leaves SIGINT and SIGTERM to the caller (a wrapped child
	// gets them), instead of quitting the UI.
	NoSignals bool
	// Feed, if set, says what the feed an attached UI reads skipped (the
	// status bar, and a marker in the list where it was) and whether it
	// ended.
	Feed func() FeedStatus
	// Drawn, if set, is called once the terminal has the UI's first
	// screen (drawn at the terminal's size, not the "starting…" line), on
	// the goroutine that draws, right after it wrote that screen: say,
	// to lower the process's priority only once the user has something to
	// look at. It must return soon: drawing waits for it.
	Drawn func()
	// Replay, if set, says the UI shows a replay's own capture: each
	// replayed request carries its comparison with the recorded response
	// (the list, the detail pane's diff view, status:differs), and the
	// status bar says how far the replay is (ui/replay.go).
	Replay *replay.Live
}

// ttyPoll is how often Run looks whether Options.TTY is still a terminal.
const ttyPoll = 200 * time.Millisecond

// Run runs the inspector full-screen until the user quits (q, Ctrl-C) or
// ctx is done, and leaves the terminal as it found it. With Options.TTY,
// which is not the terminal that would send it SIGHUP, it quits too when
// that terminal hangs up (its window closed): what the user quitting
// does then follows (the rules that hold turned off, say), not minutes of
// frames held for a UI no one sees.
func Run(ctx context.Context, st store.View, opts Options) error {
	var popts []tea.ProgramOption
	if opts.TTY != nil {
		popts = append(popts, tea.WithInput(opts.TTY), tea.WithOutput(opts.TTY))
	}
	if opts.NoSignals {
		popts = append(popts, tea.WithoutSignalHandler())
	}
	m := New(st, opts)
	if opts.Drawn != nil {
		out := opts.TTY
		if out == nil {
			out = os.Stdout
		}
		m.c.screened = new(atomic.Bool)
		popts = append(popts, tea.WithOutput(&drawnOutput{File: out, screened: m.c.screened, drawn: opts.Drawn}))
	}
	p := tea.NewProgram(m, popts...)
	done := make(chan struct{})
	defer close(done)
	go func() {
		away := opts.Away
		var hangup <-chan time.Time // a TTY of its own: when it closes
		if opts.TTY != nil {
			t := time.NewTicker(ttyPoll)
			defer t.Stop()
			hangup = t.C
		}
		for {
			select {
			case <-ctx.Done():
				p.Quit()
				return
			case <-hangup:
				if !xterm.IsTerminal(opts.TTY.Fd()) { // hung up: reads end, nobody sees it
					p.Quit()
					return
				}
			case a, ok := <-away:
				switch {
				case !ok:
					away = nil
				case a:
					p.ReleaseTerminal()
				default:
					p.RestoreTerminal()
				}
			case <-done:
				return
			}
		}
	}()
	_, err := p.Run()
	if errors.Is(err, tea.ErrInterrupted) {
		// SIGINT, which is how wine's console (and Windows', when it
		// processes input) delivers Ctrl-C: the quit key, not a failure.
		return nil
	}
	return err
}

// writtenMsg reports a message written to a file by w.
type writtenMsg struct {
	path string
	n    int
	err  error
}

// selectedMessage is the message y and w act on: in the raw stream the
// selected one; in the exchanges list the request or the response, as
// chosen with h/l. name is the file w writes it to (without the
// extension), label what a notice calls it: the list's own number, which
// in the exchanges list is the row's, not the message's.
func (m Model) selectedMessage() (msg protocol.Message, name, label string, ok bool) {
	seq := m.list.sel
	if seq == 0 {
		return protocol.Message{}, "", "", false
	}
	if h, ok := m.selectedHeld(); ok {
		msg := heldMessage(&h)
		return msg, fmt.Sprintf("sockscope-held-%d", h.ID), fmt.Sprintf("held %s", msg.Info.Kind), true
	}
	if m.list.raw() {
		msg, ok := m.c.st.Message(seq)
		return msg, fmt.Sprintf("sockscope-msg-%d", seq), describe(&msg), ok
	}
	r, ok := m.c.st.Row(seq)
	if !ok {
		return protocol.Message{}, "", "", false
	}
	name, label = fmt.Sprintf("sockscope-%d", seq), fmt.Sprintf("the request of #%d", seq)
	ms := r.Req
	if m.detail.sideFor(&r) == sideResponse {
		ms = r.Resp
		name += "-response"
		label = fmt.Sprintf("the response of #%d", seq)
	}
	if ms == 0 {
		return protocol.Message{}, "", "", false
	}
	msg, ok = m.c.st.Message(ms)
	return msg, name, label, ok
}

// copySelected puts the selected message on the clipboard (OSC 52).
func (m Model) copySelected() (Model, tea.Cmd) {
	msg, _, label, ok := m.selectedMessage()
	if !ok {
		return m.setNotice("nothing to copy: that message is not stored (any more)", true), nil
	}
	note := fmt.Sprintf("copied %s (%s) to the clipboard", label, fmtSize(int64(len(msg.Frame.Data))))
	if msg.Frame.Truncated {
		note += fmt.Sprintf(" — truncated frame, %s on the wire", fmtSize(int64(msg.Frame.Size)))
	}
	return m.setNotice(note, false), tea.SetClipboard(string(msg.Frame.Data))
}

// writeSelected writes the selected message's bytes, as captured, to
// ./sockscope-<row>.json (or -response.json; .http, .resp or .msgpack for
// those protocols, .bin for raw bytes).
func (m Model) writeSelected() (Model, tea.Cmd) {
	msg, name, _, ok := m.selectedMessage()
	if !ok {
		return m.setNotice("nothing to write: that message is not stored (any more)", true), nil
	}
	ext := ".json"
	switch {
	case msg.Info.Kind == protocol.KindRaw:
		ext = ".bin"
	case msg.Framing == protocol.FramingHTTP:
		ext = ".http"
	case msg.Framing == protocol.FramingRESP:
		ext = ".resp"
	case msg.Framing == protocol.FramingHTTP2:
		ext = ".h2"
	case msg.Framing == protocol.FramingMsgpack:
		ext = ".msgpack"
	}
	path := filepath.Join(m.c.dir, name+ext)
	if m.c.dir == "." {
		path = "./" + name + ext
	}
	w := writeMsg{path: path, data: msg.Frame.Data}
	if _, err := os.Lstat(path); err == nil {
		// w on the same row again, or a file of the user's: asked first.
		q := newConfirm(m.c, sanitize(name+ext)+" exists: overwrite it?", w)
		q.no = noticeMsg{text: "nothing written: " + sanitize(name+ext) + " is as it was"}
		m.overlays = m.overlays.push(q)
		return m, nil
	}
	return m, w.cmd()
}

// noticeMsg asks the root to show a notice (an answer no, say).
type noticeMsg struct {
	text string
	bad  bool
}

// writeMsg asks the root to write data to path (w, said yes to).
type writeMsg struct {
	path string
	data []byte
}

func (w writeMsg) cmd() tea.Cmd {
	return func() tea.Msg {
		err := os.WriteFile(w.path, w.data, 0o644)
		return writtenMsg{path: w.path, n: len(w.data), err: err}
	}
}

// describe names a message for a notice.
func describe(msg *protocol.Message) string {
	return fmt.Sprintf("%s #%d", msg.Info.Kind, msg.Seq)
}

// drawnOutput is the terminal the UI draws on, which calls drawn after the
// first write of text (not only escape sequences: a terminal query, a mode)
// once View has rendered a screen (screened): the renderer writes each frame
// at once, so that write put the first screen on the terminal.
type drawnOutput struct {
	*os.File
	screened *atomic.Bool
	drawn    func()
	done     bool // drawn was called; the drawing goroutine's
}

func (o *drawnOutput) Write(b []byte) (int, error) {
	n, err := o.File.Write(b)
	if !o.done && o.screened.Load() && hasText(b[:n]) {
		o.done = true
		o.drawn()
	}
	return n, err
}

// hasText reports whether b, written to a terminal, shows any character:
// a byte that is no control character, outside escape sequences (CSI, OSC,
// DCS and their kin, and two-byte ones).
func hasText(b []byte) bool {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != 0x1b {
			if c >= 0x20 && c != 0x7f {
				return true
			}
			continue
		}
		if i++; i >= len(b) {
			return false
		}
		switch b[i] {
		case '[': // CSI: parameters and intermediates, up to a final byte
			for i++; i < len(b) && (b[i] < 0x40 || b[i] > 0x7e); i++ {
			}
		case ']', 'P', 'X', '^', '_': // OSC, DCS, SOS, PM, APC: to BEL or ST
			for i++; i < len(b) && b[i] != 0x07 && !(b[i] == 0x1b && i+1 < len(b) && b[i+1] == '\\'); i++ {
			}
			if i < len(b) && b[i] == 0x1b {
				i++
			}
		default: // a two-byte sequence, or one with an intermediate (ESC ( B)
			for ; i < len(b) && b[i] >= 0x20 && b[i] <= 0x2f; i++ {
			}
		}
	}
	return false
}
