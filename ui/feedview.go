package ui

import (
	"strconv"
	"strings"
	"time"

	"sockscope/internal/plural"
)

// FeedStatus is what an attached UI says of the feed it reads (sockscope
// attach): where and how much the instance skipped this view ahead because
// it did not keep up, which is not the instance's own drops, and whether
// the feed ended.
type FeedStatus struct {
	// SkippedEvents and SkippedBytes count every event skipped.
	SkippedEvents, SkippedBytes uint64
	// Skips are the places it was skipped, oldest first (the latest ones
	// only, when there were many).
	Skips []FeedSkip
	// Ended says why the feed ended; "" while it runs.
	Ended string
}

// FeedSkip is one place the view was skipped ahead.
type FeedSkip struct {
	// At is the instance's time of the last event shown before the skipped
	// ones.
	At     time.Time
	Events uint64
	Conns  []uint64
}

// feedSegments adds what the feed says to the status bar.
func (m Model) feedSegments(segs []segment) []segment {
	f := m.c.opts.Feed()
	s := &m.c.styles
	if f.SkippedEvents > 0 {
		segs = append(segs, segment{text: " ⚠ " + fmtCount(f.SkippedEvents) + " " + plural.Noun(f.SkippedEvents, "event") + " skipped (" + fmtSize(int64(f.SkippedBytes)) + ") ",
			style: s.Drops, priority: 10, shrink: true})
	}
	if f.Ended != "" {
		segs = append(segs, segment{text: " ⚠ " + sanitize(f.Ended) + " ", style: s.Drops, priority: 10, shrink: true})
	}
	return segs
}

// skipMarks returns the feed's skip marks, or nil when there is no feed.
func (m listModel) skipMarks() []FeedSkip {
	if m.c.opts.Feed == nil {
		return nil
	}
	return m.c.opts.Feed().Skips
}

// skipLine is the marker shown between the entries of times prev and next
// (next zero: after the last entry) for the skips that fell between them;
// "" when none did.
func (m listModel) skipLine(marks []FeedSkip, prev, next time.Time, w int) string {
	var (
		events uint64
		conns  []string
		seen   = map[uint64]bool{}
	)
	for _, k := range marks {
		if k.At.Before(prev) || !next.IsZero() && !k.At.Before(next) {
			continue
		}
		events += k.Events
		for _, c := range k.Conns {
			if !seen[c] {
				seen[c] = true
				conns = append(conns, "#"+strconv.FormatUint(c, 10))
			}
		}
	}
	if events == 0 {
		return ""
	}
	text := "⋯ " + fmtCount(events) + " " + plural.Noun(events, "event") + " skipped here"
	if len(conns) > 0 {
		text += " (conn " + strings.Join(conns, ", ") + ")"
	}
	text += ": this view fell behind and the instance went on without it ⋯"
	return m.c.styles.Warn.Render(fit(text, w))
}
