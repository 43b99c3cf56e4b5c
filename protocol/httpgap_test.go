package protocol

import (
	"strings"
	"testing"
)

// SkipGap goes past a gap inside a body of a set length, a chunk's data
// or a body that runs to the end of the stream, and says no to a gap that
// may hold the start of the next message (past a body's end, a chunk's
// size line, a head).
func TestHTTPSkipGap(t *testing.T) {
	for _, c := range []struct {
		name   string
		before string
		gap    int64
		after  string
		ok     bool
	}{
		{"inside a body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab", 5, "cde", true},
		{"to a body's end", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab", 8, "", true},
		{"past a body's end", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab", 9, "", false},
		{"inside a chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\nab", 5, "cde\r\n0\r\n\r\n", true},
		{"into a chunk's line end", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\nab", 9, "", false},
		{"in a head", "HTTP/1.1 200 OK\r\nContent-Le", 5, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := NewFramer(FramingHTTP, 1<<20)
			var got []Frame
			emit := func(fr *Frame) { fr.Data = append([]byte(nil), fr.Data...); got = append(got, *fr) }
			f.Feed([]byte(c.before), emit)
			if ok := SkipGap(f, c.gap, emit); ok != c.ok {
				t.Fatalf("SkipGap: %v, want %v", ok, c.ok)
			}
			if !c.ok {
				return
			}
			f.Feed([]byte(c.after), emit)
			if len(got) != 1 {
				t.Fatalf("%d frames, want the message", len(got))
			}
			fr := got[0]
			size := len(c.before) + int(c.gap) + len(c.after) // all of it, seen or not
			if fr.Size != size || len(fr.Data) != len(c.before) || !fr.Truncated || !IsGapErr(fr.Err) || !strings.HasPrefix(c.before, string(fr.Data)) {
				t.Errorf("frame %q: size %d, err %q, truncated %v; want size %d, the %d bytes before the gap kept, a gap's error",
					fr.Data, fr.Size, fr.Err, fr.Truncated, size, len(c.before))
			}
		})
	}
}
