package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	xterm "github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"sockscope/capture"
	"sockscope/feed"
	"sockscope/protocol"
	"sockscope/split"
	"sockscope/ui"
)

func newAttachCmd() *cobra.Command {
	var all, list bool
	cmd := &cobra.Command{
		Use:   "attach [PATH|PID]",
		Short: "Show a running sockscope (wrapped, headless, or any with --feed) from this terminal",
		Long: `attach connects to the feed a running sockscope publishes (by default every
wrapped or headless one does, in ` + feed.Dir() + `) and shows it in the
ordinary UI: what the instance holds first, then live, with resend and inject
acting on the instance's connections. Quitting detaches; the instance goes on.

With no argument: the only instance running, or a choice among them.`,
		Example: `  sockscope attach --list       # each instance and its feed's path; status 1 if none runs
  sockscope attach 4242
  sockscope attach --all`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return fmt.Errorf("attach takes one instance, the PATH of its feed or its PID, not %d (%s)", len(args), strings.Join(args, " "))
			}
			what := ""
			if len(args) == 1 {
				what = "an instance (" + args[0] + ")"
			}
			switch {
			case list && all:
				return errors.New("--list and --all: choose one (--list lists every instance already)")
			case list && what != "":
				return fmt.Errorf("--list and %s: choose one (--list lists every instance)", what)
			case all && what != "":
				return fmt.Errorf("--all and %s: choose one", what)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAttach(cmd.Context(), args, all, list)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "attach to every running instance, merged into one view")
	cmd.Flags().BoolVarP(&list, "list", "l", false, "list the running instances and their feeds' paths, and exit (status 1 if none runs)")
	// Status 1 is attach's "no instance runs": bad flags and arguments
	// are 2.
	return usageStatus(cmd, usageExit)
}

// envAttach gives the process that shows an attached view (attachApart)
// the feeds' paths, as JSON.
const envAttach = "SOCKSCOPE_ATTACH"

// runAttach picks the instances to attach to, then shows them.
func runAttach(ctx context.Context, args []string, all, list bool) error {
	if v, ok := os.LookupEnv(envAttach); ok { // the process attachApart started
		os.Unsetenv(envAttach)
		var paths []string
		if err := json.Unmarshal([]byte(v), &paths); err != nil {
			return fmt.Errorf("%s: %w", envAttach, err)
		}
		return attach(ctx, paths, split.TakeTTY(), true)
	}
	var paths []string
	switch {
	case len(args) == 1:
		p := args[0]
		if pid, err := strconv.Atoi(p); err == nil && !strings.Contains(p, "/") {
			p = feed.PathOf(pid)
		}
		paths = []string{p}
	default:
		ins, err := feed.List()
		if err != nil {
			return err
		}
		if len(ins) == 0 {
			// As tmux ls says it: a failure, so that a script can tell.
			return fmt.Errorf("no running sockscope: none publishes a feed in %s", absPath(feed.Dir()))
		}
		if list {
			for _, in := range ins {
				fmt.Printf("%s\t%s\n", in, absPath(in.Path))
			}
			return nil
		}
		if len(ins) > 1 && !all {
			// Not a choice made in vain: the UI would not show.
			if err := needTerminal(); err != nil {
				return err
			}
		}
		if all {
			for _, in := range ins {
				paths = append(paths, in.Path)
			}
			break
		}
		in, err := pick(ins)
		if err != nil {
			return err
		}
		paths = []string{in.Path}
	}
	if decodeApart() {
		return attachApart(paths)
	}
	return attach(ctx, paths, nil, false)
}

// attachApart shows the feeds at paths from a process of its own, in a
// session (and so a scheduling group) of its own, which lowers itself to
// the lowest priority, as a decoder's process runs, once its first screen
// is drawn (lowerView): a view that decodes what a busy instance streams
// takes only the CPU its programs leave, and yet shows at once (started
// lowered, its first screen took seconds on a busy machine).
// SOCKSCOPE_DECODER=normal leaves it at this process's priority. Its
// status is this one's.
func attachApart(paths []string) error {
	for _, p := range paths { // as attach, first: is anyone there?
		r, err := dialFeed(p)
		if err != nil {
			return noFeed(p, err)
		}
		r.Close()
	}
	if err := needTerminal(); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	v, err := json.Marshal(paths)
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, "attach")
	cmd.Env = append(os.Environ(), envAttach+"="+string(v))
	err = split.RunUI(cmd)
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee) && ee.Exited():
		return exitError(ee.ExitCode()) // it said why
	case errors.As(err, &ee):
		return exitError(1) // killed: RunUI said so
	case err != nil:
		return fmt.Errorf("the attached view's process: %w", err)
	}
	return nil
}

// absPath is path made absolute, if it can be: the runtime directory may
// be given as a relative one, and a listed path is for use anywhere.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// pick returns the only instance, or the one the user chooses.
func pick(ins []feed.Instance) (feed.Instance, error) {
	if len(ins) == 1 {
		return ins[0], nil
	}
	var b strings.Builder
	for i, in := range ins {
		fmt.Fprintf(&b, "%2d) %s\n", i+1, in)
	}
	// The choice is read where the UI will read its keys: stdin or, when
	// stdin is not a terminal, the controlling terminal (it was refused
	// then, while the UI would have run).
	var keys io.Reader = os.Stdin
	var ask io.Writer = os.Stderr
	if !xterm.IsTerminal(os.Stdin.Fd()) {
		tin, tout, err := tea.OpenTTY()
		if err != nil {
			return feed.Instance{}, fmt.Errorf("%d instances are running; name one (attach PID) or use --all:\n%s", len(ins), b.String())
		}
		defer tin.Close()
		if tout != tin {
			defer tout.Close()
		}
		keys, ask = tin, tout
	}
	fmt.Fprint(ask, b.String())
	in := bufio.NewReader(keys)
	for {
		fmt.Fprintf(ask, "attach to [1-%d, q: none]: ", len(ins))
		line, err := in.ReadString('\n')
		answer := strings.TrimSpace(line)
		if err != nil || answer == "q" {
			return feed.Instance{}, errors.New("nothing chosen")
		}
		if n, err := strconv.Atoi(answer); err == nil && n >= 1 && n <= len(ins) {
			return ins[n-1], nil
		}
		if answer != "" {
			fmt.Fprintf(ask, "%q is none of 1 to %d\n", answer, len(ins))
		}
	}
}

// lowerView lowers the attached view's process (attachApart's) once its
// UI has drawn its first screen: split.Lower. Tests replace it.
// Best effort, as a decoder's group's: a view on the screen has nowhere to
// say it failed, and its user sees it either way.
var lowerView = func() { split.Lower() }

// attach shows the feeds at paths in the UI, on tty (nil: stdin and
// stdout), until the user quits; apart: in attachApart's process, which
// gives the terminal back while attach's is stopped.
func attach(ctx context.Context, paths []string, tty *os.File, apart bool) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if apart { // attach's process killed (SIGKILL), the view ends too
		gone := split.ParentGone(ctx)
		go func() {
			select {
			case <-gone:
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	var (
		remotes []*feed.Remote
		srcs    []capture.Source
		whats   []string
	)
	defer func() {
		for _, r := range remotes {
			r.Close()
		}
	}()
	for _, p := range paths {
		r, err := dialFeed(p)
		if err != nil {
			return noFeed(p, err)
		}
		remotes = append(remotes, r)
		srcs = append(srcs, r)
		whats = append(whats, fmt.Sprintf("%d: %s", r.Hello().PID, r.Hello().What))
	}
	if tty == nil {
		if err := needTerminal(); err != nil {
			return err
		}
	}
	if len(remotes) > 1 {
		feed.Merge(remotes...)
	}
	var cfg capture.Config
	for i, r := range remotes {
		// Its history asked for: an instance stopped since it said hello
		// answers only once continued, and attach says it waits for it,
		// as when it was stopped before.
		answered := sayWaiting(paths[i])
		h, err := r.Attach()
		answered()
		if err != nil {
			return err
		}
		if i == 0 {
			cfg.IDFields = h.IDFields
			cfg.Framing, _ = protocol.ParseFraming(h.Framing)
		}
	}
	e, err := capture.New(cfg)
	if err != nil {
		return err
	}
	e.Start(ctx, srcs...)
	label := "attached to " + strings.Join(whats, "; ")
	uo := ui.Options{Listen: "feed", Upstream: label, Control: uiSender{feed.NewControl(remotes...)},
		Feed: func() ui.FeedStatus { return feedStatus(remotes) }, Warning: func() string { return feedWarning(remotes) }, TTY: tty}
	if apart {
		uo.Away = split.ParentStops(ctx)
		if os.Getenv("SOCKSCOPE_DECODER") != "normal" {
			uo.Drawn = lowerView
		}
	}
	uo.OneConn = true // N opens no connection on a wrapped child's stdio
	for _, r := range remotes {
		uo.OneConn = uo.OneConn && strings.HasPrefix(r.Hello().What, wrapsWhat)
	}
	uiErr := ui.Run(ctx, e.Store, uo)
	cancel()
	e.Stop()
	return uiErr
}

// needTerminal says why the UI cannot run here, if it cannot: it draws on
// stdout, and reads keys from stdin or, when stdin is not a terminal, from
// the controlling terminal. (With stdout a pipe or a file, the UI was drawn
// there; with no terminal at all, Bubble Tea failed to open one.)
func needTerminal() error {
	const list = "; `sockscope attach --list` lists the instances without one"
	if !xterm.IsTerminal(os.Stdout.Fd()) {
		return errors.New("stdout is not a terminal, and attach shows its UI on one" + list)
	}
	if xterm.IsTerminal(os.Stdin.Fd()) {
		return nil
	}
	in, out, err := tea.OpenTTY()
	if err != nil {
		return errors.New("stdin is not a terminal, and there is no controlling terminal to read keys from" + list)
	}
	in.Close()
	if out != in {
		out.Close()
	}
	return nil
}

// noFeed says why the feed at path could not be attached to: nobody
// publishes one there (no such sockscope, or it was killed), or err.
func noFeed(path string, err error) error {
	if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ECONNREFUSED) {
		return err
	}
	who := "at " + path
	if pid, ok := feedPID(path); ok {
		who = "with pid " + strconv.Itoa(pid)
	}
	return fmt.Errorf("no sockscope %s is running with a feed (%v); `sockscope attach --list` lists those that are", who, err)
}

// feedPID is the pid of the instance whose feed is at path, when path is
// one of the feeds' directory, named by it.
func feedPID(path string) (int, bool) {
	pid, err := strconv.Atoi(strings.TrimSuffix(filepath.Base(path), ".sock"))
	return pid, err == nil && filepath.Dir(path) == feed.Dir()
}

// answerWait is how long attach waits for an instance's hello before it
// says that it waits.
const answerWait = time.Second

// dialFeed dials the feed at path and, should the instance not answer
// within answerWait, says on stderr that attach waits for it: a stopped
// instance (kill -STOP, Ctrl-Z with SOCKSCOPE_DECODER=inprocess, its
// decoder's process stopped) has its connection taken by the kernel and
// never answers until continued, and attach hung silently.
func dialFeed(path string) (*feed.Remote, error) {
	defer sayWaiting(path)()
	return feed.Dial(path)
}

// sayWaiting says on stderr, once answerWait passed, that attach waits for
// the instance whose feed is at path to answer; the func it returns stops
// it, once the answer came.
func sayWaiting(path string) (answered func()) {
	who := "the sockscope at " + path
	if pid, ok := feedPID(path); ok {
		who = "sockscope " + strconv.Itoa(pid)
	}
	t := time.AfterFunc(answerWait, func() {
		fmt.Fprintf(os.Stderr, "sockscope: waiting for %s to answer (stopped?)\n", who)
	})
	return func() { t.Stop() }
}

// feedWarning is what the instances warn of (a taken-over path another
// socket replaced), each with its pid when the view shows several.
func feedWarning(remotes []*feed.Remote) string {
	var ws []string
	for _, r := range remotes {
		if w := r.Warning(); w != "" {
			if len(remotes) > 1 {
				w = fmt.Sprintf("%d: %s", r.Hello().PID, w)
			}
			ws = append(ws, w)
		}
	}
	return strings.Join(ws, "; ")
}

// feedStatus is what the feeds skipped this view, and whether one ended.
func feedStatus(remotes []*feed.Remote) ui.FeedStatus {
	var f ui.FeedStatus
	for _, r := range remotes {
		ev, by := r.Skipped()
		f.SkippedEvents += ev
		f.SkippedBytes += by
		for _, k := range r.Skips() {
			f.Skips = append(f.Skips, ui.FeedSkip{At: k.At, Events: k.Events, Conns: k.Conns})
		}
		if err := r.Ended(); err != nil && f.Ended == "" {
			f.Ended = fmt.Sprintf("%d: %v", r.Hello().PID, err)
		}
	}
	return f
}
