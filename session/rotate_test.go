package session

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"sockscope/protocol"
)

func TestFileName(t *testing.T) {
	for _, c := range []struct {
		path string
		i    int
		want string
	}{
		{"/d/s.jsonl", 0, "/d/s.jsonl"}, {"/d/s.jsonl", 1, "/d/s.1.jsonl"}, {"/d/s.jsonl", 12, "/d/s.12.jsonl"},
		{"s", 2, "s.2"}, {"/d.x/s", 3, "/d.x/s.3"}, {"/d/.jsonl", 1, "/d/.jsonl.1"}, {"a.b.c", 1, "a.b.1.c"},
	} {
		if got := FileName(c.path, c.i); got != c.want {
			t.Errorf("FileName(%q, %d) = %q, want %q", c.path, c.i, got, c.want)
		}
	}
}

// recordRotating records 200 frames on one connection, with a second one
// open for a while, in files of 2000 bytes; it returns the first file's
// path and the last file's number.
func recordRotating(t *testing.T, maxFiles int) (path string, n int) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "s.jsonl")
	rec, err := CreateRotating(path, testHeader(t0), Rotation{MaxSize: 2000, MaxFiles: maxFiles})
	if err != nil {
		t.Fatal(err)
	}
	rec.Open(1, at(1), "@", "/front", "/up", 42, 7, "client", false)
	for i := 0; i < rotatedFrames; i++ {
		if i == 50 {
			rec.Open(2, at(100), "@", "/front", "/up", -1, -1, "", false)
		}
		if i == 120 {
			rec.Close(2, at(300), "")
		}
		conn := uint64(1)
		if i >= 50 && i < 120 {
			conn = uint64(1 + i%2)
		}
		data := []byte(fmt.Sprintf(`{"id":%d,"method":"m"}`, i))
		rec.Frame(conn, protocol.C2S, at(10+i), protocol.Frame{Data: data, Size: len(data), Wire: len(data) + 1}, protocol.FramingLines, Marks{})
	}
	if err := rec.End(at(1000), 0, 0); err != nil {
		t.Fatal(err)
	}
	for n < 1000 && FileName(path, n) != rec.Path() {
		n++
	}
	if n < 5 {
		t.Fatalf("%d files for %d frames of about 80 bytes in files of 2000", n+1, rotatedFrames)
	}
	return path, n
}

const rotatedFrames = 200

// A rotating recording: each file reads on its own as a whole session (a
// header first, every frame's connection opened in that file, an end last,
// naming the next file); the connections still open are opened again at
// the top of the next file with their own time and peer; no frame is lost
// or doubled across the files.
func TestRotation(t *testing.T) {
	path, n := recordRotating(t, 0)
	if next := checkRotated(t, path, 0, n); next != rotatedFrames {
		t.Errorf("the last frame is %d, want %d", next-1, rotatedFrames-1)
	}
}

// With MaxFiles, only the newest files are kept, each still whole.
func TestRotationMaxFiles(t *testing.T) {
	path, n := recordRotating(t, 3)
	for i := 0; i <= n-3; i++ {
		if _, err := os.Stat(FileName(path, i)); err == nil {
			t.Errorf("file %d kept: want only the newest 3 of %d", i, n+1)
		}
	}
	if next := checkRotated(t, path, n-2, n); next != rotatedFrames {
		t.Errorf("the last frame is %d, want %d", next-1, rotatedFrames-1)
	}
}

// checkRotated reads files from to last on their own and checks them; it
// returns the id of the frame after the last one read.
func checkRotated(t *testing.T, path string, from, last int) int {
	t.Helper()
	next := -1 // the id of the next frame expected
	for i := from; i <= last; i++ {
		name := FileName(path, i)
		recs, err := ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if recs[0].Type != TypeHeader || !recs[0].Header.Started.Equal(t0) || recs[len(recs)-1].Type != TypeEnd {
			t.Fatalf("%s: from %s to %s", name, recs[0].Type, recs[len(recs)-1].Type)
		}
		end := recs[len(recs)-1]
		if want := filepath.Base(FileName(path, i+1)); i < last && end.Next != want || i == last && end.Next != "" {
			t.Errorf("%s ends continuing in %q", name, end.Next)
		}
		if st, _ := os.Stat(name); i < last && st.Size() > 2000+300 { // the bound, plus the record that reached it and the end
			t.Errorf("%s holds %d bytes", name, st.Size())
		}
		open := map[uint64]bool{}
		for _, r := range recs[1 : len(recs)-1] {
			switch r.Type {
			case TypeOpen:
				open[r.Conn] = true
				if r.Conn == 1 && (!r.At.Equal(at(1)) || r.PID != 42 || r.Process != "client") ||
					r.Conn == 2 && !r.At.Equal(at(100)) {
					t.Errorf("%s: connection %d opened again as %+v", name, r.Conn, r)
				}
			case TypeClose:
				delete(open, r.Conn)
			case TypeFrame:
				if !open[r.Conn] {
					t.Errorf("%s: a frame of connection %d, not open in this file", name, r.Conn)
				}
				var id int
				fmt.Sscanf(string(r.Data), `{"id":%d`, &id)
				if next >= 0 && id != next {
					t.Errorf("%s: frame %d after %d", name, id, next-1)
				}
				next = id + 1
			}
		}
	}
	return next
}
