package indexbuild

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"sockscope/capture"
	"sockscope/index"
	"sockscope/internal/sessiongen"
	"sockscope/protocol"
	"sockscope/query"
	"sockscope/session"
	"sockscope/store"
)

// decodeStore decodes the file as show did before the index: through
// capture.File into a store big enough to keep everything.
func decodeStore(t *testing.T, path string) *store.Store {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := capture.NewFile(f).Header()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	framing, _ := protocol.ParseFraming(h.Framing)
	st := decodeWith(t, path, capture.Config{Framing: framing, IDFields: h.IDFields, Lossless: true,
		MaxMessages: 10_000_000, MaxBytes: 1 << 30})
	if ev := st.Totals().Evicted; ev != 0 {
		t.Fatalf("the store evicted %d messages: the comparison needs them all", ev)
	}
	return st
}

// decodeWith decodes the session file at path through capture.File with
// cfg and returns the store.
func decodeWith(t *testing.T, path string, cfg capture.Config) *store.Store {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e, err := capture.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.Start(context.Background(), capture.NewFile(f))
	if err := e.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e.Store
}

// recordAgain records the session file at in again through the engine, as
// a live run records what it decodes (here its source is a session file
// rather than the relay), and returns the recording's path.
func recordAgain(t *testing.T, in string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out.jsonl")
	decodeWith(t, in, capture.Config{Framing: protocol.FramingLines, Lossless: true, Record: out})
	return out
}

// writeVersion makes the index at path look as an older version wrote it:
// its version, and 8 zero bytes at off, where a later version keeps what
// that one did not.
func writeVersion(t *testing.T, path string, version byte, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteAt([]byte{version, 0, 0, 0}, 8)
	if err == nil {
		_, err = f.WriteAt(make([]byte, 8), off)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

// twoSegments writes a session of two runs with a record cut short by a
// crash between them.
func twoSegments(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.jsonl")
	if err := sessiongen.Write(path, sessiongen.Config{Size: 600 << 10, Seed: 1, NoEnd: true}); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"type":"frame","conn":1,"dir":"c2s","at":"2025-01-`) // a crash
	f.Close()
	if err := sessiongen.Write(path, sessiongen.Config{Size: 1200 << 10, Seed: 2, Conns: 3,
		Start: time.Date(2025, 1, 2, 4, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	return path
}

func openBuilt(t *testing.T, path string, follow bool) *Shown {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := capture.NewFile(f).Header()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	framing, _ := protocol.ParseFraming(h.Framing)
	v, err := Open(context.Background(), path, Settings{Framing: framing, IDFields: h.IDFields}, follow)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// sameAs checks that v holds every row and frame st does, field by field.
func sameAs(t *testing.T, v *Shown, st *store.Store) {
	t.Helper()
	f1, n1 := st.RowBounds()
	f2, n2 := v.RowBounds()
	if f1 != f2 || n1 != n2 {
		t.Fatalf("rows: store [%d,%d), index [%d,%d)", f1, n1, f2, n2)
	}
	var statuses [8]int
	for seq := f1; seq < n1; seq++ {
		want, _ := st.Row(seq)
		got, ok := v.Row(seq)
		want.ReqAt, want.RespAt = want.ReqAt.UTC(), want.RespAt.UTC()
		if !ok || !reflect.DeepEqual(got, want) {
			t.Fatalf("row %d:\n index %+v\n store %+v", seq, got, want)
		}
		statuses[want.Status]++
	}
	t.Logf("%d rows, by status %v", n1-f1, statuses)
	for _, s := range []protocol.Status{protocol.StatusOK, protocol.StatusError, protocol.StatusNoReply, protocol.StatusOrphan, protocol.StatusNone} {
		if statuses[s] == 0 {
			t.Errorf("no row of status %v: the file does not test it", s)
		}
	}
	f1, n1 = st.MessageBounds()
	f2, n2 = v.MessageBounds()
	if f1 != f2 || n1 != n2 {
		t.Fatalf("messages: store [%d,%d), index [%d,%d)", f1, n1, f2, n2)
	}
	for seq := f1; seq < n1; seq++ {
		want, _ := st.Message(seq)
		got, ok := v.Message(seq)
		want.At = want.At.UTC()
		if !ok || !reflect.DeepEqual(got, want) {
			t.Fatalf("message %d:\n index %+v\n store %+v", seq, got, want)
		}
	}
	if got, want := v.Totals().Conns, st.Totals().Conns; got != want {
		t.Errorf("%d connections, the store %d", got, want)
	}
}

func TestIndexMatchesStore(t *testing.T) {
	path := twoSegments(t)
	st := decodeStore(t, path)
	v := openBuilt(t, path, false)
	if !v.Built {
		t.Fatal("a file without an index was not indexed")
	}
	if err := v.Build.Wait(); err != nil {
		t.Fatal(err)
	}
	if v.Build.Cut() != 1 {
		t.Errorf("%d records cut short, want 1", v.Build.Cut())
	}
	sameAs(t, v, st)
	v.Close()
	if _, err := os.Stat(index.PathOf(path)); err != nil {
		t.Fatalf("the built index was not kept beside the file: %v", err)
	}

	// Opened again, the index is fresh: read as it is, not built again.
	v = openBuilt(t, path, false)
	if v.Built {
		t.Fatal("a fresh index was built again")
	}
	sameAs(t, v, st)

	// A file that changed makes it stale.
	v.Close()
	fi, _ := os.Stat(path)
	if err := sessiongen.Write(path, sessiongen.Config{Size: fi.Size() + 100<<10, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	v = openBuilt(t, path, false)
	if !v.Built {
		t.Fatal("a stale index was used")
	}
	if err := v.Build.Wait(); err != nil {
		t.Fatal(err)
	}
	sameAs(t, v, decodeStore(t, path))
}

// An index is stale once its file is edited in place, even when the edit
// keeps the file's size and its first 64 bytes: show builds it again
// rather than show what the file no longer holds.
func TestIndexStaleAfterEditInPlace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.jsonl")
	if err := sessiongen.Write(path, sessiongen.Config{Size: 800 << 10, Seed: 4}); err != nil {
		t.Fatal(err)
	}
	v := openBuilt(t, path, false)
	if err := v.Build.Wait(); err != nil {
		t.Fatal(err)
	}
	v.Close()
	if v = openBuilt(t, path, false); v.Built {
		t.Fatal("the index kept beside the file was not fresh")
	}
	v.Close()

	editInPlace(t, path)
	v = openBuilt(t, path, false)
	if !v.Built {
		t.Fatal("the index of the file as it was is used after an edit in place")
	}
	if err := v.Build.Wait(); err != nil {
		t.Fatal(err)
	}
	sameAs(t, v, decodeStore(t, path))
	v.Close()
	if v = openBuilt(t, path, false); v.Built {
		t.Fatal("the index built again was not kept fresh")
	}
}

// An index an older build kept (format version 3, without the file's
// modification time) is stale: built again and replaced, not an error.
func TestOlderIndexIsStale(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.jsonl")
	if err := sessiongen.Write(path, sessiongen.Config{Size: 200 << 10, Seed: 4}); err != nil {
		t.Fatal(err)
	}
	v := openBuilt(t, path, false)
	if err := v.Build.Wait(); err != nil {
		t.Fatal(err)
	}
	v.Close()
	// As version 3 wrote it: its version, and nothing where the
	// modification time is now.
	writeVersion(t, index.PathOf(path), 3, 144)
	v = openBuilt(t, path, false)
	if !v.Built {
		t.Fatal("an older build's index was used")
	}
	if err := v.Build.Wait(); err != nil {
		t.Fatal(err)
	}
	v.Close()
	if v = openBuilt(t, path, false); v.Built {
		t.Fatal("the older index was not replaced with a fresh one")
	}
}

// The index a recording writes beside the session is fresh when show opens
// it, and holds what decoding the file finds.
func TestRecordingWritesIndex(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.jsonl")
	if err := sessiongen.Write(in, sessiongen.Config{Size: 800 << 10, Seed: 4}); err != nil {
		t.Fatal(err)
	}
	out := recordAgain(t, in)
	v := openBuilt(t, out, false)
	if v.Built {
		t.Fatal("the recording's index was not fresh: it was built again")
	}
	sameAs(t, v, decodeStore(t, out))
	v.Close()

	// Edited in place, the recording's index is stale.
	editInPlace(t, out)
	v = openBuilt(t, out, false)
	if !v.Built {
		t.Fatal("the recording's index was used after the file was edited in place")
	}
	if err := v.Build.Wait(); err != nil {
		t.Fatal(err)
	}
	sameAs(t, v, decodeStore(t, out))
}

// editInPlace changes a method in the second half of the session file at
// path, in place: its size and its first 64 bytes stay as they were, its
// modification time moves on (set, not left to the clock's granularity).
func editInPlace(t *testing.T, path string) {
	t.Helper()
	b, fi := edited(t, path)
	writeAt(t, path, b)
	later := fi.ModTime().Add(time.Hour)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
}

// edited returns the session file at path with a method in its second
// half changed (its size and first 64 bytes as they were), and the file
// as it was.
func edited(t *testing.T, path string) ([]byte, os.FileInfo) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const from, to = `\"method\":\"textDocument/completion\"`, `\"method\":\"textDocument/c0mpletion\"`
	i := strings.Index(string(b[len(b)/2:]), from)
	if i < 0 {
		t.Fatalf("no %s in the second half of the file", from)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	copy(b[len(b)/2+i:], to)
	return b, fi
}

// writeAt writes b over the file at path, in place.
func writeAt(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteAt(b, 0)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

// An index is stale once another file of the same size, beginning and
// modification time takes its file's place: copied over it with cp -p
// (the same inode, written in place, its modification time set back) or
// moved there with mv (another inode).
func TestIndexStaleAfterReplacementKeepingModTime(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("only the modification time tells a file's states apart here")
	}
	for _, how := range []string{"cp -p", "mv"} {
		t.Run(how, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.jsonl")
			if err := sessiongen.Write(path, sessiongen.Config{Size: 400 << 10, Seed: 4}); err != nil {
				t.Fatal(err)
			}
			v := openBuilt(t, path, false)
			if err := v.Build.Wait(); err != nil {
				t.Fatal(err)
			}
			v.Close()

			b, fi := edited(t, path)
			dst := path
			if how == "mv" {
				dst = path + ".new"
				if err := os.WriteFile(dst, b, 0o644); err != nil {
					t.Fatal(err)
				}
			} else {
				writeAt(t, path, b)
			}
			if err := os.Chtimes(dst, fi.ModTime(), fi.ModTime()); err != nil {
				t.Fatal(err)
			}
			if dst != path {
				if err := os.Rename(dst, path); err != nil {
					t.Fatal(err)
				}
			}
			if now, err := os.Stat(path); err != nil || !now.ModTime().Equal(fi.ModTime()) || now.Size() != fi.Size() {
				t.Fatalf("the replacement changed the file's size or modification time: %v", err)
			}

			v = openBuilt(t, path, false)
			if !v.Built {
				t.Fatalf("the index of the file it replaced is used after %s", how)
			}
			if err := v.Build.Wait(); err != nil {
				t.Fatal(err)
			}
			sameAs(t, v, decodeStore(t, path))
		})
	}
}

// --follow shows what another sockscope appends to the file.
func TestFollowSeesAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.jsonl")
	if err := sessiongen.Write(path, sessiongen.Config{Size: 100 << 10, Seed: 5, NoEnd: true}); err != nil {
		t.Fatal(err)
	}
	v := openBuilt(t, path, true)
	waitRows := func(atLeast uint64) uint64 {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			_, next := v.RowBounds()
			if next-1 >= atLeast {
				return next - 1
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d rows, waited for %d", next-1, atLeast)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	first := waitRows(100)
	fi, _ := os.Stat(path)
	// Another run appends a segment of its own.
	if err := sessiongen.Write(path, sessiongen.Config{Size: fi.Size() + 300<<10, Seed: 6, Needle: "appended-needle"}); err != nil {
		t.Fatal(err)
	}
	waitRows(first + 500)
	// Among them the appended request, with its frame read from the file.
	deadline := time.Now().Add(20 * time.Second)
	for found := false; !found; {
		v.Messages(1, func(m *protocol.Message) bool {
			found = strings.Contains(string(m.Frame.Data), "appended-needle")
			return !found
		})
		if !found && time.Now().After(deadline) {
			t.Fatal("the appended request never came")
		}
	}
	if _, _, over := v.Build.Progress(); over {
		t.Fatal("the follow ended at the file's end")
	}
}

// A followed file's last frame is shown while the file waits to grow: the
// decoder holds each recorded frame until the next record says whether it
// is of the same read (capture.Reads), and a file that stops there has no
// next record yet.
func TestFollowShowsTheLastFrame(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.jsonl")
	text := `{"type":"header","format":"sockscope-session","version":1,"started":"2026-01-02T03:04:05Z","framing":"lines"}
{"type":"open","conn":1,"at":"2026-01-02T03:04:05Z"}
{"type":"frame","conn":1,"dir":"c2s","at":"2026-01-02T03:04:06Z","size":21,"text":"{\"id\":1,\"method\":\"a\"}"}
{"type":"frame","conn":1,"dir":"s2c","at":"2026-01-02T03:04:07Z","size":19,"text":"{\"id\":1,\"result\":2}"}
{"type":"frame","conn":1,"dir":"c2s","at":"2026-01-02T03:04:08Z","size":24,"text":"{\"id\":2,\"method\":\"last\"}"}
`
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	v := openBuilt(t, path, true)
	deadline := time.Now().Add(20 * time.Second)
	for found := false; !found; time.Sleep(10 * time.Millisecond) {
		v.Messages(1, func(m *protocol.Message) bool {
			found = strings.Contains(string(m.Frame.Data), `"last"`)
			return !found
		})
		if !found && time.Now().After(deadline) {
			t.Fatal("the file's last frame is not shown while it waits to grow")
		}
	}
}

// The filter's free text searches every frame of the file, also those the
// bounded store would long have evicted.
func TestSearchPastTheStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.jsonl")
	if err := sessiongen.Write(path, sessiongen.Config{Size: 3 << 20, Seed: 7, Needle: "early-needle", NeedleAt: 20 << 10}); err != nil {
		t.Fatal(err)
	}
	q, err := query.Parse("early-needle")
	if err != nil {
		t.Fatal(err)
	}
	// A store bounded to 256 KiB keeps only the end of the file.
	st := decodeWith(t, path, capture.Config{Framing: protocol.FramingLines, Lossless: true, MaxBytes: 256 << 10})
	if n := matches(st, q); n != 0 {
		t.Fatalf("the bounded store still has the needle (%d rows): the test shows nothing", n)
	}
	v := openBuilt(t, path, false)
	if err := v.Build.Wait(); err != nil {
		t.Fatal(err)
	}
	if n := matches(v, q); n != 1 {
		t.Fatalf("%d rows match the needle in the index, want 1", n)
	}
}

func matches(st store.View, q *query.Query) int {
	n := 0
	now := time.Now()
	st.Rows(0, func(r store.Row) bool {
		if q.MatchRow(st, &r, now) {
			n++
		}
		return true
	})
	return n
}

// A raw frame read through the index has no method, as one decoded has
// none: not the request line that bytes after an HTTP 101 start with.
func TestIndexRawFramesHaveNoMethod(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.jsonl")
	at := func(ms int) string { return time.Date(2025, 1, 2, 3, 4, 5, ms*1e6, time.UTC).Format(time.RFC3339Nano) }
	frame := func(ms int, dir, text, err string) string {
		l := `{"type":"frame","conn":1,"dir":"` + dir + `","at":"` + at(ms) + `","framing":"http","size":` +
			strconv.Itoa(len(text)) + `,"wire":` + strconv.Itoa(len(text)) + `,"text":` + strconv.Quote(text)
		if err != "" {
			l += `,"err":` + strconv.Quote(err)
		}
		return l + "}\n"
	}
	file := `{"type":"header","format":"sockscope-session","version":1,"started":"` + at(0) + `","upstream":"unix:/u","listen":"/l","framing":"auto"}` + "\n" +
		`{"type":"open","conn":1,"at":"` + at(0) + `","client":"@","listen":"/l","upstream":"unix:/u"}` + "\n" +
		frame(1, "c2s", "GET /ws HTTP/1.1\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n", "") +
		frame(2, "s2c", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", "") +
		frame(3, "c2s", "GET /notreally HTTP/1.1\r\n\r\n", "http: switched protocols (101); raw from here") +
		`{"type":"close","conn":1,"at":"` + at(4) + `"}` + "\n" +
		`{"type":"end","at":"` + at(5) + `","dropped_events":0,"dropped_bytes":0}` + "\n"
	if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	v := openBuilt(t, path, false)
	if err := v.Build.Wait(); err != nil {
		t.Fatal(err)
	}
	m, ok := v.Message(3)
	if !ok || m.Info.Kind != protocol.KindRaw || m.Info.Method != nil {
		t.Fatalf("the raw frame through the index: %+v", m.Info)
	}
}

// A file's frames kept truncated, or that a gap went through, are shown
// from the index as the store has them: a JSON frame's start classified
// (not raw, "unterminated string"), and a message a gap went through still
// the message its start says (not raw with the gap's reason).
func TestIndexMatchesStoreCut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cut.jsonl")
	at := time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC)
	r, err := session.Create(path, session.Header{Started: at, Upstream: "unix:/up.sock", Listen: "/front.sock",
		Framing: "auto", IDFields: protocol.DefaultIDFields})
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("y", 5000)
	frame := func(conn uint64, dir protocol.Dir, framing protocol.Framing, payload string, keep int, err string) {
		at = at.Add(time.Millisecond)
		kept := payload[:min(keep, len(payload))]
		r.Frame(conn, dir, at, protocol.Frame{Data: []byte(kept), Size: len(payload), Wire: len(payload) + 1,
			Truncated: len(kept) < len(payload), Err: err}, framing, session.Marks{})
	}
	r.Open(1, at, "@", "/front.sock", "unix:/up.sock", 42, 0, "client", false)
	frame(1, protocol.C2S, protocol.FramingLines, `{"jsonrpc":"2.0","id":1,"method":"echo","params":"`+big+`"}`, 64, "")
	frame(1, protocol.S2C, protocol.FramingLines, `{"jsonrpc":"2.0","id":1,"result":"`+big+`"}`, 64, "")
	r.Open(2, at, "@", "/front.sock", "unix:/up.sock", 42, 0, "curl", false)
	get := "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	frame(2, protocol.C2S, protocol.FramingHTTP, get, 1<<20, "")
	r.Gap(2, protocol.S2C, at, 4000)
	frame(2, protocol.S2C, protocol.FramingHTTP, "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n"+big, 60, protocol.GapErr(4000))
	r.Close(1, at, "")
	r.Close(2, at, "")
	if err := r.End(at, 0, 0); err != nil {
		t.Fatal(err)
	}
	st := decodeWith(t, path, capture.Config{IDFields: protocol.DefaultIDFields, Lossless: true})
	v := openBuilt(t, path, false)
	if err := v.Build.Wait(); err != nil {
		t.Fatal(err)
	}
	first, next := st.MessageBounds()
	if next-first != 4 {
		t.Fatalf("%d messages in the store, want 4", next-first)
	}
	for seq := first; seq < next; seq++ {
		want, _ := st.Message(seq)
		got, ok := v.Message(seq)
		if !ok || got.Info.Kind != want.Info.Kind || string(got.Info.ID) != string(want.Info.ID) || string(got.Info.Method) != string(want.Info.Method) ||
			got.Info.Err != want.Info.Err || got.Frame.Size != want.Frame.Size || got.Frame.Err != want.Frame.Err {
			t.Errorf("message %d:\n index %v %q %q %q, frame %d bytes, err %q\n store %v %q %q %q, frame %d bytes, err %q", seq,
				got.Info.Kind, got.Info.ID, got.Info.Method, got.Info.Err, got.Frame.Size, got.Frame.Err,
				want.Info.Kind, want.Info.ID, want.Info.Method, want.Info.Err, want.Frame.Size, want.Frame.Err)
		}
		if want.Info.Kind == protocol.KindRaw {
			t.Errorf("message %d is raw in the store: %q", seq, want.Info.Err)
		}
	}
}
