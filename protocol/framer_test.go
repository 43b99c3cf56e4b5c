package protocol

import (
	"fmt"
	"strings"
	"testing"
)

// fr is a frame as tests compare it: Data copied into a string.
type fr struct {
	Data      string
	Size      int
	Wire      int
	Truncated bool
	Err       string
}

func (f fr) String() string {
	return fmt.Sprintf("{%q size=%d wire=%d trunc=%v err=%q}", f.Data, f.Size, f.Wire, f.Truncated, f.Err)
}

// h2BlockKept reports whether data is an HTTP/2 header block's message,
// which is kept whole over the cap, up to MaxH2Block.
func h2BlockKept(data []byte) bool {
	f, ok := parseH2(data)
	return ok && (f.typ == h2Headers || f.typ == h2PushPromise) && len(data) <= MaxH2Block
}

// run feeds chunks to f, then flushes if flush is set, and returns the
// frames. It checks the invariants every frame must hold. Each chunk is fed
// from a buffer that is scribbled over once Feed returns, as the relay
// reuses its read buffers: a framer that kept a reference to it would emit
// the scribble.
func run(t testing.TB, f Framer, max int, flush bool, chunks ...[]byte) []fr {
	t.Helper()
	var out []fr
	// The framing at a call's first frame, which holds to the call's end.
	var framing Framing
	emitted := false
	emit := func(xp *Frame) {
		x := *xp
		if !emitted {
			framing, emitted = f.Framing(), true
		} else if f.Framing() != framing {
			if x.Whole == nil || framing != FramingHTTP || f.Framing() != FramingHTTP2 {
				t.Fatalf("framing %v after %v in one call", f.Framing(), framing)
			}
			framing = f.Framing() // an h2c upgrade
		}
		if len(x.Data) > max && !(f.Framing() == FramingHTTP2 && h2BlockKept(x.Data)) {
			t.Fatalf("frame data %d bytes, over the cap %d", len(x.Data), max)
		}
		if x.Truncated != (len(x.Data) < x.Size) {
			t.Fatalf("Truncated=%v but len(Data)=%d Size=%d", x.Truncated, len(x.Data), x.Size)
		}
		if x.Truncated && x.Err == "" && x.Whole == nil && classifies(f) {
			t.Fatalf("a frame over the cap (%d bytes) without Whole", x.Size)
		}
		out = append(out, fr{string(x.Data), x.Size, x.Wire, x.Truncated, x.Err})
	}
	for _, c := range chunks {
		buf := append([]byte(nil), c...)
		emitted = false
		f.Feed(buf, emit)
		if emitted && f.Framing() != framing && (framing != FramingHTTP || f.Framing() != FramingHTTP2) { // but an h2c upgrade
			t.Fatalf("framing %v after Feed, %v at its first frame", f.Framing(), framing)
		}
		for i := range buf {
			buf[i] = '#'
		}
	}
	if flush {
		emitted = false
		f.Flush(emit)
	}
	return out
}

// classifies reports whether f was made with id fields, to classify the
// frames over its cap whole: JSON framings do (an auto framer once it has
// found one); the other profiles classify what they keep (ClassifyAs).
func classifies(f Framer) bool {
	switch f := f.(type) {
	case *autoFramer:
		switch f.Framing() {
		case FramingLines, FramingContentLength, FramingRaw, FramingVarlink:
			return f.ids != nil
		}
		return false
	case *linesFramer:
		return f.w.ids != nil
	case *clFramer:
		return f.w.ids != nil
	case *rawFramer:
		return f.w.ids != nil
	case *nulFramer:
		return f.w.ids != nil
	}
	return false
}

// splits returns in cut at every position into two chunks, and byte by
// byte; each entry is one way to feed it.
func splits(in []byte) [][][]byte {
	var ways [][][]byte
	ways = append(ways, [][]byte{in})
	for i := 1; i < len(in); i++ {
		a := append([]byte(nil), in[:i]...)
		b := append([]byte(nil), in[i:]...)
		ways = append(ways, [][]byte{a, b})
	}
	var bytewise [][]byte
	for i := range in {
		bytewise = append(bytewise, []byte{in[i]})
	}
	return append(ways, bytewise)
}

func sameFrames(t *testing.T, what string, got, want []fr) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s:\n got %v\nwant %v", what, got, want)
	}
}

// wireTotal sums Wire over frames.
func wireTotal(fs []fr) int {
	n := 0
	for _, f := range fs {
		n += f.Wire
	}
	return n
}

// checkChunking feeds in whole and in every split, and requires the same
// frames and that Wire plus pending accounts for every byte.
func checkChunking(t *testing.T, framing Framing, max int, in string) []fr {
	t.Helper()
	return checkChunkingWith(t, func() Framer { return NewFramer(framing, max, DefaultIDFields...) }, max, in)
}

// checkChunkingWith is checkChunking with framers that mk makes.
func checkChunkingWith(t *testing.T, mk func() Framer, max int, in string) []fr {
	t.Helper()
	framing := mk().Framing()
	want := run(t, mk(), max, true, []byte(in))
	for _, way := range splits([]byte(in)) {
		f := mk()
		got := run(t, f, max, false, way...)
		if n := wireTotal(got) + f.(pender).pending(); n != len(in) {
			t.Fatalf("%d chunks: wire %d + pending %d != %d input bytes", len(way), wireTotal(got), f.(pender).pending(), len(in))
		}
		got = append(got, run(t, f, max, true)...)
		sameFrames(t, fmt.Sprintf("%s fed in %d chunks", framing, len(way)), got, want)
	}
	return want
}

func TestNewFramerDefaults(t *testing.T) {
	body := strings.Repeat("a", DefaultMaxFrame+10)
	for _, f := range []Framing{FramingAuto, FramingLines, FramingContentLength, FramingRaw, Framing(99)} {
		fm := NewFramer(f, 0, DefaultIDFields...)
		big := []byte(body + "\n")
		if f == FramingContentLength {
			big = []byte(fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body))
		}
		got := run(t, fm, DefaultMaxFrame, true, big)
		if len(got) == 0 || len(got[0].Data) != DefaultMaxFrame || !got[0].Truncated {
			t.Errorf("%v: maxFrame 0 should cap at DefaultMaxFrame, got %d frames", f, len(got))
		}
	}
}
