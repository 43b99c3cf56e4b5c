package replay

import (
	"io"
	"testing"
)

// An end closed for writing still reads what the other end writes; the
// other end reads the end of stream.
func TestPipeCloseWrite(t *testing.T) {
	a, b := pipe()
	defer a.Close()
	defer b.Close()
	a.CloseWrite()
	if n, err := b.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("after CloseWrite the other end reads %d, %v; want io.EOF", n, err)
	}
	go func() {
		b.Write([]byte("after"))
		b.CloseWrite()
	}()
	if got, err := io.ReadAll(a); string(got) != "after" || err != nil {
		t.Errorf("the closed-for-writing end read %q, %v", got, err)
	}
	if _, err := a.Write([]byte("x")); err != io.ErrClosedPipe {
		t.Errorf("a write after CloseWrite: %v", err)
	}
}
