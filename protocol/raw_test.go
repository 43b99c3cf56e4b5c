package protocol

import "testing"

func TestRawFrames(t *testing.T) {
	f := NewFramer(FramingRaw, 4)
	a, b := []byte("ab\ncd"), []byte("xy")
	var frames []Frame
	emit := func(xp *Frame) { x := *xp; frames = append(frames, x) }
	f.Feed(a, emit)
	f.Feed(nil, emit)
	f.Feed(b, emit)
	f.Reset()
	f.Flush(emit)
	if len(frames) != 2 {
		t.Fatalf("got %d frames, want one per non-empty chunk", len(frames))
	}
	if string(frames[0].Data) != "ab\nc" || frames[0].Size != 5 || frames[0].Wire != 5 || !frames[0].Truncated {
		t.Errorf("first frame %+v", frames[0])
	}
	if string(frames[1].Data) != "xy" || frames[1].Truncated || !within(frames[1].Data, b) {
		t.Errorf("second frame %+v should alias its chunk", frames[1])
	}
}
