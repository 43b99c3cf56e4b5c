//go:build unix

package split

import (
	"context"
	"time"
)

// Once the relay stops, the decoder's process takes the last events, then
// finishes (at normal priority then), for as long as it gets further: it
// is asked how far it got every drainWait, and one that got no further
// (frozen, or its output stuck) is given up, then killed, and the relay
// exits. With --lossless nothing is lost to a decoder that is only slow,
// however busy the machine.
var drainWait = 5 * time.Second // shortened by tests

// Wait waits for the decoder's process to end (after the engine stopped:
// the end of the events ends it) and returns how it ended. A process that
// stalls before it ends is killed.
func (d *Decoder) Wait() error {
	select {
	case <-d.exited:
	case <-d.stalled(d.exited):
		d.cmd.Process.Kill()
		<-d.exited
	}
	return d.err
}

// stalled returns a channel closed once the decoder's process got no
// further in drainWait (it is asked then, and answers within drainWait/2
// or counts as stalled), unless done closes first.
func (d *Decoder) stalled(done <-chan struct{}) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		tick := time.NewTicker(drainWait)
		defer tick.Stop()
		last, _ := d.progress()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			n, ok := d.progress()
			if !ok || n <= last {
				close(ch)
				return
			}
			last = n
		}
	}()
	return ch
}

// progress asks the decoder's process how far it got.
func (d *Decoder) progress() (int64, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), drainWait/2)
	defer cancel()
	a, err := d.link.call(ctx, msg{Op: opProgress})
	return a.N, err == nil
}
