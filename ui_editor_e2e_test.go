//go:build unix

package main

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// e with $EDITOR in the real binary's UI, whose drawing goes through a
// writer of its own (by default, SOCKSCOPE_DECODER unset, the decoder's
// process lowers its priority once the first screen is drawn): the editor
// still gets the terminal itself on its stdout and stderr, not a pipe (vim
// said "Output is not to a terminal" and waited). The editor here edits
// only when both are a terminal, and fails otherwise.
func TestUIInTerminalEditorGetsTheTerminal(t *testing.T) {
	dir := shortDir(t)
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
	editor := filepath.Join(dir, "ed.sh")
	script := "#!/bin/sh\n" +
		"if [ -t 1 ] && [ -t 2 ]; then sed -i 's/\"add\"/\"echo\"/' \"$1\"; exit 0; fi\n" +
		"exit 3\n"
	if err := os.WriteFile(editor, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	seedServer(t, svc)
	tm := newTerm(t, dir, 160, 48, []string{"EDITOR=" + editor, "SOCKSCOPE_DECODER="}, binary, "--listen", front, svc)
	waitListening(t, front)

	// A client whose connection stays open: e sends on it.
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if _, err := c.Write([]byte(`{"rid":1,"method":"add","args":[1,2]}` + "\n")); err != nil {
		t.Fatal(err)
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("no reply to add: %v", err)
		}
		if strings.Contains(line, `"rid":1`) {
			break
		}
	}

	tm.filter("method:add")
	tm.keys("g")
	tm.waitText("the add selected", "add id 1 ok")
	tm.keys("e")
	waitSent(tm, "the edited request's result", "sent the edited add", "")
	tm.keys("q")
	if st := tm.waitExit(); st != "0" {
		t.Fatalf("sockscope exited %s", st)
	}
}
