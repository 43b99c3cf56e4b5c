package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"sockscope/capture"
	"sockscope/internal/plural"
	"sockscope/protocol"
	"sockscope/store"
)

// fileOptions are the flags of the commands that read a session file
// (show, export): no relay, so nothing about forwarding or recording.
type fileOptions struct {
	headless    bool
	dump        bool
	ids         string
	maxMessages int
	maxBytes    int64
	maxFrame    int
}

// addFileFlags declares the decoding flags of a command that reads a
// session file; ui adds the ones that choose between the UI and --dump.
func addFileFlags(cmd *cobra.Command, o *fileOptions, ui bool) {
	f := cmd.Flags()
	if ui {
		f.BoolVar(&o.headless, "headless", false, "no UI: decode the file, print a summary line")
		f.BoolVar(&o.dump, "dump", false, "no UI: one JSON object per event on stdout (implies --headless)")
	}
	f.StringVar(&o.ids, "id", "", "JSON `FIELDS` that carry the request id (default: the ones the file was recorded with)")
	f.IntVar(&o.maxMessages, "max-messages", store.DefaultMaxMessages, "messages kept in memory; the oldest are evicted")
	f.Int64Var(&o.maxBytes, "max-bytes", store.DefaultMaxBytes, "bytes of messages kept in memory; the oldest are evicted")
	f.IntVar(&o.maxFrame, "max-frame", protocol.DefaultMaxFrame, "bytes kept of one frame (frames in the file are already cut to the cap they were recorded with)")
}

// decoded is a session file decoded into an engine's store.
type decoded struct {
	e   *capture.Engine
	src *capture.File
}

// summary is the line show and export print about the file.
func (d *decoded) summary(path string) string {
	s := fmt.Sprintf("sockscope: %s: %s; %s", path, plural.Of(d.src.Segments, "segment"), d.e.Counts())
	if d.src.Gaps > 0 {
		s += fmt.Sprintf("; %s (%s never seen: sockscope's decoder fell behind while recording, and dropped its copy)",
			plural.Of(d.src.Gaps, "gap"), plural.Of(d.src.GapBytes, "byte"))
	}
	if d.src.Cut > 0 {
		s += fmt.Sprintf("; %s cut short by a crash skipped", plural.Of(d.src.Cut, "record"))
	}
	if err := d.src.Damaged(); err != nil {
		s += "; " + err.Error()
	}
	if ev := d.e.Store.Totals().Evicted; ev > 0 {
		s += fmt.Sprintf("; %s evicted from memory (raise --max-messages or --max-bytes)", plural.Of(ev, "message"))
	}
	return s
}

// decodeFile decodes the session file at path as if it were live: the same
// framing, pairing and latencies (the recorded times), with the framing and
// id fields of its first segment (o.ids overrides them). dump, if not nil,
// gets --dump's lines.
func decodeFile(ctx context.Context, path string, o fileOptions, dump io.Writer) (*decoded, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src := capture.NewFile(f)
	h, err := src.Header()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ids := h.IDFields
	if o.ids != "" {
		ids = strings.Split(o.ids, ",")
	}
	if len(ids) == 0 {
		ids = nil // the default
	}
	framing, err := protocol.ParseFraming(h.Framing)
	if err != nil {
		framing = protocol.FramingAuto
	}
	cfg := capture.Config{Framing: framing, IDFields: ids, MaxFrame: o.maxFrame,
		MaxMessages: o.maxMessages, MaxBytes: o.maxBytes, Lossless: true, Dump: dump}
	e, err := capture.New(cfg)
	if err != nil {
		return nil, err
	}
	// A --dump whose reader went away (show --dump | head) stops the
	// decoding: it read the whole file on, for no one.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	gone := make(chan struct{})
	go func() {
		select {
		case <-e.Failed():
			close(gone)
			cancel()
		case <-ctx.Done():
		}
	}()
	e.Start(ctx, src)
	err = e.Wait(ctx)
	select {
	case <-gone:
		return nil, errOutputGone
	default:
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &decoded{e: e, src: src}, nil
}

// errOutputGone is decodeFile's error when --dump's reader went away.
var errOutputGone = errors.New("the --dump output's reader went away")
