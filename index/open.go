package index

import (
	"context"
	"fmt"
	"io"
	"os"
	"syscall"

	"sockscope/store"
)

// Open opens the session file at path for viewing: with its index if that
// is fresh (complete, of this file, decoded with these settings), else
// with an index built in the background, beside the file when it can be
// written there (kept when the build completes) or in the temporary
// directory. Either way a Build runs in the background for the whole
// file's statistics (and, with follow, goes on as the file grows). The
// View is usable at once; Close it when done.
func Open(ctx context.Context, path string, set Settings, follow bool) (*View, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	head := make([]byte, 64)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	ctx, cancel := context.WithCancel(ctx)
	b := &Build{Path: path, Settings: set, Follow: follow, size: st.Size(), done: make(chan struct{}),
		Stats: store.New(store.Config{MaxBytes: StatsBytes})}
	v := &View{path: path, f: f, b: b, ids: set.IDFields, cancel: cancel}
	var w *Writer
	x, fresh := openFresh(path, head, set, st.Size())
	if follow || !fresh {
		if x != nil {
			x.Close()
		}
		tmp := tempPath(path)
		w, err = Create(tmp, head)
		if err != nil { // not writable beside the file: the temporary directory
			t, terr := os.CreateTemp("", "sockscope-*.idx")
			if terr != nil {
				f.Close()
				cancel()
				return nil, fmt.Errorf("creating an index: %w", err)
			}
			tmp = t.Name()
			t.Close()
			if w, err = Create(tmp, head); err != nil {
				f.Close()
				cancel()
				return nil, err
			}
		}
		w.x.h.cfg = set.hash()
		x = w.x
		v.tmp = tmp
		v.building = true
	}
	v.x = x
	f2, err := os.Open(path) // the build's own, read sequentially
	if err != nil {
		v.Close()
		return nil, err
	}
	go func() {
		defer f2.Close()
		b.run(ctx, f2, w)
		if w == nil {
			return
		}
		if b.Err() == nil && !follow && v.tmp == tempPath(path) && !liveWriter(path) {
			if os.Rename(v.tmp, PathOf(path)) == nil {
				v.mu.Lock()
				v.tmp = "" // kept: the next show opens it at once
				v.mu.Unlock()
			}
		}
	}()
	return v, nil
}

// openFresh opens path's index if there is one of this file as it is now.
func openFresh(path string, head []byte, set Settings, size int64) (*Index, bool) {
	x, err := open(PathOf(path))
	if err != nil {
		return nil, false
	}
	h := x.h
	var want [64]byte
	copy(want[:], head)
	if !h.complete || h.head != want || h.sessionSize != size || h.cfg != set.hash() {
		return x, false
	}
	return x, true
}

// liveWriter reports whether another process is writing path's index (a
// recording still running): a build must not replace it.
func liveWriter(path string) bool {
	x, err := open(PathOf(path))
	if err != nil {
		return false
	}
	defer x.Close()
	if x.h.complete || x.h.pid == 0 || x.h.pid == os.Getpid() {
		return false
	}
	p, err := os.FindProcess(x.h.pid)
	return err == nil && p.Signal(syscall.Signal(0)) == nil
}
