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
