package session

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"sockscope/protocol"
)

// bufferSize is the Recorder's write buffer: records reach the file when it
// fills or on Flush.
const bufferSize = 64 << 10

// headerPrefix is how every session file begins.
const headerPrefix = `{"type":"header","format":"` + FormatName + `"`

// Recorder appends records to a session file. It never blocks on anything
// but its own file: records are encoded into a reused buffer and written
// through a 64 KiB bufio.Writer, so the caller should Flush periodically
// (about every 100 ms) and End at exit.
//
// Open, Frame, Gap, Close, Flush and End must be called from one goroutine
// (the observer). Err, Size and Path are safe from any goroutine.
//
// After the first write error (disk full, file gone bad) the Recorder stops
// writing and every method becomes a no-op; Err reports the error. Nothing
// recorded can make the Recorder write anywhere but its file.
type Recorder struct {
	f    *os.File
	w    *bufio.Writer
	buf  []byte // the record being encoded, reused
	done bool   // a write failed, or End was called

	header Header
	rot    Rotation
	base   string             // the path given to Create: file 0
	index  int                // the number of the file being written
	conns  map[uint64]openRec // open connections, when rotating

	size atomic.Int64 // bytes in the file

	mu   sync.Mutex
	err  error
	path string // the file being written
}

// Create opens path for appending (creating it with mode 0600; an existing
// file keeps its mode) and writes a header, which starts a new segment if
// the file already holds a session. It refuses a non-empty file that is not
// a session file, so a mistyped --record never damages another file. The
// header reaches the file before Create returns, so an unwritable file is
// reported at once.
func Create(path string, h Header) (*Recorder, error) {
	return CreateRotating(path, h, Rotation{})
}

// CreateRotating is Create, with the recording spread over files as rot
// says (see Rotation).
func CreateRotating(path string, h Header, rot Rotation) (*Recorder, error) {
	r := &Recorder{base: path, header: h, rot: rot, buf: make([]byte, 0, 1024)}
	if rot.MaxSize > 0 {
		r.conns = map[uint64]openRec{}
	}
	if err := r.open(path); err != nil {
		return nil, err
	}
	return r, nil
}

// open starts writing the file at path: it appends a header to it and,
// when rotating, an open record for every connection still open. The
// header reaches the file before open returns.
func (r *Recorder) open(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	sep, size, err := checkExisting(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	r.f = f
	r.size.Store(size)
	if r.w == nil {
		r.w = bufio.NewWriterSize(countingWriter{f, &r.size}, bufferSize)
	} else {
		r.w.Reset(countingWriter{f, &r.size})
	}
	r.mu.Lock()
	r.path = path
	r.mu.Unlock()
	if sep {
		r.buf = append(r.buf, '\n')
	}
	r.buf = appendHeader(r.buf, r.header)
	r.write()
	r.reopenConns()
	if err := r.Flush(); err != nil {
		f.Close()
		r.f = nil
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// checkExisting looks at what f already holds: it must be empty or begin
// like a session file. sep is set when the last line lacks its newline (a
// crash cut it short), so that the new header starts on a line of its own.
func checkExisting(f *os.File) (sep bool, size int64, err error) {
	st, err := f.Stat()
	if err != nil {
		return false, 0, err
	}
	if !st.Mode().IsRegular() || st.Size() == 0 {
		return false, st.Size(), nil
	}
	size = st.Size()
	head := make([]byte, min(int64(len(headerPrefix)), size))
	if _, err := f.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return false, 0, err
	}
	if !bytes.HasPrefix([]byte(headerPrefix), head) {
		return false, 0, errors.New("exists and is not a sockscope session file; not appending to it")
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, size-1); err != nil {
		return false, 0, err
	}
	return last[0] != '\n', size, nil
}

// IsFile reports whether the file at path is a sockscope session file: a
// regular file that begins with a session header. A file that does not
// exist is not one. Commands that write a file of their own (export -o)
// ask it before they truncate anything, as Create refuses the reverse.
func IsFile(path string) (bool, error) {
	// Only a regular file is looked into: opening a named pipe would
	// wait for a writer.
	if st, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) || err == nil && !st.Mode().IsRegular() {
		return false, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	head := make([]byte, len(headerPrefix))
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return false, err
	}
	return string(head[:n]) == headerPrefix, nil
}

// countingWriter adds what it writes to n.
type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// write hands r.buf to the file buffer and resets it.
func (r *Recorder) write() {
	if _, err := r.w.Write(r.buf); err != nil {
		r.fail(err)
	}
	r.buf = r.buf[:0]
}

func (r *Recorder) fail(err error) {
	r.done = true
	r.mu.Lock()
	if r.err == nil {
		r.err = err // a *PathError: it names the file
	}
	r.mu.Unlock()
}

// Open records that client connected (as connection conn) to listen and
// was relayed to upstream; own: sockscope itself opened it (named client),
// and its open record says so. pid and uid are -1 when unknown.
func (r *Recorder) Open(conn uint64, at time.Time, client, listen, upstream string, pid, uid int, process string, own bool) {
	if r == nil || r.done {
		return
	}
	r.buf = appendOpen(r.buf, conn, at, client, listen, upstream, pid, uid, process, own)
	r.write()
	if r.conns != nil {
		r.conns[conn] = openRec{at, client, listen, upstream, process, pid, uid, own}
	}
	r.rotateIfFull(at)
}

// Frame records one frame of connection conn that travelled in dir, cut
// with framing (the framing the framer detected, not FramingAuto, where
// known). m says what sockscope did to it.
func (r *Recorder) Frame(conn uint64, dir protocol.Dir, at time.Time, f protocol.Frame, framing protocol.Framing, m Marks) {
	if r == nil || r.done {
		return
	}
	r.buf = appendFrame(r.buf, conn, dir, at, f, framing, m)
	r.write()
	r.rotateIfFull(at)
}

// Gap records that the observer dropped n bytes of direction dir of
// connection conn.
func (r *Recorder) Gap(conn uint64, dir protocol.Dir, at time.Time, n int64) {
	if r == nil || r.done {
		return
	}
	r.buf = appendGap(r.buf, conn, dir, at, n)
	r.write()
	r.rotateIfFull(at)
}

// Close records the end of connection conn; err is empty for a clean end.
func (r *Recorder) Close(conn uint64, at time.Time, err string) {
	if r == nil || r.done {
		return
	}
	r.buf = appendClose(r.buf, conn, at, err)
	r.write()
	delete(r.conns, conn)
	r.rotateIfFull(at)
}

// Flush writes buffered records to the file. It returns Err.
func (r *Recorder) Flush() error {
	if r == nil {
		return nil
	}
	if !r.done {
		if err := r.w.Flush(); err != nil {
			r.fail(err)
		}
	}
	return r.Err()
}

// End records the clean end of the run with the observer's drop totals,
// flushes and closes the file. It returns the first error the Recorder met,
// if any. Later calls do nothing.
func (r *Recorder) End(at time.Time, droppedEvents, droppedBytes uint64) error {
	if r == nil {
		return nil
	}
	if r.f == nil {
		return r.Err()
	}
	if !r.done {
		r.buf = appendEnd(r.buf, at, droppedEvents, droppedBytes, "")
		r.write()
		r.Flush()
	}
	if err := r.f.Close(); err != nil && !r.done {
		r.fail(err)
	}
	r.done, r.f, r.buf = true, nil, nil
	return r.Err()
}

// Err returns the first error met writing the file, or nil.
func (r *Recorder) Err() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Size returns how many bytes the file being written holds: what it held
// before it was opened plus what has been flushed to it since.
func (r *Recorder) Size() int64 {
	if r == nil {
		return 0
	}
	return r.size.Load()
}

// Path returns the path of the file being written: as given to Create,
// or that of a later file when rotating.
func (r *Recorder) Path() string {
	if r == nil {
		return ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.path
}
