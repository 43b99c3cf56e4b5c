//go:build unix

package split

import (
	"bytes"
	"io"
	"testing"
	"time"

	"sockscope/event"
	"sockscope/protocol"
)

// BenchmarkWriterEvent64B: the relay's process's handoff of one 64-byte
// data event: encoded, and flushed 512 at a time.
func BenchmarkWriterEvent64B(b *testing.B) {
	w := newWriter(io.Discard)
	ev := event.Event{Type: event.Data, Conn: 1, Dir: protocol.C2S, At: time.Now(), Data: make([]byte, 64)}
	b.ReportAllocs()
	for i := range b.N {
		w.event(&ev)
		if i%512 == 511 {
			w.flush(true)
		}
	}
}

// loop is an endless stream: b again and again, at most max bytes a read,
// as the ring hands out what it holds.
type loop struct {
	b   []byte
	off int
	max int
}

func (l *loop) Read(p []byte) (int, error) {
	p = p[:min(len(p), l.max)]
	n := 0
	for n < len(p) {
		m := copy(p[n:], l.b[l.off:])
		n += m
		if l.off += m; l.off == len(l.b) {
			l.off = 0
		}
	}
	return n, nil
}

// BenchmarkReader64B: the decoder's process's side of one 64-byte data
// event: read from a stream handed out 64 KiB a read, decoded and
// released.
func BenchmarkReader64B(b *testing.B) {
	var buf bytes.Buffer
	w := newWriter(&buf)
	ev := event.Event{Type: event.Data, Conn: 1, Dir: protocol.C2S, At: time.Now(), Data: make([]byte, 64)}
	for range 4096 {
		w.event(&ev)
	}
	w.flush(true)
	r := newReader(&loop{b: buf.Bytes(), max: 64 << 10})
	defer r.close()
	b.ReportAllocs()
	for range b.N {
		if err := r.next(&ev); err != nil {
			b.Fatal(err)
		}
		ev.Release()
	}
}
