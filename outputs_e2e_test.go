//go:build unix

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sockscope/internal/missing"
)

// runStatusTo is runStatus with stdout going to out itself (the child
// gets its descriptor, as a shell's redirection gives it).
func runStatusTo(t *testing.T, out *os.File, args ...string) (stderr string, status int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		status = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return errb.String(), status
}

// replay and export with stdout sent to /dev/null (a character device, but
// no terminal) run as with stdout a file: replay headless, to its end,
// recording with -w; export writes the pcapng. Both took /dev/null for a
// terminal: replay started its UI, which quit at once (exit 2, nothing
// compared), and export refused to write a pcapng to it.
func TestReplayAndExportToDevNull(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		missing.Peer(t, "node is not installed")
	}
	dir := shortDir(t)
	svc := filepath.Join(dir, "svc.sock")
	seedServerAt(t, svc)
	file := recordSeed(t, dir, svc)
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()

	replayed := filepath.Join(dir, "replayed.jsonl")
	errOut, status := runStatusTo(t, null, "replay", "--pace", "none", "--timeout", "1500ms", "--filter", "method:add",
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
