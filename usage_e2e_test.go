//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// attach refuses flags that contradict each other or an argument, and more
// than one argument, saying what it wants: exit 2, as for bad flags
// (status 1 is attach's "no instance runs"). It said nothing of --list
// --all, and cobra's "accepts at most 1 arg(s)".
func TestAttachRefusesContradictions(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"attach", "--list", "--all"}, "--list and --all: choose one"},
		{[]string{"attach", "-l", "4242"}, "--list and an instance (4242): choose one"},
		{[]string{"attach", "--all", "/tmp/x.sock"}, "--all and an instance (/tmp/x.sock): choose one"},
		{[]string{"attach", "1", "2"}, "attach takes one instance, the PATH of its feed or its PID, not 2 (1 2)"},
		{[]string{"attach", "--bogus"}, "unknown flag: --bogus"},
	} {
		out, errOut, status := runStatus(t, c.args...)
		if status != 2 || !strings.Contains(errOut, "sockscope: "+c.want) || out != "" {
			t.Errorf("%q: status %d, stdout %q, stderr %q; want 2 and %q", c.args, status, out, errOut, c.want)
		}
	}
}

// wrap's help says what --headless does there: no UI, and no summary (the
// stdout is the child's), as the README says; it promised a summary line.
func TestWrapHeadlessHelp(t *testing.T) {
	out, _, status := runStatus(t, "wrap", "--help")
	i := strings.Index(out, "--headless")
	if status != 0 || i < 0 {
		t.Fatalf("wrap --help: status %d:\n%s", status, out)
	}
	line, _, _ := strings.Cut(out[i:], "\n")
	if strings.Contains(line, "summary line") || !strings.Contains(line, "prints no summary") {
		t.Errorf("wrap --help says of --headless: %q", line)
	}
}

// A segment of a newer sockscope's format is data the user does not get:
// show --dump and export both read the rest, name it in their summary and
// exit 1 (export exited 0).
func TestShowAndExportAgreeOnANewerSegment(t *testing.T) {
	dir := shortDir(t)
	path := filepath.Join(dir, "s.jsonl")
	file := `{"type":"header","format":"sockscope-session","version":1,"started":"2026-01-02T03:04:05Z","framing":"lines"}
{"type":"open","conn":1,"at":"2026-01-02T03:04:05Z"}
{"type":"frame","conn":1,"dir":"c2s","at":"2026-01-02T03:04:05Z","size":21,"text":"{\"id\":1,\"method\":\"a\"}"}
{"type":"frame","conn":1,"dir":"s2c","at":"2026-01-02T03:04:06Z","size":19,"text":"{\"id\":1,\"result\":2}"}
{"type":"close","conn":1,"at":"2026-01-02T03:04:07Z"}
{"type":"header","format":"sockscope-session","version":99,"started":"2026-01-03T03:04:05Z","framing":"lines"}
{"type":"open","conn":1,"at":"2026-01-03T03:04:05Z"}
`
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"show", "--dump", path},
		{"export", path, "--format", "jsonl"},
		{"export", path, "-o", filepath.Join(dir, "x.har")},
	} {
		out, errOut, status := runStatus(t, args...)
		if status != 1 || !strings.Contains(errOut, "1 request: 1 ok") || !strings.Contains(errOut, "unreadable line skipped") ||
			args[0] == "export" && !strings.Contains(errOut, "exported 1 exchange") {
			t.Errorf("%q: status %d, stderr %q; want 1, the exchange and the skipped segment named", args, status, errOut)
		}
		if args[0] == "show" && !strings.Contains(out, `"status":"ok"`) || len(args) > 2 && args[2] == "--format" && !strings.Contains(out, `"method":"a"`) {
			t.Errorf("%q: stdout %q lacks the exchange", args, out)
		}
	}
}

// A command given the wrong number of arguments says what they are, its
// usage line after cobra's count ("accepts 1 arg(s), received 0" alone did
// not), and exits 2, as for any bad usage.
func TestWrongArgumentCountSaysTheUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"show"}, "sockscope show FILE"},
		{[]string{"export"}, "sockscope export FILE"},
		{[]string{"restore"}, "sockscope restore PATH"},
		{[]string{"replay", "x"}, "sockscope replay FILE UPSTREAM"},
		{[]string{"serve"}, "sockscope serve FILE --listen ADDR"},
		{[]string{"send", "a", "b", "c"}, "sockscope send ADDR [MESSAGE | @FILE | -]"},
	} {
		out, errOut, status := runStatus(t, c.args...)
		if status != 2 || !strings.Contains(errOut, c.want) || out != "" {
			t.Errorf("%q: status %d, stdout %q, stderr %q; want 2 and %q", c.args, status, out, errOut, c.want)
		}
	}
}
