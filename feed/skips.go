package feed

import (
	"time"
)

// maxSkips bounds the skip marks a Remote keeps (its totals count every
// one).
const maxSkips = 256

// Skip is one place in the stream where the instance skipped this viewer
// ahead because it did not keep up: what it did not get there.
type Skip struct {
	// At is the instance's time of the last record the viewer got before
	// the skipped ones: the events skipped came after it.
	At     time.Time
	Events uint64
	Bytes  uint64
	// Conns are the connections (the viewer's numbers) it lost events of.
	Conns []uint64
}

// noteSkip counts a skipped line and keeps its mark.
func (r *Remote) noteSkip(sk skipped) {
	r.skippedEvents.Add(sk.Events)
	r.skippedBytes.Add(sk.Bytes)
	s := Skip{At: r.lastAt, Events: sk.Events, Bytes: sk.Bytes}
	for _, c := range sk.Conns {
		s.Conns = append(s.Conns, r.local(c.Conn))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.skips) == maxSkips {
		r.skips = append(r.skips[:0], r.skips[1:]...)
	}
	r.skips = append(r.skips, s)
}

// Skips returns the places this viewer was skipped ahead, oldest first
// (the last maxSkips of them; Skipped has the totals).
func (r *Remote) Skips() []Skip {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Skip(nil), r.skips...)
}

// Ended reports why the feed ended (the instance exited, or dropped this
// viewer for being too far behind), or nil while it runs.
func (r *Remote) Ended() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gone
}
