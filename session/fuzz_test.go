package session

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"sockscope/protocol"
)

// FuzzReader feeds any bytes to the Reader: it must not panic or loop, must
// end with io.EOF (or a read error, which bytes.Reader never gives), and
// every frame it returns must survive being written and read again.
// The corpus is in testdata/fuzz/FuzzReader.
func FuzzReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		lines := bytes.Count(data, []byte("\n")) + 1
		for calls := 0; ; calls++ {
			if calls > lines+1 {
				t.Fatalf("%d calls to Next for %d lines", calls, lines)
			}
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				if _, err := r.Next(); !errors.Is(err, io.EOF) {
					t.Fatalf("Next after EOF = %v", err)
				}
				return
			}
			if err != nil {
				continue
			}
			if rec.Type == TypeHeader && rec.Header == nil {
				t.Fatal("header record without Header")
			}
			if rec.Type == TypeFrame {
				checkFrameAgain(t, rec)
			}
		}
	})
}

// checkFrameAgain writes rec as a frame and reads it back.
func checkFrameAgain(t *testing.T, rec Record) {
	if rec.Data == nil || len(rec.Data) > rec.Size {
		t.Fatalf("frame with %d bytes of data, size %d", len(rec.Data), rec.Size)
	}
	fr, err := protocol.ParseFraming(rec.Framing)
	if err != nil || rec.At.Year() < 1 || rec.At.Year() > 9999 {
		return // a framing or a time this version never writes
	}
	line := appendFrame(nil, rec.Conn, rec.Dir, rec.At, protocol.Frame{Data: rec.Data, Size: rec.Size, Wire: rec.Wire, Truncated: rec.Truncated, Err: rec.Err}, fr, rec.Marks)
	again, err := parse(line[:len(line)-1])
	if err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	want := rec
	want.Truncated = rec.Truncated || len(rec.Data) < rec.Size
	want.Err = string(bytes.ToValidUTF8([]byte(rec.Err), []byte("\ufffd")))
	if !bytes.Equal(again.Data, want.Data) || !again.At.Equal(want.At) {
		t.Fatalf("frame %q read back as %q", want.Data, again.Data)
	}
	again.Data, want.Data, again.At = nil, nil, want.At
	if again.Err != want.Err || again.Size != want.Size || again.Wire != want.Wire || again.Truncated != want.Truncated ||
		again.Marks != want.Marks || again.Conn != want.Conn || again.Dir != want.Dir || again.Framing != want.Framing {
		t.Fatalf("frame %+v read back as %+v", want, again)
	}
}
