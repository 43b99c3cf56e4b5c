package ui

import (
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"sockscope/protocol"
	"sockscope/store"
)

// hexLine is one whole line of a hex dump: its offset, the bytes, and the
// bytes as text between bars.
var hexLine = regexp.MustCompile(`^[0-9a-f]{8}  [0-9a-f ]+\|[^|]*\|\s*$`)

// A hex dump's lines fit the pane whatever its width: none is wrapped, so
// the text of one line never lands under the next line's offset.
func TestHexDumpFitsThePane(t *testing.T) {
	data := []byte("\x00\x01\x02binary\xff\xfe garbage and a little more of it, past one line")
	s := newStyles(true, true)
	for w := 29; w <= 120; w++ {
		lines := hexDump(data, w, &s)
		for _, l := range lines {
			l = ansi.Strip(l)
			if ansi.StringWidth(l) > w {
				t.Fatalf("width %d: %q is %d cells wide", w, l, ansi.StringWidth(l))
			}
			if !hexLine.MatchString(l) {
				t.Fatalf("width %d: not a whole hex line: %q", w, l)
			}
		}
		if w >= 77 && !strings.HasPrefix(ansi.Strip(lines[1]), "00000010") {
			t.Errorf("width %d: fewer than 16 bytes a line: %q", w, ansi.Strip(lines[1]))
		}
	}
}

// On a 120-column terminal the detail pane is about 50 cells wide: a raw
// binary frame's dump reads there line by line, as at 80 columns.
func TestHexDumpInTheWideLayout(t *testing.T) {
	for _, sz := range [][2]int{{120, 35}, {80, 24}, {60, 20}} {
		st := store.New(store.Config{})
		st.Update(func(tx *store.Tx) {
			tx.OpenConn(store.Conn{ID: 1, Client: "unix:@", PID: -1, UID: -1, Opened: t0})
			f := &filler{st: st, tx: tx}
			f.lone(1, protocol.C2S, t0, "\x00\x01\x02binary\xff\xfe garbage and then some more bytes", protocol.StatusNone)
		})
		m := newTestModel(t, st, sz[0], sz[1])
		v := view(m)
		n := 0
		for _, l := range strings.Split(v, "\n") {
			if i := strings.Index(l, "0000000"); i >= 0 {
				n++
				l = strings.TrimSuffix(strings.TrimRight(l[i:], " "), "│")
				if !hexLine.MatchString(l) {
					t.Errorf("%dx%d: a hex line cut or wrapped: %q\n%s", sz[0], sz[1], l, v)
				}
			} else if strings.Contains(l, "garb") && !strings.Contains(l, "|") {
				t.Errorf("%dx%d: the dump's text wrapped onto a line of its own: %q\n%s", sz[0], sz[1], l, v)
			}
		}
		if n == 0 {
			t.Fatalf("%dx%d: no hex dump in view:\n%s", sz[0], sz[1], v)
		}
	}
}
