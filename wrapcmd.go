package main

import (
	"context"
	"errors"
	"fmt"
	xterm "github.com/charmbracelet/x/term"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"sockscope/capture"
	"sockscope/feed"
	"sockscope/session"
	"sockscope/ui"
	"sockscope/wrap"
)

// drainWait bounds how long a wrapped child's stdout and stderr may stay
// open once it exited (a process it started may hold them): what is
// written meanwhile is still forwarded.
const drainWait = 2 * time.Second

// wrapUse is how sockscope wrap is called.
const wrapUse = "wrap [flags] [--] CMD [ARGS...]"

// newWrapCmd is sockscope wrap: the root's -- CMD as a command of its own,
// with a help of its own, -- optional before CMD.
func newWrapCmd() *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Use:   wrapUse,
		Short: "Run CMD with its stdio through sockscope (language servers, MCP servers)",
		Long: `wrap runs CMD with its stdin and stdout connected through sockscope, as one
connection forwarded byte for byte before it is decoded (Content-Length or
lines, detected per direction); CMD's stderr passes through and is kept as a
stream of its own. sockscope writes nothing of its own on stdout, passes on
the signals it gets, and ends as CMD ends: with its exit status, or by the
signal that killed it. No UI unless --ui names a terminal; "sockscope attach"
shows it from any terminal.

wrap's flags come before CMD: the first argument that is not one of them is
CMD, and every argument after it is CMD's, those beginning with - too. --
before CMD is needed only when CMD begins with -, or after --feed without
=PATH. "sockscope [flags] -- CMD [ARGS...]" is the same as wrap.`,
		Example: `  sockscope wrap -w /tmp/lsp.jsonl gopls
  sockscope wrap --ui /dev/pts/7 gopls -rpc.trace
  sockscope wrap -w /tmp/mcp.jsonl -- npx -y @modelcontextprotocol/server-everything stdio`,
		Args: wrapArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.checkHolds(!o.headless && !o.dump && o.uiTTY != ""); err != nil {
				return usage(err)
			}
			return runWrap(cmd.Context(), o, args)
		},
	}
	addFlags(cmd, &o, true)
	f := cmd.Flags()
	f.SetInterspersed(false) // from CMD on, every argument is the child's
	// stdout is the child's: a wrapped run prints no summary.
	f.Lookup("headless").Usage = "no UI (the default without --ui); prints no summary: stdout is the child's"
	// Refused with a child (runWrap says why), or about --listen only.
	for _, name := range []string{"dump", "listen", "mode", "pipe-sddl"} {
		f.MarkHidden(name)
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		if nx := (*pflag.NotExistError)(nil); errors.As(err, &nx) {
			return fmt.Errorf("%w (if that is the command to run, put -- before it: sockscope %s)", err, wrapUse)
		}
		return err
	})
	return cmd
}

// wrapArgs checks wrap's arguments: CMD [ARGS...], after -- or not.
func wrapArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return errors.New("no command to wrap: sockscope " + wrapUse)
	}
	// --feed's path is optional, so it is joined with =: without --, the
	// argument after a bare --feed may have been meant for its path.
	if f := cmd.Flags().Lookup("feed"); f.Changed && f.Value.String() == feedAuto && cmd.ArgsLenAtDash() != 0 {
		return fmt.Errorf("--feed %[1]s: to publish the feed at %[1]s, write --feed=%[1]s; to run %[1]s with the default feed, --feed -- %[1]s …", args[0])
	}
	return nil
}

// runWrap runs argv with its stdio through sockscope and ends as it ends:
// with its exit status, or by the signal that killed it. It returns only
// when the child could not be run.
// wrapsWhat begins a wrapping instance's description in its feed's hello:
// an attached view knows by it that N cannot open a connection.
const wrapsWhat = "wraps "

func runWrap(ctx context.Context, o options, argv []string) error {
	switch {
	case o.dump:
		return usage(errors.New("--dump writes on stdout, which is the wrapped child's: record with -w FILE instead"))
	case o.listen != "":
		return usage(errors.New("--listen: a wrapped child's connection is its stdio"))
	case o.headless && o.uiTTY != "":
		return usage(errors.New("--headless and --ui: choose one"))
	}
	cfg, err := engineConfig(o)
	if err != nil {
		return err
	}
	name := strings.Join(argv, " ")
	cfg.Header = session.Header{Upstream: "stdio:" + name, Listen: "stdio"}
	var tty *os.File
	if o.uiTTY != "" {
		if tty, err = os.OpenFile(o.uiTTY, os.O_RDWR, 0); err != nil {
			return fmt.Errorf("--ui: %w", err)
		}
		defer tty.Close()
		if !xterm.IsTerminal(tty.Fd()) {
			return fmt.Errorf("--ui %s: not a terminal (tty names one: /dev/pts/N)", o.uiTTY)
		}
	}
	// The recording is created before the child runs, in this process or
	// in the decoder's (decodeApart), which then shows the UI.
	var (
		e  *capture.Engine
		a  *apart
		fs *feed.Server
	)
	if decodeApart() {
		run := apartRun{what: wrapsWhat + name, quiet: true, feed: true, tty: tty}
		if tty != nil {
			run.ui = &uiSetup{Listen: "stdio", Upstream: name, Detached: true, OneConn: true}
		}
		if a, err = startDecoder(o, cfg, run); err != nil {
			return err
		}
		e = a.e
	} else {
		if fs = startFeed(o, true, 0, wrapsWhat+name, feedHeader(cfg), nil); fs != nil {
			cfg.Sinks = append(cfg.Sinks, fs.Sink())
			defer fs.Close()
		}
		if e, err = capture.New(cfg); err != nil {
			return err
		}
	}
	stopCapture := func() {
		if a != nil {
			a.stop()
		} else if err := e.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "sockscope:", err)
		} else if note := dropNote(e); note != "" {
			fmt.Fprintln(os.Stderr, note)
		}
	}
	ch, err := wrap.Start(exec.Command(argv[0], argv[1:]...))
	if err != nil {
		e.Start(context.Background()) // nothing to capture: only to close the recording
		stopCapture()
		fmt.Fprintln(os.Stderr, "sockscope:", err)
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			return exitError(127) // as a shell says: no such command
		}
		return exitError(126) // as a shell says: one it cannot execute
	}
	defer ch.Kill() // the child never outlives sockscope
	fwd, stopFwd := context.WithCancel(context.Background())
	defer stopFwd()
	ch.ForwardSignals(fwd)

	run, stop := context.WithCancel(context.Background())
	defer stop()
	stdio := wrap.Stdio(os.Stdin, os.Stdout)
	e.Start(run, capture.NewWrap(stdio, ch.Conn, name, ch.Stderr, os.Stderr))
	if fs != nil {
		go fs.Serve(run, e.Store, e)
	}
	uiDone := make(chan struct{})
	if tty != nil && a == nil { // else the decoder's process shows it
		go func() {
			defer close(uiDone)
			// Quitting the UI leaves the child running: it is the parent's.
			err := ui.Run(run, e.Store, ui.Options{Listen: "stdio", Upstream: name, OneConn: true, Control: newUIControl(e), TTY: tty, NoSignals: true})
			if err != nil {
				fmt.Fprintln(os.Stderr, "sockscope: ui:", err)
			}
			if run.Err() == nil {
				if did := unattend(run, e); did != "" {
					fmt.Fprintln(os.Stderr, "sockscope:", did)
				}
				waitStop(run, e, nil, true) // the rules' notices, as without a UI
			}
		}()
	} else {
		go func() { // no UI: the rules' notices go where the child's stderr goes
			defer close(uiDone)
			waitStop(run, e, nil, true)
		}()
	}

	st := ch.Wait()
	stdio.EndInput()
	// A signal from now on (the child has gone: ForwardSignals takes it)
	// cuts the wait for what a process the child started still writes.
	drain, cancel := signal.NotifyContext(run, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	drain, cancelWait := context.WithTimeout(drain, drainWait)
	e.Wait(drain) // the relay ends with the child's stdout, the stream with its stderr
	cancelWait()
	cancel()
	if fs != nil {
		fs.Close()
	}
	stop()
	<-uiDone
	stopCapture()
	if st.Err != nil {
		fmt.Fprintln(os.Stderr, "sockscope:", st.Err)
	}
	wrap.Exit(st)
	return nil
}
