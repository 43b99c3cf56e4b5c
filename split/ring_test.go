//go:build unix

package split

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// testRing is a ring of ringSize bytes with both ends in this process.
func testRing(t *testing.T) (*ringWriter, *ringReader) {
	t.Helper()
	return testRingOf(t, ringSize)
}

// testRingOf is a ring of size bytes with both ends in this process.
func testRingOf(t *testing.T, size int) (*ringWriter, *ringReader) {
	t.Helper()
	w, theirs, err := openRing(size, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ringFrom(theirs[0], theirs[1], theirs[2])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		w.discard()
		r.bell.Close()
		r.room.Close()
		r.unmap()
	})
	return w, r
}

// The stream read is the stream written, across many turns of the ring,
// with each side waiting for the other in turn: the reader for bytes (the
// bell), the writer for room (the room pipe). Also in a ring whose size is
// no power of two, as a limit on the size of files makes.
func TestRingStream(t *testing.T) {
	for _, size := range []int{ringSize, minRing + 1000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) { ringStream(t, size) })
	}
}

func ringStream(t *testing.T, size int) {
	w, r := testRingOf(t, size)
	rnd := rand.New(rand.NewPCG(1, 2))
	want := make([]byte, 9*ringSize+12345)
	for i := range want {
		want[i] = byte(rnd.Uint32())
	}
	errc := make(chan error, 1)
	go func() {
		rest := want
		for len(rest) > 0 {
			var vec [][]byte
			for range 1 + rnd.IntN(8) {
				n := min(len(rest), rnd.IntN(300<<10))
				vec, rest = append(vec, rest[:n]), rest[n:]
			}
			if _, err := w.writev(vec, true); err != nil {
				errc <- err
				return
			}
		}
		w.bell.Close() // the stream's end
		errc <- nil
	}()
	var got bytes.Buffer
	buf := make([]byte, 200<<10)
	for {
		n, err := r.Read(buf[:1+len(got.Bytes())%len(buf)])
		got.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("read %d bytes, wrote %d: not the same", got.Len(), len(want))
	}
}

// The reader tells a stream the relay's process ended (close) from one
// that ended with the process (the kernel closed its bell: no close).
func TestRingSaysHowItEnded(t *testing.T) {
	for _, died := range []bool{false, true} {
		w, r := testRing(t)
		if _, err := w.writev([][]byte{[]byte("last")}, true); err != nil {
			t.Fatal(err)
		}
		if died {
			w.bell.Close()
		} else {
			w.close()
		}
		if b, err := io.ReadAll(r); err != nil || string(b) != "last" {
			t.Fatalf("read %q, %v; want \"last\"", b, err)
		}
		if r.diedWriter() != died {
			t.Errorf("diedWriter %v for a writer that died: %v", r.diedWriter(), died)
		}
	}
}

// A write that does not wait takes what the ring has room for, across its
// end, and says how much; a reader finds those bytes, then the end.
func TestRingFull(t *testing.T) {
	w, r := testRing(t)
	size := len(w.data)
	half := bytes.Repeat([]byte("h"), size/2+7) // the next write starts past the middle
	if n, err := w.writev([][]byte{half}, false); err != nil || n != int64(len(half)) {
		t.Fatalf("wrote %d (%v) into an empty ring", n, err)
	}
	if n, err := r.Read(make([]byte, len(half))); err != nil || n != len(half) {
		t.Fatalf("read %d (%v), want %d", n, err, len(half))
	}
	var want []byte
	var vec [][]byte
	for i := range 4 {
		b := bytes.Repeat([]byte{byte('a' + i)}, size/3)
		vec, want = append(vec, b), append(want, b...)
	}
	n, err := w.writev(vec, false)
	if err != nil || n != int64(size) {
		t.Fatalf("wrote %d (%v) into an empty ring of %d", n, err, size)
	}
	if n, err := w.writev(vec[:1], false); n != 0 || err != nil {
		t.Fatalf("wrote %d (%v) into a full ring", n, err)
	}
	w.close()
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, want[:size]) {
		t.Fatalf("read %d bytes (%v), want the %d written, then the end", len(got), err, size)
	}
}

// A writer waiting for room stops waiting when the reader's process ends
// (its room pipe closes; or it is known to have ended, while a process it
// started holds the pipe, and the wait is aborted), when it is aborted, and
// does not write once the process is known to have ended.
func TestRingWaitEnds(t *testing.T) {
	full := [][]byte{make([]byte, ringSize), []byte("more")} // more than any ring holds
	for _, tc := range []struct {
		name string
		end  func(w *ringWriter, r *ringReader, gone chan struct{})
		want error // nil: any
	}{
		{"room pipe closed", func(w *ringWriter, r *ringReader, _ chan struct{}) { r.room.Close() }, errGoneReader},
		{"process ended", func(w *ringWriter, _ *ringReader, gone chan struct{}) { close(gone); w.abort() }, errGoneReader},
		{"aborted", func(w *ringWriter, _ *ringReader, _ chan struct{}) { w.abort() }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, r := testRing(t)
			gone := make(chan struct{})
			w.gone = gone
			errc := make(chan error, 1)
			go func() {
				_, err := w.writev(full, true)
				errc <- err
			}()
			waitFor(t, "the writer waits for room", func() bool { return w.writerWaits.Load() == 1 })
			tc.end(w, r, gone)
			select {
			case err := <-errc:
				if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
					t.Fatalf("the wait ended with %v, want %v", err, cmp.Or(tc.want, errors.New("an error")))
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the wait did not end")
			}
		})
	}
	gone := make(chan struct{})
	close(gone)
	w, _ := testRing(t)
	w.gone = gone
	if n, err := w.writev(full, false); !errors.Is(err, errGoneReader) || n != 0 {
		t.Fatalf("wrote %d (%v) for a process that ended", n, err)
	}
}

// Closing the reader's bell (its run's end) ends a Read waiting for bytes.
func TestRingReadEnds(t *testing.T) {
	_, r := testRing(t)
	errc := make(chan error, 1)
	go func() {
		_, err := r.Read(make([]byte, 10))
		errc <- err
	}()
	waitFor(t, "the reader waits for bytes", func() bool { return r.readerWaits.Load() == 1 })
	r.bell.Close()
	select {
	case err := <-errc:
		if err == nil || err == io.EOF {
			t.Fatalf("Read returned %v, want the closed bell's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Read did not end")
	}
}

// A reader that has emptied the ring naps: what is written meanwhile
// does not wake it (the writer rings no bell) until the ring is a quarter
// full. Once it has napped and found the ring empty, it sleeps, and the
// next byte wakes it.
func TestRingNap(t *testing.T) {
	for _, napFor := range []time.Duration{time.Hour, time.Millisecond} {
		w, r := testRingOf(t, minRing)
		r.napFor = napFor
		read := make(chan int)
		go func() {
			defer close(read)
			for {
				n, err := r.Read(make([]byte, minRing))
				if err != nil {
					return
				}
				read <- n
			}
		}()
		write := func(n int) {
			t.Helper()
			if k, err := w.writev([][]byte{make([]byte, n)}, false); err != nil || k != int64(n) {
				t.Fatalf("wrote %d of %d: %v", k, n, err)
			}
		}
		took := func() int {
			t.Helper()
			select {
			case n := <-read:
				return n
			case <-time.After(10 * time.Second):
				t.Fatal("the reader slept through the bytes")
				return 0
			}
		}
		if napFor == time.Hour {
			for range 2 {
				waitFor(t, "the reader naps", func() bool { return r.readerNaps.Load() == 1 })
				write(1)
				write(minRing/4 - 2)
				if r.readerNaps.Load() != 1 {
					t.Fatal("the writer woke a napping reader with the ring under a quarter full")
				}
				write(1)
				if n := took(); n != minRing/4 {
					t.Fatalf("the reader took %d bytes, want the quarter, %d", n, minRing/4)
				}
			}
		} else {
			waitFor(t, "the reader naps, then sleeps", func() bool { return r.readerWaits.Load() == 1 })
			write(1)
			if n := took(); n != 1 {
				t.Fatalf("the sleeping reader took %d bytes, want 1", n)
			}
		}
		r.bell.Close()
		for range read {
		}
	}
}

// Neither side sleeps through the other's news, whenever it comes: in many
// rounds, one side waits (the reader for a byte, the writer for room) while
// the other, started at the same moment, acts a little later each time
// (writes the byte, reads one to make room), so that the act lands
// anywhere in the waiter's way to sleep. A lost wake-up leaves the waiter
// asleep with what it waits for there.
func TestRingWakeUps(t *testing.T) {
	const rounds = 100000
	t.Run("reader", func(t *testing.T) {
		w, r := testRing(t)
		r.napFor = 0 // straight to sleep
		b := make([]byte, 1)
		race(t, rounds, func() error {
			_, err := r.Read(b)
			return err
		}, func() error {
			_, err := w.writev([][]byte{{1}}, false)
			return err
		})
	})
	// A reader that naps for good unless the ring fills to a quarter: the
	// writer writes a quarter each round, and the reader takes it all.
	t.Run("napper", func(t *testing.T) {
		w, r := testRingOf(t, minRing)
		r.napFor = time.Hour
		quarter := make([]byte, minRing/4)
		b := make([]byte, len(quarter))
		race(t, rounds/10, func() error {
			for n := 0; n < len(b); {
				k, err := r.Read(b[n:])
				if err != nil {
					return err
				}
				n += k
			}
			return nil
		}, func() error {
			_, err := w.writev([][]byte{quarter}, false)
			return err
		})
	})
	t.Run("writer", func(t *testing.T) {
		w, r := testRing(t)
		if n, err := w.writev([][]byte{make([]byte, len(w.data))}, false); err != nil || n != int64(len(w.data)) {
			t.Fatalf("filled %d (%v) of %d", n, err, len(w.data))
		}
		b := make([]byte, 1)
		race(t, rounds, func() error {
			_, err := w.writev([][]byte{{1}}, true) // the ring is full
			return err
		}, func() error {
			_, err := r.Read(b)
			return err
		})
	})
}

// race runs rounds of wait, in a goroutine of its own, and act, which
// start together (each spins until the round begins) and act after a spin
// of random length, and fails if either fails or wait has not returned ten
// seconds after act.
func race(t *testing.T, rounds int, wait, act func() error) {
	t.Helper()
	var round atomic.Int64
	waited := make(chan error)
	go func() {
		for i := int64(1); i <= int64(rounds); i++ {
			spinUntil(func() bool { return round.Load() == i })
			waited <- wait()
		}
	}()
	rnd := rand.New(rand.NewPCG(3, 4))
	for i := 1; i <= rounds; i++ {
		round.Store(int64(i))
		n := rnd.IntN(400)
		spinUntil(func() bool { n--; return n < 0 })
		if err := act(); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		select {
		case err := <-waited:
			if err != nil {
				t.Fatalf("round %d: %v", i, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: the waiting side slept through it", i)
		}
	}
}

// spinUntil spins until cond holds, yielding now and then: a goroutine on
// another core sees a change at once, without the scheduler's delay.
func spinUntil(cond func() bool) {
	for i := 1; !cond(); i++ {
		if i%1000 == 0 {
			runtime.Gosched()
		}
	}
}

// waitFor waits until cond holds, checking it every millisecond, and fails
// after ten seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 10 s", what)
		}
	}
}
