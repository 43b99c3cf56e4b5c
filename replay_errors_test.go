//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// --update replaces the whole recording: with --filter it would drop the
// connections the filter left out, so the two together are refused before
// anything runs, and the file stays as it was.
func TestReplayUpdateRefusesFilter(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	dir := shortDir(t)
	svc := filepath.Join(dir, "svc.sock")
	seedServerAt(t, svc)
	file := recordSeed(t, dir, svc)
	golden := filepath.Join(dir, "golden.jsonl")
	copyFile(file, golden)
	before, _ := os.ReadFile(golden)

	_, errOut, status := runStatus(t, "replay", "--update", "--filter", "conn:1", "--pace", "none", "--timeout", "1500ms", golden, svc)
	if status != 2 || !strings.Contains(errOut, "--update") || !strings.Contains(errOut, "--filter") || strings.Contains(errOut, "now holds") {
		t.Errorf("--update --filter: status %d: %s", status, errOut)
	}
	if after, _ := os.ReadFile(golden); !bytes.Equal(before, after) {
		t.Errorf("--update --filter changed the recording")
	}
}
