//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sockscope/internal/missing"
	"sockscope/protocol"
	"sockscope/session"
)

// replay and export with stdout sent to /dev/null (a character device, but
// no terminal) run as with stdout a file: replay headless, to its end,
// recording with -w; export writes the pcapng. Both took /dev/null for a
// terminal: replay started its UI, which quit at once (exit 2, nothing
// compared), and export refused to write a pcapng to it.
func TestReplayAndExportToDevNull(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		missing.Peer(t, "node is not installed")
	}
	dir, svc, file := seedSession(t, recordSeed)
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()

	replayed := filepath.Join(dir, "replayed.jsonl")
	errOut, status := runStatusTo(t, null, "replay", "--pace", "none", "--timeout", "10s", "--filter", "method:add",
		"-w", replayed, file, svc)
	if status != 0 || !strings.Contains(errOut, "21 requests: 21 match") {
		t.Errorf("replay > /dev/null: status %d: %s", status, errOut)
	}
	raw, _ := os.ReadFile(replayed)
	if n := strings.Count(string(raw), `{"type":"compare"`); n != 21 {
		t.Errorf("the replay's recording holds %d compare records, want 21:\n%s", n, raw)
	}

	errOut, status = runStatusTo(t, null, "export", file, "--format", "pcapng")
	if status != 0 || !strings.Contains(errOut, "as pcapng to stdout") {
		t.Errorf("export --format pcapng > /dev/null: status %d: %s", status, errOut)
	}
}

// writeSession writes a session file of one connection and one exchange
// at path, through the recorder.
func writeSession(t *testing.T, path string) {
	t.Helper()
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	rec, err := session.Create(path, session.Header{Started: at, Upstream: "unix:/tmp/up.sock", Listen: "/tmp/front.sock"})
	if err != nil {
		t.Fatal(err)
	}
	rec.Open(1, at, "pid 1", "/tmp/front.sock", "unix:/tmp/up.sock", 1, 0, "client", false)
	for i, data := range []string{`{"id":1,"method":"add"}`, `{"id":1,"result":3}`} {
		rec.Frame(1, protocol.Dir(i), at.Add(time.Duration(i)*time.Millisecond),
			protocol.Frame{Data: []byte(data), Size: len(data), Wire: len(data) + 1}, protocol.FramingLines, session.Marks{})
	}
	rec.Close(1, at.Add(time.Second), "")
	if err := rec.End(at.Add(time.Second), 0, 0); err != nil {
		t.Fatal(err)
	}
}

// export -o refuses the session file it reads (under its name, another
// spelling of it, or a link to it) and any other session file, before it
// writes anything: it truncated the recording it was reading, exit 0. A
// file that is not a session (an earlier export) it still overwrites.
func TestExportRefusesToOverwriteASession(t *testing.T) {
	dir := shortDir(t)
	file, other, link := filepath.Join(dir, "s.jsonl"), filepath.Join(dir, "other.jsonl"), filepath.Join(dir, "link.jsonl")
	writeSession(t, file)
	writeSession(t, other)
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(file)
	for _, c := range []struct{ out, says string }{
		{file, "is the session file being exported"},
		{filepath.Join(dir, ".", "s.jsonl"), "is the session file being exported"},
		{link, "is the session file being exported"},
		{other, "is a sockscope session file: not overwriting it"},
	} {
		_, errOut, status := runStatus(t, "export", file, "-o", c.out)
		if status == 0 || !strings.Contains(errOut, c.says) {
			t.Errorf("export -o %s: status %d, stderr %q; want it refused (%s)", c.out, status, errOut, c.says)
		}
	}
	for _, p := range []string{file, other} {
		if got, _ := os.ReadFile(p); !bytes.Equal(got, want) {
			t.Errorf("%s changed:\n%s", p, got)
		}
	}

	exported := filepath.Join(dir, "exported.jsonl")
	os.WriteFile(exported, []byte("an earlier export\n"), 0o600)
	if _, errOut, status := runStatus(t, "export", file, "-o", exported); status != 0 {
		t.Fatalf("export -o over an earlier export: status %d: %s", status, errOut)
	}
	if got, _ := os.ReadFile(exported); !bytes.Contains(got, []byte(`"method":"add"`)) {
		t.Errorf("the export holds:\n%s", got)
	}
}

// replay refuses, before it sends anything, a -w that is the recording it
// replays (the replay was appended to it: two segments, and the next
// replay played every connection twice), a --speed that is not above 0
// (taken for 1), and a --junit it cannot write (found out once the replay
// was over) or that is a session file; the check leaves no file behind.
func TestReplayRefusesBadOutputsAndSpeedFirst(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		missing.Peer(t, "node is not installed")
	}
	dir, svc, file := seedSession(t, recordSeed)
	want, _ := os.ReadFile(file)
	replayed, junit := filepath.Join(dir, "replayed.jsonl"), filepath.Join(dir, "j.xml")
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"-w", file}, "is the recording being replayed"},
		{[]string{"-w", filepath.Join(dir, ".", "seed.jsonl")}, "--update"},
		{[]string{"--pace", "recorded", "--speed", "0", "-w", replayed}, "--speed 0: want a number above 0"},
		{[]string{"--pace", "recorded", "--speed", "-1", "-w", replayed}, "--speed -1: want a number above 0"},
		{[]string{"--timeout", "0", "-w", replayed}, "--timeout 0s: want a duration above 0"},
		{[]string{"--timeout", "-1s", "-w", replayed}, "--timeout -1s: want a duration above 0"},
		{[]string{"--junit", filepath.Join(dir, "none", "j.xml"), "-w", replayed}, "--junit: open " + filepath.Join(dir, "none", "j.xml")},
		{[]string{"--junit", file, "-w", replayed}, "--junit " + file + " is a sockscope session file"},
	} {
		args := append(append([]string{"replay", "--timeout", "1500ms"}, c.args...), file, svc)
		_, errOut, status := runStatus(t, args...)
		if status != 2 || !strings.Contains(errOut, c.says) || strings.Contains(errOut, "requests:") {
			t.Errorf("%s: status %d, stderr %q; want it refused (%q) before the replay", strings.Join(c.args, " "), status, errOut, c.says)
		}
		if _, err := os.Stat(replayed); err == nil {
			t.Errorf("%s: the replay was recorded", strings.Join(c.args, " "))
			os.Remove(replayed)
		}
	}
	if got, _ := os.ReadFile(file); !bytes.Equal(got, want) {
		t.Errorf("the recording changed: %d bytes, was %d", len(got), len(want))
	}

	// A --junit that can be written: checked, not left behind when the
	// replay then cannot start, and written when it runs.
	if _, errOut, status := runStatus(t, "replay", "--junit", junit, filepath.Join(dir, "none.jsonl"), svc); status != 2 || !strings.Contains(errOut, "none.jsonl") {
		t.Errorf("no such recording: status %d: %s", status, errOut)
	}
	if _, err := os.Stat(junit); err == nil {
		t.Errorf("%s was left behind", junit)
	}
	if _, errOut, status := runStatus(t, "replay", "--pace", "none", "--timeout", "10s", "--junit", junit, file, svc); status != 0 {
		t.Errorf("--junit %s: status %d: %s", junit, status, errOut)
	}
	if x, _ := os.ReadFile(junit); !bytes.Contains(x, []byte(`tests="26" failures="0"`)) {
		t.Errorf("junit:\n%s", x)
	}
}

// export fails, before it writes anything, when the file does not fit in
// memory (--max-messages, --max-bytes): the evicted exchanges were left out
// of the export, exit 0, with a hint on stderr alone.
func TestExportRefusesWhatDoesNotFit(t *testing.T) {
	dir := shortDir(t)
	file, out := filepath.Join(dir, "s.jsonl"), filepath.Join(dir, "out.jsonl")
	writeSession(t, file)
	os.WriteFile(out, []byte("an earlier export\n"), 0o600)
	for _, limit := range [][]string{{"--max-messages", "1"}, {"--max-bytes", "30"}} {
		_, errOut, status := runStatus(t, append([]string{"export", file, "-o", out}, limit...)...)
		if status == 0 || !strings.Contains(errOut, "too big to export in memory") || !strings.Contains(errOut, strings.Join(limit, " ")) {
			t.Errorf("export %s: status %d, stderr %q; want it refused, naming it", strings.Join(limit, " "), status, errOut)
		}
		if got, _ := os.ReadFile(out); string(got) != "an earlier export\n" {
			t.Errorf("export %s wrote:\n%s", strings.Join(limit, " "), got)
		}
	}
	if _, errOut, status := runStatus(t, "export", file, "-o", out, "--max-messages", "2"); status != 0 {
		t.Errorf("export --max-messages 2: status %d: %s", status, errOut)
	}
}
