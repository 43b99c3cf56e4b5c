//go:build unix

package split

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Both sides call at once, each serving the other's calls meanwhile: every
// answer reaches its own caller.
func TestLinkBothWays(t *testing.T) {
	a, b := net.Pipe()
	echo := func(name string) func(msg) msg {
		return func(m msg) msg { return msg{Text: name + ":" + m.Text} }
	}
	la, lb := newLink(a, echo("a")), newLink(b, echo("b"))
	defer la.close()
	defer lb.close()
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 100 {
		for _, c := range []struct {
			l    *link
			peer string
		}{{la, "b"}, {lb, "a"}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ans, err := c.l.call(context.Background(), msg{Op: "x", Text: strconv.Itoa(i)})
				if want := c.peer + ":" + strconv.Itoa(i); err != nil || ans.Text != want {
					errs <- errors.New("got " + ans.Text + ", want " + want)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A call ends with its context, and with errGone once the other side is
// gone; an error the other side answers comes back as one.
func TestLinkEnds(t *testing.T) {
	a, b := net.Pipe()
	release := make(chan struct{})
	la := newLink(a, unknown)
	lb := newLink(b, func(m msg) msg {
		if m.Op == "slow" {
			<-release
		}
		return unknown(m)
	})
	if _, err := la.call(context.Background(), msg{Op: "nosuch"}); err == nil || err.Error() != "split: no op nosuch" {
		t.Errorf("an unknown op: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := la.call(ctx, msg{Op: "slow"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a call past its deadline: %v", err)
	}
	close(release)
	lb.close()
	<-la.closed()
	if _, err := la.call(context.Background(), msg{Op: "x"}); err != errGone {
		t.Errorf("a call after the other side went: %v, want errGone", err)
	}
}
