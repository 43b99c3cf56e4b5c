//go:build unix

package split

import (
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// Once the relay stops, a decoder's process that got further each time it
// is asked is waited for, however long it takes; one that got no further
// since it was last asked, or does not answer, is given up.
func TestStalled(t *testing.T) {
	defer func(w time.Duration) { drainWait = w }(drainWait)
	drainWait = 20 * time.Millisecond
	for _, tc := range []struct {
		name    string
		growing int64 // answers that got further than the one before
		answer  bool
	}{
		{"getting further, then not", 5, true},
		{"never further", 0, true},
		{"not answering", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := net.Pipe()
			var asked atomic.Int64
			never := make(chan struct{})
			defer close(never)
			child := newLink(b, func(m msg) msg {
				if !tc.answer {
					<-never
				}
				n := asked.Add(1)
				return msg{N: min(n, 1+tc.growing)}
			})
			defer child.close()
			d := &Decoder{link: newLink(a, unknown)}
			defer d.link.close()
			select {
			case <-d.stalled(make(chan struct{})):
			case <-time.After(10 * time.Second):
				t.Fatal("not given up")
			}
			// The first answer, then each that got further, then one that did not.
			if want := 2 + tc.growing; tc.answer && asked.Load() != want {
				t.Errorf("given up after %d answers, want %d", asked.Load(), want)
			}
		})
	}
}
