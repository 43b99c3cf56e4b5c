package session

import (
	"bytes"
	"os"
	"runtime"
	"strings"
	"testing"

	"sockscope/protocol"
)

func TestCreateOnFullDevice(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/dev/full is Linux")
	}
	rec, err := Create("/dev/full", testHeader(t0))
	if err == nil {
		rec.End(t0, 0, 0)
		t.Fatal("Create on /dev/full succeeded")
	}
	if !strings.Contains(err.Error(), "no space left") {
		t.Errorf("err = %v, want ENOSPC", err)
	}
}

// TestWriteError closes the file behind the recorder's back: the next write
// fails, Err reports it, and nothing panics or writes afterwards.
func TestWriteError(t *testing.T) {
	path := tempPath(t)
	rec, err := Create(path, testHeader(t0))
	if err != nil {
		t.Fatal(err)
	}
	size := rec.Size()
	rec.f.Close()
	frame := protocol.Frame{Data: []byte(`{"id":1}`), Size: 8, Wire: 9}
	rec.Frame(1, protocol.C2S, at(1), frame, protocol.FramingLines, Marks{})
	if rec.Err() != nil {
		t.Fatal("error before the buffer reached the file")
	}
	if err := rec.Flush(); err == nil || rec.Err() == nil {
		t.Fatalf("Flush = %v, Err = %v: want an error", err, rec.Err())
	}
	first := rec.Err()
	if !strings.Contains(first.Error(), path) {
		t.Errorf("error %q does not name the file", first)
	}
	// A large frame would have to go straight to the file: still nothing.
	big := protocol.Frame{Data: bytes.Repeat([]byte("x"), 1<<20), Size: 1 << 20}
	rec.Frame(1, protocol.S2C, at(2), big, protocol.FramingRaw, Marks{Injected: true})
	rec.Open(2, at(3), "", "", "", -1, -1, "", false)
	rec.Gap(2, protocol.S2C, at(4), 5)
	rec.Close(2, at(5), "x")
	if err := rec.Flush(); err != first {
		t.Errorf("Flush after failure = %v, want the first error %v", err, first)
	}
	if err := rec.End(at(6), 0, 0); err != first {
		t.Errorf("End = %v, want %v", err, first)
	}
	if err := rec.End(at(7), 0, 0); err != first {
		t.Errorf("second End = %v, want %v", err, first)
	}
	if rec.Size() != size {
		t.Errorf("Size %d after failed writes, want %d", rec.Size(), size)
	}
	recs, err := ReadFile(path)
	if err != nil || len(recs) != 1 {
		t.Errorf("file holds %d records, %v; want the header only", len(recs), err)
	}
}

func TestNilAndEndedRecorder(t *testing.T) {
	var nilRec *Recorder
	nilRec.Frame(1, protocol.C2S, t0, protocol.Frame{}, protocol.FramingRaw, Marks{})
	if nilRec.Flush() != nil || nilRec.End(t0, 0, 0) != nil || nilRec.Err() != nil || nilRec.Size() != 0 || nilRec.Path() != "" {
		t.Error("nil Recorder is not inert")
	}
	path := tempPath(t)
	rec, err := Create(path, testHeader(t0))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Path() != path {
		t.Errorf("Path = %q", rec.Path())
	}
	if err := rec.End(at(1), 0, 0); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	rec.Open(1, at(2), "", "", "", -1, -1, "", false)
	rec.Frame(1, protocol.C2S, at(2), protocol.Frame{Data: []byte("x"), Size: 1}, protocol.FramingRaw, Marks{})
	if err := rec.Flush(); err != nil {
		t.Errorf("Flush after End = %v", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("records written after End")
	}
}

func TestSizeCountsFlushedBytes(t *testing.T) {
	path := tempPath(t)
	os.WriteFile(path, []byte(`{"type":"header","format":"sockscope-session","version":1,"started":"2026-01-02T03:04:05Z"}`+"\n"), 0o600)
	rec, err := Create(path, testHeader(t0))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.End(t0, 0, 0)
	for i := range 3000 { // more than the buffer holds
		rec.Frame(1, protocol.C2S, at(i), protocol.Frame{Data: []byte(`{"rid":1,"method":"add"}`), Size: 24, Wire: 25}, protocol.FramingLines, Marks{})
	}
	rec.Flush()
	st, _ := os.Stat(path)
	if rec.Size() != st.Size() {
		t.Errorf("Size() = %d, file holds %d", rec.Size(), st.Size())
	}
}

var frame64 = protocol.Frame{Data: []byte(`{"rid":17,"method":"add","args":[1,2,3,4,5],"note":"ok \"q\""}  `), Size: 64, Wire: 65}

func TestRecordFrameAllocs(t *testing.T) {
	if len(frame64.Data) != 64 {
		t.Fatalf("frame is %d bytes", len(frame64.Data))
	}
	rec, err := Create(tempPath(t), testHeader(t0))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.End(t0, 0, 0)
	bin := protocol.Frame{Data: []byte{0xff, 0, 1, 2}, Size: 4, Wire: 4}
	n := testing.AllocsPerRun(1000, func() {
		rec.Frame(1, protocol.C2S, t0, frame64, protocol.FramingLines, Marks{})
		rec.Frame(1, protocol.S2C, t0, bin, protocol.FramingRaw, Marks{})
	})
	if n != 0 {
		t.Errorf("recording a frame allocates %v times", n)
	}
}

func BenchmarkRecordFrame64B(b *testing.B) {
	rec, err := Create(tempPath(b), testHeader(t0))
	if err != nil {
		b.Fatal(err)
	}
	defer rec.End(t0, 0, 0)
	b.ReportAllocs()
	b.SetBytes(64)
	for b.Loop() {
		rec.Frame(1, protocol.C2S, t0, frame64, protocol.FramingLines, Marks{})
	}
	if err := rec.Flush(); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkRecordFrame16KiB(b *testing.B) {
	rec, err := Create(tempPath(b), testHeader(t0))
	if err != nil {
		b.Fatal(err)
	}
	defer rec.End(t0, 0, 0)
	f := protocol.Frame{Data: bytes.Repeat(frame64.Data, 256), Size: 16 << 10, Wire: 16<<10 + 1}
	b.ReportAllocs()
	b.SetBytes(int64(f.Size))
	for b.Loop() {
		rec.Frame(1, protocol.C2S, t0, f, protocol.FramingLines, Marks{})
	}
}

// BenchmarkEncodeFrame64B measures the encoding alone, without the file.
func BenchmarkEncodeFrame64B(b *testing.B) {
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	b.SetBytes(64)
	for b.Loop() {
		buf = appendFrame(buf[:0], 1, protocol.C2S, t0, frame64, protocol.FramingLines, Marks{})
	}
}

// TestStatusFromAnotherGoroutine reads Size and Err the way the UI does,
// while the observer records (run with -race).
func TestStatusFromAnotherGoroutine(t *testing.T) {
	rec, err := Create(tempPath(t), testHeader(t0))
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan int64)
	go func() {
		var last int64
		for {
			select {
			case <-stop:
				done <- last
				return
			default:
			}
			if rec.Err() != nil {
				t.Error(rec.Err())
			}
			if s := rec.Size(); s < last {
				t.Errorf("Size went back from %d to %d", last, s)
			} else {
				last = s
			}
		}
	}()
	for i := range 5000 {
		rec.Frame(1, protocol.C2S, at(i), frame64, protocol.FramingLines, Marks{})
		if i%100 == 0 {
			rec.Flush()
		}
	}
	if err := rec.End(at(5000), 0, 0); err != nil {
		t.Fatal(err)
	}
	close(stop)
	if last := <-done; last > rec.Size() || rec.Size() < 5000*64 {
		t.Errorf("Size %d (seen %d) for 5000 frames of 64 bytes", rec.Size(), last)
	}
}

// IsFile tells a session file from what is not one: another file, a file
// holding less than a header, a directory, a file that does not exist.
func TestIsFile(t *testing.T) {
	path := tempPath(t)
	rec, err := Create(path, testHeader(t0))
	if err != nil {
		t.Fatal(err)
	}
	rec.End(at(1), 0, 0)
	dir := t.TempDir()
	other := dir + "/other.jsonl"
	os.WriteFile(other, []byte(`{"type":"exchange","method":"add"}`+"\n"), 0o600)
	short := dir + "/short.jsonl"
	os.WriteFile(short, []byte(`{"type":"header"`), 0o600)
	for _, c := range []struct {
		path string
		want bool
	}{{path, true}, {other, false}, {short, false}, {dir, false}, {dir + "/none.jsonl", false}} {
		if got, err := IsFile(c.path); got != c.want || err != nil {
			t.Errorf("IsFile(%s) = %v, %v; want %v", c.path, got, err, c.want)
		}
	}
}
