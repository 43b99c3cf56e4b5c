package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"sockscope/feed"
	"sockscope/session"
)

// feedFlags say whether and where an instance publishes its feed.
type feedFlags struct {
	feedPath string
	noFeed   bool
	uiTTY    string
}

// feedAuto is --feed without a path: the default one.
const feedAuto = "auto"

func addFeedFlags(f *pflag.FlagSet, o *options) {
	f.StringVar(&o.feedPath, "feed", "", "publish a feed at `PATH` for `sockscope attach`, written --feed=PATH (default for wrapped and headless runs: "+feed.Dir()+"/PID.sock)")
	f.Lookup("feed").NoOptDefVal = feedAuto
	f.BoolVar(&o.noFeed, "no-feed", false, "publish no feed")
}

// rootArgs checks the root command's arguments: UPSTREAM, or -- CMD [ARGS].
func rootArgs(cmd *cobra.Command, args []string) error {
	dash := cmd.ArgsLenAtDash()
	if f := cmd.Flags().Lookup("feed"); f != nil && f.Value.String() == feedAuto && (dash == 1 || dash < 0 && len(args) == 2) {
		// --feed's path is optional, so it must be joined with =.
		return fmt.Errorf("--feed takes its path joined with =: --feed=%s (as written, %s was taken for an argument)", args[0], args[0])
	}
	switch {
	case dash == 0 && len(args) > 0:
		return nil
	case dash > 0:
		return errors.New("give either UPSTREAM or -- CMD [ARGS...], not both")
	case dash == 0:
		return errors.New("-- needs a command to wrap")
	case len(args) == 0:
		return errors.New("no UPSTREAM: give the socket or address to stand in front of, or -- CMD to wrap (sockscope --help; sockscope demo shows it at work)")
	case len(args) > 1:
		return fmt.Errorf("one UPSTREAM, not %d (%s): sockscope stands in front of one server; to wrap a command, put -- before it", len(args), strings.Join(args, " "))
	}
	return nil
}

// startFeed publishes the feed the flags ask for, if any: by default for
// wrapped and headless runs (byDefault), with --feed for any. A feed that
// cannot be published is reported and left out: the run goes on. It is
// the feed of process pid (0: this one); warning, if set, is what its UI
// warns of, which attached viewers are told.
func startFeed(o options, byDefault bool, pid int, what string, h session.Header, warning func() string) *feed.Server {
	if o.noFeed || (o.feedPath == "" && !byDefault) {
		return nil
	}
	path := o.feedPath
	if path == feedAuto {
		path = ""
	}
	srv, err := feed.Listen(feed.Config{PID: pid, Path: path, What: what, Header: h, Warning: warning})
	if err != nil {
		fmt.Fprintln(os.Stderr, "sockscope: no feed:", err)
		return nil
	}
	return srv
}
