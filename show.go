package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

func newShowCmd() *cobra.Command {
	var (
		o      fileOptions
		follow bool
	)
	cmd := &cobra.Command{
		Use:     "show FILE",
		Aliases: []string{"view"},
		Short:   "Show a session recorded with --record, in the UI or as --dump",
		Long: `show reads a session file and decodes it as if it were live: the same
framing, pairing and latencies (the recorded times), in the UI, or with
--dump as one JSON object per event, with the --framing and --id fields
the file was recorded with (--id overrides them). A record cut short by a
crash is skipped, and the connections its run left open end there with an
error; the segments after it are read. A line that is no record (the
file was damaged), or a segment of a newer sockscope's format, is skipped
and named; the rest is read, and --dump and --headless then exit with
status 1 (export too).

In the UI, the file is read through its index (FILE.idx, written beside
the session while it is recorded, or built in the background when it is
missing or stale): the first screen comes at once whatever the file's
size, every row of the file is reachable, and frames are read from the
file when they are looked at. --follow goes on showing what another
sockscope appends to the file.`,
		Args: argsWithUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if follow && (o.dump || o.headless) {
				return fmt.Errorf("--follow is for the UI, not --dump or --headless")
			}
			return runShow(cmd.Context(), o, args[0], follow)
		},
	}
	addFileFlags(cmd, &o, true)
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "go on showing what is appended to the file (a recording still running)")
	return cmd
}

func runShow(ctx context.Context, o fileOptions, path string, follow bool) error {
	if !o.dump && !o.headless {
		ctx, cancel := signalContext(ctx)
		defer cancel()
		return showFile(ctx, o, path, follow)
	}
	var dump io.Writer
	if o.dump {
		dump = os.Stdout
	}
	ctx, cancel := signalContext(ctx)
	defer cancel()
	d, err := decodeFile(ctx, path, o, dump)
	if errors.Is(err, errOutputGone) {
		return nil // as head would have it: no summary for no one
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, d.summary(path))
	if err := d.src.Damaged(); err != nil {
		// All the rest was shown; the exit status says the file is
		// damaged.
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
