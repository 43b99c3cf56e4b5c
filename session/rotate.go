package session

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Rotation spreads a long recording over files, as tcpdump's -C and -W do.
// The first file is the path given to CreateRotating, the next ones that
// path with a number before its extension (s.jsonl, s.1.jsonl, s.2.jsonl,
// …: see FileName). Numbers only grow, so the files sort in time order and
// none is renamed while another program reads it.
//
// Each file is a session on its own: it starts with the run's header and
// an open record for every connection still open (with the time it
// opened), and ends, when the next file takes over, with an end record
// naming that file ("continues"). A request whose reply went to the next
// file shows as no-reply in one and as an orphan in the other.
type Rotation struct {
	// MaxSize is the size at which a file is ended and the next one begun,
	// after the record that reached it (so a file holds up to that record
	// and an end record more). If zero, one file grows without bound.
	MaxSize int64
	// MaxFiles is how many files are kept: beginning a file removes the one
	// MaxFiles before it. If zero, every file is kept.
	MaxFiles int
}

// FileName returns the path of file i (from 0) of a recording to path:
// path itself, then the number before the extension (dir/s.1.jsonl), or
// after the name when it has none (dir/s.1).
func FileName(path string, i int) string {
	if i == 0 {
		return path
	}
	dir, name := filepath.Split(path)
	ext := filepath.Ext(name)
	if ext == name { // ".jsonl": a name that is all extension
		ext = ""
	}
	return dir + strings.TrimSuffix(name, ext) + "." + strconv.Itoa(i) + ext
}

// openRec is an open connection, as its open record said.
type openRec struct {
	at                                time.Time
	client, listen, upstream, process string
	pid, uid                          int
	own                               bool
}

// reopenConns writes an open record for every connection still open, in
// the order they were numbered (only when rotating).
func (r *Recorder) reopenConns() {
	ids := make([]uint64, 0, len(r.conns))
	for id := range r.conns {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		c := r.conns[id]
		r.buf = appendOpen(r.buf, id, c.at, c.client, c.listen, c.upstream, c.pid, c.uid, c.process, c.own)
		r.write()
	}
}

// rotateIfFull begins the next file when the one being written has reached
// the size bound; at is the time of the last record.
func (r *Recorder) rotateIfFull(at time.Time) {
	if r.rot.MaxSize <= 0 || r.done || r.size.Load()+int64(r.w.Buffered()) < r.rot.MaxSize {
		return
	}
	next := r.index + 1
	name := FileName(r.base, next)
	r.buf = appendEnd(r.buf, at, 0, 0, filepath.Base(name))
	r.write()
	r.Flush()
	if err := r.f.Close(); err != nil && !r.done {
		r.fail(err)
	}
	r.f = nil
	if r.done {
		return
	}
	if r.rot.MaxFiles > 0 && next >= r.rot.MaxFiles {
		old := FileName(r.base, next-r.rot.MaxFiles)
		if err := os.Remove(old); err != nil && !errors.Is(err, fs.ErrNotExist) {
			r.fail(err)
			return
		}
	}
	r.index = next
	if err := r.open(name); err != nil {
		r.fail(err)
	}
}
