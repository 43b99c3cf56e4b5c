package ui

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"sockscope/store"
)

// common is what every child model shares: the store, the screen size, the
// styles, the keys and the clock. The root owns it; children hold a pointer,
// so a resize or a theme change is seen by all of them at once.
type common struct {
	st     store.View
	opts   Options
	width  int
	height int
	styles Styles
	keys   keyMap
	// now is the clock; tests replace it so golden views are stable.
	now func() time.Time
	// dir is where w writes messages.
	dir      string
	noColor  bool
	styleGen int // moves when styles change, so cached renderings redo
	// held is the interceptor's held frames as of the last tick, oldest
	// first: the list shows them as rows, the detail pane their payload.
	held []HeldFrame
	// screened, if set (Options.Drawn), is set once View has rendered a
	// screen: the next frame written is the first the user sees.
	screened *atomic.Bool
	// altKeys says the terminal tells an Escape from alt (it reported key
	// disambiguation, the kitty protocol's): an alt key is one (splitEscape).
	altKeys bool
}

// sanitize makes text taken from a frame safe to print: control characters
// (C0, DEL, C1) and invalid UTF-8 are shown as visible escapes, so a frame
// holding "\x1b]52;…" or "\x1b[2J" can never reach the terminal raw. It
// returns s itself when nothing needs escaping.
func sanitize(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 || b == 0x7f || b >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == '\u2028' || r == '\u2029' || r == '\u200e' || r == '\u200f' || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069'):
			// Line separators and bidi overrides reorder or break lines.
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// fit cuts s to at most w cells, ending with "…" when it was cut, and pads
// it with spaces to exactly w cells.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := lipgloss.Width(s)
	if sw <= w {
		return s + strings.Repeat(" ", w-sw)
	}
	return cut(s, w)
}

// cut cuts s (which may be styled) to at most w cells, ending with "…"
// when it was cut.
func cut(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if lipgloss.Width(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// fitLeft right-aligns s in w cells.
func fitLeft(s string, w int) string {
	sw := lipgloss.Width(s)
	if sw >= w {
		return cut(s, w)
	}
	return strings.Repeat(" ", w-sw) + s
}

// fmtDur prints a latency in at most 7 characters: 850µs, 12.3ms, 1.25s, 3m05s.
func fmtDur(d time.Duration) string {
	switch {
	case d < 0:
		return "-"
	case d < time.Microsecond:
		return strconv.FormatInt(int64(d), 10) + "ns"
	case d < time.Millisecond:
		return strconv.FormatInt(int64(d/time.Microsecond), 10) + "µs"
	case d < 10*time.Millisecond:
		return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + "ms"
	case d < 100*time.Millisecond:
		return strconv.FormatFloat(float64(d)/1e6, 'f', 1, 64) + "ms"
	case d < time.Second:
		return strconv.FormatInt(int64(d/time.Millisecond), 10) + "ms"
	case d < 10*time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// fmtSize prints a byte count in at most 6 characters: 512B, 4.5K, 12M.
func fmtSize(n int64) string {
	const k = 1024
	switch {
	case n < k:
		return strconv.FormatInt(n, 10) + "B"
	case n < 10*k:
		return strconv.FormatFloat(float64(n)/k, 'f', 1, 64) + "K"
	case n < k*k:
		return strconv.FormatInt(n/k, 10) + "K"
	case n < 10*k*k:
		return strconv.FormatFloat(float64(n)/(k*k), 'f', 1, 64) + "M"
	case n < k*k*k:
		return strconv.FormatInt(n/(k*k), 10) + "M"
	}
	return strconv.FormatFloat(float64(n)/(k*k*k), 'f', 1, 64) + "G"
}

// fmtCount prints n with thousands separators.
func fmtCount[T int | int64 | uint64](n T) string {
	s := strconv.FormatInt(int64(n), 10)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// fmtClock prints a wall-clock time to the millisecond.
func fmtClock(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format("15:04:05.000")
}

// fmtAge prints how long ago t was, coarsely: 5s, 3m, 2h, 4d.
func fmtAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + "d"
}

// clamp bounds v to [lo, hi]; when hi < lo it returns lo.
func clamp(v, lo, hi int) int {
	if v > hi {
		v = hi
	}
	if v < lo {
		v = lo
	}
	return v
}

// stripStyles removes escape sequences the UI itself added.
func stripStyles(s string) string { return ansi.Strip(s) }
