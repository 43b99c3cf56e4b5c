package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"sockscope/capture"
	"sockscope/indexbuild"
	"sockscope/protocol"
	"sockscope/ui"
)

// showFile shows the session file at path in the UI through its index
// (index.Open): the first screen comes at once, whatever the file's size,
// while the rest is indexed in the background; with follow, what another
// sockscope appends to the file keeps coming.
func showFile(ctx context.Context, o fileOptions, path string, follow bool) error {
	set, err := fileSettings(path, o)
	if err != nil {
		return err
	}
	v, err := indexbuild.Open(ctx, path, set, follow)
	if err != nil {
		return err
	}
	defer v.Close()
	status := func() ui.FileStatus { return ui.FileStatus(v.Status()) }
	return ui.Run(ctx, v, ui.Options{Listen: "session", Upstream: path, File: status})
}

// fileSettings are the settings the file at path is decoded with: those of
// its first segment's header, --id overriding its id fields.
func fileSettings(path string, o fileOptions) (indexbuild.Settings, error) {
	f, err := os.Open(path)
	if err != nil {
		return indexbuild.Settings{}, err
	}
	defer f.Close()
	h, err := capture.NewFile(f).Header()
	if err != nil {
		return indexbuild.Settings{}, fmt.Errorf("%s: %w", path, err)
	}
	ids := h.IDFields
	if o.ids != "" {
		ids = strings.Split(o.ids, ",")
	}
	if len(ids) == 0 {
		ids = nil
	}
	framing, err := protocol.ParseFraming(h.Framing)
	if err != nil {
		framing = protocol.FramingAuto
	}
	return indexbuild.Settings{Framing: framing, IDFields: ids, MaxFrame: o.maxFrame}, nil
}
