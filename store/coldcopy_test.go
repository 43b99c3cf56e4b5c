package store

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestColdCopy copies at every alignment and around every size where the
// head, the streamed middle and the tail change, and checks the bytes
// copied and that nothing around the destination was touched.
func TestColdCopy(t *testing.T) {
	src := make([]byte, 8<<10)
	for i := range src {
		src[i] = byte(rand.Uint32())
	}
	const cm = 1 << 10 // coldMin on amd64
	for _, n := range []int{0, 1, 63, 64, cm - 1, cm, cm + 1, cm + 63, cm + 64, 4097, 8 << 10} {
		for align := range 80 {
			buf := bytes.Repeat([]byte{0xEE}, align+n+80)
			dst := buf[align : align+n]
			if got := coldCopy(dst, src[:n]); got != n {
				t.Fatalf("n=%d align=%d: copied %d", n, align, got)
			}
			if !bytes.Equal(dst, src[:n]) {
				t.Fatalf("n=%d align=%d: bytes differ", n, align)
			}
			if !allEE(buf[:align]) || !allEE(buf[align+n:]) {
				t.Fatalf("n=%d align=%d: wrote outside the destination", n, align)
			}
		}
	}
	// Shorter of the two, as copy.
	dst := make([]byte, 2*cm)
	if got := coldCopy(dst, src[:cm+5]); got != cm+5 || !bytes.Equal(dst[:got], src[:got]) || !allZero(dst[got:]) {
		t.Fatalf("short src: copied %d", got)
	}
	if got := coldCopy(dst[:cm+7], src); got != cm+7 || !bytes.Equal(dst[:got], src[:got]) {
		t.Fatalf("short dst: copied %d", got)
	}
}

func allEE(b []byte) bool {
	for _, c := range b {
		if c != 0xEE {
			return false
		}
	}
	return true
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
