//go:build unix

package split

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The stream goes from the relay's process to the decoder's through a ring
// of shared memory, not a pipe: the relay's process copies each flush into
// it, and the decoder's copies out of it into its chunks, with no system
// call but to wake one that sleeps. Through a pipe, each flush was a system
// call that copied the bytes into pages the kernel allocated for them, and
// freed once read: under a pipelined 64 B load, a tenth of the relay's
// process's CPU; the ring's copy takes half that.
//
// Two pipes wake one side for the other. The bell wakes the decoder's
// process: the relay's rings it (writes a byte) after a flush, only when
// the decoder's said it was about to sleep (readerWaits), or that it naps
// (readerNaps) and the ring is a quarter full; and closes it at the
// stream's end, which the decoder's reads as EOF once it has taken what
// the ring holds. Each time the decoder's has emptied the ring, it naps
// for napTime or until the ring is a quarter full, and only then sleeps
// until rung: so it takes many events at a wake-up rather than wake for
// each, which would cost a system call of the relay's each time. The room
// pipe wakes the relay's process when it waits for room (--lossless, and
// the last flush), only when it said so (writerWaits); its end is the
// decoder's only, so the relay's reads EOF if the decoder's process dies.

// ringSize is the ring's room for the stream: as much as the pipe it
// replaced held (1 MiB); less under a limit on the size of files (ulimit
// -f, which counts shared memory too), down to minRing.
const (
	ringSize = 1 << 20
	minRing  = 64 << 10
)

// ringHead is the page before the ring's bytes: the counters, each on a
// cache line of its own.
const ringHead = 4096

// Offsets in ringHead.
const (
	offHead        = 0   // uint64: bytes written, by the relay's process
	offTail        = 64  // uint64: bytes read, by the decoder's
	offReaderWaits = 128 // uint32: 1 while the decoder's may sleep on the bell
	offWriterWaits = 192 // uint32: 1 while the relay's may wait on the room pipe
	offReaderNaps  = 256 // uint32: 1 while the decoder's naps on the bell
	offShed        = 320 // uint32: 1 while the decoder's drops what comes (Source.Shed)
	offDrops       = 384 // 2 uint64: the events and bytes the relay's process dropped so far
	offClosed      = 448 // uint32: 1 once the relay's process ended the stream (close)
)

// napTime is how long the decoder's process naps once it has emptied the
// ring, unless the ring fills to a quarter meanwhile: the events reach it
// up to that much later, within the UI's 40 ms tick. Under a pipelined 64
// B load, handing over every 20 ms rather than the observer's 5 took the
// relay's process from 18-19 system calls and 8-9 context switches per
// 1,000 requests to 15-16 and 6.7 (a bare io.Copy relay: 17-18 and 5-7).
const napTime = 20 * time.Millisecond

// ring is the shared memory, mapped.
type ring struct {
	mem                                  []byte // the mapping
	data                                 []byte // the stream's bytes, past ringHead
	head, tail                           *atomic.Uint64
	readerWaits, writerWaits, readerNaps *atomic.Uint32
	shed                                 *atomic.Uint32
	// dropEvents and dropBytes are the relay's process's drop counts, as
	// they grow: the drops records on the stream carry them too, but not
	// while the decoder's process sheds, nor while the ring is full.
	dropEvents, dropBytes *atomic.Uint64
	// closed is 1 once the relay's process ended the stream itself: the
	// bell closed with it still 0 was closed by the process's death.
	closed *atomic.Uint32
}

// mapRing maps the ring of f, a shared memory file of ringHead bytes and
// minRing to ringSize more.
func mapRing(f *os.File) (*ring, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size() - ringHead
	if size < minRing || size > ringSize {
		return nil, fmt.Errorf("a ring of %d bytes", fi.Size())
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	return &ring{
		mem:         mem,
		data:        mem[ringHead:],
		head:        (*atomic.Uint64)(unsafe.Pointer(&mem[offHead])),
		tail:        (*atomic.Uint64)(unsafe.Pointer(&mem[offTail])),
		readerWaits: (*atomic.Uint32)(unsafe.Pointer(&mem[offReaderWaits])),
		writerWaits: (*atomic.Uint32)(unsafe.Pointer(&mem[offWriterWaits])),
		readerNaps:  (*atomic.Uint32)(unsafe.Pointer(&mem[offReaderNaps])),
		shed:        (*atomic.Uint32)(unsafe.Pointer(&mem[offShed])),
		dropEvents:  (*atomic.Uint64)(unsafe.Pointer(&mem[offDrops])),
		dropBytes:   (*atomic.Uint64)(unsafe.Pointer(&mem[offDrops+8])),
		closed:      (*atomic.Uint32)(unsafe.Pointer(&mem[offClosed])),
	}, nil
}

// ringSizeHere is the size of ring this process can make: ringSize, or
// what a limit on the size of files (ulimit -f, which counts shared memory
// too) leaves of it, down to minRing.
func ringSizeHere() (int, error) {
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_FSIZE, &lim) != nil || lim.Cur >= ringHead+ringSize {
		return ringSize, nil
	}
	if lim.Cur < ringHead+minRing {
		return 0, fmt.Errorf("ulimit -f allows files of %d bytes, and the events' ring of shared memory needs %d "+
			"(SOCKSCOPE_DECODER=inprocess decodes in the relay's process)", lim.Cur, ringHead+minRing)
	}
	return int(lim.Cur) - ringHead, nil
}

// openRing makes a ring of size bytes and the relay's process's end of it.
// theirs are the decoder's process's files, for ringFrom: the bell's read
// end, the shared memory and the room pipe's write end; the caller closes
// them once the process has them. gone is closed once that process has
// ended.
func openRing(size int, gone <-chan struct{}) (w *ringWriter, theirs []*os.File, err error) {
	shm, err := newShared(ringHead + size)
	if err != nil {
		return nil, nil, err
	}
	var files []*os.File // to close if it fails
	defer func() {
		if err != nil {
			closeAll(files)
		}
	}()
	files = append(files, shm)
	r, err := mapRing(shm)
	if err != nil {
		return nil, nil, err
	}
	bellR, bellW, err := os.Pipe()
	if err != nil {
		r.unmap()
		return nil, nil, err
	}
	files = append(files, bellR, bellW)
	roomR, roomW, err := os.Pipe()
	if err != nil {
		r.unmap()
		return nil, nil, err
	}
	w = &ringWriter{ring: r, bell: bellW, room: roomR, gone: gone, waiting: make(chan struct{}, 1)}
	return w, []*os.File{bellR, shm, roomW}, nil
}

// ringFrom is the decoder's process's end of a ring, from the files
// openRing gave, which become the reader's (bell and room should be the
// runtime poller's, non-blocking, so that closing the bell ends a Read:
// Child makes them so).
func ringFrom(bell, shm, room *os.File) (*ringReader, error) {
	r, err := mapRing(shm)
	shm.Close()
	if err != nil {
		return nil, err
	}
	return &ringReader{ring: r, bell: bell, room: room, napFor: napTime}, nil
}

// wake writes a byte to f, if the other side said it may sleep (waits is
// 1): once per sleep, so the pipe never fills.
//
// Neither side may sleep through the other's news: one says it may sleep,
// then looks again for what it waits for; the other stores its counter,
// then looks whether to wake it. Go's atomics are sequentially consistent,
// which makes that safe, but under the race detector a store is only a
// release, which a later load may pass (golang/go#58020), and a wake-up
// was lost (TestRingWakeUps, with -race, as the CI runs it). So both
// sides say and look with read-modify-writes (Swap, CompareAndSwap): on
// amd64 a locked instruction, a full barrier, however the atomics are
// built.
func wake(waits *atomic.Uint32, f *os.File) error {
	if waits.CompareAndSwap(1, 0) {
		_, err := f.Write([]byte{0})
		return err
	}
	return nil
}

// unmap lets the mapping go: only once neither end uses it.
func (r *ring) unmap() { unix.Munmap(r.mem) }

// ringWriter is the relay's process's end.
type ringWriter struct {
	*ring
	bell *os.File        // the bell's write end
	room *os.File        // the room pipe's read end
	gone <-chan struct{} // closed once the decoder's process has ended
	buf  [64]byte        // the room pipe's bytes, read to be thrown away
	// waits counts the waits for room (with --lossless, the traffic's
	// waits for the decoder's process), blocked says one is on now, and
	// waiting (cap 1) is signalled as one begins: the Decoder raises the
	// process while the relay waits for it (boostWhileWaiting).
	waits   atomic.Uint64
	blocked atomic.Bool
	waiting chan struct{}
}

// errGoneReader is what writing to the ring says once the decoder's
// process has ended (a pipe would say EPIPE).
var errGoneReader = errors.New("it exited")

// writev copies vec onto the ring in order, and says how much it copied:
// unless wait, only what there is room for now. It implements vectored.
func (w *ringWriter) writev(vec [][]byte, wait bool) (int64, error) {
	select {
	case <-w.gone:
		return 0, errGoneReader
	default:
	}
	var total int64
	head := w.head.Load() // this side's own
	for _, b := range vec {
		for len(b) > 0 {
			free := len(w.data) - int(head-w.tail.Load())
			if free == 0 {
				if err := w.publish(head); err != nil || !wait {
					return total, err
				}
				if err := w.waitRoom(head); err != nil {
					return total, err
				}
				continue
			}
			n := min(len(b), free)
			at := int(head % uint64(len(w.data)))
			if k := copy(w.data[at:], b[:n]); k < n {
				copy(w.data, b[k:n])
			}
			head += uint64(n)
			total += int64(n)
			b = b[n:]
		}
	}
	return total, w.publish(head)
}

// publish makes the bytes up to head the decoder's, and wakes it if it
// sleeps, or naps and the ring is a quarter full.
func (w *ringWriter) publish(head uint64) error {
	if w.head.Load() == head {
		return nil
	}
	w.head.Store(head)
	if w.quarterFull(head) {
		if err := wake(w.readerNaps, w.bell); err != nil {
			return err
		}
	}
	return wake(w.readerWaits, w.bell)
}

// quarterFull reports whether the ring holds a quarter of its room or more
// when written up to head.
func (r *ring) quarterFull(head uint64) bool {
	return head-r.tail.Load() >= uint64(len(r.data)/4)
}

// waitRoom waits until the ring has room past head: the decoder's process
// took some, or it ended (an error), or abort was called.
func (w *ringWriter) waitRoom(head uint64) error {
	w.waits.Add(1)
	w.blocked.Store(true)
	defer w.blocked.Store(false)
	select {
	case w.waiting <- struct{}{}:
	default:
	}
	for {
		w.writerWaits.Swap(1)
		if head-w.tail.Load() < uint64(len(w.data)) {
			return nil
		}
		if _, err := w.room.Read(w.buf[:]); err != nil {
			select {
			case <-w.gone: // and abort was called
				return errGoneReader
			default:
			}
			if err == io.EOF {
				err = errGoneReader
			}
			return err
		}
	}
}

// abort ends a wait for room, and all waits after it.
func (w *ringWriter) abort() { w.room.SetReadDeadline(time.Unix(1, 0)) }

// close ends the stream: the decoder's process reads EOF once it has taken
// what the ring holds, and knows it was ended (diedWriter).
func (w *ringWriter) close() {
	w.closed.Store(1)
	w.bell.Close()
	w.room.Close()
}

// discard closes a ring no process read, and lets its mapping go.
func (w *ringWriter) discard() {
	w.close()
	w.unmap()
}

// ringReader is the decoder's process's end: an io.Reader.
type ringReader struct {
	*ring
	bell *os.File // the bell's read end
	room *os.File // the room pipe's write end
	eof  bool     // the bell closed: no more than the ring holds
	// napped says the reader napped since it last took bytes: next time
	// it finds the ring empty, it sleeps. napFor is how long it naps:
	// napTime.
	napped bool
	napFor time.Duration
	buf    [64]byte // the bell's bytes, read to be thrown away
}

// Read copies into p what the ring holds, up to len(p), waiting for the
// relay's process to write some if it holds nothing: once it has emptied
// the ring, it naps first (napTime). It returns io.EOF once the relay's
// process closed the stream and every byte is read, and the bell's error
// if it was closed here (the run's end).
func (r *ringReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	tail := r.tail.Load() // this side's own
	for {
		if avail := int(r.head.Load() - tail); avail > 0 {
			n := min(len(p), avail)
			at := int(tail % uint64(len(r.data)))
			if k := copy(p[:n], r.data[at:]); k < n {
				copy(p[k:n], r.data)
			}
			r.tail.Store(tail + uint64(n))
			wake(r.writerWaits, r.room) // a relay gone needs no room
			r.napped = false
			return n, nil
		}
		if r.eof {
			return 0, io.EOF
		}
		if !r.napped {
			r.napped = true
			if err := r.nap(); err != nil {
				return 0, err
			}
			continue
		}
		r.readerWaits.Swap(1)
		if r.head.Load() != tail {
			continue // a byte may ring the bell for nothing: read past it next time
		}
		if _, err := r.bell.Read(r.buf[:]); err == io.EOF {
			r.eof = true // what was written before it was closed is on the ring
		} else if err != nil {
			return 0, err
		}
	}
}

// diedWriter reports, once Read has returned io.EOF, whether the stream
// ended with the relay's process (SIGKILL, a crash) rather than by its
// close: the kernel closed the bell as the process died.
func (r *ringReader) diedWriter() bool {
	return r.eof && r.closed.Load() == 0
}

// nap waits on the bell for napFor, unless the ring fills to a quarter,
// or the bell closes (then eof). A byte rung late, after the
// nap, wakes the next sleep for nothing, which Read sees.
func (r *ringReader) nap() error {
	r.readerNaps.Swap(1)
	defer r.readerNaps.Swap(0)
	if r.napFor <= 0 || r.quarterFull(r.head.Load()) {
		return nil
	}
	if r.bell.SetReadDeadline(time.Now().Add(r.napFor)) != nil {
		return nil // not the runtime poller's: no nap
	}
	defer r.bell.SetReadDeadline(time.Time{})
	_, err := r.bell.Read(r.buf[:])
	switch {
	case err == io.EOF:
		r.eof = true
	case errors.Is(err, os.ErrDeadlineExceeded):
	case err != nil:
		return err
	}
	return nil
}
