package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"sockscope/capture"
	"sockscope/ui"
)

func newShowCmd() *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Use:   "show FILE",
		Short: "Show a session recorded with --record, in the UI or as --dump",
		Long: `show reads a session file and decodes it as if it were live: the same
framing, pairing and latencies (the recorded times), in the UI, or with
--dump as one JSON object per event. A file cut short by a crash is read up
to its last complete record.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runShow(cmd.Context(), o, args[0])
		},
	}
	addFlags(cmd, &o, false)
	return cmd
}

func runShow(ctx context.Context, o options, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	cfg := capture.Config{MaxFrame: o.maxFrame, MaxMessages: o.maxMessages, MaxBytes: o.maxBytes, Lossless: true}
	if o.dump {
		cfg.Dump = os.Stdout
	}
	e, err := capture.New(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := signalContext(ctx)
	defer cancel()
	e.Start(ctx, capture.NewFile(f))
	if err := e.Wait(ctx); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if o.dump || o.headless {
		fmt.Fprintf(os.Stderr, "sockscope: %s: %s\n", path, e.Counts())
		return nil
	}
	return ui.Run(ctx, e.Store, ui.Options{Listen: "session", Upstream: path})
}
