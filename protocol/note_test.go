package protocol

import (
	"reflect"
	"testing"
	"time"
)

// The store's form of a note gives back what was put in, NULs in its old
// payload and in its diff included.
func TestNoteBinaryRoundTrip(t *testing.T) {
	for _, n := range []*Note{
		{Act: ActEdited, Rule: "r1", Held: 1500 * time.Millisecond, Diff: "-a\x00b\n+c", Was: []byte("a\x00b")},
		{Act: ActEdited, Diff: "garbage", Was: []byte{0xff, 0, 0xfe}},
		{Act: ActHeld, Rule: "r2", Diff: "held\x00too long"},
		{Act: ActDropped},
	} {
		if got := ParseNote(n.AppendBinary(nil)); !reflect.DeepEqual(got, n) {
			t.Errorf("%+v came back as %+v", n, got)
		}
	}
}

// A note says "by hand" only of what a user did: a hold's timeout or its
// connection's close is no one's hand.
func TestNoteByHand(t *testing.T) {
	for _, c := range []struct {
		n    Note
		want string
	}{
		{Note{Act: ActEdited, Diff: "-a\n+b"}, "edit by hand"},
		{Note{Act: ActDropped}, "drop by hand"},
		{Note{Act: ActHeld, Held: time.Second}, "held by hand, held 1s"},
		{Note{Act: ActFabricated, Diff: "answered by sockscope"}, "fab by hand"},
		{Note{Act: ActTimeout, Diff: "held past --hold-timeout 3s", Held: 3 * time.Second}, "timeout, held 3s"},
		{Note{Act: ActDropped, Diff: "held when the connection closed"}, "drop"},
		{Note{Act: ActHeld, Diff: "not held: the cap on held bytes was reached"}, "held"},
		{Note{Act: ActTimeout, Rule: "r1"}, "timeout by rule r1"},
	} {
		if got := c.n.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.n, got, c.want)
		}
	}
}
