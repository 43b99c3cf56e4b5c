//go:build unix

package main

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sockscope/index"
)

// show reads a recording through its index and a frame alone from the
// file: an HTTP/2 header block, compressed against the blocks before it
// (HPACK's dynamic table), still shows its decoded headers in the detail,
// as live. Real nginx and Go's HTTP/2 client, whose encoder indexes what
// it sends (its second request's X-Trace is the table's), through the
// real binary; show in a terminal, with the index the recording wrote,
// then with one built again. A recording with a frame cap (--max-frame)
// below every header block's size keeps them whole all the same: they
// decode as well.
func TestShowHTTP2Headers(t *testing.T) {
	dir := shortDir(t)
	up := startNginxH2(t, dir)
	for i, opts := range [][]string{nil, {"--max-frame", "16"}} {
		front := filepath.Join(dir, fmt.Sprintf("front%d.sock", i))
		rec := filepath.Join(dir, fmt.Sprintf("s%d.jsonl", i))
		stop := sockscope(t, append(append([]string{"--headless", "--lossless", "--record", rec}, opts...), "--listen", front, up)...)
		dialWait(t, front)
		goH2(t, front, "/json", "/fail", "/data.json")
		stop()
		showH2Headers(t, cmp.Or(strings.Join(opts, " "), "the default cap"), rec)
	}
}

// showH2Headers checks that show, in a terminal, decodes the header blocks
// of rec, a recording of goH2's GET /fail from startNginxH2's nginx.
func showH2Headers(t *testing.T, name, rec string) {
	t.Helper()
	for _, run := range []string{name + ": the recording's index", name + ": an index built again"} {
		if strings.HasSuffix(run, "an index built again") {
			if err := os.Remove(index.PathOf(rec)); err != nil {
				t.Fatal(err)
			}
		}
		tm := newTerm(t, shortDir(t), 200, 50, nil, binary, "show", rec)
		tm.waitScreen(run+": rows", func(s string) error {
			if len(listRows(s)) == 0 || strings.Contains(s, "indexing") {
				return fmt.Errorf("no rows yet, or still indexing")
			}
			return nil
		})
		tm.filter(`method:"GET /fail"`)
		tm.waitScreen(run+": GET /fail's request, decoded", func(s string) error {
			switch {
			case len(listRows(s)) != 1:
				return fmt.Errorf("%d rows, want 1", len(listRows(s)))
			case strings.Contains(s, "not decoded"):
				return fmt.Errorf("a header block not decoded")
			case !strings.Contains(s, `"x-trace": "sockscope-e2e"`) || !strings.Contains(s, `":path": "/fail"`):
				return fmt.Errorf("the request's headers are not shown")
			}
			return nil
		})
		tm.keys("l")
		tm.waitScreen(run+": its response, decoded", func(s string) error {
			if !strings.Contains(s, `":status": "503"`) || !strings.Contains(s, `"server": "nginx`) || strings.Contains(s, "not decoded") {
				return fmt.Errorf("the response's headers are not shown")
			}
			return nil
		})
		tm.keys("q")
		tm.waitScreen(run+": show's exit with status 0", func(s string) error {
			if !strings.Contains(s, "[exit 0]") && !strings.Contains(s, "Pane is dead (status 0") {
				return fmt.Errorf("not exited with 0")
			}
			return nil
		})
	}
}
