//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sockscope/internal/missing"
)

// A real recording with gaps (the decoder's process stopped while 40 MiB
// of calls go through, then resumed), shown with show: E exports from the
// file's index a pcapng with the gaps where they were, as sockscope export
// does from the whole file decoded in memory (byte for byte), so that
// tshark marks the segment after each "previous segment not captured".
func TestShowExportsGaps(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		missing.Peer(t, "tshark is not installed")
	}
	file := recordGap(t)
	dir := filepath.Dir(file)
	want := filepath.Join(dir, "want.pcapng")
	showRun(t, "export", file, "-o", want)
	if n := lostSegments(t, want); n == 0 {
		t.Fatal("sockscope export marks no lost segment: the recording has no gap to test")
	}

	tm := newTerm(t, dir, 160, 40, nil, binary, "show", file)
	tm.waitScreen("the file's rows, its index read", func(s string) error {
		switch {
		case len(listRows(s)) == 0:
			return fmt.Errorf("no rows")
		case strings.Contains(s, "indexing"):
			return fmt.Errorf("still indexing")
		}
		return nil
	})
	tm.export(filepath.Join(dir, "got.pcapng"))
	tm.waitText("the export's notice", "as pcapng to")
	tm.keys("q")
	got, err := os.ReadFile(filepath.Join(dir, "got.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	wb, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if n, m := lostSegments(t, filepath.Join(dir, "got.pcapng")), lostSegments(t, want); n != m {
		t.Errorf("show's export has %d segments after one not captured, sockscope export's %d", n, m)
	}
	if !bytes.Equal(got, wb) {
		t.Errorf("show's export (%d bytes) differs from sockscope export's (%d bytes)", len(got), len(wb))
	}
}

// lostSegments counts the packets tshark marks "previous segment not
// captured" in the pcapng at path.
func lostSegments(t *testing.T, path string) int {
	t.Helper()
	out, err := exec.Command("tshark", "-r", path, "-Y", "tcp.analysis.lost_segment", "-T", "fields", "-e", "frame.number").Output()
	if err != nil {
		t.Fatalf("tshark -r %s: %v", path, err)
	}
	return len(strings.Fields(string(out)))
}
