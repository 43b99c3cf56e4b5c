package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"sockscope/ui"
)

func newShowCmd() *cobra.Command {
	var o fileOptions
	cmd := &cobra.Command{
		Use:     "show FILE",
		Aliases: []string{"view"},
		Short:   "Show a session recorded with --record, in the UI or as --dump",
		Long: `show reads a session file and decodes it as if it were live: the same
framing, pairing and latencies (the recorded times), in the UI, or with
--dump as one JSON object per event, with the --framing and --id fields
the file was recorded with (--id overrides them). A record cut short by a
crash is skipped, and the connections its run left open end there with an
error; the segments after it are read.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runShow(cmd.Context(), o, args[0])
		},
	}
	addFileFlags(cmd, &o, true)
	return cmd
}

func runShow(ctx context.Context, o fileOptions, path string) error {
	var dump io.Writer
	if o.dump {
		dump = os.Stdout
	}
	ctx, cancel := signalContext(ctx)
	defer cancel()
	d, err := decodeFile(ctx, path, o, dump)
	if err != nil {
		return err
	}
	if o.dump || o.headless {
		fmt.Fprintln(os.Stderr, d.summary(path))
		return nil
	}
	return ui.Run(ctx, d.e.Store, ui.Options{Listen: "session", Upstream: path})
}
