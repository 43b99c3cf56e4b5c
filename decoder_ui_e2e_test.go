//go:build linux

package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestUIApart: a run with the UI decodes and shows it in a process of its
// own, in a session of its own at nice 19 once it has drawn its first
// screen (split.Config.showsFirst), on the terminal the user
// started sockscope in; the relay's process passes the terminal's resizes
// on, and while the relay's process is stopped the UI leaves the terminal
// to the shell. When that process is killed, the relay's puts the terminal back,
// says so and goes on relaying, and Ctrl-C (a signal again, now that the
// terminal is no longer raw) stops it.
func TestUIApart(t *testing.T) {
	svc, front := paths(t)
	echoServer(t, svc)
	tm := newTerm(t, shortDir(t), 120, 30, []string{"SOCKSCOPE_DECODER="}, binary, "--listen", front, svc)
	c := dialListening(t, front)
	r := bufio.NewReader(c)
	call(t, c, r, 1)
	tm.waitText("the call", "echo")

	shell, err := strconv.Atoi(strings.TrimSpace(tm.tmux("display-message", "-p", "-t", "ss", "#{pane_pid}")))
	if err != nil {
		t.Fatal(err)
	}
	relay := childOf(t, shell)
	ui := childOf(t, relay)
	rst, ust := procStat("/proc/"+strconv.Itoa(relay)+"/stat"), procStat("/proc/"+strconv.Itoa(ui)+"/stat")
	if rst == nil || ust == nil || rst[3] == ust[3] {
		t.Fatalf("sessions: relay %v, UI %v: want two", rst, ust)
	}
	// Born at the relay's priority, it lowers itself once it has drawn.
	eventually(t, "the UI's process at nice 19", func() bool {
		st := procStat("/proc/" + strconv.Itoa(ui) + "/stat")
		return st != nil && st[16] == "19"
	})
	tty := func(pid int) string { s, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/0"); return s }
	if tty(ui) == "" || tty(ui) != tty(relay) {
		t.Errorf("the UI's process reads %q, the relay's %q: want the same terminal", tty(ui), tty(relay))
	}

	// The UI lays out the whole width: wider once resized.
	tm.tmux("resize-window", "-t", "ss", "-x", "200", "-y", "30")
	tm.waitScreen("the UI at the new width", func(s string) error {
		if w := widest(s); w <= 120 {
			return fmt.Errorf("%d columns drawn", w)
		}
		return nil
	})

	// The relay's process stopped (its shell has the terminal then): the
	// UI gives the terminal back; continued (fg), it takes it again.
	tm.stopAndContinue(relay, "echo")

	if err := syscall.Kill(ui, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	tm.waitText("the relay's word on the UI's end", "the UI's process ended (signal: killed): relaying without it")
	call(t, c, r, 2) // the relay goes on
	tm.keys("C-c")
	eventually(t, "the relay's process to stop", func() bool { return gone(relay) })
}

// TestUIApartStdinNotATerminal: with sockscope's input a file, the UI's
// process runs on the terminal of sockscope's output, as the UI would in
// one process (it opens /dev/tty there, which a process in a session of
// its own has not): it shows, takes keys, and q quits.
func TestUIApartStdinNotATerminal(t *testing.T) {
	svc, front := paths(t)
	echoServer(t, svc)
	tm := newTerm(t, shortDir(t), 120, 30, nil, "sh", "-c", `exec "$0" --listen "$1" "$2" </dev/null`, binary, front, svc)
	c := dialListening(t, front)
	call(t, c, bufio.NewReader(c), 1)
	tm.waitText("the call", "echo")
	tm.keys("q")
	if code := tm.waitExit(); code != "0" {
		t.Fatalf("exit %s\n%s", code, tm.screen())
	}
}
