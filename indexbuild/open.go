package indexbuild

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"

	"sockscope/index"
)

// Shown is a session file open for the UI: the View the UI reads and the
// Build behind it. Close it when done.
type Shown struct {
	*index.View
	Build *Build
	// Built says whether the index is being built (it was missing or
	// stale), rather than read as it was found.
	Built  bool
	cancel func()

	mu  sync.Mutex
	tmp string // the index file to remove on Close, if any
}

// Close stops the build and closes the files; an index the build did not
// complete is removed.
func (s *Shown) Close() error {
	s.cancel()
	<-s.Build.done
	err := s.View.Close()
	s.mu.Lock()
	if s.tmp != "" {
		os.Remove(s.tmp)
		s.tmp = ""
	}
	s.mu.Unlock()
	return err
}

// Open opens the session file at path for viewing: with its index if that
// is fresh (complete, of this file as it is, decoded with these settings),
// else with an index built in the background, beside the file when it can
// be written there (kept once the build completes) or in the temporary
// directory. Either way a Build runs in the background for the whole
// file's statistics: it counts them from a fresh index without decoding
// the file, or as it builds the index (and, with follow, goes on as the
// file grows). The View is usable at once.
func Open(ctx context.Context, path string, set Settings, follow bool) (*Shown, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	head := make([]byte, 64)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	ctx, cancel := context.WithCancel(ctx)
	b := &Build{Path: path, Settings: set, Follow: follow, size: st.Size(), done: make(chan struct{}),
		stats: index.NewStats()}
	s := &Shown{Build: b, cancel: cancel}
	x, err := index.OpenFile(index.PathOf(path))
	fresh := err == nil && x.Fresh(head, st, set.Hash())
	var w *index.Writer
	if follow || !fresh {
		if x != nil {
			x.Close()
		}
		tmp := tempPath(path)
		w, err = index.Create(tmp, head)
		if err != nil { // not writable beside the file: the temporary directory
			t, terr := os.CreateTemp("", "sockscope-*.idx")
			if terr != nil {
				cancel()
				return nil, fmt.Errorf("creating an index: %w", err)
			}
			tmp = t.Name()
			t.Close()
			if w, err = index.Create(tmp, head); err != nil {
				cancel()
				return nil, err
			}
		}
		w.SetConfig(set.Hash())
		// The file as it was before the build reads it: a change meanwhile
		// leaves the index stale, never fresh with what it no longer holds.
		w.SetFile(st)
		x = w.Index()
		s.tmp, s.Built = tmp, true
	} else {
		b.scan = x // fresh: the statistics are counted from it, nothing is decoded
	}
	if s.View, err = index.NewView(path, x, b, set.IDFields); err != nil {
		x.Close()
		cancel()
		return nil, err
	}
	b.complete = s.View.CompleteMethod
	f2, err := os.Open(path) // the build's own, read sequentially
	if err != nil {
		s.View.Close()
		cancel()
		return nil, err
	}
	go func() {
		defer close(b.done)
		defer f2.Close()
		b.run(ctx, f2, w)
		if w == nil {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if b.Err() == nil && !follow && s.tmp == tempPath(path) && !liveWriter(path) {
			if os.Rename(s.tmp, index.PathOf(path)) == nil {
				s.tmp = "" // kept: the next show opens it at once
			}
		}
	}()
	return s, nil
}

// liveWriter reports whether another process is writing path's index (a
// recording still running): a build must not replace it.
func liveWriter(path string) bool {
	x, err := index.OpenFile(index.PathOf(path))
	if err != nil {
		return false
	}
	defer x.Close()
	pid := x.Writing()
	if pid == 0 || pid == os.Getpid() {
		return false
	}
	p, err := os.FindProcess(pid)
	return err == nil && p.Signal(syscall.Signal(0)) == nil
}
