//go:build unix

package split

import (
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
