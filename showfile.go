package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"sockscope/capture"
	"sockscope/index"
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
	indexbuild.LimitMemory() // unless GOMEMLIMIT says otherwise
	v, err := indexbuild.Open(ctx, path, set, follow)
	if err != nil {
		return err
	}
	defer v.Close()
	status := func() ui.FileStatus { return ui.FileStatus(v.Status()) }
	return ui.Run(ctx, v, ui.Options{Listen: "session", Upstream: path, File: status, Nav: fileNav{v.View}})
}

// fileNav is the UI's way to the whole file through its index.
type fileNav struct{ *index.View }

// Search implements ui.FileNav.
func (n fileNav) Search(ctx context.Context, text string) ui.FileSearch {
	return n.View.Search(ctx, text)
}

// Sparkline implements ui.FileNav: the timeline in at most w spans.
func (n fileNav) Sparkline(w int) (rate []int64, lat []time.Duration) {
	_, _, b := n.Timeline()
	if len(b) == 0 || w <= 0 {
		return nil, nil
	}
	per := (len(b) + w - 1) / w
	for i := 0; i < len(b); i += per {
		var f int64
		var l time.Duration
		for _, x := range b[i:min(i+per, len(b))] {
			f += x.Frames
			l = max(l, x.MaxLatency)
		}
		rate, lat = append(rate, f), append(lat, l)
	}
	return rate, lat
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
