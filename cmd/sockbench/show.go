//go:build unix

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"sockscope/index"
	"sockscope/internal/sessiongen"
)

// runShow is -show: it writes a session file of -show-size bytes (or uses
// -show-file), then runs `sockscope show FILE` in a tmux terminal twice,
// without the index and with the one the first run built, and reports the
// time to the first screen with rows, how long indexing the whole file
// took, and the peak RSS of show.
func runShow(ctx context.Context, o options, dir string) error {
	if _, err := exec.LookPath("tmux"); err != nil {
		return fmt.Errorf("-show needs tmux: %w", err)
	}
	path := o.showFile
	if path == "" {
		path = filepath.Join(dir, "big.jsonl")
		fmt.Fprintf(os.Stderr, "writing a %s session file…\n", mib(o.showSize))
		start := time.Now()
		if err := sessiongen.Write(path, sessiongen.Config{Size: o.showSize, Conns: 8, Seed: 1}); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "written in %v\n", time.Since(start).Round(time.Millisecond))
	}
	os.Remove(index.PathOf(path))
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	fmt.Printf("show %s (%s)\n", path, mib(st.Size()))
	for _, run := range []string{"no index (built in the background)", "with the index the first run kept"} {
		r, err := showOnce(ctx, o.bin, dir, path)
		if err != nil {
			return err
		}
		fmt.Printf("  %s:\n    first screen with rows %v; peak RSS at it %s\n", run, r.first.Round(time.Millisecond), mib(r.firstHWM))
		fmt.Printf("    whole file decoded in %v; peak RSS then %s\n", r.done.Round(time.Millisecond), mib(r.doneHWM))
	}
	return nil
}

// showRun is what one run of show measured.
type showRun struct {
	first, done       time.Duration
	firstHWM, doneHWM int64
}

var rowLine = regexp.MustCompile(`\d\d:\d\d:\d\d\.\d\d\d +(#\d+…? +)?[→←]`)

func showOnce(ctx context.Context, bin, dir, path string) (showRun, error) {
	var r showRun
	sock := filepath.Join(dir, fmt.Sprintf("tmux%d.sock", time.Now().UnixNano()))
	tmux := func(args ...string) (string, error) {
		out, err := exec.CommandContext(ctx, "tmux", append([]string{"-S", sock}, args...)...).CombinedOutput()
		return string(out), err
	}
	defer tmux("kill-server")
	start := time.Now()
	if out, err := tmux("-f", "/dev/null", "new-session", "-d", "-x", "160", "-y", "45", "-s", "ss", bin, "show", path); err != nil {
		return r, fmt.Errorf("tmux: %v: %s", err, out)
	}
	var pid int
	for pid == 0 {
		out, err := tmux("display", "-p", "-t", "ss", "#{pane_pid}")
		if err != nil {
			return r, fmt.Errorf("tmux: %v: %s", err, out)
		}
		pid, _ = strconv.Atoi(strings.TrimSpace(out))
	}
	wait := func(what string, ok func(string) bool) (time.Duration, int64, error) {
		for {
			scr, err := tmux("capture-pane", "-p", "-t", "ss")
			if err != nil {
				return 0, 0, err
			}
			if ok(scr) {
				el := time.Since(start)
				m, err := readMem(pid)
				return el, m.HWM, err
			}
			if time.Since(start) > 30*time.Minute || ctx.Err() != nil {
				return 0, 0, fmt.Errorf("show never showed %s; last screen:\n%s", what, scr)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	var err error
	if r.first, r.firstHWM, err = wait("a row", func(s string) bool { return rowLine.MatchString(s) }); err != nil {
		return r, err
	}
	if r.done, r.doneHWM, err = wait("the end of indexing", func(s string) bool {
		return rowLine.MatchString(s) && !strings.Contains(s, "indexing")
	}); err != nil {
		return r, err
	}
	tmux("send-keys", "-t", "ss", "q")
	return r, nil
}
