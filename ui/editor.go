package ui

import (
	"os"
	"os/exec"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// editorFileMsg says the request to edit was written to path, ready for
// $EDITOR.
type editorFileMsg struct {
	path string
	t    target
	name string
	err  error
}

// editedMsg says $EDITOR exited; path holds what the user saved.
type editedMsg struct {
	path string
	t    target
	name string
	err  error
}

// edit is e: it opens the selected request in $EDITOR, or in the inline
// editor when $EDITOR is unset, and sends what comes back as R does.
func (m Model) edit() (Model, tea.Cmd) {
	msg, err := m.selectedRequest()
	var t target
	if err == nil {
		t, err = m.liveTarget(&msg)
	}
	if err != nil {
		return m.setNotice("nothing to edit: "+err.Error(), true), nil
	}
	data := requestJSON(&msg)
	text, ok := prettyJSON(data)
	if !ok {
		text = string(data)
	}
	name := msgName(&msg)
	if editorCommand() == nil {
		o := newCompose(m.c, t, text, name)
		o.editing = true
		m.overlays = m.overlays.push(o)
		return m, nil
	}
	return m, func() tea.Msg {
		f, err := os.CreateTemp("", "sockscope-*.json")
		if err != nil {
			return editorFileMsg{err: err}
		}
		_, err = f.WriteString(text + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return editorFileMsg{path: f.Name(), t: t, name: name, err: err}
	}
}

// editorCommand is $EDITOR split into a program and its arguments, or nil
// when it is unset or blank.
func editorCommand() []string {
	if f := strings.Fields(os.Getenv("EDITOR")); len(f) > 0 {
		return f
	}
	return nil
}

// runEditor hands the terminal to $EDITOR on the written file.
func (m Model) runEditor(msg editorFileMsg) (Model, tea.Cmd) {
	if msg.err != nil {
		if msg.path != "" {
			os.Remove(msg.path)
		}
		return m.setNotice("cannot edit: "+msg.err.Error(), true), nil
	}
	argv := editorCommand()
	if argv == nil {
		os.Remove(msg.path)
		return m.setNotice("cannot edit: $EDITOR is no longer set", true), nil
	}
	// Found first: a program that cannot start leaves the terminal given
	// up and never taken back (Bubble Tea restores it after a run only).
	bin, err := exec.LookPath(argv[0])
	if err != nil {
		os.Remove(msg.path)
		return m.setNotice("cannot edit: $EDITOR: "+err.Error(), true), nil
	}
	cmd := exec.Command(bin, append(argv[1:], msg.path)...)
	// The terminal itself, for its output and errors: not the writer the
	// UI draws through (with Options.Drawn a wrapper, which exec hands an
	// editor as a pipe: vim warns "Output is not to a terminal" and waits),
	// nor os.Stderr, which in a wrap is its parent's, not the screen's.
	tty := m.c.opts.TTY
	if tty == nil {
		tty = os.Stdout
	}
	cmd.Stdout, cmd.Stderr = tty, tty
	return m, tea.ExecProcess(cmd, func(err error) tea.Msg {
		return editedMsg{path: msg.path, t: msg.t, name: msg.name, err: err}
	})
}

// edited sends what the user saved, once it is valid JSON.
func (m Model) edited(msg editedMsg) (Model, tea.Cmd) {
	data, err := os.ReadFile(msg.path)
	os.Remove(msg.path)
	if msg.err != nil {
		return m.setNotice("not sent: $EDITOR failed: "+msg.err.Error(), true), nil
	}
	if err != nil {
		return m.setNotice("not sent: "+err.Error(), true), nil
	}
	payload, err := msg.t.check(data)
	if err != nil {
		return m.setNotice("not sent: "+err.Error(), true), nil
	}
	s := sendMsg{t: msg.t, payload: payload, what: "sent the edited " + msg.name}
	return m, m.sendCmd(s)
}
