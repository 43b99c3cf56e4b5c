package ui

import (
	"path/filepath"
	"strconv"
	"time"

	"sockscope/internal/plural"
)

// FileStatus is what the status bar says of a session file being shown.
type FileStatus struct {
	Path        string
	Size        int64
	First, Last time.Time // the span of its frames
	// Indexed of Total bytes are decoded so far; Done when the background
	// decoding is over (or, following, caught up with the file's end).
	Indexed, Total int64
	Done           bool
	Follow         bool
	Err            error
}

// fileSegments are the status bar's segments for a session file: its name,
// size and time span, how much is indexed, the filter; no rate, drops or
// pause, which mean nothing for a file.
func (m Model) fileSegments(segs []segment, f FileStatus) []segment {
	s := &m.c.styles
	t := m.totals
	name := "file " + sanitize(filepath.Base(f.Path)) + " " + fmtSize(f.Size)
	segs = append(segs, segment{text: name, style: s.Header, priority: 8, shrink: true})
	if !f.First.IsZero() {
		span := f.First.Local().Format("2006-01-02 15:04:05") + " +" + fmtSpan(f.Last.Sub(f.First))
		segs = append(segs, segment{text: span, style: s.HeaderDim, priority: 5})
	}
	segs = append(segs,
		segment{text: fmtCount(t.Conns) + " " + plural.Noun(t.Conns, "conn"), style: s.Header, priority: 6},
		segment{text: fmtCount(t.Rows) + " " + plural.Noun(t.Rows, "row"), style: s.HeaderDim, priority: 4},
	)
	switch {
	case f.Err != nil:
		segs = append(segs, segment{text: "⚠ " + sanitize(f.Err.Error()), style: s.Drops, priority: 10, shrink: true})
	case f.Follow:
		segs = append(segs, segment{text: "following", style: s.Rec, priority: 7})
	case !f.Done && f.Total > 0:
		pct := int(float64(f.Indexed) * 100 / float64(f.Total))
		segs = append(segs, segment{text: "indexing " + strconv.Itoa(min(pct, 99)) + "%", style: s.Rec, priority: 7})
	}
	if m.exportWait != nil {
		segs = append(segs, segment{text: "export waits for the index (esc cancels)", style: s.HeaderKey, priority: 9, shrink: true})
	}
	if m.filter.active() {
		segs = append(segs, segment{text: "filter: " + sanitize(m.filter.applied.Src), style: s.HeaderKey, priority: 9, shrink: true})
	}
	if m.conns.sel != 0 {
		segs = append(segs, segment{text: "conn #" + strconv.FormatUint(m.conns.sel, 10), style: s.HeaderKey, priority: 9})
	}
	return m.navSegments(segs)
}

// fmtSpan says a file's time span briefly: 1h02m, 3m05s, 4.2s.
func fmtSpan(d time.Duration) string {
	switch {
	case d >= time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h" + pad2(int(d%time.Hour/time.Minute)) + "m"
	case d >= time.Minute:
		return strconv.Itoa(int(d/time.Minute)) + "m" + pad2(int(d%time.Minute/time.Second)) + "s"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
