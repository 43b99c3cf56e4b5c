// Command render normalises a `tmux capture-pane -e -p` dump for image
// tools: tmux emits only the style changes between cells, so render replays
// the dump through a virtual terminal (github.com/charmbracelet/x/vt) of the
// pane's size and prints that screen again, every line complete with its
// own styles and ending in a reset.
//
// Usage:
//
//	tmux capture-pane -e -p -N -t S | go run ./screenshots/render -w 120 -h 36 > shot.ansi
//	go run ./screenshots/render -shrink 1 big.png small.png
//
// The second form halves a PNG (freeze renders at four times the size).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/charmbracelet/x/vt"
)

func main() {
	w := flag.Int("w", 120, "width of the captured pane in cells")
	h := flag.Int("h", 36, "height of the captured pane in cells")
	shrink := flag.Int("shrink", 0, "halve the PNG given as the first argument this many times, into the second")
	flag.Parse()
	if *shrink > 0 {
		if flag.NArg() != 2 {
			fmt.Fprintln(os.Stderr, "usage: render -shrink N IN.png OUT.png")
			os.Exit(2)
		}
		if err := shrinkPNG(flag.Arg(0), flag.Arg(1), *shrink); err != nil {
			fmt.Fprintln(os.Stderr, "render:", err)
			os.Exit(1)
		}
		return
	}
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
	os.Stdout.WriteString(normalise(in, *w, *h))
}

// normalise replays a capture of w×h cells and renders the resulting screen.
func normalise(capture []byte, w, h int) string {
	term := vt.NewEmulator(w, h)
	// The emulator answers queries on its input pipe; nobody asks here, but
	// drain it so an answer could never block Write.
	go io.Copy(io.Discard, term)
	capture = bytes.TrimSuffix(capture, []byte("\n"))
	lines := bytes.Split(capture, []byte("\n"))
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		// Each captured line starts at column 0 of its own row, whatever
		// the pen still holds from the line before.
		fmt.Fprintf(term, "\x1b[%d;1H", i+1)
		term.Write(l)
	}
	return term.Render() + "\n"
}
