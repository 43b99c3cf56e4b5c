package session

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"sockscope/protocol"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func testHeader(started time.Time) Header {
	return Header{Version: FormatVersion, Started: started, Upstream: "unix:/tmp/up \"q\".sock", Listen: "127.0.0.1:7000", Framing: "auto", IDFields: []string{"rid", "id"}}
}

// tricky are payloads that stress the encoding.
func tricky() [][]byte {
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i*7 + i>>9) // every byte value, not valid UTF-8
	}
	bigText := bytes.Repeat([]byte("{\"k\":\"v\\n\u2028日\"}\n\x00"), 1<<20/20)
	return [][]byte{
		[]byte(`{"rid":1,"method":"add","args":[1,2,3]}`),
		[]byte(`"quotes" and \backslashes\ \"`),
		[]byte("ctl \x00\x01\x07\x08\x09\x0a\x0b\x0c\x0d\x1b[2J\x1f\x7f end"),
		[]byte("ls\u2028ps\u2029 c1 \u0085\u009b nbsp\u00a0 bom\ufeff fffd\ufffd 🎉"),
		[]byte("invalid \xff\xfe utf-8"),
		[]byte("cut rune \xe6\x97"),
		[]byte("surrogate \xed\xa0\x80"),
		{0},
		{},
		big,
		bigText,
	}
}

// record writes every record type through rec and returns what a reader
// should give back for it.
func record(rec *Recorder, h Header, base int) []Record {
	want := []Record{{Type: TypeHeader, At: h.Started, Header: &h}}
	rec.Open(1, at(base+1), "@", "unix:/tmp/l.sock", "unix:/tmp/up.sock", 4242, 1000, "node", false)
	want = append(want, Record{Type: TypeOpen, Conn: 1, At: at(base + 1), Client: "@", Listen: "unix:/tmp/l.sock", Upstream: "unix:/tmp/up.sock", PID: 4242, UID: 1000, Process: "node"})
	rec.Open(2, at(base+2), "127.0.0.1:5555", "127.0.0.1:7000", "127.0.0.1:8000", -1, 0, "we\"ird\x1b\xff", false)
	want = append(want, Record{Type: TypeOpen, Conn: 2, At: at(base + 2), Client: "127.0.0.1:5555", Listen: "127.0.0.1:7000", Upstream: "127.0.0.1:8000", PID: -1, UID: 0, Process: "we\"ird\x1b\ufffd"})
	rec.Open(3, at(base+2), "", "", "", -1, -1, "", false)
	want = append(want, Record{Type: TypeOpen, Conn: 3, At: at(base + 2), PID: -1, UID: -1})
	for i, p := range tricky() {
		dir := protocol.Dir(i % 2)
		f := protocol.Frame{Data: p, Size: len(p), Wire: len(p) + 1}
		w := Record{Type: TypeFrame, Conn: 1, Dir: dir, At: at(base + 10 + i), Data: p, Size: len(p), Wire: len(p) + 1, Framing: "lines"}
		fr := protocol.FramingLines
		switch i % 4 {
		case 1:
			f.Truncated, f.Size, f.Wire = true, len(p)+1000, len(p)+1030
			w.Truncated, w.Size, w.Wire = true, f.Size, f.Wire
			// What it was, from all of its bytes: every member, in turn.
			whole := []*protocol.Info{
				{Kind: protocol.KindResponse, ID: []byte(`{"a":[1,"x"]}`), IsError: true, Continues: true},
				{Kind: protocol.KindRequest, ID: []byte(`7`), Method: []byte(`we\"ird é`), ByOrder: true},
				{Kind: protocol.KindRaw, Err: "unexpected end of JSON input"},
			}[i/4%3]
			f.Whole, w.Whole = whole, whole
		case 2:
			fr, w.Framing = protocol.FramingContentLength, "content-length"
			f.Err, w.Err = "bad header \"X\"\n", "bad header \"X\"\n"
		case 3:
			fr, w.Framing, w.Injected = protocol.FramingRaw, "raw", true
		}
		rec.Frame(1, dir, at(base+10+i), f, fr, Marks{Injected: w.Injected})
		want = append(want, w)
	}
	// Notes: an edit whose old payload is text, one whose old payload is
	// not UTF-8 (written as was_b64), and a hold with no Was.
	for i, n := range []*protocol.Note{
		{Act: protocol.ActEdited, Rule: "r1", Held: 1500 * time.Microsecond, Diff: "-a\n+b", Was: []byte("a \"quoted\"\n\u2028")},
		{Act: protocol.ActEdited, Diff: "garbage", Was: []byte("\xff\x00\xfe")},
		{Act: protocol.ActHeld, Rule: "r2", Diff: "held too long"},
	} {
		p := []byte(`{"id":1}`)
		rec.Frame(1, protocol.S2C, at(base+40+i), protocol.Frame{Data: p, Size: len(p), Wire: len(p) + 1}, protocol.FramingLines, Marks{Note: n})
		want = append(want, Record{Type: TypeFrame, Conn: 1, Dir: protocol.S2C, At: at(base + 40 + i), Data: p, Size: len(p), Wire: len(p) + 1,
			Framing: "lines", Marks: Marks{Note: n}})
	}
	rec.Frame(2, protocol.S2C, at(base+50), protocol.Frame{Size: 0, Wire: 0, Err: "eof"}, protocol.FramingAuto, Marks{})
	want = append(want, Record{Type: TypeFrame, Conn: 2, Dir: protocol.S2C, At: at(base + 50), Data: []byte{}, Framing: "auto", Err: "eof"})
	rec.Gap(1, protocol.S2C, at(base+60), 123456)
	want = append(want, Record{Type: TypeGap, Conn: 1, Dir: protocol.S2C, At: at(base + 60), Bytes: 123456})
	rec.Close(1, at(base+70), "")
	want = append(want, Record{Type: TypeClose, Conn: 1, At: at(base + 70)})
	rec.Close(2, at(base+71), "read unix: connection reset by peer")
	want = append(want, Record{Type: TypeClose, Conn: 2, At: at(base + 71), Err: "read unix: connection reset by peer"})
	return want
}

func endRecord(ms int) Record {
	return Record{Type: TypeEnd, At: at(ms), DroppedEvents: 7, DroppedBytes: 1 << 40}
}

func tempPath(t testing.TB) string {
	return filepath.Join(t.TempDir(), "s.jsonl")
}

func compare(t *testing.T, got, want []Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d records, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		if !bytes.Equal(g.Data, w.Data) || (g.Data == nil) != (w.Data == nil) {
			t.Errorf("record %d (%s): data differs: got %d bytes %.40q, want %d bytes %.40q", i, w.Type, len(g.Data), g.Data, len(w.Data), w.Data)
		}
		if !g.At.Equal(w.At) || g.At.Location() != time.UTC {
			t.Errorf("record %d (%s): at %v, want %v in UTC", i, w.Type, g.At, w.At)
		}
		g.Data, w.Data, g.At, w.At = nil, nil, time.Time{}, time.Time{}
		if g.Header != nil && w.Header != nil {
			if !g.Header.Started.Equal(w.Header.Started) {
				t.Errorf("record %d: started %v, want %v", i, g.Header.Started, w.Header.Started)
			}
			gh, wh := *g.Header, *w.Header
			gh.Started, wh.Started = time.Time{}, time.Time{}
			g.Header, w.Header = &gh, &wh
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	path := tempPath(t)
	h := testHeader(t0)
	rec, err := Create(path, h)
	if err != nil {
		t.Fatal(err)
	}
	want := record(rec, h, 0)
	if err := rec.End(at(100), 7, 1<<40); err != nil {
		t.Fatal(err)
	}
	want = append(want, endRecord(100))
	got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, got, want)

	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	if rec.Size() != st.Size() {
		t.Errorf("Size() = %d, file has %d bytes", rec.Size(), st.Size())
	}
	// Every line is one JSON object, printable on a terminal.
	data, _ := os.ReadFile(path)
	for i, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		if !bytes.HasPrefix(line, []byte(`{"type":"`)) || !bytes.HasSuffix(line, []byte("}")) {
			t.Errorf("line %d: %.80q", i+1, line)
		}
		if bytes.ContainsFunc(line, func(r rune) bool { return r < 0x20 || r >= 0x7f && r <= 0x9f }) {
			t.Errorf("line %d holds a control character: %.80q", i+1, line)
		}
	}
}

func TestAppendSegments(t *testing.T) {
	path := tempPath(t)
	var want []Record
	for seg := range 2 {
		h := testHeader(at(seg * 1000))
		rec, err := Create(path, h)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, record(rec, h, seg*1000)...)
		if err := rec.End(at(seg*1000+100), 7, 1<<40); err != nil {
			t.Fatal(err)
		}
		want = append(want, endRecord(seg*1000+100))
	}
	got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, got, want)
	headers := 0
	for _, r := range got {
		if r.Type == TypeHeader {
			headers++
		}
	}
	if headers != 2 {
		t.Errorf("%d segments, want 2", headers)
	}
}

func TestModeOfExistingFileKept(t *testing.T) {
	path := tempPath(t)
	rec, err := Create(path, testHeader(t0))
	if err != nil {
		t.Fatal(err)
	}
	rec.End(at(1), 0, 0)
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	rec, err = Create(path, testHeader(t0))
	if err != nil {
		t.Fatal(err)
	}
	rec.End(at(2), 0, 0)
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640 kept", st.Mode().Perm())
	}
}

func TestRefusesOtherFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "main.go")
	orig := []byte("package main\n")
	os.WriteFile(path, orig, 0o644)
	if rec, err := Create(path, testHeader(t0)); err == nil {
		rec.End(t0, 0, 0)
		t.Fatal("Create appended to a Go file")
	} else if !strings.Contains(err.Error(), "not a sockscope session") {
		t.Errorf("err = %v", err)
	}
	if data, _ := os.ReadFile(path); !bytes.Equal(data, orig) {
		t.Errorf("file changed to %q", data)
	}
	if _, err := Create(t.TempDir(), testHeader(t0)); err == nil {
		t.Error("Create opened a directory")
	}
}

// TestCutAtEveryOffset cuts a file at every byte of its last line, as a
// crash would, and checks that every complete record is read.
func TestCutAtEveryOffset(t *testing.T) {
	path := tempPath(t)
	h := testHeader(t0)
	rec, err := Create(path, h)
	if err != nil {
		t.Fatal(err)
	}
	want := []Record{{Type: TypeHeader, At: t0, Header: &h}}
	rec.Open(1, at(1), "@", "l", "u", 1, 2, "p", false)
	want = append(want, Record{Type: TypeOpen, Conn: 1, At: at(1), Client: "@", Listen: "l", Upstream: "u", PID: 1, UID: 2, Process: "p"})
	p := []byte("{\"a\":\"\\\"\u2028\"}\x00\xff")
	rec.Frame(1, protocol.C2S, at(2), protocol.Frame{Data: p, Size: len(p), Wire: len(p) + 1}, protocol.FramingLines, Marks{})
	full := append(want, Record{Type: TypeFrame, Conn: 1, At: at(2), Data: p, Size: len(p), Wire: len(p) + 1, Framing: "lines"})
	if err := rec.Flush(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	lastStart := bytes.LastIndexByte(data[:len(data)-1], '\n') + 1
	for cut := lastStart; cut <= len(data); cut++ {
		exp := want
		if cut >= len(data)-1 { // the whole last object, with or without its newline
			exp = full
		}
		got, truncated := readAll(t, data[:cut])
		compare(t, got, exp)
		if truncated != (cut > lastStart && cut < len(data)-1) {
			t.Errorf("cut at %d of %d: ErrTruncated = %v", cut, len(data), truncated)
		}
		if t.Failed() {
			t.Fatalf("cut at %d: %q", cut, data[lastStart:cut])
		}
		// And the recorder appends a new segment after the crash.
		if cut == len(data)-5 {
			crashThenAppend(t, data[:cut], want)
		}
	}
	rec.End(at(3), 0, 0)
}

// readAll reads data with a Reader, checking that ErrTruncated comes at
// most once and is followed by io.EOF.
func readAll(t *testing.T, data []byte) (recs []Record, truncated bool) {
	t.Helper()
	r := NewReader(bytes.NewReader(data))
	for {
		rec, err := r.Next()
		switch {
		case err == nil:
			if truncated {
				t.Fatal("a record after ErrTruncated")
			}
			recs = append(recs, rec)
		case err.Error() == "EOF":
			return recs, truncated
		case strings.Contains(err.Error(), ErrTruncated.Error()):
			if truncated {
				t.Fatal("ErrTruncated twice")
			}
			truncated = true
		default:
			t.Fatalf("after %d records: %v", len(recs), err)
		}
	}
}

func crashThenAppend(t *testing.T, data []byte, before []Record) {
	path := tempPath(t)
	os.WriteFile(path, data, 0o600)
	h := testHeader(at(500))
	rec, err := Create(path, h)
	if err != nil {
		t.Fatal(err)
	}
	rec.Close(9, at(501), "")
	if err := rec.End(at(502), 1, 2); err != nil {
		t.Fatal(err)
	}
	want := append(before[:len(before):len(before)],
		Record{Type: TypeHeader, At: h.Started, Header: &h},
		Record{Type: TypeClose, Conn: 9, At: at(501)},
		Record{Type: TypeEnd, At: at(502), DroppedEvents: 1, DroppedBytes: 2})
	got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, got, want)
	all, _ := os.ReadFile(path)
	r := NewReader(bytes.NewReader(all))
	for range before {
		r.Next()
	}
	if _, err := r.Next(); err == nil || !strings.Contains(err.Error(), "line 3: "+ErrTruncated.Error()) {
		t.Errorf("cut line between segments: err = %v, want line 3 truncated", err)
	}
}

// A connection sockscope opened itself: its open record says "own" (from
// the recorder, from AppendRecord, and again at the top of the next file
// of a rotating recording), and reads back Own; a client's, and an open
// record written before the member existed, read Own false.
func TestOwnOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.jsonl")
	rec, err := CreateRotating(path, testHeader(t0), Rotation{MaxSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	rec.Open(1, at(1), "@", "/front", "/up", 42, 7, "client", false)
	rec.Open(2, at(2), "sockscope#1", "/front", "/up", -1, -1, "", true)
	for i := range 20 { // past one file: both opened again in the next
		data := []byte(strings.Repeat("x", 100))
		rec.Frame(uint64(1+i%2), protocol.C2S, at(10+i), protocol.Frame{Data: data, Size: len(data), Wire: len(data) + 1}, protocol.FramingLines, Marks{Injected: i%2 == 1})
	}
	if err := rec.End(at(100), 0, 0); err != nil {
		t.Fatal(err)
	}
	if rec.Path() == path {
		t.Fatal("the recording did not rotate")
	}
	for _, p := range []string{path, rec.Path()} {
		recs, err := ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		own := map[uint64]bool{}
		for _, r := range recs {
			if r.Type == TypeOpen {
				own[r.Conn] = r.Own
			}
		}
		if len(own) != 2 || own[1] || !own[2] {
			t.Errorf("%s: open records, own by conn: %v, want conn 2's only", filepath.Base(p), own)
		}
	}

	line := AppendRecord(nil, Record{Type: TypeOpen, Conn: 3, At: t0, Client: "sockscope#2", PID: -1, UID: -1, Own: true})
	if !bytes.Contains(line, []byte(`,"own":true}`)) {
		t.Errorf("AppendRecord wrote %s", line)
	}
	if r, err := ParseRecord(bytes.TrimSuffix(line, []byte("\n"))); err != nil || !r.Own || r.Client != "sockscope#2" {
		t.Errorf("read back %+v, %v", r, err)
	}
	line = AppendRecord(nil, Record{Type: TypeOpen, Conn: 4, At: t0, Client: "@", PID: -1, UID: -1})
	if bytes.Contains(line, []byte(`"own"`)) {
		t.Errorf("a client's open record: %s", line)
	}
	old := `{"type":"open","conn":1,"at":"2026-03-04T05:06:07Z","client":"@","listen":"/f","upstream":"/u","pid":4}`
	if r, err := ParseRecord([]byte(old)); err != nil || r.Own || r.PID != 4 {
		t.Errorf("an old open record read %+v, %v", r, err)
	}
}

// A frame that began in an earlier read says when, and reads back so; one
// read at once has no began.
func TestFrameBegan(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 1, 2, 3, 400, time.UTC)
	rec := Record{Type: TypeFrame, Conn: 1, Dir: protocol.C2S, At: t0.Add(time.Millisecond), Framing: "http",
		Data: []byte("PUT / HTTP/1.1\r\n\r\n"), Size: 18, Wire: 18, Marks: Marks{Began: t0}}
	line := AppendRecord(nil, rec)
	if !bytes.Contains(line, []byte(`"began":"2026-12-06T01:02:03.0000004Z"`)) {
		t.Fatalf("no began in %s", line)
	}
	got, err := ParseRecord(bytes.TrimSuffix(line, []byte("\n")))
	if err != nil || !got.Began.Equal(t0) {
		t.Fatalf("read back began %v (%v), want %v", got.Began, err, t0)
	}
	rec.Began = time.Time{}
	if line := AppendRecord(nil, rec); bytes.Contains(line, []byte("began")) {
		t.Errorf("a frame read at once has a began: %s", line)
	}
	if _, err := ParseRecord([]byte(`{"type":"frame","conn":1,"dir":"c2s","at":"2026-12-06T01:02:03Z","began":"soon","framing":"http","size":1,"wire":1,"text":"x"}`)); err == nil {
		t.Error("a began that is no time was read")
	}
}
