//go:build unix

package feed

import (
	"sync"
	"testing"
	"time"
)

// Attached viewers are told what the instance warns of: one attached
// before the warning when it comes, one attaching after it at once, and
// both when it is gone.
func TestViewersToldTheWarning(t *testing.T) {
	var (
		mu   sync.Mutex
		text string
	)
	warn := func(s string) {
		mu.Lock()
		text = s
		mu.Unlock()
	}
	_, _, _, attachFeed := testFeed(t, Config{Warning: func() string {
		mu.Lock()
		defer mu.Unlock()
		return text
	}})
	attach := func() *Remote {
		t.Helper()
		r, _ := attachFeed()
		return r
	}
	wantWarning := func(what string, r *Remote, want string) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); r.Warning() != want; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the viewer's warning is %q, not %q", what, r.Warning(), want)
			}
		}
	}

	before := attach()
	const w = "new clients bypass sockscope"
	warn(w)
	wantWarning("attached before", before, w)
	after := attach()
	wantWarning("attached after", after, w)
	warn("")
	wantWarning("attached before, gone", before, "")
	wantWarning("attached after, gone", after, "")
}
