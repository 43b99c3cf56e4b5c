package session

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"sockscope/protocol"
)

func TestBadLines(t *testing.T) {
	hdr := `{"type":"header","format":"sockscope-session","version":1,"started":"2026-01-02T03:04:05Z","upstream":"u","listen":"l","framing":"auto","id_fields":["id"]}` + "\n"
	open := `{"type":"open","conn":1,"at":"2026-01-02T03:04:05.5Z"}` + "\n"
	for _, tc := range []struct{ name, file, err string }{
		{"not json", "hello\nworld\n", "line 1: not a sockscope session file"},
		{"no header", open, "line 1: not a sockscope session file (no header)"},
		{"other format", `{"type":"header","format":"x","version":1}` + "\n", `line 1: header: format "x"`},
		{"newer", `{"type":"header","format":"sockscope-session","version":2,"started":"2026-01-02T03:04:05Z"}` + "\n", "format version 2"},
		{"bad middle line", hdr + open + "{oops\n" + open, "line 3: not valid JSON"},
		{"bad dir", hdr + `{"type":"frame","conn":1,"at":"2026-01-02T03:04:05Z","dir":"up","text":""}` + "\n", `line 2: frame: direction "up"`},
		{"no payload", hdr + `{"type":"frame","conn":1,"at":"2026-01-02T03:04:05Z","dir":"c2s"}` + "\n", `line 2: frame: no "text" or "b64"`},
		{"bad b64", hdr + `{"type":"frame","conn":1,"at":"2026-01-02T03:04:05Z","dir":"c2s","size":9,"b64":"!!"}` + "\n", "line 2: frame: b64"},
		{"size too small", hdr + `{"type":"frame","conn":1,"at":"2026-01-02T03:04:05Z","dir":"c2s","size":1,"text":"abc"}` + "\n", "line 2: frame: size 1"},
		{"bad whole", hdr + `{"type":"frame","conn":1,"at":"2026-01-02T03:04:05Z","dir":"c2s","size":9,"truncated":true,"whole":{"kind":"big"},"text":"abc"}` + "\n", `line 2: frame: whole: kind "big"`},
		{"no time", hdr + `{"type":"close","conn":1}` + "\n", `line 2: close: no "at"`},
		{"bad time", hdr + `{"type":"close","conn":1,"at":"yesterday"}` + "\n", `line 2: close: "at"`},
		{"no type", hdr + `{"conn":1}` + "\n", `line 2: no "type"`},
		{"array", hdr + "[1]\n", "line 2: json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tempPath(t)
			os.WriteFile(path, []byte(tc.file), 0o600)
			_, err := ReadFile(path)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("err = %v, want %q", err, tc.err)
			}
			// Past the header a bad line is skipped (ErrBadRecord); before
			// it, the file is none.
			if past := strings.HasPrefix(tc.file, hdr); errors.Is(err, ErrBadRecord) != past {
				t.Errorf("err = %v: wraps ErrBadRecord %v, want %v", err, !past, past)
			}
		})
	}
}

func TestForwardCompatible(t *testing.T) {
	file := `{"type":"header","format":"sockscope-session","version":1,"started":"2026-01-02T03:04:05Z","new":{"x":[1]}}` + "\n\n" +
		`{"type":"hologram","at":"?"}` + "\r\n" +
		`{"type":"close","conn":4,"at":"2026-01-02T04:04:05+01:00","extra":true}`
	got, trunc := readAll(t, []byte(file))
	h := Header{Version: 1, Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	compare(t, got, []Record{{Type: TypeHeader, At: h.Started, Header: &h}, {Type: TypeClose, Conn: 4, At: h.Started}})
	if trunc {
		t.Error("a complete last line without newline reported as truncated")
	}
}

func TestLineTooLong(t *testing.T) {
	hdr := `{"type":"header","format":"sockscope-session","version":1,"started":"2026-01-02T03:04:05Z"}` + "\n"
	const max = 100 << 10 // over the Reader's buffer
	line := func(n int) string {
		return fmt.Sprintf(`{"type":"frame","conn":1,"at":"2026-01-02T03:04:05Z","dir":"c2s","size":%d,"text":"%s"}`+"\n", n, strings.Repeat("a", n))
	}
	long, fits := line(max), line(max-100)
	r := NewReader(strings.NewReader(hdr + long + fits + `{"type":"end","at":"2026-01-02T03:04:05Z"}` + "\n"))
	r.maxLine = len(fits)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); !errors.Is(err, ErrBadRecord) || !strings.Contains(err.Error(), "line 2: line too long") {
		t.Fatalf("err = %v", err)
	}
	if rec, err := r.Next(); err != nil || len(rec.Data) != max-100 {
		t.Fatalf("the line after a long line: %v", err)
	}
	if rec, err := r.Next(); err != nil || rec.Type != TypeEnd {
		t.Fatalf("after a long line: %+v, %v", rec, err)
	}
}

// TestFormatExample reads the session-file example in the README, so the document cannot
// drift from the code unnoticed.
func TestFormatExample(t *testing.T) {
	doc, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := bytes.Cut(doc, []byte("## The session file\n"))
	_, rest, _ := bytes.Cut(section, []byte("```\n"))
	example, _, _ := bytes.Cut(rest, []byte("```\n"))
	got, trunc := readAll(t, example)
	if trunc || len(got) != 9 {
		t.Fatalf("%d records, truncated %v", len(got), trunc)
	}
	for _, r := range got {
		if r.Type == TypeFrame && (r.Size != len(r.Data) || r.Wire != r.Size+1 && r.Framing == "lines") {
			t.Errorf("example frame %q: size %d, wire %d", r.Data, r.Size, r.Wire)
		}
	}
	// The recorder writes the same bytes for the same records.
	path := tempPath(t)
	rec, err := Create(path, *got[0].Header)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range got[1:] {
		switch r.Type {
		case TypeOpen:
			rec.Open(r.Conn, r.At, r.Client, r.Listen, r.Upstream, r.PID, r.UID, r.Process, false)
		case TypeFrame:
			fr, _ := protocol.ParseFraming(r.Framing)
			rec.Frame(r.Conn, r.Dir, r.At, protocol.Frame{Data: r.Data, Size: r.Size, Wire: r.Wire, Truncated: r.Truncated, Err: r.Err}, fr, r.Marks)
		case TypeGap:
			rec.Gap(r.Conn, r.Dir, r.At, r.Bytes)
		case TypeClose:
			rec.Close(r.Conn, r.At, r.Err)
		case TypeEnd:
			rec.End(r.At, r.DroppedEvents, r.DroppedBytes)
		}
	}
	if written, _ := os.ReadFile(path); !bytes.Equal(written, example) {
		t.Errorf("recorder wrote\n%s\nthe README shows\n%s", written, example)
	}
}

// A segment of a format version this sockscope does not know is skipped
// whole, with one error naming its header: none of its records is taken
// for the segment before it (its connection 1 for that one's, which had
// closed); the segment after it is read.
func TestNewerSegmentSkipped(t *testing.T) {
	hdr := func(v int) string {
		return fmt.Sprintf(`{"type":"header","format":"sockscope-session","version":%d,"started":"2026-01-02T03:04:05Z"}`+"\n", v)
	}
	conn := `{"type":"open","conn":1,"at":"2026-01-02T03:04:05Z"}` + "\n" +
		`{"type":"frame","conn":1,"dir":"c2s","at":"2026-01-02T03:04:05Z","size":2,"text":"{}"}` + "\n" +
		`{"type":"close","conn":1,"at":"2026-01-02T03:04:05Z"}` + "\n"
	r := NewReader(strings.NewReader(hdr(1) + conn + hdr(2) + conn + "not even JSON\n" + `{"type":"gap","what":"ever"}` + "\n" + hdr(1) + conn))
	var got []string
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if !errors.Is(err, ErrBadRecord) {
				t.Fatal(err)
			}
			got = append(got, err.Error())
			continue
		}
		got = append(got, rec.Type)
	}
	want := []string{"header", "open", "frame", "close",
		"session: line 5: header: format version 2; this sockscope reads versions 1 to 1: its segment is skipped",
		"header", "open", "frame", "close"}
	if !slices.Equal(got, want) {
		t.Errorf("read\n%q\nwant\n%q", got, want)
	}
}
