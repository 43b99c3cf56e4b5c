// Command sockscope sits between IPC clients and the socket their server
// listens on, forwards every byte unchanged, and shows what passes:
// connections, request/response pairs and latency.
//
//	sockscope --listen /tmp/app-debug.sock /run/app.sock
//	sockscope /run/app.sock          # take over the socket's path in place
//	sockscope demo                   # a built-in service and clients
package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"sockscope/protocol"
	"sockscope/store"
)

// options are the command-line flags of an inspecting run.
type options struct {
	listen      string
	record      string
	framing     string
	protocol    string // --protocol, the same names as --framing; wins over it
	ids         string
	mode        string
	pipeSDDL    string
	headless    bool
	dump        bool
	lossless    bool
	maxMessages int
	maxBytes    int64
	maxFrame    int
	takenOver   string     // not a flag: the path runTakeover took over, for the decoder's process
	warning     *uiWarning // not a flag: what runTakeover has the UI and attached viewers warn of
	rotationFlags
	interceptFlags
	feedFlags
}

func main() {
	// A --dump whose reader goes away (sockscope --dump | head) gets EPIPE
	// and shuts down cleanly, removing its sockets, instead of dying. Caught
	// (the channel is never read), not ignored: an ignored SIGPIPE is
	// inherited, and a wrapped child (yes | head) would get EPIPE and say
	// so rather than die of it quietly as it does without sockscope.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	runDecoder() // returns unless this is a relay's decoder (split)
	stopProfile := startProfile()
	err := newRootCmd().Execute()
	stopProfile()
	if err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			os.Exit(int(ee))
		}
		fmt.Fprintln(os.Stderr, "sockscope:", err)
		var se statusError
		if errors.As(err, &se) {
			os.Exit(se.code)
		}
		os.Exit(1)
	}
}

// usageExit is the exit status of bad flags and arguments, for every
// command: 1 is a failure while it runs (and replay's "a response
// differs", send's error reply).
const usageExit = 2

// usage marks err, the error of a bad flag or argument found once the
// command runs, for usageExit.
func usage(err error) error {
	if err == nil {
		return nil
	}
	return statusError{err, usageExit}
}

// statusError is an error to print that ends the process with a status
// of its own: a command's bad flags and arguments, where 1 means
// something else (a failure while it runs, replay's "a response
// differs").
type statusError struct {
	err  error
	code int
}

func (e statusError) Error() string { return e.err.Error() }
func (e statusError) Unwrap() error { return e.err }

// usageStatus makes cmd's bad flags and arguments end the process with
// status code, its own for bad input.
func usageStatus(cmd *cobra.Command, code int) *cobra.Command {
	say := cmd.FlagErrorFunc() // its own, if it has one
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return statusError{say(c, err), code} })
	if args := cmd.Args; args != nil {
		cmd.Args = func(c *cobra.Command, a []string) error {
			if err := args(c, a); err != nil {
				return statusError{err, code}
			}
			return nil
		}
	}
	return cmd
}

// argsWithUsage is check, cobra's count of a command's arguments, whose
// error says what they are: the command's usage line (cobra said only
// "accepts 1 arg(s), received 0").
func argsWithUsage(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return fmt.Errorf("%w: sockscope %s", err, cmd.Use)
		}
		return nil
	}
}

// exitError ends the process with a status after the message was printed.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func newRootCmd() *cobra.Command {
	var o options
	root := &cobra.Command{
		Use:   "sockscope [flags] UPSTREAM | sockscope [flags] -- CMD [ARGS...]",
		Short: "Inspect the IPC traffic to the server listening at UPSTREAM",
		Long: `sockscope is a transparent man-in-the-middle for IPC: clients connect to it,
it forwards every byte unchanged to UPSTREAM, and it decodes, pairs and shows
what passes (seed-protocol and line-delimited JSON, JSON-RPC 2.0, LSP/DAP,
QMP, mpv, HTTP/1.1, HTTP/2 (prior knowledge or h2c upgrade), Redis RESP,
msgpack-RPC, varlink; anything else raw).

Addresses: unix:/path or any path with a '/' is a Unix socket; tcp:host:port
or host:port is TCP (":port" means 127.0.0.1:port); pipe:name or
\\.\pipe\name is a Windows named pipe.

Without --listen, a Unix UPSTREAM is taken over in place: its socket is moved
aside, sockscope listens at its path, and everything is put back on exit.

With -- CMD, sockscope runs CMD with its stdin and stdout connected through
sockscope (one connection; CMD's stderr passes through and is kept as a
stream of its own) and ends as CMD ends, with its exit status. No UI unless
--ui names a terminal; "sockscope attach" shows it from any terminal.
"sockscope wrap CMD" is the same, with a help of its own and no -- needed.`,
		Example: `  sockscope --listen /tmp/debug.sock /tmp/midway.sock
  sockscope /run/app.sock
  sockscope --dump -l :9000 127.0.0.1:8000 > traffic.jsonl
  sockscope wrap -w /tmp/lsp.jsonl gopls
  sockscope attach
  sockscope demo`,
		Args:          rootArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			wrap := cmd.ArgsLenAtDash() == 0
			ui := !o.headless && !o.dump && (!wrap || o.uiTTY != "")
			if err := o.checkHolds(ui); err != nil {
				return usage(err)
			}
			if wrap {
				return runWrap(cmd.Context(), o, args)
			}
			return runInspect(cmd.Context(), o, args[0])
		},
	}
	addFlags(root, &o, true)
	root.AddCommand(newSendCmd(), newReplayCmd(), newServeCmd(), newAttachCmd()) // each says its status for bad input
	for _, c := range []*cobra.Command{newDemoCmd(), newShowCmd(), newExportCmd(), newRestoreCmd(), newWrapCmd()} {
		root.AddCommand(usageStatus(c, usageExit))
	}
	strictHelp(root)
	return usageStatus(root, usageExit)
}

// strictHelp makes a help topic that names no command an error (exit 2)
// that names the command it may be, or them all: cobra's help command
// showed the root's help for "help bogus" (the root takes an argument, so
// cobra found the root) and exited 0. The rest of cobra's help command,
// its completion included, is kept.
func strictHelp(root *cobra.Command) {
	root.SuggestionsMinimumDistance = 2 // cobra's own for an unknown command: help shwo, did you mean show?
	root.InitDefaultHelpCmd()
	help, _, _ := root.Find([]string{"help"})
	run := help.Run
	help.Run = nil
	help.RunE = func(c *cobra.Command, args []string) error {
		if _, rest, err := root.Find(args); err != nil || len(rest) > 0 {
			if like := root.SuggestionsFor(args[0]); len(args) == 1 && len(like) > 0 {
				return usage(fmt.Errorf("no help topic %q; did you mean %s?", args[0], strings.Join(like, " or ")))
			}
			var names []string
			for _, s := range root.Commands() {
				if s.IsAvailableCommand() {
					names = append(names, s.Name())
				}
			}
			return usage(fmt.Errorf("no help topic %q; the commands: %s", strings.Join(args, " "), strings.Join(names, ", ")))
		}
		run(c, args)
		return nil
	}
}

// addFlags declares the flags of an inspecting run. The demo takes the
// output flags only: its addresses are its own.
func addFlags(cmd *cobra.Command, o *options, full bool) {
	f := cmd.Flags()
	f.BoolVar(&o.headless, "headless", false, "no UI: run the full pipeline, print a summary line at exit")
	f.BoolVar(&o.dump, "dump", false, "no UI: one JSON object per event on stdout (implies --headless)")
	f.BoolVar(&o.lossless, "lossless", false, "slow the traffic down rather than drop what the decoder can't keep up with")
	f.StringVarP(&o.record, "record", "w", "", "append the session to `FILE` as it happens")
	addRotationFlags(f, o)
	addFeedFlags(f, o)
	f.IntVar(&o.maxMessages, "max-messages", store.DefaultMaxMessages, "messages kept in memory; the oldest are evicted")
	f.Int64Var(&o.maxBytes, "max-bytes", store.DefaultMaxBytes, "bytes of messages kept in memory; the oldest are evicted")
	f.IntVar(&o.maxFrame, "max-frame", protocol.DefaultMaxFrame, "bytes kept of one frame (at most --max-bytes); longer frames are kept truncated (and forwarded whole); an HTTP/2 header block is kept whole up to 1 MiB")
	if !full {
		return
	}
	f.StringVarP(&o.listen, "listen", "l", "", "where clients connect (`ADDR`); without it a Unix UPSTREAM is taken over in place")
	f.StringVar(&o.framing, "framing", "auto", "auto|lines|content-length|http|http2|resp|msgpack-rpc|varlink|raw (auto decides per connection and direction)")
	f.StringVar(&o.protocol, "protocol", "", "force one protocol `NAME` on every connection (the names of --framing; see the README's table)")
	f.StringVar(&o.ids, "id", strings.Join(protocol.DefaultIDFields, ","), "JSON `FIELDS` that carry the request id")
	f.StringVar(&o.mode, "mode", "0600", "file mode of a Unix socket created by --listen")
	addInterceptFlags(f, o)
	f.StringVar(&o.uiTTY, "ui", "", "with -- CMD: show the UI on the terminal `TTY` (a wrapped child's stdio is not one), where nothing else reads keys (run tty; sleep infinity there)")
	f.StringVar(&o.pipeSDDL, "pipe-sddl", "", "security descriptor (`SDDL`) of a named pipe created by --listen (default: the current user, SYSTEM and Administrators only)")
}

func newRestoreCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "restore PATH",
		Short: "Undo a take-over that sockscope could not undo itself (it was killed)",
		Args:  argsWithUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return restoreTakeover(args[0])
		},
	}
}
